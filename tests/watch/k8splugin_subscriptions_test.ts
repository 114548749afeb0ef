import assert from "node:assert/strict";
import {
  HttpK8spluginSubscriptions,
  K8spluginError,
  parseNotification,
  SubscriptionExistsError,
} from "../../adapters/mod.ts";
import { startK8spluginSubscriptionsFake } from "./_k8splugin_fake.ts";

function client(baseUrl: string): HttpK8spluginSubscriptions {
  return new HttpK8spluginSubscriptions({
    baseUrl,
    retries: 0,
    timeoutMs: 2_000,
    createTimeoutMs: 2_000,
  });
}

Deno.test("HttpK8spluginSubscriptions.create() sends k8splugin's SubscriptionRequest and reads back the StatusSubscription", async () => {
  await using fake = startK8spluginSubscriptionsFake({
    instances: ["practical_nobel"],
  });
  using subs = client(fake.url);
  const created = await subs.create("practical_nobel", {
    name: "practical_nobel-k8s-aai-sync",
    minNotifyInterval: 5,
    callbackUrl: "http://127.0.0.1:1/k8splugin/notify/x/secret",
    metadata: { owner: "k8s-aai-sync" },
  });
  assert.equal(created.name, "practical_nobel-k8s-aai-sync");
  assert.equal(created.minNotifyInterval, 5);
  assert.equal(created.lastNotifyStatus, 0);
  assert.ok(created.lastUpdateTime instanceof Date);
  assert.deepEqual(created.lastNotifyTime, created.lastUpdateTime, "E6");
  assert.deepEqual(
    fake.subscriptions.get("practical_nobel")?.get(
      "practical_nobel-k8s-aai-sync",
    )?.metadata,
    { owner: "k8s-aai-sync" },
  );
  assert.deepEqual(
    (await subs.list("practical_nobel")).map((s) => s.name),
    ["practical_nobel-k8s-aai-sync"],
  );
  assert.deepEqual(fake.requests, [
    "POST /v1/instance/practical_nobel/status/subscription",
    "GET /v1/instance/practical_nobel/status/subscription",
  ]);
});

Deno.test("HttpK8spluginSubscriptions maps k8splugin's 500s: unknown name → undefined, duplicate → SubscriptionExistsError, unknown instance → NotFound", async () => {
  await using fake = startK8spluginSubscriptionsFake({ instances: ["a"] });
  using subs = client(fake.url);
  assert.equal(await subs.get("a", "a-k8s-aai-sync"), undefined);
  await subs.delete("a", "a-k8s-aai-sync");
  const request = {
    name: "a-k8s-aai-sync",
    minNotifyInterval: 5,
    callbackUrl: "http://127.0.0.1:1/cb",
  };
  await subs.create("a", request);
  await assert.rejects(
    subs.create("a", request),
    (error) =>
      error instanceof SubscriptionExistsError &&
      error.subscription === "a-k8s-aai-sync" && !error.retryable,
  );
  await assert.rejects(
    subs.list("gone"),
    (error) => error instanceof K8spluginError && error.kind === "NotFound",
  );
  await subs.delete("a", "a-k8s-aai-sync");
  assert.equal(fake.subscriptions.get("a")?.size, 0);
});

Deno.test("HttpK8spluginSubscriptions.create() waits out k8splugin's slow first registration instead of retrying it", async () => {
  await using fake = startK8spluginSubscriptionsFake({
    instances: ["a"],
    firstCreateDelayMs: 300,
  });
  using subs = client(fake.url);
  await subs.create("a", {
    name: "a-k8s-aai-sync",
    minNotifyInterval: 5,
    callbackUrl: "http://127.0.0.1:1/cb",
  });
  assert.equal(
    fake.requests.filter((r) => r.startsWith("POST")).length,
    1,
  );
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
