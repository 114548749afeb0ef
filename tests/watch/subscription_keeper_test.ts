import assert from "node:assert/strict";
import { Registry } from "prom-client";
import {
  HttpK8spluginSubscriptions,
  SubscriptionReceiver,
} from "../../adapters/mod.ts";
import { DirtyScheduler, SubscriptionKeeper } from "../../sync/watch/mod.ts";
import { type MountedHandler, serveOps } from "../../tasks/_serve.ts";
import { startK8spluginSubscriptionsFake } from "./_k8splugin_fake.ts";
import { testClock } from "./_clock.ts";

const KEY = new Uint8Array(32).fill(1);

/** The fake k8splugin, the ops server with the receiver mounted, a keeper and a scheduler. */
function rig(instances: string[], key: Uint8Array = KEY) {
  const fake = startK8spluginSubscriptionsFake({ instances });
  const clock = testClock(Date.UTC(2026, 11, 4));
  const dirty: string[][] = [];
  const scheduler = new DirtyScheduler({
    onDirty: (ids) => void dirty.push(ids),
    debounceMs: 0,
    maxWaitMs: 0,
    clock,
  });
  const mounts: MountedHandler[] = [];
  const ops = serveOps({ registry: new Registry(), port: 0, mounts });
  // The receiver needs the server's URL, the server the receiver.
  const receiver = new SubscriptionReceiver({
    publicUrl: ops.url,
    key,
    onNotification: (n) => scheduler.mark(n.instanceId),
    clock,
  });
  mounts.push({ prefix: receiver.prefix, handle: (r) => receiver.handle(r) });
  const client = new HttpK8spluginSubscriptions({
    baseUrl: fake.url,
    retries: 0,
    timeoutMs: 2_000,
  });
  const keeper = new SubscriptionKeeper({ client, receiver, clock });
  return {
    fake,
    clock,
    dirty,
    scheduler,
    receiver,
    keeper,
    async [Symbol.asyncDispose]() {
      await scheduler.close();
      client.close();
      await ops.close();
      await fake[Symbol.asyncDispose]();
    },
  };
}

Deno.test("SubscriptionKeeper.reconcile() subscribes each instance, and k8splugin's notification marks it dirty", async () => {
  await using r = rig(["a", "b"]);
  const results = await r.keeper.reconcile(["a", "b"]);
  assert.deepEqual(
    [...results].map(([id, x]) => [id, "action" in x ? x.action : x]).sort(),
    [["a", "created"], ["b", "created"]],
  );
  assert.deepEqual(await r.fake.notify("b"), [202]);
  await r.scheduler.idle();
  assert.deepEqual(r.dirty, [["b"]]);
  assert.deepEqual(
    (await r.keeper.reconcile(["a", "b"])).get("a"),
    { action: "kept" },
  );
});

Deno.test("SubscriptionKeeper never touches SO's {id}-cnf-adapter subscription and forgets instances no longer listed", async () => {
  await using r = rig(["a"]);
  r.fake.subscriptions.set(
    "a",
    new Map([["a-cnf-adapter", {
      name: "a-cnf-adapter",
      "min-notify-interval": 30,
      "last-update-time": "2022-03-09T10:00:00.123456789Z",
      "callback-url":
        "http://so-cnf-adapter:8090/api/cnf-adapter/v1/instance/a/status/notify",
      "last-notify-time": "2022-03-09T10:00:00.123456789Z",
      "last-notify-status": 0,
      metadata: {},
    }]]),
  );
  await r.keeper.reconcile(["a"]);
  assert.deepEqual([...r.fake.subscriptions.get("a")!.keys()], [
    "a-cnf-adapter",
    "a-k8s-aai-sync",
  ]);
  await r.keeper.reconcile([]);
  assert.deepEqual([...r.fake.subscriptions.get("a")!.keys()], [
    "a-cnf-adapter",
  ]);
  assert.deepEqual(r.receiver.subscriptions, []);
  assert.throws(
    () =>
      new SubscriptionKeeper({
        client: {} as never,
        receiver: r.receiver,
        nameSuffix: "-cnf-adapter",
      }),
    RangeError,
  );
});

Deno.test("SubscriptionKeeper.ensure() replaces a subscription whose callback holds another secret (a restart without a key)", async () => {
  await using r = rig(["a"]);
  await r.keeper.ensure("a");
  const before = r.fake.subscriptions.get("a")!.get("a-k8s-aai-sync")!;
  await using other = rig(["a"], new Uint8Array(32).fill(2));
  other.fake.subscriptions.set("a", new Map([["a-k8s-aai-sync", before]]));
  const result = await other.keeper.ensure("a");
  assert.equal(result.action, "replaced");
  assert.match(result.reason!, /callback URL/);
  assert.ok(!result.reason!.includes(before["callback-url"]));
  assert.deepEqual(await other.fake.notify("a"), [202]);
});

Deno.test("SubscriptionKeeper.ensure() replaces a subscription whose last notification was refused", async () => {
  await using r = rig(["a"]);
  await r.keeper.ensure("a");
  r.fake.subscriptions.get("a")!.get("a-k8s-aai-sync")!["last-notify-status"] =
    500;
  const result = await r.keeper.ensure("a");
  assert.deepEqual(result, {
    action: "replaced",
    reason: "its last notification got HTTP 500",
  });
});

Deno.test("SubscriptionKeeper re-registers after a failed /status killed k8splugin's notifier, once /status works again", async () => {
  await using r = rig(["a"]);
  await r.keeper.ensure("a");
  r.fake.dead.add("a-k8s-aai-sync");
  r.keeper.noteStatusRead("a", false);
  assert.equal((await r.keeper.ensure("a")).action, "kept", "still failing");
  r.keeper.noteStatusRead("a", true);
  const result = await r.keeper.ensure("a");
  assert.equal(result.action, "replaced");
  assert.match(result.reason!, /\/status read failed/);
  assert.deepEqual(await r.fake.notify("a"), [202], "the notifier lives again");
  assert.equal((await r.keeper.ensure("a")).action, "kept");
});

Deno.test("SubscriptionKeeper re-registers when a change a pass saw got no notification within the window", async () => {
  await using r = rig(["a"]);
  await r.keeper.ensure("a");
  r.keeper.noteChange("a");
  await r.clock.tick(r.keeper.notifyWindowMs);
  assert.equal((await r.keeper.ensure("a")).action, "kept", "not yet late");
  await r.fake.notify("a");
  await r.clock.tick(1_000);
  assert.equal((await r.keeper.ensure("a")).action, "kept", "it was notified");
  r.keeper.noteChange("a");
  await r.clock.tick(r.keeper.notifyWindowMs + 1);
  const result = await r.keeper.ensure("a");
  assert.equal(result.action, "replaced");
  assert.match(result.reason!, /no notification for a change seen 20 s ago/);
});
