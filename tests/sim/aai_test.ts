import assert from "node:assert/strict";
import { startAai } from "../../sim/aai.ts";
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
    tenants: [{ tenantId: "t1", tenantName: "demo" }],
  }],
  vfModules: [
    { vnfId: "vnf-1", vfModuleId: "vfm-1", heatStackId: "edgex-1" },
    { vnfId: "vnf-1", vfModuleId: "vfm-2", heatStackId: "edgex-2" },
  ],
};

/** A k8s-resource body with every required property. */
function pod(name = "pod-a"): Record<string, unknown> {
  return {
    name,
    group: "",
    version: "v1",
    kind: "Pod",
    namespace: "ns",
    labels: ["app=a", "k8s-aai-sync/readiness=Ready"],
    selflink: `http://k8splugin/v1/instance/edgex-1/query?Name=${name}`,
    "data-owner": "k8s-aai-sync",
  };
}

interface Answer {
  status: number;
  text: string;
  headers: Headers;
  // deno-lint-ignore no-explicit-any
  json: any;
}

/** One request the way a well-behaved client sends it (headers overridable). */
async function call(
  sim: AaiSim,
  method: string,
  path: string,
  options: {
    body?: unknown;
    headers?: Record<string, string | undefined>;
    version?: string;
  } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  const wanted: Record<string, string | undefined> = {
    "Accept": "application/json",
    "X-FromAppId": "test",
    "X-TransactionId": crypto.randomUUID(),
    ...(options.body !== undefined
      ? {
        "Content-Type": method === "PATCH"
          ? "application/merge-patch+json"
          : "application/json",
      }
      : {}),
    ...options.headers,
  };
  for (const [key, value] of Object.entries(wanted)) {
    if (value !== undefined) headers[key] = value;
  }
  const response = await fetch(
    `${sim.url}/aai/${options.version ?? "v24"}${path}`,
    {
      method,
      headers,
      ...(options.body !== undefined
        ? { body: JSON.stringify(options.body) }
        : {}),
    },
  );
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, text, headers: response.headers, json };
}

/** The `ERR.x.y.zzzz` of an error answer. */
// deno-lint-ignore no-explicit-any
function codeOf(answer: Answer): any {
  const exception = answer.json?.requestError?.serviceException ??
    answer.json?.requestError?.policyException;
  return exception?.variables?.at(-1);
}

function fixture(name: string): Promise<string> {
  return Deno.readTextFile(
    new URL(`../../fixtures/peers/aai/${name}`, import.meta.url),
  );
}

Deno.test("startAai() creates with 201 and an empty body, then GET shows the stored object with its rv", async () => {
  await using sim = await startAai({ seed: SEED });
  const created = await call(sim, "PUT", `${K8S}/abc`, {
    body: { ...pod(), status: "Ready" },
  });
  assert.equal(created.status, 201);
  assert.equal(created.text, "");
  const got = await call(sim, "GET", `${K8S}/abc`);
  assert.equal(got.status, 200);
  assert.equal(got.json.id, "abc", "the key comes from the URI");
  assert.equal(got.json.status, undefined, "unknown keys are dropped");
  assert.equal(got.json.namespace, "ns");
  assert.match(got.json["resource-version"], /^\d+$/);
  assert.equal(got.json["relationship-list"], undefined);
});

Deno.test("startAai() answers 412 ERR.5.4.6130 to a PUT on an existing object without resource-version", async () => {
  await using sim = await startAai({ seed: SEED });
  await call(sim, "PUT", `${K8S}/abc`, { body: pod() });
  const again = await call(sim, "PUT", `${K8S}/abc`, { body: pod() });
  assert.equal(again.status, 412);
  assert.equal(codeOf(again), "ERR.5.4.6130");
  const exception = again.json.requestError.serviceException;
  assert.equal(exception.messageId, "SVC3000");
  assert.equal(
    exception.text,
    "Invalid input performing %1 on %2 (msg=%3) (ec=%4)",
  );
  assert.equal(exception.variables[0], "PUT");
  assert.equal(
    exception.variables[2],
    "Precondition Required:resource-version not passed for update of /k8s-resources/k8s-resource/abc",
  );
});

Deno.test("startAai() answers 412 ERR.5.4.6131 to a stale update and 200 to a current one", async () => {
  await using sim = await startAai({ seed: SEED });
  await call(sim, "PUT", `${K8S}/abc`, { body: pod() });
  const rv = (await call(sim, "GET", `${K8S}/abc`)).json["resource-version"];
  const stale = await call(sim, "PUT", `${K8S}/abc`, {
    body: { ...pod(), "resource-version": "1" },
  });
  assert.equal(stale.status, 412);
  assert.equal(codeOf(stale), "ERR.5.4.6131");
  assert.match(
    stale.json.requestError.serviceException.variables[2],
    /^Precondition Failed:resource-version MISMATCH for update of \/k8s-resources\/k8s-resource\/abc$/,
  );
  const current = await call(sim, "PUT", `${K8S}/abc`, {
    body: { ...pod(), "resource-version": rv },
  });
  assert.equal(current.status, 200);
  assert.equal(current.text, "");
  const after = await call(sim, "GET", `${K8S}/abc`);
  assert.notEqual(after.json["resource-version"], rv, "a no-op PUT bumps rv");
});

