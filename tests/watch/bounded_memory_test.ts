/**
 * Issue 17, "memory flat over a long run (no growth per event)": drives
 * many events and one-instance runs through the real event-path components
 * (receiver, subscription keeper, dirty scheduler, per-instance
 * bookkeeping) and checks that what they hold follows the fleet, not the
 * number of events, and forgets instances once they are gone. Structural
 * counts only: no timing, no RSS.
 */
import assert from "node:assert/strict";
import {
  type K8spluginSubscriptions,
  type StatusSubscription,
  type StatusSubscriptionRequest,
  SubscriptionExistsError,
  SubscriptionReceiver,
} from "../../adapters/mod.ts";
import {
  DirtyScheduler,
  SubscriptionKeeper,
  SubscriptionQueue,
  WatchedInstances,
} from "../../sync/watch/mod.ts";
import { testClock } from "./_clock.ts";

/** k8splugin's subscription endpoints in memory. */
function fakeSubscriptions(): K8spluginSubscriptions & {
  subs: Map<string, StatusSubscription>;
} {
  const subs = new Map<string, StatusSubscription>();
  const key = (id: string, name: string) => `${id}/${name}`;
  return {
    subs,
    list: (id) =>
      Promise.resolve(
        [...subs].filter(([k]) => k.startsWith(`${id}/`)).map(([, s]) => s),
      ),
    get: (id, name) => Promise.resolve(subs.get(key(id, name))),
    create(id: string, request: StatusSubscriptionRequest) {
      if (subs.has(key(id, request.name))) {
        throw new SubscriptionExistsError("exists", {
          instanceId: id,
          subscription: request.name,
          status: 409,
        });
      }
      const sub: StatusSubscription = {
        name: request.name,
        minNotifyInterval: request.minNotifyInterval,
        callbackUrl: request.callbackUrl,
        metadata: request.metadata ?? {},
        lastNotifyStatus: 0,
      };
      subs.set(key(id, request.name), sub);
      return Promise.resolve(sub);
    },
    delete(id, name) {
      subs.delete(key(id, name));
      return Promise.resolve();
    },
  };
}

function notification(instanceId: string, subscription: string): string {
  return JSON.stringify({
    "instance-id": instanceId,
    "subscription-name": subscription,
    metadata: {},
    created: [],
    deleted: [],
    modified: [{
      GVK: { Group: "apps", Version: "v1", Kind: "Deployment" },
      Name: "web",
    }],
  });
}

/** The event path of `sync --watch` over subscriptions, with a fake one-instance run. */
function eventPath() {
  const clock = testClock();
  const client = fakeSubscriptions();
  const watched = new WatchedInstances();
  const runs: string[][] = [];
  const scheduler = new DirtyScheduler({
    debounceMs: 500,
    maxWaitMs: 2_500,
    clock,
    onDirty(ids) {
      runs.push(ids);
      // The one-instance run reads them: each read tells the bookkeeping,
      // every third asks for a recheck, every fifth fails.
      for (const id of ids) {
        const n = Number(id.split("-").at(-1));
        watched.noteRead(
          n % 5 === 0 ? { summary: { id, cloudRegion: "r1" }, ok: false } : {
            summary: { id, cloudRegion: "r1" },
            ok: true,
            recheckAt: n % 3 === 0 ? clock.now() + 60_000 : undefined,
          },
        );
      }
    },
  });
  const receiver = new SubscriptionReceiver({
    publicUrl: "http://sync.test:9464",
    key: new Uint8Array(32).fill(7),
    clock,
    onNotification: (n) => scheduler.mark(n.instanceId),
  });
  const keeper = new SubscriptionKeeper({ client, receiver, clock });
  /** Sends one notification for `id` through the receiver. */
  async function notify(id: string): Promise<void> {
    const sub = client.subs.get(`${id}/${keeper.nameFor(id)}`);
    assert.ok(sub, `no subscription for ${id}`);
    const response = await receiver.handle(
      new Request(sub.callbackUrl, {
        method: "POST",
        body: notification(id, sub.name),
      }),
    );
    assert.equal(response.status, 202);
  }
  /** A pass: lists `ids`, reads them, reconciles their subscriptions. */
  async function pass(ids: string[]): Promise<void> {
    for (const id of ids) {
      watched.noteRead({ summary: { id, cloudRegion: "r1" }, ok: true });
    }
    watched.keepOnly(ids);
    scheduler.forget(ids, { before: clock.now() });
    const queue = new SubscriptionQueue({
      keeper,
      onResult: (_id, result) =>
        assert.ok(!(result instanceof Error), String(result)),
    });
    queue.reconcile(ids, false);
    await queue.idle();
  }
  function sizes() {
    return {
      pending: scheduler.pending.length,
      timers: clock.timers,
      subscriptions: receiver.subscriptions.length,
      kept: keeper.instances.length,
      inK8splugin: client.subs.size,
      ...watched.sizes,
    };
  }
  return {
    clock,
    scheduler,
    notify,
    pass,
    sizes,
    runs,
    watched,
    [Symbol.asyncDispose]: () => scheduler.close(),
  };
}

/** `count` instance ids from `inst-{from}` on. */
function fleet(from: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `inst-${from + i}`);
}

Deno.test("sync --watch event path: a second batch of events leaves no more state behind than the first", async () => {
  await using path = eventPath();
  const ids = fleet(0, 50);
  await path.pass(ids);
  /** `events` notifications round-robin over the fleet, 20 per debounce window. */
  async function batch(events: number): Promise<void> {
    for (let k = 0; k < events; k++) {
      await path.notify(ids[k % ids.length]!);
      if (k % 20 === 19) await path.clock.tick(600);
    }
    await path.clock.tick(3_000);
    await path.scheduler.idle();
  }
  await batch(1_000);
  const first = path.sizes();
  const runsFirst = path.runs.length;
  await batch(5_000);
  const second = path.sizes();
  assert.ok(path.runs.length > runsFirst, "the second batch ran");
  assert.deepEqual(second, first);
  assert.deepEqual(first, {
    pending: 0,
    timers: 0,
    subscriptions: 50,
    kept: 50,
    inK8splugin: 50,
    regions: 50,
    rechecks: 13, // multiples of 3 below 50, but not of 15 (those reads failed)
    failedReads: 10,
  });
});

Deno.test("sync --watch event path: instances that come and go are forgotten by the next pass", async () => {
  await using path = eventPath();
  // 40 generations of 25 instances, each listed by one pass, sent events,
  // then gone from the next list.
  for (let generation = 0; generation < 40; generation++) {
    const ids = fleet(generation * 25, 25);
    await path.pass(ids);
    for (const id of ids) await path.notify(id);
    // An id only an event named (an instance not listed yet).
    path.watched.place(`unlisted-${generation}`, "r1");
    await path.clock.tick(3_000);
    await path.scheduler.idle();
  }
  await path.pass(fleet(10_000, 25));
  const sizes = path.sizes();
  assert.equal(sizes.pending, 0);
  assert.equal(sizes.subscriptions, 25);
  assert.equal(sizes.kept, 25);
  assert.equal(sizes.inK8splugin, 25);
  assert.equal(sizes.regions, 25);
  assert.equal(sizes.rechecks, 0); // the last pass's reads asked for none
  assert.equal(sizes.failedReads, 0);
});
