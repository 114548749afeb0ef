import assert from "node:assert/strict";
import {
  aaiTotal,
  type BenchResult,
  checkTargets,
  formatReport,
  RUN_NAMES,
  runBench,
  toDocument,
} from "../../bench/mod.ts";

const SMALL = {
  instances: 20,
  resourcesPerInstance: 6,
  k8spluginLatencyMs: 0,
  aaiLatencyMs: 0,
  concurrency: 4,
  secondScale: 10,
  isolation: "in-process" as const,
};

let cached: Promise<BenchResult> | undefined;
/** One in-process bench at the small scale, shared by the tests below. */
function smallBench(): Promise<BenchResult> {
  cached ??= runBench(SMALL);
  return cached;
}

Deno.test("runBench() ours: steady sends A&AI nothing and k8splugin 1 + instances", async () => {
  const { ours, scale } = await smallBench();
  const steady = ours.runs.steady;
  assert.equal(aaiTotal(steady.aaiRequests), 0);
  assert.equal(steady.k8spluginRequests, 1 + scale.instances);
  assert.equal(steady.changedObjects, 0);
  // The transport floor reads exactly what the steady run must read.
  assert.equal(ours.floor?.k8spluginRequests, 1 + scale.instances);
  assert.equal(aaiTotal(ours.floor!.aaiRequests), 0);
  for (const name of RUN_NAMES) {
    assert.equal(ours.runs[name].pass.errorCount, 0);
  }
});

Deno.test("runBench() SO-managed variant: ours annotates each SO object once per change, with one GET each, and sends nothing steady or on sight of a change", async () => {
  const { so, stats } = await smallBench();
  assert.ok(so, "the SO-managed variant ran");
  const [instantiate, steady, churn] = so.phases;
  assert.equal(instantiate!.annotated, stats.resources);
  assert.equal(steady!.ours.total, 0);
  assert.equal(steady!.so.total, 0);
  assert.ok(churn!.instances > 0);
  assert.equal(churn!.oursOnSight, 0, "the pass seeing the change waits");
  assert.equal(churn!.ours.writes, churn!.annotated);
  assert.equal(churn!.ours.reads, churn!.annotated);
  assert.match(formatReport(await smallBench(), []), /SO-managed variant/);
  // SO alone (policy skip): same churn, nothing annotated.
  const { soAlone } = await smallBench();
  const alone = soAlone!.phases.find((p) => p.name === "churn")!;
  assert.equal(alone.annotated, 0);
  assert.ok(alone.so.bulkOperations <= churn!.so.bulkOperations);
});

Deno.test("runBench() ours: cold creates every object, churn writes exactly the changed objects", async () => {
  const { ours, stats } = await smallBench();
  assert.equal(ours.runs.cold.changedObjects, stats.resources);
  assert.ok(ours.runs.cold.aaiRequests.PUT >= stats.resources);
  const churn = ours.runs.churn.aaiRequests;
  assert.equal(
    churn.PUT + churn.PATCH + churn.DELETE + churn.POST,
    stats.churn.changedObjects,
  );
  assert.equal(ours.runs.churn.changedObjects, stats.churn.changedObjects);
});

Deno.test("runBench() ours: deletes the removed instances' objects in the pass deleteAfterMisses allows", async () => {
  const { ours, stats } = await smallBench();
  assert.equal(ours.deletePasses.length, 2);
  assert.equal(ours.deletePasses[0]!.aaiRequests.DELETE, 0);
  assert.equal(ours.runs.delete, ours.deletePasses[1]);
  assert.equal(ours.runs.delete.changedObjects, stats.delete.resourcesRemoved);
  assert.equal(
    ours.deleteTotal.k8spluginRequests,
    ours.deletePasses[0]!.k8spluginRequests +
      ours.deletePasses[1]!.k8spluginRequests,
  );
});

