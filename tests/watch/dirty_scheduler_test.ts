import assert from "node:assert/strict";
import { DirtyScheduler } from "../../sync/watch/mod.ts";
import { testClock } from "./_clock.ts";

/** A scheduler on a test clock that records each call's ids and time. */
function recording(
  options: Partial<ConstructorParameters<typeof DirtyScheduler>[0]> = {},
) {
  const clock = testClock(0);
  const calls: { ids: string[]; at: number }[] = [];
  const scheduler = new DirtyScheduler({
    onDirty(ids) {
      calls.push({ ids, at: clock.now() });
    },
    debounceMs: 100,
    maxWaitMs: 1_000,
    clock,
    ...options,
  });
  return { clock, calls, scheduler };
}

Deno.test("DirtyScheduler.mark() coalesces a burst into one call after the quiet period", async () => {
  const { clock, calls, scheduler } = recording();
  await using _ = scheduler;
  scheduler.mark("a");
  await clock.tick(50);
  scheduler.mark("b");
  scheduler.mark("a");
  await clock.tick(99);
  assert.deepEqual(calls, []);
  await clock.tick(1);
  assert.deepEqual(calls, [{ ids: ["a", "b"], at: 150 }]);
  assert.deepEqual(scheduler.pending, []);
});

Deno.test("DirtyScheduler.mark() runs a chattering instance no later than maxWaitMs after its first mark", async () => {
  const { clock, calls, scheduler } = recording();
  await using _ = scheduler;
  for (let t = 0; t < 1_500; t += 50) {
    scheduler.mark("chatty");
    await clock.tick(50);
  }
  assert.equal(calls[0]?.at, 1_000);
  assert.deepEqual(calls[0]?.ids, ["chatty"]);
});

Deno.test("DirtyScheduler never overlaps calls: ids marked during a call run in the next one", async () => {
  const clock = testClock(0);
  const calls: string[][] = [];
  let release!: () => void;
  let active = 0;
  let maxActive = 0;
  await using scheduler = new DirtyScheduler({
    async onDirty(ids) {
      active++;
      maxActive = Math.max(maxActive, active);
      calls.push(ids);
      if (calls.length === 1) {
        await new Promise<void>((resolve) => release = resolve);
      }
      active--;
    },
    debounceMs: 10,
    maxWaitMs: 10,
    clock,
  });
  scheduler.mark("a");
  await clock.tick(10);
  assert.equal(scheduler.running, true);
  scheduler.mark("a");
  scheduler.mark("b");
  await clock.tick(100);
  assert.deepEqual(calls, [["a"]], "the second batch waits for the first call");
  release();
  await clock.settle();
  await clock.tick(10);
  await scheduler.idle();
  assert.deepEqual(calls, [["a"], ["a", "b"]]);
  assert.equal(maxActive, 1);
});

Deno.test("DirtyScheduler splits more than maxBatch ids into back-to-back calls", async () => {
  const { clock, calls, scheduler } = recording({ maxBatch: 2 });
  await using _ = scheduler;
  for (const id of ["a", "b", "c", "d", "e"]) scheduler.mark(id);
  await clock.tick(100);
  await scheduler.idle();
  assert.deepEqual(calls.map((c) => c.ids), [["a", "b"], ["c", "d"], ["e"]]);
  assert.deepEqual(calls.map((c) => c.at), [100, 100, 100]);
});

Deno.test("DirtyScheduler reports a failed call to onError and does not mark its ids again", async () => {
  const clock = testClock(0);
  const errors: [unknown, string[]][] = [];
  let calls = 0;
  await using scheduler = new DirtyScheduler({
    onDirty() {
      calls++;
      throw new Error("k8splugin is down");
    },
    onError: (error, ids) => void errors.push([error, ids]),
    debounceMs: 10,
    clock,
  });
  scheduler.mark("a");
  await clock.tick(10);
  await scheduler.idle();
  await clock.tick(10_000);
  assert.equal(calls, 1);
  assert.equal(errors.length, 1);
  assert.deepEqual(errors[0]?.[1], ["a"]);
  assert.equal(clock.timers, 0);
});

Deno.test("DirtyScheduler.flush() runs pending ids at once and forget() drops marks", async () => {
  const { clock, calls, scheduler } = recording();
  await using _ = scheduler;
  scheduler.mark("a");
  scheduler.mark("b");
  scheduler.mark("c");
  scheduler.forget(["b"]);
  await scheduler.flush();
  assert.deepEqual(calls, [{ ids: ["a", "c"], at: 0 }]);
  scheduler.mark("d");
  scheduler.forget();
  assert.equal(clock.timers, 0, "nothing left to wait for");
  await scheduler.idle();
});

Deno.test("DirtyScheduler.close() aborts the call in flight, waits for it and ignores later marks", async () => {
  const clock = testClock(0);
  let aborted = false;
  let finished = false;
  const scheduler = new DirtyScheduler({
    async onDirty(_ids, signal) {
      await new Promise<void>((resolve) =>
        signal.addEventListener("abort", () => resolve(), { once: true })
      );
      aborted = signal.aborted;
      finished = true;
    },
    debounceMs: 10,
    clock,
  });
  scheduler.mark("a");
  await clock.tick(10);
  scheduler.mark("b");
  await scheduler.close();
  assert.equal(aborted, true);
  assert.equal(finished, true);
  scheduler.mark("c");
  assert.deepEqual(scheduler.pending, []);
  assert.equal(clock.timers, 0);
});

Deno.test("DirtyScheduler rejects a debounce longer than maxWaitMs", () => {
  assert.throws(
    () => new DirtyScheduler({ onDirty() {}, debounceMs: 10, maxWaitMs: 5 }),
    RangeError,
  );
});

Deno.test("DirtyScheduler.forget() with before drops only marks older than a full pass's start", async () => {
  const { clock, calls, scheduler } = recording();
  await using _ = scheduler;
  scheduler.mark("read-by-the-pass");
  scheduler.mark("changed-after-its-read");
  await clock.tick(50);
  const passStart = clock.now();
  await clock.tick(10);
  scheduler.mark("changed-after-its-read");
  scheduler.forget(["read-by-the-pass", "changed-after-its-read"], {
    before: passStart,
  });
  assert.deepEqual(scheduler.pending, ["changed-after-its-read"]);
  await clock.tick(100);
  assert.deepEqual(calls.map((c) => c.ids), [["changed-after-its-read"]]);
});
