import assert from "node:assert/strict";
import { springEncode, startAai } from "../../sim/aai.ts";
import type { AaiSim } from "../../sim/aai.ts";

const REGION = "/cloud-infrastructure/cloud-regions/cloud-region/CloudOwner/r1";
const TENANT = `${REGION}/tenants/tenant/t1`;
const K8S = `${TENANT}/k8s-resources/k8s-resource`;
const VNF = "/network/generic-vnfs/generic-vnf/vnf-1";
const VFM = `${VNF}/vf-modules/vf-module/vfm-1`;

const SEED = {
  cloudRegions: [{
    cloudOwner: "CloudOwner",
    cloudRegionId: "r1",
    tenants: [{ tenantId: "t1" }],
  }],
  vfModules: [{ vnfId: "vnf-1", vfModuleId: "vfm-1", heatStackId: "i-1" }],
};

function resource(id: string, name = "pod-a"): Record<string, unknown> {
  return {
    id,
    name,
    group: "",
    version: "v1",
    kind: "Pod",
    namespace: "ns",
    labels: ["app=a"],
    selflink: "http://so-cnf-adapter:8090/x",
    "data-owner": "CnfAdapter",
    "data-source": "K8sPlugin",
    "data-source-version": "1",
  };
}

async function send(
  sim: AaiSim,
  method: string,
  rawPath: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(`${sim.url}/aai/v24${rawPath}`, {
    method,
    headers: {
      "X-FromAppId": "test",
      "X-TransactionId": crypto.randomUUID(),
      "Accept": "application/json",
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return {
    status: response.status,
    text: await response.text(),
    headers: response.headers,
  };
}

function errorCode(text: string): string {
  return JSON.parse(text).requestError.serviceException.variables.at(-1);
}

Deno.test("springEncode() leaves only RFC 3986 unreserved characters, with upper-case hex", () => {
  assert.equal(springEncode("a-b_c.d~e"), "a-b_c.d~e");
  assert.equal(springEncode("it's (1)*!"), "it%27s%20%281%29%2A%21");
  assert.equal(springEncode("a/b:c é"), "a%2Fb%3Ac%20%C3%A9");
});

Deno.test("startAai() refuses path segments and query values not in UriUtils.encode form with 400 AAI_3008", async () => {
  await using sim = await startAai({ seed: SEED });
  for (
    const raw of [
      `${K8S}/it's`,
      `${K8S}/a(1)`,
      `${K8S}/star*`,
      `${K8S}/bang!`,
      `${K8S}/a:b`,
      `${K8S}/lower%2fhex`,
      `${K8S}/bad%zz`,
    ]
  ) {
    const answer = await send(sim, "GET", raw, undefined, { Accept: "*/*" });
    assert.equal(answer.status, 400, raw);
    assert.match(answer.headers.get("content-type") ?? "", /json/);
    assert.equal(errorCode(answer.text), "ERR.5.6.3008", raw);
  }
  const plus = await send(sim, "GET", `${TENANT}/k8s-resources?name=a+b`);
  assert.equal(errorCode(plus.text), "ERR.5.6.3008");
  // Properly encoded: accepted (404 because absent, not 400).
  for (const id of ["it's", "a(1)", "star*", "a:b", "a/b", "é"]) {
    const answer = await send(sim, "GET", `${K8S}/${springEncode(id)}`);
    assert.equal(answer.status, 404, id);
  }
  const put = await send(
    sim,
    "PUT",
    `${K8S}/${springEncode("x(1)")}`,
    resource("x(1)"),
  );
  assert.equal(put.status, 201);
  assert.equal(
    sim.state.stored(`${K8S}/${encodeURIComponent("x(1)")}`)?.id,
    "x(1)",
  );
});

Deno.test("startAai() PUT /bulkprocess answers 201 with each operation's status, one action kind per transaction object", async () => {
  await using sim = await startAai({ seed: SEED });
  const answer = await send(sim, "PUT", "/bulkprocess", {
    transactions: [
      {
        put: [
          { uri: `${K8S}/a`, body: resource("a", "a") },
          { uri: `${K8S}/b`, body: resource("b", "b") },
        ],
      },
      {
        put: [{
          uri: `${K8S}/a/relationship-list/relationship`,
          body: { "related-link": `/aai/v24${VFM}` },
        }],
      },
      // A second kind in the same object is ignored (put wins).
      {
        put: [{ uri: `${K8S}/c`, body: resource("c", "c") }],
        delete: [{ uri: `${K8S}/a?resource-version=1` }],
      },
    ],
  });
  assert.equal(answer.status, 201);
  const body = JSON.parse(answer.text);
  assert.deepEqual(body, {
    transaction: [
      {
        put: [
          { uri: `${K8S}/a`, body: { "201": null } },
          { uri: `${K8S}/b`, body: { "201": null } },
        ],
      },
      {
        put: [{
          uri: `${K8S}/a/relationship-list/relationship`,
          body: { "200": null },
        }],
      },
      { put: [{ uri: `${K8S}/c`, body: { "201": null } }] },
    ],
  });
  assert.ok(sim.state.stored(`${K8S}/a`));
  assert.deepEqual(sim.state.edgesOf(`${K8S}/a`), [{
    path: VFM,
    label: "org.onap.relationships.inventory.Uses",
  }]);
});

Deno.test("startAai() bulkprocess rolls back only the failing transaction object and still answers 201", async () => {
  await using sim = await startAai({ seed: SEED });
  await send(sim, "PUT", `${K8S}/a`, resource("a", "a"));
  const rv = sim.state.stored(`${K8S}/a`)!["resource-version"];
  const answer = await send(sim, "PUT", "/bulkprocess", {
    transactions: [
      {
        put: [
          { uri: `${K8S}/n`, body: resource("n", "n") },
          // Existing object without its resource-version: 412.
          { uri: `${K8S}/a`, body: resource("a", "a2") },
        ],
      },
      { delete: [{ uri: `${K8S}/a?resource-version=${rv}` }] },
    ],
  });
  assert.equal(answer.status, 201);
  const body = JSON.parse(answer.text);
  const [first, second] = body.transaction;
  assert.deepEqual(first.put[0].body, { "201": null });
  const failure = first.put[1].body["412"];
  assert.equal(typeof failure, "string");
  assert.equal(errorCode(failure), "ERR.5.4.6130");
  assert.equal(sim.state.stored(`${K8S}/n`), undefined, "rolled back");
  assert.deepEqual(second.delete[0].body, { "204": null });
  assert.equal(sim.state.stored(`${K8S}/a`), undefined);
});

Deno.test("startAai() bulkadd takes put only; both legacy endpoints keep the 30-operation limit", async () => {
  await using sim = await startAai({ seed: SEED });
  const answer = await send(sim, "PUT", "/bulkadd", {
    transactions: [{ delete: [{ uri: `${K8S}/a?resource-version=1` }] }],
  });
  assert.equal(answer.status, 201);
  const entry = JSON.parse(answer.text).transaction[0].delete[0].body["400"];
  assert.equal(errorCode(entry), "ERR.5.4.6118");
  const many = Array.from({ length: 31 }, (_, i) => ({
    uri: `${K8S}/r${i}`,
    body: resource(`r${i}`, `r${i}`),
  }));
  const tooMany = await send(sim, "PUT", "/bulkprocess", {
    transactions: [{ put: many.slice(0, 16) }, { put: many.slice(16) }],
  });
  assert.equal(tooMany.status, 400);
  assert.equal(errorCode(tooMany.text), "ERR.5.4.6147");
  assert.equal(sim.state.pathsOf("k8s-resource").length, 0);
  const empty = await send(sim, "PUT", "/bulkprocess", { transactions: [] });
  assert.equal(empty.status, 400);
  assert.equal(errorCode(empty.text), "ERR.5.4.6118");
  const broken = await fetch(`${sim.url}/aai/v24/bulkprocess`, {
    method: "PUT",
    headers: {
      "X-FromAppId": "t",
      "X-TransactionId": "1",
      "Content-Type": "application/json",
    },
    body: "{",
  });
  assert.equal(broken.status, 400);
  assert.equal(errorCode(await broken.text()), "ERR.5.4.6111");
});

Deno.test("startAai() counts requests per client (X-FromAppId) and shows the exact stored object", async () => {
  await using sim = await startAai({ seed: SEED });
  await send(sim, "PUT", `${K8S}/a`, resource("a", "a"), {
    "X-FromAppId": "SO",
  });
  await send(sim, "GET", `${K8S}/a`, undefined, { "X-FromAppId": "SO" });
  await send(sim, "GET", `${K8S}/a`, undefined, {
    "X-FromAppId": "k8s-aai-sync",
  });
  await send(sim, "PUT", "/bulkprocess", {
    transactions: [{ put: [{ uri: `${K8S}/b`, body: resource("b", "b") }] }],
  }, { "X-FromAppId": "SO" });
  const so = sim.state.counts.byClient["SO"]!;
  assert.equal(so.total, 3);
  assert.equal(so.byRoute["PUT k8s-resource"], 1);
  assert.equal(so.byRoute["PUT bulkprocess"], 1);
  assert.equal(so.bulkOperations, 1);
  assert.equal(sim.state.counts.byClient["k8s-aai-sync"]!.total, 1);
  const times = sim.state.requests.map((r) => r.at);
  assert.deepEqual([...times].sort((a, b) => a - b), times);
  assert.ok(Math.abs(times.at(-1)! - Date.now()) < 1000);
  assert.deepEqual(sim.state.requests.map((r) => r.fromAppId), [
    "SO",
    "SO",
    "k8s-aai-sync",
    "SO",
  ]);
  const stored = sim.state.stored(`${K8S}/a`)!;
  assert.deepEqual(Object.keys(stored).slice(0, 3), ["id", "name", "group"]);
  assert.equal(typeof stored["resource-version"], "string");
  assert.equal("relationship-list" in stored, false);
  stored.name = "changed";
  assert.equal(sim.state.stored(`${K8S}/a`)!.name, "a", "a copy");
});

Deno.test("startAai() answers format=count on an object like SO's exists() expects", async () => {
  await using sim = await startAai({ seed: SEED });
  await send(sim, "PUT", `${K8S}/a`, resource("a", "a"));
  const found = await send(
    sim,
    "GET",
    `${K8S}/a?format=count&resultIndex=0&resultSize=1`,
  );
  assert.equal(found.status, 200);
  assert.deepEqual(JSON.parse(found.text), {
    results: [{ "k8s-resource": 1 }],
  });
  const missing = await send(sim, "GET", `${K8S}/b?format=count`);
  assert.equal(missing.status, 404);
});