Deno.test("startAai() answers 412 ERR.5.4.6135 to a create that carries a resource-version", async () => {
  await using sim = await startAai({ seed: SEED });
  const answer = await call(sim, "PUT", `${K8S}/new`, {
    body: { ...pod(), "resource-version": "123" },
  });
  assert.equal(answer.status, 412);
  assert.equal(codeOf(answer), "ERR.5.4.6135");
  assert.equal((await call(sim, "GET", `${K8S}/new`)).status, 404);
});

Deno.test("startAai() treats PUT as a full replace that keeps edges unless a relationship-list is sent", async () => {
  await using sim = await startAai({ seed: SEED });
  await call(sim, "PUT", `${K8S}/abc`, { body: pod() });
  await call(sim, "PUT", `${K8S}/abc/relationship-list/relationship`, {
    body: { "related-link": `/aai/v24${VFM}` },
  });
  let current = (await call(sim, "GET", `${K8S}/abc`)).json;
  const { labels: _labels, "data-owner": _owner, ...rest } = pod();
  const replaced = await call(sim, "PUT", `${K8S}/abc`, {
    body: { ...rest, "resource-version": current["resource-version"] },
  });
  assert.equal(replaced.status, 200);
  current = (await call(sim, "GET", `${K8S}/abc`)).json;
  assert.equal(current.labels, undefined, "absent list property removed");
  assert.equal(current["data-owner"], undefined, "absent scalar removed");
  assert.equal(
    current["relationship-list"].relationship.length,
    1,
    "edges untouched without relationship-list",
  );
  const emptied = await call(sim, "PUT", `${K8S}/abc`, {
    body: {
      ...rest,
      "resource-version": current["resource-version"],
      "relationship-list": { relationship: [] },
    },
  });
  assert.equal(emptied.status, 200);
  current = (await call(sim, "GET", `${K8S}/abc`)).json;
  assert.equal(
    current["relationship-list"],
    undefined,
    "present list replaces",
  );
});

Deno.test("startAai() rejects a missing required property with 400 but accepts an empty string", async () => {
  await using sim = await startAai({ seed: SEED });
  const { selflink: _selflink, ...withoutSelflink } = pod();
  const missing = await call(sim, "PUT", `${K8S}/abc`, {
    body: withoutSelflink,
  });
  assert.equal(missing.status, 400);
  assert.equal(codeOf(missing), "ERR.5.2.3000");
  assert.match(
    missing.json.requestError.serviceException.variables[2],
    /Missing required property: selflink/,
  );
  const nulled = await call(sim, "PUT", `${K8S}/abc`, {
    body: { ...pod(), kind: null },
  });
  assert.equal(nulled.status, 400);
  const empty = await call(sim, "PUT", `${K8S}/abc`, {
    body: { ...pod(), group: "", namespace: "" },
  });
  assert.equal(empty.status, 201);
});

Deno.test("startAai() rejects a body whose key differs from the URI", async () => {
  await using sim = await startAai({ seed: SEED });
  const answer = await call(sim, "PUT", `${K8S}/abc`, {
    body: { ...pod(), id: "other" },
  });
  assert.equal(answer.status, 400);
  assert.match(
    answer.json.requestError.serviceException.variables[2],
    /uri and payload keys don't match/,
  );
});

Deno.test("startAai() answers 404 to a create under a missing tenant", async () => {
  await using sim = await startAai({ seed: SEED });
  const answer = await call(
    sim,
    "PUT",
    `${REGION}/tenants/tenant/nope/k8s-resources/k8s-resource/abc`,
    { body: pod() },
  );
  assert.equal(answer.status, 404);
  assert.equal(codeOf(answer), "ERR.5.4.6114");
});

