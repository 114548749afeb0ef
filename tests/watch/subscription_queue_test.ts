import assert from "node:assert/strict";
import type { EnsureResult } from "../../sync/watch/subscription_keeper.ts";
import { SubscriptionQueue } from "../../sync/watch/subscription_queue.ts";

/** A keeper whose calls wait for the test to release them, one by one. */
function slowKeeper() {
  const calls: string[] = [];
  let inFlight = 0;
  let most = 0;
  const waiting: (() => void)[] = [];
  const gate = async (what: string) => {
    calls.push(what);
    most = Math.max(most, ++inFlight);
    await new Promise<void>((resolve) => waiting.push(resolve));
    inFlight--;
  };
  return {
    calls,
    get most() {
      return most;
    },
    /** Lets the oldest waiting call finish. */
    release(): void {
      waiting.shift()?.();
    },
    keeper: {
      async ensure(id: string): Promise<EnsureResult> {
        await gate(`ensure ${id}`);
        if (id === "bad") throw new Error("k8splugin said 500");
        return { action: "created" };
      },
      async forget(id: string): Promise<void> {
        await gate(`forget ${id}`);
      },
      instances: ["old", "a"],
    },
  };
}

/** Lets queued microtasks and promise chains run. */
function settle(): Promise<unknown> {
  return new Promise((r) => setTimeout(r, 0));
}

Deno.test("SubscriptionQueue runs one call at a time in the background; the latest request per instance wins", async () => {
  const k = slowKeeper();
  const results: [string, string, boolean][] = [];
  await using queue = new SubscriptionQueue({
    keeper: k.keeper,
    onResult: (id, result, read) =>
      results.push([
        id,
        result instanceof Error ? result.message : result.action,
        read,
      ]),
  });
  queue.ensure(["a", "b", "c"], false);
  await settle();
  assert.deepEqual(k.calls, ["ensure a"], "one call in flight");
  assert.equal(queue.pending, 2);
  // b is asked again (with a read), c is forgotten before it ran.
  queue.ensure(["b"], true);
  queue.forget(["c"]);
  queue.ensure(["bad"], false);
  for (let i = 0; i < 4; i++) {
    k.release();
    await settle();
  }
  await queue.idle();
  assert.deepEqual(k.calls, ["ensure a", "ensure b", "forget c", "ensure bad"]);
  assert.equal(k.most, 1);
  assert.deepEqual(results, [
    ["a", "created", false],
    ["b", "created", true],
    ["bad", "k8splugin said 500", false],
  ]);
});

Deno.test("SubscriptionQueue: a request with a read keeps it when merged with one without", async () => {
  const k = slowKeeper();
  const reads: boolean[] = [];
  await using queue = new SubscriptionQueue({
    keeper: k.keeper,
    onResult: (_id, _result, read) => reads.push(read),
  });
  queue.ensure(["busy"], false);
  queue.ensure(["x"], true);
  queue.ensure(["x"], false);
  k.release();
  await settle();
  k.release();
  await queue.idle();
  assert.deepEqual(reads, [false, true]);
});

Deno.test("SubscriptionQueue: clear() drops what is pending; close() waits for the call in flight and runs nothing more", async () => {
  const k = slowKeeper();
  const done: string[] = [];
  const queue = new SubscriptionQueue({
    keeper: k.keeper,
    concurrency: 2,
    onResult: (id) => done.push(id),
  });
  queue.ensure(["a", "b", "c", "d"], false);
  await settle();
  assert.deepEqual(k.calls, ["ensure a", "ensure b"], "two at a time");
  queue.clear();
  assert.equal(queue.pending, 0);
  queue.ensure(["e"], false);
  const closed = queue.close();
  k.release();
  k.release();
  await closed;
  assert.deepEqual(done.sort(), ["a", "b"]);
  assert.deepEqual(k.calls, ["ensure a", "ensure b"]);
  queue.ensure(["f"], false);
  await settle();
  assert.equal(k.calls.length, 2, "closed: nothing runs");
});

Deno.test("SubscriptionQueue.reconcile() ensures the listed instances and forgets the kept ones not listed", async () => {
  const k = slowKeeper();
  await using queue = new SubscriptionQueue({
    keeper: k.keeper,
    onResult: () => {},
  });
  queue.reconcile(["a", "b"], false);
  for (let i = 0; i < 3; i++) {
    k.release();
    await settle();
  }
  await queue.idle();
  assert.deepEqual(k.calls, ["ensure a", "ensure b", "forget old"]);
});
