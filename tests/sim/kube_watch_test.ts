import assert from "node:assert/strict";
import { type KubeSim, startKube } from "../../sim/kube.ts";
import { parseScenario, type Scenario } from "../../sim/scenario.ts";

function pod(name: string, phase: string, labels: Record<string, string>) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels },
    status: { phase },
  };
}

/** Step 0: pod a; step 1: a Running, b added; step 2: a deleted, b relabelled out of app=x; step 3: only a ConfigMap added. */
function scenario(): Scenario {
  const instance = (objects: unknown[]) => ({
    id: "i1",
    request: {
      "rb-name": "r",
      "rb-version": "v",
      "profile-name": "p",
      "cloud-region": "kud",
    },
    namespace: "ns",
    objects,
  });
  return parseScenario({
    regions: [{ cloudRegion: "kud", cloudOwner: "o" }],
    steps: [
      {
        name: "a pending",
        now: "2026-11-25T10:00:00Z",
        instances: [instance([pod("a", "Pending", { app: "x" })])],
      },
      {
        name: "a running, b added",
        now: "2026-11-25T10:01:00Z",
        instances: [
          instance([
            pod("a", "Running", { app: "x" }),
            pod("b", "Pending", { app: "x" }),
          ]),
        ],
      },
      {
        name: "a gone, b relabelled",
        now: "2026-11-25T10:02:00Z",
        instances: [instance([pod("b", "Pending", { app: "y" })])],
      },
      {
        name: "a ConfigMap added, no pod changes",
        now: "2026-11-25T10:03:00Z",
        instances: [
          instance([pod("b", "Pending", { app: "y" }), {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: "cm" },
          }]),
        ],
      },
    ],
  }, "watch");
}

/** Reads watch events line by line. */
class Events {
  #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";
  constructor(response: Response) {
    this.#reader = response.body!.pipeThrough(new TextDecoderStream())
      .getReader();
  }
  // deno-lint-ignore no-explicit-any
  async next(): Promise<any> {
    for (;;) {
      const newline = this.#buffer.indexOf("\n");
      if (newline >= 0) {
        const line = this.#buffer.slice(0, newline);
        this.#buffer = this.#buffer.slice(newline + 1);
        return JSON.parse(line);
      }
      const { value, done } = await this.#reader.read();
      if (done) return undefined;
      this.#buffer += value;
    }
  }
  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }
}

async function watch(kube: KubeSim, query: string): Promise<Events> {
  const response = await fetch(
    `${kube.url}/api/v1/namespaces/ns/pods?watch=1&${query}`,
  );
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "application/json");
  return new Events(response);
}

async function listRv(kube: KubeSim): Promise<string> {
  const list = await (await fetch(`${kube.url}/api/v1/namespaces/ns/pods`))
    .json();
  return list.metadata.resourceVersion;
}

Deno.test("startKube() watch from a list's resourceVersion sends ADDED, MODIFIED and DELETED with the change's resourceVersion", async () => {
  await using kube = await startKube({ scenario: scenario() });
  const rv = await listRv(kube);
  const events = await watch(
    kube,
    `resourceVersion=${rv}&labelSelector=app%3Dx`,
  );
  kube.state.advance();
  const first = [await events.next(), await events.next()];
  assert.deepEqual(
    first.map((e) => [e.type, e.object.metadata.name]).sort(),
    [["ADDED", "b"], ["MODIFIED", "a"]],
  );
  const modified = first.find((e) => e.type === "MODIFIED");
  assert.equal(modified.object.kind, "Pod");
  assert.equal(modified.object.apiVersion, "v1");
  assert.equal(modified.object.status.phase, "Running");
  assert.equal(
    modified.object.metadata.resourceVersion,
    String(kube.state.resourceVersion),
  );
  kube.state.advance();
  const second = [await events.next(), await events.next()];
  assert.deepEqual(
    second.map((e) => [e.type, e.object.metadata.name]).sort(),
    [["DELETED", "a"], ["DELETED", "b"]],
  );
  await events.cancel();
});

Deno.test("startKube() watch without resourceVersion starts with ADDED events for the current state", async () => {
  await using kube = await startKube({ scenario: scenario(), step: 1 });
  const events = await watch(kube, "");
  const names = [(await events.next()).object.metadata.name];
  names.push((await events.next()).object.metadata.name);
  assert.deepEqual(names.sort(), ["a", "b"]);
  await events.cancel();
});