Deno.test("startAai() merge-PATCHes without an rv check, deletes null fields and bumps rv", async () => {
  await using sim = await startAai({ seed: SEED });
  await call(sim, "PUT", `${K8S}/abc`, { body: pod() });
  const before = (await call(sim, "GET", `${K8S}/abc`)).json;
  const patched = await call(sim, "PATCH", `${K8S}/abc`, {
    body: {
      labels: ["app=a", "k8s-aai-sync/readiness=Pending"],
      "data-owner": null,
      "resource-version": "ignored",
    },
  });
  assert.equal(patched.status, 200);
  const after = (await call(sim, "GET", `${K8S}/abc`)).json;
  assert.deepEqual(after.labels, ["app=a", "k8s-aai-sync/readiness=Pending"]);
  assert.equal(after["data-owner"], undefined);
  assert.equal(after.name, "pod-a");
  assert.notEqual(after["resource-version"], before["resource-version"]);
  const missing = await call(sim, "PATCH", `${K8S}/none`, {
    body: { kind: "Pod" },
  });
  assert.equal(missing.status, 404);
  assert.equal(codeOf(missing), "ERR.5.4.6114");
  const wrongType = await call(sim, "PATCH", `${K8S}/abc`, {
    body: { kind: "Pod" },
    headers: { "Content-Type": "application/json" },
  });
  assert.equal(wrongType.status, 415);
});

Deno.test("startAai() DELETE needs the current resource-version", async () => {
  await using sim = await startAai({ seed: SEED });
  await call(sim, "PUT", `${K8S}/abc`, { body: pod() });
  const rv = (await call(sim, "GET", `${K8S}/abc`)).json["resource-version"];
  const without = await call(sim, "DELETE", `${K8S}/abc`);
  assert.equal(without.status, 412);
  assert.equal(codeOf(without), "ERR.5.4.6130");
  const stale = await call(sim, "DELETE", `${K8S}/abc?resource-version=1`);
  assert.equal(stale.status, 412);
  assert.equal(codeOf(stale), "ERR.5.4.6131");
  assert.equal(
    stale.json.requestError.serviceException.variables[2],
    "Precondition Failed:resource-version MISMATCH for delete of k8s-resource",
  );
  const ok = await call(sim, "DELETE", `${K8S}/abc?resource-version=${rv}`);
  assert.equal(ok.status, 204);
  const gone = await call(sim, "DELETE", `${K8S}/abc?resource-version=${rv}`);
  assert.equal(gone.status, 404);
  assert.equal(codeOf(gone), "ERR.5.4.6114");
});

Deno.test("startAai() answers a missing object with the 404 body of reference E4", async () => {
  await using sim = await startAai({
    seed: {
      cloudRegions: [{
        cloudOwner: "someCloudOwner",
        cloudRegionId: "someCloudRegionId",
        tenants: [{ tenantId: "someTenantId" }],
      }],
    },
  });
  const recorded = JSON.parse(await fixture("get-k8s-resource-not-found.json"));
  const path = new URL(recorded.request.url).pathname.replace(
    /^\/aai\/v24/,
    "",
  );
  const answer = await call(sim, "GET", path);
  assert.equal(answer.status, recorded.response.status);
  assert.deepEqual(answer.json, JSON.parse(recorded.response.body));
});

Deno.test("startAai() answers an empty collection with 404 ERR.5.4.6114, never an empty list", async () => {
  await using sim = await startAai({ seed: SEED });
  const empty = await call(sim, "GET", `${TENANT}/k8s-resources`);
  assert.equal(empty.status, 404);
  assert.equal(codeOf(empty), "ERR.5.4.6114");
  assert.equal(empty.json.requestError.serviceException.messageId, "SVC3001");
  await call(sim, "PUT", `${K8S}/a`, { body: pod("a") });
  await call(sim, "PUT", `${K8S}/b`, {
    body: { ...pod("b"), kind: "Service" },
  });
  const all = await call(sim, "GET", `${TENANT}/k8s-resources`);
  assert.equal(all.status, 200);
  assert.deepEqual(all.json["k8s-resource"].map((o: { id: string }) => o.id), [
    "a",
    "b",
  ]);
  const pods = await call(sim, "GET", `${TENANT}/k8s-resources?kind=Service`);
  assert.deepEqual(pods.json["k8s-resource"].map((o: { id: string }) => o.id), [
    "b",
  ]);
  const none = await call(sim, "GET", `${TENANT}/k8s-resources?kind=Job`);
  assert.equal(none.status, 404);
  const tenants = await call(sim, "GET", `${REGION}/tenants`);
  assert.deepEqual(
    tenants.json.tenant.map((t: { [k: string]: string }) => t["tenant-id"]),
    ["t1"],
  );
});

