import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { startK8splugin } from "../../sim/k8splugin.ts";
import { NO_SUBSCRIPTION } from "../../sim/k8splugin_subscriptions.ts";
import { parseScenario, type Scenario } from "../../sim/scenario.ts";

const FAST = {
  firstCallDelayMs: 0,
  notifierStartMs: 10,
  intervalFloorMs: 40,
  restoreDelayMs: 30,
};

const REQUEST = {
  "rb-name": "vfw",
  "rb-version": "v1",
  "profile-name": "p1",
  "cloud-region": "kud",
};

function deployment(resourceVersion: string, ready = 0) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "packetgen", resourceVersion },
    spec: { replicas: 1 },
    status: { readyReplicas: ready },
  };
}

/** Steps: baseline; deployment modified and a ConfigMap created; deployment deleted by hand; back; instance deleted. */
function scenario(): Scenario {
  const instance = (objects: unknown[], missing?: unknown[]) => ({
    id: "practical_nobel",
    request: REQUEST,
    namespace: "ns",
    objects,
    ...(missing ? { missing } : {}),
  });
  return parseScenario({
    regions: [{ cloudRegion: "kud", cloudOwner: "CloudOwner" }],
    steps: [
      {
        name: "baseline",
        now: "2026-11-25T10:00:00Z",
        instances: [instance([deployment("1")])],
      },
      {
        name: "changed",
        now: "2026-11-25T10:01:00Z",
        instances: [
          instance([
            deployment("2", 1),
            {
              apiVersion: "v1",
              kind: "ConfigMap",
              metadata: { name: "cm", resourceVersion: "7" },
            },
          ]),
        ],
      },
      {
        name: "broken",
        now: "2026-11-25T10:02:00Z",
        instances: [
          instance([deployment("2", 1)], [{
            apiVersion: "apps/v1",
            kind: "Deployment",
            name: "packetgen",
          }]),
        ],
      },
      {
        name: "repaired",
        now: "2026-11-25T10:03:00Z",
        instances: [instance([deployment("3", 1)])],
      },
      { name: "deleted", now: "2026-11-25T10:04:00Z", instances: [] },
    ],
  }, "subscriptions");
}

