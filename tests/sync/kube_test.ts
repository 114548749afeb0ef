import assert from "node:assert/strict";
import { runSync } from "../../sync/mod.ts";
import {
  expectedPath,
  healthy,
  instance,
  k8sResources,
  readiness,
  scenario,
  VF,
  world,
} from "./_scenario.ts";

Deno.test("runSync() gives identical A&AI results reading from k8splugin or from the cluster", async () => {
  await using w = await world(
    scenario([[healthy("app-1"), healthy("app-2")]], [VF]),
    {},
    { kube: true },
  );
  const viaPlugin = await runSync(w.deps, {
    config: w.config,
    source: "k8splugin",
  });
  assert.equal(viaPlugin.exitCode, 0);
  const published = k8sResources(w);
  assert.equal(published.size, 6);
  // A fresh snapshot read through the cluster: rebuilding finds nothing to change.
  w.aai.state.resetCounts();
  const fresh = { ...w.config, snapshot: `${w.dir}/kube/snapshot.json` };
  await Deno.mkdir(`${w.dir}/kube`);
  await Deno.writeTextFile(fresh.snapshot, "not json");
  const viaKube = await runSync(w.deps, { config: fresh, source: "kube" });
  assert.equal(viaKube.exitCode, 0, viaKube.errors.join("\n"));
  assert.deepEqual(viaKube.resources, viaPlugin.resources);
  assert.equal(
    w.aai.state.counts.byMethod.PUT + w.aai.state.counts.byMethod.PATCH +
      w.aai.state.counts.byMethod.DELETE,
    0,
  );
  assert.equal(
    w.k8s.state.requests.byRoute["GET /v1/instance/{id}/status"] ?? 0,
    1 * 2,
    "status only from the first run",
  );
  assert.deepEqual(k8sResources(w), published);
});

Deno.test("runSync() with source kube lists each kind once per region, not once per instance", async () => {
  await using w = await world(
    scenario([[healthy("app-1"), healthy("app-2"), healthy("app-3")]], [VF]),
    {},
    { kube: true },
  );
  const kube = w.kube;
  assert.ok(kube);
  kube.state.resetRequests();
  const report = await runSync(w.deps, { config: w.config, source: "kube" });
  assert.equal(report.exitCode, 0, report.errors.join("\n"));
  assert.equal(k8sResources(w).size, 9);
  const lists = Object.entries(kube.state.requests.byResource).filter((
    [key],
  ) => key.startsWith("list "));
  assert.ok(lists.length > 0);
  for (const [key, count] of lists) {
    assert.equal(count, 1, `${key} was listed ${count} times for 3 instances`);
  }
  assert.equal(
    w.k8s.state.requests.byRoute["GET /v1/instance/{id}/status"] ?? 0,
    0,
  );
});

Deno.test("runSync() reads an instance from the cluster when k8splugin cannot, and reports the missing resource Failed/NotFound", async () => {
  const broken = instance(
    "app-1",
    healthy("app-1").objects as Record<string, unknown>[],
    {
      missing: [{
        apiVersion: "apps/v1",
        kind: "Deployment",
        name: "app-1-web",
      }],
    },
  );
  const sc = scenario([[healthy("app-1")], [broken]], [VF]);
  await using w = await world(sc, {}, { kube: true });
  await runSync(w.deps, { config: w.config });
  w.setStep(1);
  w.aai.state.resetCounts();
  const report = await runSync(w.deps, { config: w.config });
  assert.equal(report.exitCode, 0, report.errors.join("\n"));
  const dep = k8sResources(w).get(
    expectedPath("app-1", "Deployment", "apps", "v1", "app-1-web").path,
  );
  assert.deepEqual(readiness(dep), { verdict: "Failed", reason: "NotFound" });
  assert.equal(w.aai.state.counts.byMethod.PATCH, 1);
  assert.equal(w.aai.state.counts.byMethod.DELETE, 0);
});

Deno.test("runSync() without a kube client leaves an instance with a missing resource unknown", async () => {
  const broken = instance(
    "app-1",
    healthy("app-1").objects as Record<string, unknown>[],
    {
      missing: [{
        apiVersion: "apps/v1",
        kind: "Deployment",
        name: "app-1-web",
      }],
    },
  );
  await using w = await world(scenario([[healthy("app-1")], [broken]], [VF]));
  await runSync(w.deps, { config: w.config });
  w.setStep(1);
  w.aai.state.resetCounts();
  const report = await runSync(w.deps, { config: w.config });
  assert.equal(report.exitCode, 1);
  assert.deepEqual(report.instances.unknown, ["app-1"]);
  assert.equal(w.aai.state.counts.total, 0);
});