Deno.test("startAai() relationship writes are idempotent, bump rv and show from both ends like reference E2", async () => {
  await using sim = await startAai({ seed: SEED });
  await call(sim, "PUT", `${K8S}/abc`, { body: pod() });
  const rv0 = (await call(sim, "GET", `${K8S}/abc`)).json["resource-version"];
  const first = await call(
    sim,
    "PUT",
    `${K8S}/abc/relationship-list/relationship`,
    { body: { "related-to": "vf-module", "related-link": `/aai/v24${VFM}` } },
  );
  assert.equal(first.status, 200);
  const rv1 = (await call(sim, "GET", `${K8S}/abc`)).json["resource-version"];
  assert.notEqual(rv1, rv0);
  const again = await call(
    sim,
    "PUT",
    `${K8S}/abc/relationship-list/relationship`,
    { body: { "related-link": `/aai/v24${VFM}` } },
  );
  assert.equal(again.status, 200);
  await call(sim, "PUT", `${K8S}/abc/relationship-list/relationship`, {
    body: { "related-link": `/aai/v24${VNF}` },
  });
  const got = (await call(sim, "GET", `${K8S}/abc`)).json;
  assert.notEqual(got["resource-version"], rv1, "every edge write bumps rv");
  const relationships = got["relationship-list"].relationship;
  assert.equal(relationships.length, 2, "the repeated PUT added no edge");
  const recorded = JSON.parse(
    JSON.parse(await fixture("get-k8s-resources-vfw.json")).response.body,
  )["k8s-resource"][0]["relationship-list"].relationship;
  // Same shape as the real A&AI answer: same keys per relationship kind.
  const byType = (list: { "related-to": string }[], type: string) =>
    list.find((r) => r["related-to"] === type) as Record<string, unknown>;
  assert.deepEqual(
    Object.keys(byType(relationships, "generic-vnf")).sort(),
    Object.keys(byType(recorded, "generic-vnf")).sort(),
  );
  assert.deepEqual(byType(relationships, "vf-module"), {
    "related-to": "vf-module",
    "relationship-label": "org.onap.relationships.inventory.Uses",
    "related-link": `/aai/v24${VFM}`,
    "relationship-data": [
      {
        "relationship-key": "generic-vnf.vnf-id",
        "relationship-value": "vnf-1",
      },
      {
        "relationship-key": "vf-module.vf-module-id",
        "relationship-value": "vfm-1",
      },
    ],
    "related-to-property": [
      { "property-key": "vf-module.vf-module-name", "property-value": "vfm-1" },
    ],
  });
  assert.equal(
    byType(relationships, "generic-vnf")["relationship-label"],
    "tosca.relationships.HostedOn",
  );
  const module = (await call(sim, "GET", VFM)).json;
  assert.deepEqual(module["relationship-list"].relationship[0], {
    "related-to": "k8s-resource",
    "relationship-label": "org.onap.relationships.inventory.Uses",
    "related-link": `/aai/v24${K8S}/abc`,
    "relationship-data": [
      {
        "relationship-key": "cloud-region.cloud-owner",
        "relationship-value": "CloudOwner",
      },
      {
        "relationship-key": "cloud-region.cloud-region-id",
        "relationship-value": "r1",
      },
      { "relationship-key": "tenant.tenant-id", "relationship-value": "t1" },
      { "relationship-key": "k8s-resource.id", "relationship-value": "abc" },
    ],
    "related-to-property": [
      { "property-key": "k8s-resource.name", "property-value": "pod-a" },
    ],
  });
  const removed = await call(
    sim,
    "DELETE",
    `${K8S}/abc/relationship-list/relationship`,
    { body: { "related-link": `/aai/v24${VFM}` } },
  );
  assert.equal(removed.status, 204);
  const removedAgain = await call(
    sim,
    "DELETE",
    `${K8S}/abc/relationship-list/relationship`,
    { body: { "related-link": `/aai/v24${VFM}` } },
  );
  assert.equal(
    removedAgain.status,
    204,
    "deleting a missing edge is idempotent",
  );
  assert.equal(
    (await call(sim, "GET", `${VFM}/relationship-list`)).status,
    404,
  );
});

Deno.test("startAai() refuses a second vf-module Uses edge onto one k8s-resource (ERR.5.4.6140)", async () => {
  await using sim = await startAai({ seed: SEED });
  await call(sim, "PUT", `${K8S}/abc`, { body: pod() });
  await call(sim, "PUT", `${K8S}/abc/relationship-list/relationship`, {
    body: { "related-link": `/aai/v24${VFM}` },
  });
  const second = await call(
    sim,
    "PUT",
    `${K8S}/abc/relationship-list/relationship`,
    { body: { "related-link": `/aai/v24${VNF}/vf-modules/vf-module/vfm-2` } },
  );
  assert.equal(second.status, 400);
  assert.equal(codeOf(second), "ERR.5.4.6140");
  const fromModule = await call(
    sim,
    "PUT",
    `${VNF}/vf-modules/vf-module/vfm-2/relationship-list/relationship`,
    { body: { "related-link": `${K8S}/abc` } },
  );
  assert.equal(
    fromModule.status,
    400,
    "also when written from the vf-module end",
  );
  assert.equal(codeOf(fromModule), "ERR.5.4.6140");
});

