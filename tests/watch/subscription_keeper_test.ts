import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { Registry } from "prom-client";
import {
  type Clock,
  HttpK8spluginSubscriptions,
  SubscriptionReceiver,
} from "../../adapters/mod.ts";
import { startK8splugin } from "../../sim/k8splugin.ts";
import {
  DirtyScheduler,
  type EnsureResult,
  SubscriptionKeeper,
  SubscriptionQueue,
} from "../../sync/watch/mod.ts";
import { type MountedHandler, serveOps } from "../../tasks/_serve.ts";
import { FAST_SUBSCRIPTIONS, watchScenario } from "./_scenario.ts";
import { testClock } from "./_clock.ts";

type Sim = ReturnType<typeof startK8splugin>;

/** Our side: the ops server with the receiver mounted, a keeper and a scheduler recording dirty ids. */
function ours(sim: Sim, options: { key?: number; clock?: Clock } = {}) {
  const dirty: string[] = [];
  const scheduler = new DirtyScheduler({
    onDirty: (ids) => void dirty.push(...ids),
    debounceMs: 0,
    maxWaitMs: 0,
  });
  const mounts: MountedHandler[] = [];
  const ops = serveOps({ registry: new Registry(), port: 0, mounts });
  const receiver = new SubscriptionReceiver({
    publicUrl: ops.url,
    key: new Uint8Array(32).fill(options.key ?? 1),
    onNotification: (n) => scheduler.mark(n.instanceId),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  mounts.push({ prefix: receiver.prefix, handle: (r) => receiver.handle(r) });
  const client = new HttpK8spluginSubscriptions({
    baseUrl: sim.url,
    retries: 0,
    timeoutMs: 2_000,
  });
  const keeper = new SubscriptionKeeper({
    client,
    receiver,
    // 0 s: the sim's notifier then polls at its (shortened) floor.
    minNotifyIntervalS: 0,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  /** Ensures the listed instances' subscriptions and forgets the others, as `sync --watch` does (in a queue). */
  async function reconcile(
    ids: string[],
  ): Promise<Map<string, EnsureResult | Error>> {
    const results = new Map<string, EnsureResult | Error>();
    const queue = new SubscriptionQueue({
      keeper,
      onResult: (id, result) => results.set(id, result),
    });
    queue.reconcile(ids, false);
    await queue.idle();
    return results;
  }
  return {
    dirty,
    receiver,
    keeper,
    reconcile,
    async [Symbol.asyncDispose]() {
      await scheduler.close();
      client.close();
      await ops.close();
    },
  };
}

function simulator(): Sim {
  return startK8splugin({
    scenario: watchScenario(),
    subscriptionTiming: FAST_SUBSCRIPTIONS,
  });
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (check()) return;
    await sleep(10);
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** Lets the sim's new notifiers take their baseline. */
const BASELINE_MS = 120;

Deno.test("SubscriptionKeeper (through a SubscriptionQueue) subscribes each instance, and k8splugin's notification marks it dirty", async () => {
  await using sim = simulator();
  await using us = ours(sim);
  const results = await us.reconcile([
    "practical_nobel",
    "brave_brattain",
  ]);
  assert.deepEqual(
    [...results].map(([id, x]) => [id, "action" in x ? x.action : x]).sort(),
    [["brave_brattain", "created"], ["practical_nobel", "created"]],
  );
  await sleep(BASELINE_MS);
  sim.state.advance();
  await until(() => us.dirty.length > 0, "a notification");
  await sleep(BASELINE_MS);
  assert.deepEqual(us.dirty, ["practical_nobel"]);
  assert.equal(
    sim.state.subscriptions.list("practical_nobel")[0]?.["last-notify-status"],
    202,
  );
  assert.deepEqual(
    (await us.reconcile(["practical_nobel", "brave_brattain"]))
      .get("practical_nobel"),
    { action: "kept" },
  );
});

Deno.test("SubscriptionKeeper never touches SO's {id}-cnf-adapter subscription and forgets instances no longer listed", async () => {
  await using sim = simulator();
  await using us = ours(sim);
  const so = await fetch(
    `${sim.url}/v1/instance/practical_nobel/status/subscription`,
    {
      method: "POST",
      body: JSON.stringify({
        name: "practical_nobel-cnf-adapter",
        "min-notify-interval": 30,
        "callback-url":
          "http://127.0.0.1:9/api/cnf-adapter/v1/instance/practical_nobel/status/notify",
      }),
    },
  );
  assert.equal(so.status, 201);
  await so.body?.cancel();
  await us.reconcile(["practical_nobel"]);
  const names = () =>
    sim.state.subscriptions.list("practical_nobel").map((s) => s.name);
  assert.deepEqual(names(), [
    "practical_nobel-cnf-adapter",
    "practical_nobel-k8s-aai-sync",
  ]);
  await us.reconcile([]);
  assert.deepEqual(names(), ["practical_nobel-cnf-adapter"]);
  assert.deepEqual(us.receiver.subscriptions, []);
  assert.throws(
    () =>
      new SubscriptionKeeper({
        client: {} as never,
        receiver: us.receiver,
        nameSuffix: "-cnf-adapter",
      }),
    RangeError,
  );
});

Deno.test("SubscriptionKeeper.ensure() replaces a subscription whose callback holds another secret (a restart with another key)", async () => {
  await using sim = simulator();
  {
    await using before = ours(sim, { key: 1 });
    await before.keeper.ensure("practical_nobel");
  }
  await using after = ours(sim, { key: 2 });
  const result = await after.keeper.ensure("practical_nobel");
  assert.equal(result.action, "replaced");
  assert.match(result.reason!, /callback URL/);
  assert.ok(!result.reason!.includes("http"), "the URL is not quoted");
  await sleep(BASELINE_MS);
  sim.state.advance();
  await until(() => after.dirty.length > 0, "a notification to the new URL");
});

Deno.test("SubscriptionKeeper.ensure() replaces a subscription whose last notification our receiver refused", async () => {
  await using sim = simulator();
  await using us = ours(sim);
  await us.keeper.ensure("practical_nobel");
  us.receiver.unregister("practical_nobel-k8s-aai-sync");
  await sleep(BASELINE_MS);
  sim.state.advance();
  await until(
    () =>
      sim.state.subscriptions.list("practical_nobel")[0]?.[
        "last-notify-status"
      ] === 404,
    "a refused notification",
  );
  assert.deepEqual(await us.keeper.ensure("practical_nobel"), {
    action: "replaced",
    reason: "its last notification got HTTP 404",
  });
  assert.deepEqual(us.dirty, []);
});

Deno.test("SubscriptionKeeper re-registers after a failed /status killed k8splugin's notifier, once /status works again", async () => {
  await using sim = simulator();
  await using us = ours(sim);
  await us.keeper.ensure("practical_nobel");
  await sleep(BASELINE_MS);
  sim.state.advance(); // changed
  await until(() => us.dirty.length === 1, "a notification");
  sim.state.advance(); // broken: /status fails, the notifier dies
  await until(
    () =>
      !sim.state.subscriptions.notifierRunning(
        "practical_nobel",
        "practical_nobel-k8s-aai-sync",
      ),
    "the notifier to die",
  );
  us.keeper.noteStatusRead("practical_nobel", false);
  assert.equal((await us.keeper.ensure("practical_nobel")).action, "kept");
  sim.state.advance(); // repaired
  us.keeper.noteStatusRead("practical_nobel", true);
  await sleep(BASELINE_MS);
  assert.equal(us.dirty.length, 1, "the dead notifier sent nothing");
  const result = await us.keeper.ensure("practical_nobel");
  assert.equal(result.action, "replaced");
  assert.match(result.reason!, /\/status read failed/);
  await sleep(BASELINE_MS);
  sim.state.advance(); // changed again
  await until(() => us.dirty.length === 2, "the new notifier's notification");
  assert.equal((await us.keeper.ensure("practical_nobel")).action, "kept");
});

Deno.test("SubscriptionKeeper re-registers when a change a pass saw got no notification within the window", async () => {
  await using sim = simulator();
  const clock = testClock(Date.UTC(2026, 11, 4));
  await using us = ours(sim, { clock });
  await us.keeper.ensure("practical_nobel");
  await sleep(BASELINE_MS);
  sim.state.advance(); // changed
  await until(() => us.dirty.length === 1, "a notification");
  // The failure falls between two passes: nobody tells the keeper.
  sim.state.advance(); // broken
  await until(
    () =>
      !sim.state.subscriptions.notifierRunning(
        "practical_nobel",
        "practical_nobel-k8s-aai-sync",
      ),
    "the notifier to die",
  );
  sim.state.advance(); // repaired: the next pass sees a change
  await clock.tick(60_000); // (our test clock moves only when told)
  us.keeper.noteChange("practical_nobel");
  await clock.tick(us.keeper.notifyWindowMs);
  assert.equal((await us.keeper.ensure("practical_nobel")).action, "kept");
  await clock.tick(1);
  const result = await us.keeper.ensure("practical_nobel");
  assert.equal(result.action, "replaced");
  assert.equal(result.reason, "no notification for a change seen 20 s ago");
});