Deno.test("startKube() watch sends BOOKMARKs when allowed, ends at timeoutSeconds, and answers a too-old resourceVersion with an ERROR 410", async () => {
  await using kube = await startKube({
    scenario: scenario(),
    bookmarkIntervalMs: 30,
  });
  const rv = await listRv(kube);
  const events = await watch(
    kube,
    `resourceVersion=${rv}&allowWatchBookmarks=true&timeoutSeconds=1`,
  );
  const bookmark = await events.next();
  assert.deepEqual(bookmark, {
    type: "BOOKMARK",
    object: {
      kind: "Pod",
      apiVersion: "v1",
      metadata: { resourceVersion: rv },
    },
  });
  const started = performance.now();
  while (await events.next() !== undefined) { /* bookmarks until the end */ }
  assert.ok(performance.now() - started < 1500, "ended by timeoutSeconds");

  kube.state.advance();
  kube.state.compact();
  const expired = await watch(kube, `resourceVersion=${rv}`);
  const error = await expired.next();
  assert.equal(error.type, "ERROR");
  assert.equal(error.object.kind, "Status");
  assert.equal(error.object.code, 410);
  assert.equal(error.object.reason, "Expired");
  assert.match(error.object.message, /^too old resource version: \d+ \(\d+\)$/);
  assert.equal(await expired.next(), undefined, "then the stream ends");
});

Deno.test("startKube() drops watch connections on request, abruptly or gracefully", async () => {
  await using kube = await startKube({ scenario: scenario() });
  const rv = await listRv(kube);
  const graceful = await watch(kube, `resourceVersion=${rv}`);
  assert.equal(kube.state.watches, 1);
  const response = await fetch(`${kube.url}/_sim/drop-watches?graceful=true`, {
    method: "POST",
  });
  await response.body?.cancel();
  assert.equal(await graceful.next(), undefined);
  assert.equal(kube.state.watches, 0);
  const abrupt = await watch(kube, `resourceVersion=${rv}`);
  kube.state.dropWatches();
  await assert.rejects(() => abrupt.next());
});

Deno.test("startKube() records each change with its time and advances on POST /_sim/advance or a timer", async () => {
  await using kube = await startKube({ scenario: scenario() });
  const response = await fetch(`${kube.url}/_sim/advance`, { method: "POST" });
  const change = await response.json();
  assert.equal(change.step, 1);
  assert.equal(change.resourceVersion, kube.state.resourceVersion);
  assert.ok(Math.abs(change.at - Date.now()) < 1000);
  await using timed = await startKube({
    scenario: scenario(),
    advanceEveryMs: 10,
  });
  while (timed.state.step < 3) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(timed.state.changes.map((c) => c.step), [0, 1, 2, 3]);
});

Deno.test("startKube() serves Leases: create, get, update with a resourceVersion check (409), merge and JSON patch, delete", async () => {
  await using kube = await startKube({ scenario: scenario() });
  const base = `${kube.url}/apis/coordination.k8s.io/v1/namespaces/ns/leases`;
  const send = async (
    method: string,
    url: string,
    body?: unknown,
    type = "application/json",
  ) => {
    const response = await fetch(url, {
      method,
      headers: { "content-type": type },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, json: await response.json() };
  };
  const created = await send("POST", base, {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name: "leader" },
    spec: { holderIdentity: "a", leaseDurationSeconds: 15 },
  });
  assert.equal(created.status, 201);
  const rv1 = created.json.metadata.resourceVersion;
  assert.equal((await send("POST", base, created.json)).status, 409);
  const updated = await send("PUT", `${base}/leader`, {
    ...created.json,
    spec: { holderIdentity: "b" },
  });
  assert.equal(updated.status, 200);
  assert.notEqual(updated.json.metadata.resourceVersion, rv1);
  const stale = await send("PUT", `${base}/leader`, {
    ...created.json,
    spec: { holderIdentity: "c" },
  });
  assert.equal(stale.status, 409);
  assert.equal(stale.json.reason, "Conflict");
  const merged = await send(
    "PATCH",
    `${base}/leader`,
    { spec: { holderIdentity: "d" } },
    "application/merge-patch+json",
  );
  assert.equal(merged.json.spec.holderIdentity, "d");
  const tested = await send("PATCH", `${base}/leader`, [
    { op: "test", path: "/spec/holderIdentity", value: "d" },
    { op: "replace", path: "/spec/holderIdentity", value: "e" },
  ], "application/json-patch+json");
  assert.equal(tested.json.spec.holderIdentity, "e");
  const list = await send("GET", base);
  assert.equal(list.json.kind, "LeaseList");
  assert.equal(list.json.items.length, 1);
  assert.equal((await send("DELETE", `${base}/leader`)).status, 200);
  assert.equal((await send("GET", `${base}/leader`)).status, 404);
  const discovery = await (await fetch(
    `${kube.url}/apis/coordination.k8s.io/v1`,
  )).json();
  assert.deepEqual(discovery.resources[0].verbs, [
    "create",
    "delete",
    "get",
    "list",
    "patch",
    "update",
    "watch",
  ]);
  assert.equal(
    (await send("PUT", `${kube.url}/api/v1/namespaces/ns/pods/a`, {})).status,
    405,
  );
});