Deno.test("startAai() lets a PUT's relationship-list move a k8s-resource to another vf-module but not to two", async () => {
  await using sim = await startAai({ seed: SEED });
  const VFM2 = `${VNF}/vf-modules/vf-module/vfm-2`;
  await call(sim, "PUT", `${K8S}/abc`, {
    body: {
      ...pod(),
      "relationship-list": {
        relationship: [{ "related-link": `/aai/v24${VFM}` }],
      },
    },
  });
  let current = (await call(sim, "GET", `${K8S}/abc`)).json;
  const moved = await call(sim, "PUT", `${K8S}/abc`, {
    body: {
      ...pod(),
      "resource-version": current["resource-version"],
      "relationship-list": {
        relationship: [{ "related-link": `/aai/v24${VFM2}` }],
      },
    },
  });
  assert.equal(moved.status, 200);
  current = (await call(sim, "GET", `${K8S}/abc`)).json;
  assert.deepEqual(
    current["relationship-list"].relationship.map((
      r: { [key: string]: string },
    ) => r["related-link"]),
    [`/aai/v24${VFM2}`],
  );
  assert.equal(sim.state.get(VFM)?.["relationship-list"], undefined);
  const two = await call(sim, "PUT", `${K8S}/abc`, {
    body: {
      ...pod(),
      "resource-version": current["resource-version"],
      "relationship-list": {
        relationship: [
          { "related-link": `/aai/v24${VFM}` },
          { "related-link": `/aai/v24${VFM2}` },
        ],
      },
    },
  });
  assert.equal(two.status, 400);
  assert.equal(codeOf(two), "ERR.5.4.6140");
  const unchanged = (await call(sim, "GET", `${K8S}/abc`)).json;
  assert.equal(
    unchanged["resource-version"],
    current["resource-version"],
    "a refused PUT writes nothing",
  );
});

Deno.test("startAai() answers 404 ERR.5.4.6129 for an edge to a missing target and 400 for a body-less edge delete", async () => {
  await using sim = await startAai({ seed: SEED });
  await call(sim, "PUT", `${K8S}/abc`, { body: pod() });
  const missing = await call(
    sim,
    "PUT",
    `${K8S}/abc/relationship-list/relationship`,
    {
      body: {
        "related-link": "/aai/v24/network/generic-vnfs/generic-vnf/ghost",
      },
    },
  );
  assert.equal(missing.status, 404);
  assert.equal(codeOf(missing), "ERR.5.4.6129");
  assert.equal(missing.json.requestError.serviceException.messageId, "SVC3003");
  const noBody = await call(
    sim,
    "DELETE",
    `${K8S}/abc/relationship-list/relationship`,
  );
  assert.equal(noBody.status, 400);
  assert.equal(noBody.json.requestError.policyException.messageId, "POL3102");
  const wrongLabel = await call(
    sim,
    "PUT",
    `${K8S}/abc/relationship-list/relationship`,
    {
      body: {
        "related-link": `/aai/v24${VNF}`,
        "relationship-label": "org.onap.relationships.inventory.Uses",
      },
    },
  );
  assert.equal(wrongLabel.status, 400);
  assert.equal(codeOf(wrongLabel), "ERR.5.4.6120");
  const containment = await call(
    sim,
    "PUT",
    `${K8S}/abc/relationship-list/relationship`,
    { body: { "related-link": TENANT } },
  );
  assert.equal(codeOf(containment), "ERR.5.4.6145");
});

Deno.test("startAai() requires X-FromAppId (AAI_4009) and X-TransactionId (AAI_4010)", async () => {
  await using sim = await startAai({ seed: SEED });
  const noApp = await call(sim, "GET", REGION, {
    headers: { "X-FromAppId": undefined },
  });
  assert.equal(noApp.status, 400);
  assert.equal(codeOf(noApp), "ERR.4.0.4009");
  const noTx = await call(sim, "GET", REGION, {
    headers: { "X-TransactionId": undefined },
  });
  assert.equal(noTx.status, 400);
  assert.equal(codeOf(noTx), "ERR.4.0.4010");
  const alternative = await call(sim, "GET", REGION, {
    headers: { "X-TransactionId": undefined, "X-ONAP-RequestID": "r-1" },
  });
  assert.equal(alternative.status, 200);
});

Deno.test("startAai() answers success bodies in XML unless Accept asks for JSON, and errors in JSON whatever Accept says", async () => {
  await using sim = await startAai({ seed: SEED });
  const xml = await call(sim, "GET", `${TENANT}`, {
    headers: { "Accept": undefined },
  });
  assert.equal(xml.status, 200);
  assert.match(xml.headers.get("content-type") ?? "", /application\/xml/);
  assert.match(
    xml.text,
    /^<\?xml[^>]*\?><tenant xmlns="http:\/\/org\.onap\.aai\.inventory\/v24"><tenant-id>t1<\/tenant-id><tenant-name>demo<\/tenant-name>/,
  );
  const star = await call(sim, "GET", `${K8S}/none`, {
    headers: { "Accept": "*/*" },
  });
  assert.equal(star.status, 404);
  assert.match(star.headers.get("content-type") ?? "", /application\/json/);
  assert.equal(
    JSON.parse(star.text).requestError.serviceException.variables[3],
    "ERR.5.4.6114",
  );
  const none = await call(sim, "GET", `${K8S}/none`, {
    headers: { "Accept": undefined, "X-FromAppId": undefined },
  });
  assert.equal(none.status, 400);
  assert.equal(
    JSON.parse(none.text).requestError.serviceException.variables[3],
    "ERR.4.0.4009",
  );
});

