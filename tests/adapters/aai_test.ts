import assert from "node:assert/strict";
import {
  AaiError,
  type AaiExchange,
  aaiPath,
  HttpAaiClient,
  parseAaiErrorBody,
} from "../../adapters/aai.ts";
import { startAai } from "../../sim/aai.ts";

const SEED = {
  cloudRegions: [{
    cloudOwner: "CloudOwner",
    cloudRegionId: "r1",
    tenants: [{ tenantId: "t1" }, { tenantId: "t2" }],
  }],
  vfModules: [{ vnfId: "vnf-1", vfModuleId: "vfm-1", heatStackId: "edgex-1" }],
};

function k8sPath(id: string, tenant = "t1"): string {
  return aaiPath(
    "cloud-infrastructure",
    "cloud-regions",
    "cloud-region",
    "CloudOwner",
    "r1",
    "tenants",
    "tenant",
    tenant,
    "k8s-resources",
    "k8s-resource",
    id,
  );
}

const VFM_LINK =
  "/aai/v24/network/generic-vnfs/generic-vnf/vnf-1/vf-modules/vf-module/vfm-1";

function pod(name: string): Record<string, unknown> {
  return {
    name,
    group: "",
    version: "v1",
    kind: "Pod",
    namespace: "ns",
    labels: ["k8s-aai-sync/readiness=Ready"],
    selflink: `http://k8splugin/v1/instance/edgex-1/query?Name=${name}`,
    "data-owner": "k8s-aai-sync",
  };
}

function fixture(name: string): Promise<string> {
  return Deno.readTextFile(
    new URL(`../../fixtures/peers/aai/${name}`, import.meta.url),
  );
}

