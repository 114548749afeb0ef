import assert from "node:assert/strict";
import { HttpAaiClient, HttpK8spluginClient } from "../../adapters/mod.ts";
import {
  BENCH_PLACEMENT,
  CNF_ADAPTER_OWNER,
  generateScenario,
  runBaseline,
} from "../../bench/mod.ts";
import { parseScenario, startAai, startK8splugin } from "../../sim/mod.ts";

/** The A&AI simulator's seed type. */
type Seed = NonNullable<NonNullable<Parameters<typeof startAai>[0]>["seed"]>;

Deno.test("runBaseline() GETs every object, writes only differences, and deletes what disappeared", async () => {
  const { scenario: generated, stats } = generateScenario({
    instances: 20,
    resourcesPerInstance: 6,
  });
  const scenario = parseScenario(generated, "generated");
  await using k8sSim = await startK8splugin({ scenario });
  await using aaiSim = await startAai({ seed: scenario.aai as Seed });
  using k8splugin = new HttpK8spluginClient({ baseUrl: k8sSim.url });
  using aai = new HttpAaiClient({ baseUrl: aaiSim.url });
  const vfModules = new Map(
    generated.aai.vfModules.map((m) => [m.heatStackId, m]),
  );
  const options = {
    cloudOwner: BENCH_PLACEMENT.cloudOwner,
    tenantId: BENCH_PLACEMENT.tenantId,
    vfModules,
    concurrency: 4,
  };
  const objects = stats.resources;
  const perInstanceGets = 6 + 2 + 1; // each object, vf-module + vnf, vf-module again (stale check)

  // Cold: every object created and connected to its vf-module and vnf.
  const cold = await runBaseline({ k8splugin, aai }, {
    ...options,
    subscriptions: new Set(),
  });
  assert.deepEqual(cold.errors, []);
  assert.deepEqual(cold.writes, {
    create: objects,
    update: 0,
    delete: 0,
    connect: 2 * objects,
  });
  assert.equal(aaiSim.state.counts.byMethod.GET, 20 * perInstanceGets);
  assert.equal(aaiSim.state.counts.byMethod.POST, cold.writeRequests);
  assert.equal(cold.writeRequests, 20); // 18 operations per instance: one bulk request
  const stored = [...aaiSim.state.objects.entries()].filter(([path]) =>
    path.includes("/k8s-resource/")
  );
  assert.equal(stored.length, objects);
  assert.equal(stored[0]![1]["data-owner"], CNF_ADAPTER_OWNER);

  // Steady: a GET per object (≥ objects), nothing written.
  aaiSim.state.resetCounts();
  const steady = await runBaseline({ k8splugin, aai }, {
    ...options,
    subscriptions: cold.subscriptions,
  });
  assert.equal(steady.changedObjects, 0);
  assert.ok(aaiSim.state.counts.byMethod.GET >= objects);
  assert.equal(aaiSim.state.counts.byMethod.GET, 20 * perInstanceGets);
  assert.equal(aaiSim.state.counts.total, aaiSim.state.counts.byMethod.GET);

  // Churn: every resourceVersion that moved is a PUT, replaced pods create + delete.
  k8sSim.state.setStep(1);
  const churn = await runBaseline({ k8splugin, aai }, {
    ...options,
    subscriptions: steady.subscriptions,
  });
  assert.deepEqual(churn.errors, []);
  assert.equal(churn.writes.create, stats.churn.podsReplaced);
  assert.equal(churn.writes.delete, stats.churn.podsReplaced);
  assert.equal(
    churn.writes.update,
    stats.churn.verdictChanges + stats.churn.heartbeats,
  );

  // Delete: the removed instance's objects go at once (no misses rule).
  k8sSim.state.setStep(2);
  aaiSim.state.resetCounts();
  const removed = await runBaseline({ k8splugin, aai }, {
    ...options,
    subscriptions: churn.subscriptions,
  });
  assert.equal(removed.instances.deleted, stats.delete.instancesRemoved);
  assert.equal(removed.writes.delete, stats.delete.resourcesRemoved);
  assert.equal(removed.subscriptions.size, 19);
  const left = [...aaiSim.state.objects.keys()].filter((path) =>
    path.includes("/k8s-resource/")
  );
  assert.equal(left.length, objects - stats.delete.resourcesRemoved);
});

Deno.test("runBaseline() in single mode sends one request per write", async () => {
  const { scenario: generated, stats } = generateScenario({
    instances: 3,
    resourcesPerInstance: 4,
  });
  const scenario = parseScenario(generated, "generated");
  await using k8sSim = await startK8splugin({ scenario });
  await using aaiSim = await startAai({ seed: scenario.aai as Seed });
  using k8splugin = new HttpK8spluginClient({ baseUrl: k8sSim.url });
  using aai = new HttpAaiClient({ baseUrl: aaiSim.url });
  const report = await runBaseline({ k8splugin, aai }, {
    cloudOwner: BENCH_PLACEMENT.cloudOwner,
    tenantId: BENCH_PLACEMENT.tenantId,
    vfModules: new Map(generated.aai.vfModules.map((m) => [m.heatStackId, m])),
    subscriptions: new Set(),
    writeMode: "single",
  });
  assert.deepEqual(report.errors, []);
  assert.equal(report.writeRequests, 3 * stats.resources);
  assert.equal(aaiSim.state.counts.byMethod.POST, 0);
  assert.equal(aaiSim.state.counts.byMethod.PUT, 3 * stats.resources);
});
