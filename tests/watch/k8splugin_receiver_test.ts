import assert from "node:assert/strict";
import {
  type RejectedNotification,
  type StatusNotification,
  SubscriptionReceiver,
} from "../../adapters/mod.ts";

const KEY = new Uint8Array(32).fill(7);

function notificationBody(instanceId: string, subscription: string): string {
  return JSON.stringify({
    "instance-id": instanceId,
    "subscription-name": subscription,
    metadata: {},
    "resource-changes": { created: null, deleted: null, modified: [] },
  });
}

function receiver(key: Uint8Array | null = KEY) {
  const accepted: StatusNotification[] = [];
  const rejected: RejectedNotification[] = [];
  const r = new SubscriptionReceiver({
    publicUrl: "http://k8s-aai-sync.onap:9464/",
    ...(key ? { key } : {}),
    onNotification: (n) => void accepted.push(n),
    onRejected: (r) => void rejected.push(r),
    maxBodyBytes: 4_096,
    clock: {
      now: () => 1_000,
      setTimeout: () => 0,
      clearTimeout() {},
    },
  });
  return { r, accepted, rejected };
}

function post(url: string, body: string, method = "POST"): Request {
  return new Request(url.replace("k8s-aai-sync.onap:9464", "127.0.0.1"), {
    method,
    ...(method === "POST" ? { body } : {}),
  });
}

Deno.test("SubscriptionReceiver.register() returns a callback URL ending in a per-subscription secret, stable for one key", async () => {
  const { r } = receiver();
  const url = await r.register("a", "a-k8s-aai-sync");
  assert.match(
    url,
    /^http:\/\/k8s-aai-sync\.onap:9464\/k8splugin\/notify\/a-k8s-aai-sync\/[A-Za-z0-9_-]{43}$/,
  );
  const again = await receiver().r.register("a", "a-k8s-aai-sync");
  assert.equal(again, url, "same key, same secret: no re-registration");
  const other = await r.register("b", "b-k8s-aai-sync");
  assert.notEqual(other.split("/").at(-1), url.split("/").at(-1));
  const random = await receiver(null).r.register("a", "a-k8s-aai-sync");
  assert.notEqual(random, url);
});

Deno.test("SubscriptionReceiver.handle() accepts a notification of a registered subscription with 202", async () => {
  const { r, accepted, rejected } = receiver();
  const url = await r.register("a", "a-k8s-aai-sync");
  const response = await r.handle(
    post(url, notificationBody("a", "a-k8s-aai-sync")),
  );
  assert.equal(response.status, 202);
  assert.deepEqual(accepted.map((n) => n.instanceId), ["a"]);
  assert.deepEqual(rejected, []);
  assert.equal(r.lastNotifiedAt("a-k8s-aai-sync"), 1_000);
});

Deno.test("SubscriptionReceiver.handle() refuses wrong secrets (401), unknown subscriptions (404), foreign bodies (400), GET (405), big bodies (413), and never reports the secret", async () => {
  const { r, accepted, rejected } = receiver();
  const url = await r.register("a", "a-k8s-aai-sync");
  const secret = url.split("/").at(-1)!;
  const base = url.slice(0, url.length - secret.length);
  const body = notificationBody("a", "a-k8s-aai-sync");
  const cases: [Request, number][] = [
    [post(`${base}${secret.slice(0, -1)}x`, body), 401],
    [post(`${base}short`, body), 401],
    [post(url.replace("a-k8s-aai-sync", "b-k8s-aai-sync"), body), 404],
    [post(`${url}/extra`, body), 404],
    [post(url, notificationBody("b", "a-k8s-aai-sync")), 400],
    [post(url, notificationBody("a", "a-cnf-adapter")), 400],
    [post(url, "not json"), 400],
    [post(url, JSON.stringify({ "instance-id": "a" })), 400],
    [post(url, "", "GET"), 405],
    [post(url, " ".repeat(5_000) + body), 413],
  ];
  for (const [request, status] of cases) {
    const response = await r.handle(request);
    assert.equal(response.status, status, `${request.method} ${request.url}`);
    assert.ok(!(await response.text()).includes(secret));
  }
  r.unregister("a-k8s-aai-sync");
  assert.equal((await r.handle(post(url, body))).status, 404);
  assert.deepEqual(accepted, []);
  assert.ok(!JSON.stringify(rejected).includes(secret));
  assert.deepEqual(
    rejected.map((x) => x.status),
    [401, 401, 404, 404, 400, 400, 400, 400, 405, 413, 404],
  );
});

Deno.test("SubscriptionReceiver refuses a key shorter than 32 bytes", () => {
  assert.throws(
    () =>
      new SubscriptionReceiver({
        publicUrl: "http://x",
        key: new Uint8Array(8),
        onNotification() {},
      }),
    RangeError,
  );
});