Deno.test("startAai() checks the API version (400 AAI_3016) and accepts latest", async () => {
  await using sim = await startAai({ seed: SEED, apiVersions: ["v24", "v32"] });
  const unknown = await call(sim, "GET", REGION, { version: "v99" });
  assert.equal(unknown.status, 400);
  assert.equal(codeOf(unknown), "ERR.5.6.3016");
  assert.equal(
    (await call(sim, "GET", REGION, { version: "v32" })).status,
    200,
  );
  const latest = await call(sim, "GET", `${TENANT}/k8s-resources`, {
    version: "latest",
  });
  assert.equal(latest.status, 404);
  const bad = await fetch(`${sim.url}/aai/x1${REGION}`);
  await bad.body?.cancel();
  assert.equal(bad.status, 404);
});

Deno.test("startAai() prevents deleting a tenant that still has k8s-resources (400 ERR.5.4.6110)", async () => {
  await using sim = await startAai({ seed: SEED });
  await call(sim, "PUT", `${K8S}/abc`, { body: pod() });
  const tenant = (await call(sim, "GET", TENANT)).json;
  const refused = await call(
    sim,
    "DELETE",
    `${TENANT}?resource-version=${tenant["resource-version"]}`,
  );
  assert.equal(refused.status, 400);
  assert.equal(codeOf(refused), "ERR.5.4.6110");
  assert.equal(refused.json.requestError.serviceException.messageId, "SVC3100");
  const region = (await call(sim, "GET", REGION)).json;
  const cascade = await call(
    sim,
    "DELETE",
    `${REGION}?resource-version=${region["resource-version"]}`,
  );
  assert.equal(cascade.status, 400, "also when reached through its region");
  assert.equal((await call(sim, "GET", `${K8S}/abc`)).status, 200);
});

Deno.test("startAai() GET honours depth, nodes-only and rejects a bad depth", async () => {
  await using sim = await startAai({ seed: SEED });
  await call(sim, "PUT", `${K8S}/abc`, { body: pod() });
  await call(sim, "PUT", `${K8S}/abc/relationship-list/relationship`, {
    body: { "related-link": `/aai/v24${VFM}` },
  });
  const shallow = (await call(sim, "GET", REGION)).json;
  assert.equal(shallow.tenants, undefined, "depth 0 has no children");
  const deep = (await call(sim, "GET", `${REGION}?depth=all`)).json;
  assert.equal(
    deep.tenants.tenant[0]["k8s-resources"]["k8s-resource"][0].id,
    "abc",
  );
  const bare = (await call(sim, "GET", `${K8S}/abc?nodes-only`)).json;
  assert.equal(bare["relationship-list"], undefined);
  const bad = await call(sim, "GET", `${K8S}/abc?depth=deep`);
  assert.equal(bad.status, 400);
  assert.equal(codeOf(bad), "ERR.4.0.4016");
});

Deno.test("startAai() bulk refuses more than 30 operations with 400 ERR.5.4.6147 and applies none", async () => {
  await using sim = await startAai({ seed: SEED });
  const operations = Array.from({ length: 31 }, (_, i) => ({
    action: "put",
    uri: `${K8S}/p${i}`,
    body: pod(`p${i}`),
  }));
  const answer = await call(sim, "POST", "/bulk/single-transaction", {
    body: { operations },
  });
  assert.equal(answer.status, 400);
  assert.equal(codeOf(answer), "ERR.5.4.6147");
  assert.equal(sim.state.objects.has(`${K8S}/p0`), false);
  const thirty = await call(sim, "POST", "/bulk/single-transaction", {
    body: { operations: operations.slice(0, 30) },
  });
  assert.equal(thirty.status, 201);
});