Deno.test("runBench() baseline: GETs every object on every run and PUTs every moved resourceVersion", async () => {
  const { baseline, stats, scale } = await smallBench();
  assert.ok(baseline);
  for (const name of RUN_NAMES) {
    assert.ok(
      baseline.runs[name].aaiRequests.GET >=
        stats.resources - stats.delete.resourcesRemoved,
    );
    assert.equal(
      baseline.runs[name].k8spluginRequests >=
        scale.instances - stats.delete.instancesRemoved,
      true,
    );
  }
  assert.equal(baseline.runs.steady.changedObjects, 0);
  assert.equal(
    aaiTotal(baseline.runs.steady.aaiRequests),
    baseline.runs.steady.aaiRequests.GET,
  );
  assert.equal(
    baseline.runs.churn.changedObjects,
    stats.churn.changedObjects + stats.churn.heartbeats,
  );
  assert.equal(baseline.deletePasses.length, 1);
  assert.equal(
    baseline.runs.delete.changedObjects,
    stats.delete.resourcesRemoved,
  );
});

Deno.test("toDocument() has the issue's JSON shape", async () => {
  const result = await smallBench();
  const doc = JSON.parse(
    JSON.stringify(toDocument(result, checkTargets(result))),
  );
  assert.deepEqual(doc.scale, { instances: 20, resourcesPerInstance: 6 });
  for (const side of [doc.runs, doc.baseline]) {
    assert.deepEqual(Object.keys(side), ["cold", "steady", "churn", "delete"]);
    for (const run of Object.values(side) as Record<string, unknown>[]) {
      assert.deepEqual(Object.keys(run).sort(), [
        "aaiRequests",
        "changedObjects",
        "k8spluginRequests",
        "peakRssBytes",
        "wallMs",
      ]);
      assert.deepEqual(Object.keys(run.aaiRequests as object).sort(), [
        "DELETE",
        "GET",
        "PATCH",
        "POST",
        "PUT",
      ]);
      for (const value of Object.values(run.aaiRequests as object)) {
        assert.equal(typeof value, "number");
      }
      assert.equal(typeof run.wallMs, "number");
      assert.ok((run.peakRssBytes as number) > 0);
    }
  }
  assert.equal(doc.secondScale.scale.instances, 10);
  assert.ok(Array.isArray(doc.targets));
});

Deno.test("checkTargets() passes the request-count targets and skips what the setting cannot show", async () => {
  const result = await smallBench();
  const targets = Object.fromEntries(
    checkTargets(result).map((t) => [t.name, t.pass]),
  );
  assert.equal(targets["steady: 0 A&AI requests"], true);
  assert.equal(targets["steady: k8splugin requests = 1 + instances"], true);
  assert.equal(targets["churn: A&AI writes = changed objects"], true);
  assert.equal(targets["steady: A&AI requests ≥ 30× below the baseline"], true);
  // No latency: no floor to compare with; in-process: RSS is not the sync's own.
  assert.equal(targets["steady: wall time ≤ 1.5 × k8splugin floor"], undefined);
  assert.equal(targets["peak RSS < 256 MiB at the default scale"], undefined);
});

Deno.test("formatReport() prints every run, the ratios and a PASS/FAIL line per target", async () => {
  const result = await smallBench();
  const text = formatReport(result, checkTargets(result));
  for (
    const word of [
      "cold",
      "steady",
      "churn",
      "delete",
      "ours/baseline",
      "CNF adapter",
    ]
  ) {
    assert.ok(text.includes(word), word);
  }
  assert.equal(
    text.match(/^\s+(PASS|FAIL|SKIP)\b/gmu)?.length,
    checkTargets(result).length,
  );
});

Deno.test("runBench() in subprocess mode measures each pass's own peak RSS", async () => {
  const result = await runBench({
    ...SMALL,
    instances: 4,
    resourcesPerInstance: 3,
    secondScale: 0,
    baseline: false,
    isolation: "subprocess",
    maxDeletePasses: 1,
  });
  const cold = result.ours.runs.cold;
  const timed = await Deno.stat("/usr/bin/time").then(() => true, () => false);
  assert.equal(cold.pass.rssSource, timed ? "time" : "sampled");
  assert.ok(cold.peakRssBytes >= cold.pass.sampledPeakRssBytes);
  // The child's own figure, far below this test process (which holds the simulators) is not required,
  // but it must be a plausible Deno process size.
  assert.ok(cold.peakRssBytes > 10 * 1024 * 1024);
  assert.equal(cold.changedObjects, 12);
  assert.equal(result.baseline, undefined);
});