/** A loopback server that replays one recorded response. */
async function replay(name: string) {
  const recorded = JSON.parse(await fixture(name));
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    async (request) => {
      await request.body?.cancel();
      return new Response(recorded.response.body, {
        status: recorded.response.status,
        headers: recorded.response.headers,
      });
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

Deno.test("aaiPath() percent-encodes every segment so hostile ids keep the URL's shape", () => {
  assert.equal(
    aaiPath("network", "generic-vnfs", "generic-vnf", "a/b"),
    "/network/generic-vnfs/generic-vnf/a%2Fb",
  );
  assert.equal(aaiPath("x", "../y"), "/x/..%2Fy");
  assert.equal(aaiPath("x", "a?b#c d"), "/x/a%3Fb%23c%20d");
  assert.equal(aaiPath("x", "%2E%2E"), "/x/%252E%252E");
  const url = new URL("http://h/aai/v24" + aaiPath("x", "../../y"));
  assert.equal(url.pathname, "/aai/v24/x/..%2F..%2Fy");
  assert.throws(() => aaiPath("x", ".."), RangeError);
  assert.throws(() => aaiPath("x", "."), RangeError);
  assert.throws(() => aaiPath("x", ""), RangeError);
});

Deno.test("HttpAaiClient stores and reads back objects whose ids are hostile", async () => {
  await using sim = await startAai({ seed: SEED });
  using aai = new HttpAaiClient({ baseUrl: sim.url, retries: 0 });
  for (const id of ["../x", "a/b", "a?b#c", "%2e%2e", "ünï cödé", "..%2F.."]) {
    const path = k8sPath(id);
    assert.equal((await aai.put(path, pod("p"))).status, 201, id);
    const got = await aai.get(path);
    assert.equal(got?.id, id);
    assert.ok(sim.state.objects.has(path), `stored under ${path}`);
  }
  assert.equal(sim.state.objects.size, 1 + 2 + 1 + 1 + 6);
});

Deno.test("HttpAaiClient sends Accept, X-FromAppId, a fresh X-TransactionId and basic auth on every request", async () => {
  await using sim = await startAai({ seed: SEED, requireAuth: true });
  const exchanges: AaiExchange[] = [];
  using aai = new HttpAaiClient({
    baseUrl: sim.url,
    retries: 0,
    onExchange: (e) => exchanges.push(e),
  });
  const path = k8sPath("abc");
  const created = await aai.put(path, pod("abc"));
  const got = await aai.get(path);
  await aai.patch(path, { labels: ["k8s-aai-sync/readiness=Pending"] });
  await aai.putRelationship(path, { "related-link": VFM_LINK });
  await aai.deleteRelationship(path, { "related-link": VFM_LINK });
  await aai.delete(path, String((await aai.get(path))?.["resource-version"]));
  const requests = sim.state.requests;
  assert.equal(requests.length, 7);
  for (const request of requests) {
    assert.equal(request.accept, "application/json");
    assert.equal(request.fromAppId, "k8s-aai-sync");
    assert.equal(request.authorization, true);
    assert.match(request.transactionId ?? "", /^[0-9a-f-]{36}$/);
    assert.ok(request.status < 300, `${request.method} ${request.url}`);
  }
  const ids = requests.map((r) => r.transactionId);
  assert.equal(new Set(ids).size, ids.length, "one transaction id per request");
  assert.equal(created.transactionId, ids[0]);
  assert.equal(got?.name, "abc");
  assert.deepEqual(exchanges.map((e) => e.transactionId), ids);
  assert.equal(aai.lastTransactionId, ids.at(-1));
  assert.equal(
    requests.find((r) => r.method === "PATCH")?.contentType,
    "application/merge-patch+json",
  );
  assert.equal(
    requests.find((r) => r.method === "PUT")?.contentType,
    "application/json",
  );
  assert.ok(
    exchanges.every((e) => e.requestHeaders["Authorization"] === "REDACTED"),
    "credentials never reach onExchange",
  );
});

Deno.test("HttpAaiClient types 412s by code and never retries them", async () => {
  await using sim = await startAai({ seed: SEED });
  using aai = new HttpAaiClient({ baseUrl: sim.url, minBackoffMs: 1 });
  const path = k8sPath("abc");
  await aai.put(path, pod("abc"));
  sim.state.resetCounts();
  const exists = await aai.put(path, pod("abc")).catch((e) => e);
  assert.ok(exists instanceof AaiError);
  assert.equal(exists.status, 412);
  assert.equal(exists.code, "ERR.5.4.6130");
  assert.equal(exists.messageId, "SVC3000");
  assert.equal(exists.retryable, false);
  assert.equal(exists.kind, "Http");
  assert.equal(exists.method, "PUT");
  assert.equal(exists.path, path);
  assert.equal(exists.transactionId, sim.state.requests[0]?.transactionId);
  assert.equal(sim.state.counts.total, 1, "412 is not retried");
  const stale = await aai.put(path, { ...pod("abc"), "resource-version": "1" })
    .catch((e) => e);
  assert.equal(
    stale.message,
    'Cannot update k8s-resource "abc" in A&AI: HTTP 412 ERR.5.4.6131 resource-version mismatch',
  );
  const created = await aai.put(k8sPath("new"), {
    ...pod("new"),
    "resource-version": "1",
  }).catch((e) => e);
  assert.equal(created.code, "ERR.5.4.6135");
  const staleDelete = await aai.delete(path, "1").catch((e) => e);
  assert.equal(staleDelete.code, "ERR.5.4.6131");
  assert.match(
    staleDelete.message,
    /^Cannot delete k8s-resource "abc" in A&AI/,
  );
});

Deno.test("HttpAaiClient maps A&AI 404s to undefined, false and []", async () => {
  await using sim = await startAai({ seed: SEED });
  using aai = new HttpAaiClient({ baseUrl: sim.url, retries: 0 });
  assert.equal(await aai.get(k8sPath("none")), undefined);
  assert.equal(await aai.delete(k8sPath("none"), "1"), false);
  assert.deepEqual(await aai.listTenants("CloudOwner", "nope"), []);
  assert.deepEqual(await aai.listTenants("CloudOwner", "r1"), ["t1", "t2"]);
  assert.deepEqual(await aai.findVfModules("nope"), []);
  assert.deepEqual(await aai.findVfModules("edgex-1"), [
    { vnfId: "vnf-1", vfModuleId: "vfm-1" },
  ]);
  const patch = await aai.patch(k8sPath("none"), { kind: "Pod" }).catch((e) =>
    e
  );
  assert.equal(patch.status, 404, "a PATCH of a missing object is an error");
  assert.equal(patch.code, "ERR.5.4.6114");
});

Deno.test("HttpAaiClient does not mistake a 404 that is not A&AI's for a missing object", async () => {
  await using sim = await startAai({ seed: SEED });
  using aai = new HttpAaiClient({
    baseUrl: `${sim.url}/wrong-prefix`,
    retries: 0,
  });
  const error = await aai.get(k8sPath("abc")).catch((e) => e);
  assert.ok(error instanceof AaiError);
  assert.equal(error.status, 404);
  assert.equal(error.code, undefined);
  assert.match(error.message, /HTTP 404 "Not Found"/);
});

Deno.test("HttpAaiClient retries 5xx (faults) and succeeds when A&AI recovers", async () => {
  await using sim = await startAai({ seed: SEED });
  sim.state.faults = { errorRates: { 503: 1 } };
  let failures = 0;
  using aai = new HttpAaiClient({
    baseUrl: sim.url,
    retries: 3,
    minBackoffMs: 1,
    maxBackoffMs: 2,
    onExchange(exchange) {
      if (exchange.status === 503 && ++failures === 2) {
        sim.state.faults = undefined;
      }
    },
  });
  assert.deepEqual(await aai.listTenants("CloudOwner", "r1"), ["t1", "t2"]);
  assert.equal(sim.state.counts.total, 3);
});

Deno.test("HttpAaiClient reports a persistent 5xx as a retryable AaiError", async () => {
  await using sim = await startAai({ seed: SEED });
  sim.state.faults = { errorRates: { 502: 1 } };
  using aai = new HttpAaiClient({
    baseUrl: sim.url,
    retries: 2,
    minBackoffMs: 1,
    maxBackoffMs: 2,
  });
  const error = await aai.get(k8sPath("abc")).catch((e) => e);
  assert.ok(error instanceof AaiError);
  assert.equal(error.status, 502);
  assert.equal(error.retryable, true);
  assert.equal(error.code, undefined);
  assert.match(
    error.message,
    /^Cannot read k8s-resource "abc" in A&AI: HTTP 502 "injected fault: HTTP 502"$/,
  );
  assert.equal(sim.state.counts.total, 3);
});

Deno.test("HttpAaiClient reports an unreachable A&AI as a retryable transport AaiError without credentials", async () => {
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    () => new Response(""),
  );
  const url = `http://127.0.0.1:${server.addr.port}`;
  await server.shutdown();
  using aai = new HttpAaiClient({
    baseUrl: url,
    password: "s3cret-pass",
    retries: 1,
    minBackoffMs: 1,
  });
  const error = await aai.get(k8sPath("abc")).catch((e) => e);
  assert.ok(error instanceof AaiError);
  assert.equal(error.kind, "Transport");
  assert.equal(error.retryable, true);
  assert.equal(error.status, undefined);
  assert.match(error.message, /^Cannot read k8s-resource "abc" in A&AI: /);
  assert.doesNotMatch(error.message, /s3cret/);
});

Deno.test("HttpAaiClient turns a malformed 200 body into an InvalidResponse AaiError", async () => {
  await using sim = await startAai({ seed: SEED });
  sim.state.faults = { malformedRate: 1 };
  using aai = new HttpAaiClient({ baseUrl: sim.url, retries: 0 });
  const error = await aai.listTenants("CloudOwner", "r1").catch((e) => e);
  assert.ok(error instanceof AaiError);
  assert.equal(error.kind, "InvalidResponse");
  assert.match(error.message, /the response is not JSON/);
});

Deno.test("HttpAaiClient.bulk() refuses more than 30 operations before sending anything", async () => {
  await using sim = await startAai({ seed: SEED });
  using aai = new HttpAaiClient({ baseUrl: sim.url, retries: 0 });
  const operations = Array.from({ length: 31 }, (_, i) => ({
    action: "put" as const,
    uri: k8sPath(`p${i}`),
    body: pod(`p${i}`),
  }));
  await assert.rejects(() => aai.bulk(operations), RangeError);
  assert.equal(sim.state.counts.total, 0);
  assert.deepEqual(await aai.bulk([]), []);
  const statuses = await aai.bulk(operations.slice(0, 30));
  assert.equal(statuses.length, 30);
  assert.ok(statuses.every((s) => s === 201));
});

Deno.test("HttpAaiClient.bulk() throws the failing operation's index and code, and nothing is applied", async () => {
  await using sim = await startAai({ seed: SEED });
  using aai = new HttpAaiClient({ baseUrl: sim.url, retries: 0 });
  await aai.put(k8sPath("old"), pod("old"));
  const error = await aai.bulk([
    { action: "put", uri: k8sPath("new"), body: pod("new") },
    {
      action: "put",
      uri: `${k8sPath("new")}/relationship-list/relationship`,
      body: { "related-link": VFM_LINK },
    },
    {
      action: "delete",
      uri: `${k8sPath("old")}?resource-version=1`,
      body: {},
    },
  ]).catch((e) => e);
  assert.ok(error instanceof AaiError);
  assert.equal(error.operationIndex, 2);
  assert.equal(error.status, 412);
  assert.equal(error.code, "ERR.5.4.6131");
  assert.equal(error.retryable, false);
  assert.match(
    error.message,
    /^Cannot apply a bulk transaction of 3 operations in A&AI: operation 2 \(delete k8s-resource "old"\) failed with HTTP 412 ERR\.5\.4\.6131 resource-version mismatch; nothing was applied$/,
  );
  assert.equal(await aai.get(k8sPath("new")), undefined);
});

Deno.test("HttpAaiClient.bulk() understands the documented failure of bulkApi.rst (older wording)", async () => {
  await using server = await replay(
    "bulk-single-transaction-stale-delete.json",
  );
  using aai = new HttpAaiClient({ baseUrl: server.url, retries: 0 });
  const recorded = JSON.parse(
    await fixture("bulk-single-transaction-stale-delete.json"),
  );
  const error = await aai.bulk(JSON.parse(recorded.request.body).operations)
    .catch((e) => e);
  assert.ok(error instanceof AaiError);
  assert.equal(error.operationIndex, 3);
  assert.equal(error.status, 412);
  assert.equal(error.code, "ERR.5.4.6131");
  assert.match(error.message, /operation 3 \(delete generic-vnf "gvnf-key"\)/);
});

Deno.test("HttpAaiClient.bulk() returns each status of the documented success", async () => {
  await using server = await replay("bulk-single-transaction-success.json");
  using aai = new HttpAaiClient({ baseUrl: server.url, retries: 0 });
  const recorded = JSON.parse(
    await fixture("bulk-single-transaction-success.json"),
  );
  assert.deepEqual(
    await aai.bulk(JSON.parse(recorded.request.body).operations),
    [201, 201, 200, 204],
  );
});

Deno.test("HttpAaiClient reads the recorded 404 and 412 bodies of real A&AI", async () => {
  await using notFound = await replay("get-k8s-resource-not-found.json");
  using reader = new HttpAaiClient({ baseUrl: notFound.url, retries: 0 });
  assert.equal(await reader.get(k8sPath("doesNotExist")), undefined);
  await using stale = await replay("put-k8s-resource-stale.json");
  using writer = new HttpAaiClient({ baseUrl: stale.url, retries: 0 });
  const error = await writer.put(k8sPath("5b43"), {
    ...pod("p"),
    "resource-version": "1635943384048",
  }).catch((e) => e);
  assert.equal(error.code, "ERR.5.4.6131");
  assert.equal(error.status, 412);
});

Deno.test("HttpAaiClient reads a real k8s-resource GET (reference E2)", async () => {
  await using server = await replay("get-k8s-resources-vfw.json");
  using aai = new HttpAaiClient({ baseUrl: server.url, retries: 0 });
  const got = await aai.get(k8sPath("e5a4"));
  const [first] = got?.["k8s-resource"] as Record<string, unknown>[];
  assert.equal(first?.["resource-version"], "1635943384048");
  assert.equal(first?.["data-owner"], "CnfAdapter");
});

Deno.test("parseAaiErrorBody() takes the code from the last variable and nothing from the text", async () => {
  const notFound = JSON.parse(await fixture("get-k8s-resource-not-found.json"));
  assert.deepEqual(
    parseAaiErrorBody(notFound.response.body)?.code,
    "ERR.5.4.6114",
  );
  const policy = JSON.stringify({
    requestError: {
      policyException: {
        messageId: "POL3300",
        text: "Unauthorized (msg=%1) (ec=%2)",
        variables: ["GET", "x", "Unauthorized:no", "ERR.5.1.3300"],
      },
    },
  });
  assert.equal(parseAaiErrorBody(policy)?.messageId, "POL3300");
  assert.equal(parseAaiErrorBody(policy)?.code, "ERR.5.1.3300");
  assert.equal(parseAaiErrorBody("<html>Bad gateway</html>"), undefined);
  assert.equal(parseAaiErrorBody('{"other":1}'), undefined);
  assert.equal(
    parseAaiErrorBody(
      '{"requestError":{"serviceException":{"messageId":"SVC3000","variables":["x"]}}}',
    )?.code,
    undefined,
  );
});

Deno.test("HttpAaiClient relationship calls are idempotent and typed when the target is missing", async () => {
  await using sim = await startAai({ seed: SEED });
  using aai = new HttpAaiClient({ baseUrl: sim.url, retries: 0 });
  const path = k8sPath("abc");
  await aai.put(path, pod("abc"));
  await aai.putRelationship(path, { "related-link": VFM_LINK });
  await aai.putRelationship(path, { "related-link": VFM_LINK });
  const edges = sim.state.get(path)?.["relationship-list"] as {
    relationship: unknown[];
  };
  assert.equal(edges.relationship.length, 1);
  await aai.deleteRelationship(path, { "related-link": VFM_LINK });
  await aai.deleteRelationship(path, { "related-link": VFM_LINK });
  const missing = await aai.putRelationship(path, {
    "related-link": "/aai/v24/network/generic-vnfs/generic-vnf/ghost",
  }).catch((e) => e);
  assert.ok(missing instanceof AaiError);
  assert.equal(missing.status, 404);
  assert.equal(missing.code, "ERR.5.4.6129");
  assert.match(missing.message, /^Cannot relate k8s-resource "abc" to /);
});

Deno.test("HttpAaiClient reports refused credentials as 403 ERR.5.1.3300 without echoing them", async () => {
  await using sim = await startAai({
    seed: SEED,
    requireAuth: { username: "AAI", password: "right-pass" },
  });
  using aai = new HttpAaiClient({
    baseUrl: sim.url,
    password: "wrong-pass",
    retries: 0,
  });
  const error = await aai.listTenants("CloudOwner", "r1").catch((e) => e);
  assert.ok(error instanceof AaiError);
  assert.equal(error.status, 403);
  assert.equal(error.code, "ERR.5.1.3300");
  assert.equal(error.messageId, "POL3300");
  assert.match(error.message, /HTTP 403 ERR\.5\.1\.3300 unauthorized$/);
  assert.doesNotMatch(error.message, /pass/);
  using good = new HttpAaiClient({
    baseUrl: sim.url,
    password: "right-pass",
    retries: 0,
  });
  assert.deepEqual(await good.listTenants("CloudOwner", "r1"), ["t1", "t2"]);
});

Deno.test("HttpAaiClient records exchanges as fixtures with the credentials redacted", async () => {
  await using sim = await startAai({ seed: SEED });
  const dir = await Deno.makeTempDir({ prefix: "aai-record-" });
  try {
    using aai = new HttpAaiClient({
      baseUrl: sim.url,
      password: "very-secret",
      retries: 0,
      recordDir: dir,
    });
    const { transactionId } = await aai.put(k8sPath("abc"), pod("abc"));
    const files = [];
    for await (const entry of Deno.readDir(dir)) files.push(entry.name);
    assert.equal(files.length, 1);
    const text = await Deno.readTextFile(`${dir}/${files[0]}`);
    assert.doesNotMatch(text, /very-secret/);
    assert.doesNotMatch(text, new RegExp(btoa("AAI:very-secret")));
    const record = JSON.parse(text);
    assert.equal(record.peer, "A&AI");
    assert.equal(record.request.method, "PUT");
    assert.equal(record.request.headers["X-TransactionId"], transactionId);
    assert.equal(record.request.headers["Authorization"], "REDACTED");
    assert.equal(record.response.status, 201);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