Deno.test("startAai() bulk rolls everything back and answers with the first failing operation", async () => {
  await using sim = await startAai({ seed: SEED });
  await call(sim, "PUT", `${K8S}/old`, { body: pod("old") });
  const answer = await call(sim, "POST", "/bulk/single-transaction", {
    body: {
      operations: [
        { action: "put", uri: `/aai/v24${K8S}/new`, body: pod("new") },
        {
          action: "put",
          uri: `${K8S}/new/relationship-list/relationship`,
          body: { "related-link": `/aai/v24${VFM}` },
        },
        { action: "delete", uri: `${K8S}/old?resource-version=1`, body: {} },
        { action: "patch", uri: `${K8S}/old`, body: { kind: "Job" } },
      ],
    },
  });
  assert.equal(answer.status, 412);
  const exception = answer.json.requestError.serviceException;
  assert.equal(exception.messageId, "SVC3000");
  assert.equal(exception.variables.at(-1), "ERR.5.2.3000");
  assert.match(
    exception.variables[2],
    /^Invalid input performing %1 on %2:Operation 2 with action \(DELETE\) on uri \(\/cloud-infrastructure\/.*\/k8s-resource\/old\?resource-version=1\) failed with status code \(412\), error code \(ERR\.5\.4\.6131\) and msg \(\{"requestError"/,
  );
  assert.equal(sim.state.objects.has(`${K8S}/new`), false, "rolled back");
  assert.equal(sim.state.get(VFM)?.["relationship-list"], undefined);
  assert.equal(sim.state.objects.get(`${K8S}/old`)?.kind, "Pod");
});

Deno.test("startAai() bulk applies put, edge, patch and delete and reports each status", async () => {
  await using sim = await startAai({ seed: SEED });
  await call(sim, "PUT", `${K8S}/old`, { body: pod("old") });
  const rv = sim.state.objects.get(`${K8S}/old`)?.["resource-version"];
  const answer = await call(sim, "POST", "/bulk/single-transaction", {
    body: {
      operations: [
        { action: "put", uri: `${K8S}/new`, body: pod("new") },
        {
          action: "put",
          uri: `${K8S}/new/relationship-list/relationship`,
          body: { "related-link": `/aai/v24${VFM}` },
        },
        { action: "patch", uri: `${K8S}/new`, body: { kind: "Job" } },
        {
          action: "delete",
          uri: `${K8S}/old?resource-version=${rv}`,
          body: {},
        },
      ],
    },
  });
  assert.equal(answer.status, 201);
  assert.deepEqual(
    answer.json["operation-responses"].map((
      r: { [key: string]: unknown },
    ) => [r.action, r["response-status-code"], r["response-body"]]),
    [["put", 201, null], ["put", 200, null], ["patch", 200, null], [
      "delete",
      204,
      null,
    ]],
  );
  assert.equal(sim.state.objects.get(`${K8S}/new`)?.kind, "Job");
  assert.equal(sim.state.objects.has(`${K8S}/old`), false);
  assert.equal(sim.state.counts.bulkOperations, 4);
});

Deno.test("startAai() finds vf-modules by heat-stack-id through the nodes API", async () => {
  await using sim = await startAai({ seed: SEED });
  const plain = await call(
    sim,
    "GET",
    "/nodes/vf-modules?heat-stack-id=edgex-1",
  );
  assert.equal(plain.status, 200);
  assert.deepEqual(
    plain.json["vf-module"].map((m: { [k: string]: string }) =>
      m["vf-module-id"]
    ),
    ["vfm-1"],
  );
  const withUrl = await call(
    sim,
    "GET",
    "/nodes/vf-modules?heat-stack-id=edgex-1&format=resource_and_url",
  );
  assert.equal(withUrl.json.results[0].url, `/aai/v24${VFM}`);
  assert.equal(
    withUrl.json.results[0]["vf-module"]["heat-stack-id"],
    "edgex-1",
  );
  const none = await call(sim, "GET", "/nodes/vf-modules?heat-stack-id=nope");
  assert.equal(none.status, 404);
  assert.equal(codeOf(none), "ERR.5.4.6114");
});

Deno.test("startAai() counts requests by method and route, and resets", async () => {
  await using sim = await startAai({ seed: SEED });
  await call(sim, "PUT", `${K8S}/abc`, { body: pod() });
  await call(sim, "GET", `${K8S}/abc`);
  await call(sim, "GET", `${TENANT}/k8s-resources`);
  await call(sim, "PATCH", `${K8S}/abc`, { body: { kind: "Pod" } });
  await call(sim, "GET", "/nodes/vf-modules?heat-stack-id=edgex-1");
  const counts = sim.state.counts;
  assert.equal(counts.total, 5);
  assert.deepEqual(counts.byMethod, {
    GET: 3,
    PUT: 1,
    PATCH: 1,
    DELETE: 0,
    POST: 0,
  });
  assert.equal(counts.byRoute["PUT k8s-resource"], 1);
  assert.equal(counts.byRoute["GET k8s-resources"], 1);
  assert.equal(counts.byRoute["GET nodes/vf-modules"], 1);
  assert.equal(sim.state.requests.length, 5);
  assert.equal(sim.state.requests[0]?.status, 201);
  sim.state.resetCounts();
  assert.equal(sim.state.counts.total, 0);
  assert.equal(sim.state.requests.length, 0);
});

Deno.test("startAai() state lets tests edit and delete objects behind the client's back", async () => {
  await using sim = await startAai({ seed: SEED });
  await call(sim, "PUT", `${K8S}/abc`, { body: pod() });
  await call(sim, "PUT", `${K8S}/abc/relationship-list/relationship`, {
    body: { "related-link": `/aai/v24${VFM}` },
  });
  const stored = sim.state.objects.get(`${K8S}/abc`);
  assert.ok(stored);
  stored.labels = ["edited=by-hand"];
  assert.deepEqual((await call(sim, "GET", `${K8S}/abc`)).json.labels, [
    "edited=by-hand",
  ]);
  assert.equal(sim.state.objects.delete(`${K8S}/abc`), true);
  assert.equal((await call(sim, "GET", `${K8S}/abc`)).status, 404);
  assert.equal(
    sim.state.get(VFM)?.["relationship-list"],
    undefined,
    "edges go too",
  );
  sim.state.put(`${K8S}/seeded`, pod("seeded"));
  assert.equal((await call(sim, "GET", `${K8S}/seeded`)).json.name, "seeded");
  assert.throws(
    () => sim.state.put(`${K8S}/bad`, { name: "x" }),
    /Missing required property/,
  );
});

Deno.test("startAai() checks basic auth when asked (403 POL3300)", async () => {
  await using sim = await startAai({ seed: SEED, requireAuth: true });
  const anonymous = await call(sim, "GET", REGION);
  assert.equal(anonymous.status, 403);
  assert.equal(
    anonymous.json.requestError.policyException.messageId,
    "POL3300",
  );
  assert.equal(codeOf(anonymous), "ERR.5.1.3300");
  const ok = await call(sim, "GET", REGION, {
    headers: { "Authorization": `Basic ${btoa("AAI:AAI")}` },
  });
  assert.equal(ok.status, 200);
});

Deno.test("startAai() injects faults from state.faults", async () => {
  await using sim = await startAai({ seed: SEED });
  sim.state.faults = { errorRates: { 503: 1 } };
  assert.equal((await call(sim, "GET", REGION)).status, 503);
  sim.state.faults = undefined;
  assert.equal((await call(sim, "GET", REGION)).status, 200);
  assert.equal(sim.state.counts.total, 2, "faulted requests are counted too");
});

Deno.test("startAai() holds 30,000 k8s-resources and still answers one GET quickly", async () => {
  await using sim = await startAai({ seed: SEED });
  const started = performance.now();
  for (let i = 0; i < 30_000; i++) {
    sim.state.objects.set(`${K8S}/r${i}`, {
      ...pod(`r${i}`),
      id: `r${i}`,
      "resource-version": "1",
    });
  }
  const seeded = performance.now() - started;
  assert.ok(seeded < 5_000, `seeding took ${seeded} ms`);
  const before = performance.now();
  for (let i = 0; i < 50; i++) {
    const answer = await call(sim, "GET", `${K8S}/r${i * 600}`);
    assert.equal(answer.status, 200);
  }
  const perGet = (performance.now() - before) / 50;
  assert.ok(perGet < 20, `a GET took ${perGet} ms on average`);
});

Deno.test("startAai() accepts a relationship given by related-to and relationship-data, and PATCH through X-HTTP-Method-Override", async () => {
  await using sim = await startAai({ seed: SEED });
  await call(sim, "PUT", `${K8S}/abc`, { body: pod() });
  const related = await call(
    sim,
    "PUT",
    `${K8S}/abc/relationship-list/relationship`,
    {
      body: {
        "related-to": "generic-vnf",
        "relationship-data": [
          {
            "relationship-key": "generic-vnf.vnf-id",
            "relationship-value": "vnf-1",
          },
        ],
      },
    },
  );
  assert.equal(related.status, 200);
  const vnf = sim.state.get(VNF);
  assert.deepEqual(
    (vnf?.["relationship-list"] as { relationship: { [k: string]: unknown }[] })
      .relationship.map((r) => [r["related-to"], r["relationship-label"]]),
    [["k8s-resource", "tosca.relationships.HostedOn"]],
  );
  const overridden = await call(sim, "POST", `${K8S}/abc`, {
    body: { kind: "Job" },
    headers: {
      "X-HTTP-Method-Override": "PATCH",
      "Content-Type": "application/merge-patch+json",
    },
  });
  assert.equal(overridden.status, 200);
  assert.equal(sim.state.objects.get(`${K8S}/abc`)?.kind, "Job");
  const count = await call(sim, "GET", `${TENANT}/k8s-resources?format=count`);
  assert.deepEqual(count.json, { results: [{ "k8s-resource": 1 }] });
});
