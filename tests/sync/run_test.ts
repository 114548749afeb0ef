import assert from "node:assert/strict";
import { runSync } from "../../sync/mod.ts";
import {
  expectedPath,
  healthy,
  k8sResources,
  NS,
  readiness,
  scenario,
  world,
} from "./_scenario.ts";

const VF = { vnfId: "vnf-1", vfModuleId: "vfm-1", heatStackId: "app-1" };

Deno.test("runSync() first run creates every resource with the right ids, labels and edges; the second sends nothing", async () => {
  await using w = await world(
    scenario([[healthy("app-1"), healthy("app-2")]], [VF]),
  );
  const first = await runSync(w.deps, { config: w.config });
  assert.equal(first.exitCode, 0);
  const objects = k8sResources(w);
  assert.equal(objects.size, 6);
  const dep = expectedPath("app-1", "Deployment", "apps", "v1", "app-1-web");
  const body = objects.get(dep.path);
  assert.ok(body, "the Deployment of app-1 is in A&AI");
  assert.equal(body.id, dep.id);
  assert.equal(body.name, "app-1-web");
  assert.equal(body.group, "apps");
  assert.equal(body.version, "v1");
  assert.equal(body.kind, "Deployment");
  assert.equal(body.namespace, NS);
  assert.equal(body["data-owner"], "k8s-aai-sync");
  assert.equal(body["data-source"], "k8splugin");
  assert.equal(body["data-source-version"], "200");
  assert.deepEqual(body.labels, [
    "app=app-1-web",
    "k8s-aai-sync/readiness=Ready",
    `k8s-aai-sync/reason=${readiness(body).reason}`,
    "k8splugin.io/rb-instance-id=app-1",
    "release=r",
  ]);
  assert.equal(
    body.selflink,
    `${w.k8s.url}/v1/instance/app-1/query?ApiVersion=apps%2Fv1&Kind=Deployment&Name=app-1-web&Namespace=${NS}`,
  );
  const links = (body["relationship-list"] as {
    relationship: { "related-link": string }[];
  }).relationship
    .map((r) => r["related-link"].replace(/^\/aai\/v\d+/, "")).sort();
  assert.deepEqual(links, [
    "/network/generic-vnfs/generic-vnf/vnf-1",
    "/network/generic-vnfs/generic-vnf/vnf-1/vf-modules/vf-module/vfm-1",
  ]);
  const podPath = expectedPath(
    "app-1",
    "Pod",
    "",
    "v1",
    "app-1-web-5d8f7c6b9-aaaaa",
  );
  assert.equal(readiness(objects.get(podPath.path)).verdict, "Ready");

  w.aai.state.resetCounts();
  const second = await runSync(w.deps, { config: w.config });
  assert.equal(second.exitCode, 0);
  assert.equal(w.aai.state.counts.total, 0, "no A&AI request at all");
  assert.deepEqual(second.operations, []);
});