/** A callback receiver that records the JSON bodies it is sent. */
function receiver(status = 202) {
  const received: Record<string, unknown>[] = [];
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    async (request) => {
      received.push(await request.json());
      return new Response(null, { status });
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/notify`,
    received,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error("timed out waiting");
    await sleep(10);
  }
}

function post(url: string, body: unknown, method = "POST") {
  return fetch(url, {
    method,
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

Deno.test("startK8splugin() validates subscription requests with k8splugin's texts and codes", async () => {
  await using sim = startK8splugin({
    scenario: scenario(),
    subscriptionTiming: FAST,
  });
  const base = `${sim.url}/v1/instance/practical_nobel/status/subscription`;
  const cases: [unknown, number, string][] = [
    ["", 400, "Body empty\n"],
    ["{oops", 422, "invalid character '{' looking for beginning of value\n"],
    [{ "callback-url": "http://x" }, 400, "Missing name in POST request\n"],
    [
      { name: "s", "min-notify-interval": -1, "callback-url": "http://x" },
      400,
      "Min Notify Interval has invalid value\n",
    ],
    [{ name: "s" }, 400, "CallbackUrl has invalid value\n"],
  ];
  for (const [body, status, text] of cases) {
    const response = await post(base, body);
    assert.equal(response.status, status, JSON.stringify(body));
    assert.equal(
      response.headers.get("content-type"),
      "text/plain; charset=utf-8",
    );
    assert.equal(await response.text(), text);
  }
  const unknown = await post(
    `${sim.url}/v1/instance/nobody/status/subscription`,
    { name: "s", "callback-url": "http://x" },
  );
  assert.equal(unknown.status, 500);
  assert.match(await unknown.text(), /no documents in result\n$/);
  const missing = await fetch(`${base}/nope`);
  assert.equal(missing.status, 500);
  assert.equal(await missing.text(), `${NO_SUBSCRIPTION}\n`);
  const gone = await fetch(`${base}/nope`, { method: "DELETE" });
  assert.equal(gone.status, 500);
  assert.equal(
    await gone.text(),
    `Subscription does not exist: ${NO_SUBSCRIPTION}\n`,
  );
});

Deno.test("startK8splugin() creates, reads, updates (name from the body) and deletes subscriptions", async () => {
  await using sim = startK8splugin({
    scenario: scenario(),
    subscriptionTiming: { ...FAST, notifierStartMs: 60_000 },
  });
  const base = `${sim.url}/v1/instance/practical_nobel/status/subscription`;
  const created = await post(base, {
    name: "practical_nobel-cnf-adapter",
    "min-notify-interval": 30,
    "callback-url": "http://127.0.0.1:1/notify",
    metadata: { vfModuleId: "m", cloudOwner: "o" },
  });
  assert.equal(created.status, 201);
  assert.equal(created.headers.get("content-type"), "application/json");
  const text = await created.text();
  assert.ok(text.endsWith("}\n"));
  const body = JSON.parse(text);
  assert.deepEqual(Object.keys(body), [
    "name",
    "min-notify-interval",
    "last-update-time",
    "callback-url",
    "last-notify-time",
    "last-notify-status",
    "metadata",
  ]);
  assert.equal(body["last-notify-status"], 0);
  assert.match(
    body["last-update-time"],
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/,
  );
  assert.equal(body["last-notify-time"], body["last-update-time"]);
  assert.deepEqual(Object.keys(body.metadata), ["cloudOwner", "vfModuleId"]);

  const duplicate = await post(base, {
    name: "practical_nobel-cnf-adapter",
    "callback-url": "http://x",
  });
  assert.equal(duplicate.status, 500);
  assert.equal(await duplicate.text(), "Subscription already exists\n");

  const bare = await post(base, { name: "b", "callback-url": "http://x" });
  assert.deepEqual((await bare.json()).metadata, {});

  const list = await (await fetch(base)).json();
  assert.deepEqual(list.map((s: { name: string }) => s.name), [
    "practical_nobel-cnf-adapter",
    "b",
  ]);
  const none = await fetch(`${sim.url}/v1/instance/nobody/status/subscription`);
  assert.equal(none.status, 200);
  assert.deepEqual(await none.json(), []);

  // PUT ignores the path's name: the body's names the subscription.
  const updated = await post(`${base}/whatever`, {
    name: "b",
    "min-notify-interval": 7,
    "callback-url": "http://y",
  }, "PUT");
  assert.equal(updated.status, 200);
  const b = await updated.json();
  assert.equal(b.name, "b");
  assert.equal(b["min-notify-interval"], 7);
  assert.equal(b["callback-url"], "http://y");
  const got = await (await fetch(`${base}/b`)).json();
  assert.deepEqual(got, b);

  const deleted = await fetch(`${base}/b`, { method: "DELETE" });
  assert.equal(deleted.status, 202);
  assert.equal(await deleted.text(), "");
  assert.equal(sim.state.subscriptions.list("practical_nobel").length, 1);
});

Deno.test("startK8splugin() holds a global lock during a first call's sleep: other instances' calls wait too", async () => {
  await using sim = startK8splugin({
    scenario: scenario(),
    subscriptionTiming: { ...FAST, firstCallDelayMs: 150 },
  });
  const started = performance.now();
  const answers = await Promise.all(
    ["practical_nobel", "other"].map((id) =>
      fetch(`${sim.url}/v1/instance/${id}/status/subscription`).then((r) =>
        r.json()
      )
    ),
  );
  assert.deepEqual(answers, [[], []]);
  assert.ok(performance.now() - started >= 290, "the sleeps are serialized");
});

Deno.test("startK8splugin() blocks the first subscription call of an instance", async () => {
  await using sim = startK8splugin({
    scenario: scenario(),
    subscriptionTiming: { ...FAST, firstCallDelayMs: 250 },
  });
  const base = `${sim.url}/v1/instance/practical_nobel/status/subscription`;
  let started = performance.now();
  await (await fetch(base)).body?.cancel();
  assert.ok(performance.now() - started >= 240, "first call waits");
  started = performance.now();
  await (await fetch(base)).body?.cancel();
  assert.ok(performance.now() - started < 200, "later calls do not");
});

Deno.test("startK8splugin() notifies deltas after a silent baseline, records the result, and the notifier dies on a status failure", async () => {
  await using callback = receiver();
  await using sim = startK8splugin({
    scenario: scenario(),
    subscriptionTiming: FAST,
  });
  const base = `${sim.url}/v1/instance/practical_nobel/status/subscription`;
  await (await post(base, {
    name: "s1",
    "callback-url": callback.url,
    metadata: { k: "v" },
  })).body?.cancel();
  // Baseline: a few ticks, nothing sent.
  await sleep(150);
  assert.equal(callback.received.length, 0);
  assert.ok(sim.state.subscriptions.notifierRunning("practical_nobel", "s1"));

  sim.state.advance();
  await until(() => callback.received.length === 1);
  const payload = callback.received[0]!;
  assert.deepEqual(Object.keys(payload), [
    "instance-id",
    "subscription-name",
    "metadata",
    "resource-changes",
  ]);
  assert.equal(payload["instance-id"], "practical_nobel");
  assert.equal(payload["subscription-name"], "s1");
  assert.deepEqual(payload.metadata, { k: "v" });
  const changes = payload["resource-changes"] as Record<
    string,
    { name: string; GVK: unknown; status: { metadata: unknown } }[]
  >;
  assert.deepEqual(changes.created!.map((c) => c.name), ["cm"]);
  assert.deepEqual(changes.deleted, []);
  assert.deepEqual(changes.modified!.map((c) => c.name), ["packetgen"]);
  assert.deepEqual(changes.modified![0]!.GVK, {
    Group: "apps",
    Version: "v1",
    Kind: "Deployment",
  });
  await until(() =>
    sim.state.subscriptions.list(
      "practical_nobel",
    )[0]!["last-notify-status"] ===
      202
  );
  const stored = await (await fetch(`${base}/s1`)).json();
  assert.equal(stored["last-notify-status"], 202);
  assert.notEqual(stored["last-notify-time"], stored["last-update-time"]);

  // A resource deleted by hand: /status fails, the notifier dies for good.
  sim.state.advance();
  await until(() =>
    !sim.state.subscriptions.notifierRunning("practical_nobel", "s1")
  );
  sim.state.advance(); // repaired, and changed
  await sleep(150);
  assert.equal(callback.received.length, 1, "a dead notifier sends nothing");
  assert.equal(sim.state.subscriptions.list("practical_nobel").length, 1);

  // A restart restores it (baseline first, then deltas again).
  sim.state.restart();
  await until(() =>
    sim.state.subscriptions.notifierRunning("practical_nobel", "s1")
  );
  await sleep(150);
  assert.equal(callback.received.length, 1);

  // Deleting the instance deletes its subscriptions.
  sim.state.advance();
  assert.deepEqual(sim.state.subscriptions.list("practical_nobel"), []);
  assert.ok(!sim.state.subscriptions.notifierRunning("practical_nobel", "s1"));
});

Deno.test("startK8splugin() records 500 when the callback cannot be reached, without retrying", async () => {
  await using sim = startK8splugin({
    scenario: scenario(),
    subscriptionTiming: FAST,
  });
  const base = `${sim.url}/v1/instance/practical_nobel/status/subscription`;
  await (await post(base, {
    name: "s1",
    "callback-url": "http://127.0.0.1:9/unreachable",
  })).body?.cancel();
  await sleep(100);
  sim.state.advance();
  await until(() => sim.state.subscriptions.notifications.length === 1);
  await sleep(150);
  assert.equal(sim.state.subscriptions.notifications.length, 1);
  assert.equal(sim.state.subscriptions.notifications[0]!.status, 500);
  assert.equal(
    sim.state.subscriptions.list("practical_nobel")[0]!["last-notify-status"],
    500,
  );
});

Deno.test("startK8splugin() restores seeded subscriptions after restoreDelayMs", async () => {
  await using callback = receiver();
  await using sim = startK8splugin({
    scenario: scenario(),
    subscriptionTiming: FAST,
    subscriptions: [{
      instanceId: "practical_nobel",
      name: "seeded",
      "min-notify-interval": 0,
      "callback-url": callback.url,
    }],
  });
  assert.ok(
    !sim.state.subscriptions.notifierRunning("practical_nobel", "seeded"),
  );
  await until(() =>
    sim.state.subscriptions.notifierRunning("practical_nobel", "seeded")
  );
  await sleep(120);
  const advanced = await fetch(`${sim.url}/_sim/advance`, { method: "POST" });
  const change = await advanced.json();
  assert.equal(change.step, 1);
  assert.ok(Math.abs(change.at - Date.now()) < 1000);
  await until(() => callback.received.length === 1);
  const changes = await (await fetch(`${sim.url}/_sim/changes`)).json();
  assert.deepEqual(changes.map((c: { name: string }) => c.name), [
    "baseline",
    "changed",
  ]);
});

Deno.test("startK8splugin() advances on a timer with advanceEveryMs and stops on the last step", async () => {
  await using sim = startK8splugin({
    scenario: scenario(),
    advanceEveryMs: 20,
  });
  await until(() => sim.state.step === 4);
  await sleep(60);
  assert.deepEqual(sim.state.changes.map((c) => c.step), [0, 1, 2, 3, 4]);
  const times = sim.state.changes.map((c) => c.at);
  assert.deepEqual([...times].sort((a, b) => a - b), times);
});

Deno.test("startK8splugin() bounds only the dial of a notification: a slow callback's answer is awaited", async () => {
  await using slow = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    async (request) => {
      await request.body?.cancel();
      await sleep(250);
      return new Response(null, { status: 204 });
    },
  );
  await using sim = startK8splugin({
    scenario: scenario(),
    subscriptionTiming: { ...FAST, notifyTimeoutMs: 50 },
  });
  const base = `${sim.url}/v1/instance/practical_nobel/status/subscription`;
  await (await post(base, {
    name: "s1",
    "callback-url": `http://127.0.0.1:${slow.addr.port}/notify`,
  })).body?.cancel();
  await sleep(100);
  sim.state.advance();
  await until(() => sim.state.subscriptions.notifications.length === 1);
  assert.equal(sim.state.subscriptions.notifications[0]!.status, 204);
});
