import assert from "node:assert/strict";
import {
  HttpK8spluginSubscriptions,
  K8spluginError,
  parseNotification,
  SubscriptionExistsError,
} from "../../adapters/mod.ts";
import { startK8splugin } from "../../sim/k8splugin.ts";
import { FAST_SUBSCRIPTIONS, watchScenario } from "./_scenario.ts";

function client(baseUrl: string): HttpK8spluginSubscriptions {
  return new HttpK8spluginSubscriptions({
    baseUrl,
    retries: 0,
    timeoutMs: 2_000,
    createTimeoutMs: 2_000,
  });
}

const REQUEST = {
  name: "practical_nobel-k8s-aai-sync",
  minNotifyInterval: 5,
  // Nothing listens there: these tests never advance the step.
  callbackUrl: "http://127.0.0.1:9/k8splugin/notify/x/secret",
};

Deno.test("HttpK8spluginSubscriptions.create() sends k8splugin's SubscriptionRequest and reads back the StatusSubscription", async () => {
  await using sim = startK8splugin({
    scenario: watchScenario(),
    subscriptionTiming: FAST_SUBSCRIPTIONS,
  });
  using subs = client(sim.url);
  const created = await subs.create("practical_nobel", {
    ...REQUEST,
    metadata: { owner: "k8s-aai-sync" },
  });
  assert.equal(created.name, "practical_nobel-k8s-aai-sync");
  assert.equal(created.minNotifyInterval, 5);
  assert.equal(created.callbackUrl, REQUEST.callbackUrl);
  assert.equal(created.lastNotifyStatus, 0);
  assert.ok(created.lastUpdateTime instanceof Date);
  assert.deepEqual(created.lastNotifyTime, created.lastUpdateTime, "E6");
  const stored = sim.state.subscriptions.list("practical_nobel");
  assert.deepEqual(stored.map((s) => [s.name, s.metadata]), [
    ["practical_nobel-k8s-aai-sync", { owner: "k8s-aai-sync" }],
  ]);
  assert.deepEqual(
    (await subs.list("practical_nobel")).map((s) => s.name),
    ["practical_nobel-k8s-aai-sync"],
  );
  assert.deepEqual(
    (await subs.get("practical_nobel", "practical_nobel-k8s-aai-sync"))?.name,
    "practical_nobel-k8s-aai-sync",
  );
  assert.equal(
    sim.state.requests.byRoute["POST /v1/instance/{id}/status/subscription"],
    1,
  );
});

Deno.test("HttpK8spluginSubscriptions maps k8splugin's 500s: unknown name → undefined, duplicate → SubscriptionExistsError, unknown instance → NotFound", async () => {
  await using sim = startK8splugin({
    scenario: watchScenario(),
    subscriptionTiming: FAST_SUBSCRIPTIONS,
  });
  using subs = client(sim.url);
  assert.equal(await subs.get("practical_nobel", REQUEST.name), undefined);
  await subs.delete("practical_nobel", REQUEST.name);
  await subs.create("practical_nobel", REQUEST);
  await assert.rejects(
    subs.create("practical_nobel", REQUEST),
    (error) =>
      error instanceof SubscriptionExistsError &&
      error.subscription === REQUEST.name && !error.retryable,
  );
  await assert.rejects(
    subs.create("gone", { ...REQUEST, name: "gone-k8s-aai-sync" }),
    (error) => error instanceof K8spluginError && error.kind === "NotFound",
  );
  assert.deepEqual(await subs.list("gone"), []);
  await subs.delete("practical_nobel", REQUEST.name);
  assert.deepEqual(sim.state.subscriptions.list("practical_nobel"), []);
});

Deno.test("HttpK8spluginSubscriptions.create() waits out k8splugin's slow first call instead of retrying it", async () => {
  await using sim = startK8splugin({
    scenario: watchScenario(),
    subscriptionTiming: { ...FAST_SUBSCRIPTIONS, firstCallDelayMs: 300 },
  });
  using subs = client(sim.url);
  const started = performance.now();
  await subs.create("practical_nobel", REQUEST);
  assert.ok(performance.now() - started >= 300);
  assert.equal(
    sim.state.requests.byRoute["POST /v1/instance/{id}/status/subscription"],
    1,
  );
});

Deno.test("HttpK8spluginSubscriptions reads Go's zero time as never", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () =>
      Response.json([{
        name: "a-k8s-aai-sync",
        "min-notify-interval": 5,
        "last-update-time": "2022-03-09T10:00:00.123456789Z",
        "callback-url": "http://x",
        "last-notify-time": "0001-01-01T00:00:00Z",
        "last-notify-status": 0,
        metadata: null,
      }]),
  );
  try {
    using subs = client(`http://127.0.0.1:${server.addr.port}`);
    const [subscription] = await subs.list("a");
    assert.equal(subscription?.lastNotifyTime, undefined);
    assert.deepEqual(subscription?.metadata, {});
    assert.equal(
      subscription?.lastUpdateTime?.toISOString(),
      "2022-03-09T10:00:00.123Z",
    );
  } finally {
    await server.shutdown();
  }
});

Deno.test("parseNotification() reads reference E5 and turns Go's null slices into []", () => {
  const e5 = {
    "instance-id": "practical_nobel",
    "subscription-name": "practical_nobel-cnf-adapter",
    metadata: { instanceId: "practical_nobel", cloudRegion: "kud" },
    "resource-changes": {
      created: [],
      deleted: null,
      modified: [{
        name: "test-release-packetgen",
        GVK: { Group: "apps", Version: "v1", Kind: "Deployment" },
        status: {
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata: {
            name: "test-release-packetgen",
            resourceVersion: "10720999",
          },
          status: { readyReplicas: 1 },
        },
      }],
    },
  };
  const notification = parseNotification(e5);
  assert.equal(notification.instanceId, "practical_nobel");
  assert.equal(notification.subscription, "practical_nobel-cnf-adapter");
  assert.deepEqual(notification.deleted, []);
  assert.deepEqual(notification.modified[0]?.gvk, {
    group: "apps",
    version: "v1",
    kind: "Deployment",
  });
  assert.throws(
    () => parseNotification({ ...e5, "instance-id": 7 }),
    (error) =>
      error instanceof K8spluginError && error.kind === "Invalid" &&
      error.path === '["instance-id"]',
  );
});