/**
 * Runs the unmodified client-node in a child process (see kube_test.ts: its
 * HTTP/2 transport must not share the test process with a server that shuts
 * down): a pod informer through makeInformer, then a Lease client.
 */
async function probe(
  url: string,
  // deno-lint-ignore no-explicit-any
): Promise<any> {
  const script = `
import { CoordinationV1Api, CoreV1Api, KubeConfig, makeInformer } from "@kubernetes/client-node";
const kc = new KubeConfig();
kc.loadFromOptions({
  clusters: [{ name: "sim", server: ${
    JSON.stringify(url)
  }, skipTLSVerify: true }],
  users: [{ name: "u", token: "t" }],
  contexts: [{ name: "c", cluster: "sim", user: "u" }],
  currentContext: "c",
});
const core = kc.makeApiClient(CoreV1Api);
const events = [];
const informer = makeInformer(kc, "/api/v1/namespaces/ns/pods",
  () => core.listNamespacedPod({ namespace: "ns" }));
let errors = 0;
let connects = 0;
informer.on("add", (p) => events.push("add " + p.metadata.name));
informer.on("update", (p) => events.push("update " + p.metadata.name + " " + p.status.phase));
informer.on("delete", (p) => events.push("delete " + p.metadata.name));
informer.on("connect", () => connects++);
informer.on("error", () => errors++);
const wait = async (check) => {
  for (let i = 0; i < 300 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
};
const post = (path) => fetch(${
    JSON.stringify(url)
  } + path, { method: "POST" }).then((r) => r.body?.cancel());
await informer.start();
await wait(() => events.length >= 1);
await post("/_sim/advance");
await wait(() => events.length >= 3);
const afterAdvance = [...events].sort();
// A graceful drop: the informer resumes from its resourceVersion.
await post("/_sim/drop-watches?graceful=true");
await wait(() => connects >= 2);
await post("/_sim/advance");
await wait(() => events.length >= 5);
const afterResume = events.slice(3).sort();
// A change the pod watch does not see, a compaction, a reconnect from the
// pod watch's (now too old) resourceVersion: ERROR 410, then a relist.
await post("/_sim/advance");
await post("/_sim/compact");
await post("/_sim/drop-watches?graceful=true");
await wait(() => connects >= 4);
const cached = informer.list().map((p) => p.metadata.name).sort();
await informer.stop();

const leases = kc.makeApiClient(CoordinationV1Api);
const lease = await leases.createNamespacedLease({ namespace: "ns", body: {
  metadata: { name: "k8s-aai-sync" }, spec: { holderIdentity: "me", leaseDurationSeconds: 15 } } });
const read = await leases.readNamespacedLease({ name: "k8s-aai-sync", namespace: "ns" });
read.spec.holderIdentity = "me-again";
const replaced = await leases.replaceNamespacedLease({ name: "k8s-aai-sync", namespace: "ns", body: read });
let conflict;
try {
  await leases.replaceNamespacedLease({ name: "k8s-aai-sync", namespace: "ns", body: lease });
} catch (e) { conflict = e.code; }
console.log(JSON.stringify({ afterAdvance, afterResume, cached, errors, connects,
  lease: [lease.metadata.resourceVersion, replaced.spec.holderIdentity, replaced.metadata.resourceVersion], conflict }));
Deno.exit(0);
`;
  const dir = await Deno.makeTempDir({ prefix: "client-node-watch-" });
  try {
    const file = `${dir}/probe.ts`;
    await Deno.writeTextFile(file, script);
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--allow-all",
        "--config",
        new URL("../../deno.json", import.meta.url).pathname,
        file,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(output.stdout);
    assert.equal(
      output.code,
      0,
      `client-node probe failed: ${new TextDecoder().decode(output.stderr)}`,
    );
    return JSON.parse(stdout.trim().split("\n").at(-1)!);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("startKube() works with client-node's informer (makeInformer/ListWatch) and its Lease client", async () => {
  await using kube = await startKube({ scenario: scenario() });
  const result = await probe(kube.url);
  assert.deepEqual(result.afterAdvance, [
    "add a",
    "add b",
    "update a Running",
  ]);
  assert.deepEqual(result.afterResume, ["delete a", "update b Pending"]);
  assert.deepEqual(result.cached, ["b"]);
  assert.equal(result.errors, 0);
  assert.equal(kube.state.requests.byResource["list pods"], 2, "one relist");
  assert.equal(result.lease[1], "me-again");
  assert.notEqual(result.lease[0], result.lease[2]);
  assert.equal(result.conflict, 409);
});
