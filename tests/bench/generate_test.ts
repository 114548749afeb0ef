import assert from "node:assert/strict";
import { generateScenario } from "../../bench/mod.ts";
import { createEvaluator } from "../../rules/mod.ts";
import { chartResources, parseScenario, podsOf } from "../../sim/mod.ts";

const SMALL = { instances: 20, resourcesPerInstance: 6 };

/** `kind/name` keys of an instance's objects. */
function keys(objects: readonly Record<string, unknown>[]): string[] {
  return objects.map((o) =>
    `${o.kind}/${(o.metadata as { name: string }).name}`
  );
}

Deno.test("generateScenario() builds instances × resources objects in three steps", () => {
  const { scenario, stats } = generateScenario(SMALL);
  assert.equal(scenario.steps.length, 3);
  assert.deepEqual(scenario.steps.map((s) => s.name), [
    "base",
    "churn",
    "delete",
  ]);
  const base = scenario.steps[0]!.instances;
  assert.equal(base.length, 20);
  for (const instance of base) assert.equal(instance.objects.length, 6);
  assert.equal(stats.resources, 120);
  assert.equal(
    stats.pods,
    base.flatMap((i) => i.objects).filter((o) => o.kind === "Pod").length,
  );
  assert.equal(scenario.aai.vfModules.length, 20);
  assert.deepEqual(
    scenario.aai.vfModules.map((m) => m.heatStackId),
    base.map((i) => i.id),
  );
});

Deno.test("generateScenario() at the default scale has the 15-object chart with pods", () => {
  const { scenario, stats } = generateScenario({ instances: 3 });
  const objects = scenario.steps[0]!.instances[0]!.objects;
  assert.equal(objects.length, 15);
  assert.deepEqual(
    [...new Set(objects.map((o) => o.kind))].sort(),
    [
      "ConfigMap",
      "Deployment",
      "PersistentVolumeClaim",
      "Pod",
      "Secret",
      "Service",
      "ServiceAccount",
      "StatefulSet",
    ],
  );
  assert.equal(stats.pods, 3 * 5);
  for (const pod of objects.filter((o) => o.kind === "Pod")) {
    const metadata = pod.metadata as Record<string, unknown>;
    assert.ok(Array.isArray(metadata.ownerReferences));
    assert.equal(
      (metadata.labels as Record<string, string>)[
        "k8splugin.io/rb-instance-id"
      ],
      scenario.steps[0]!.instances[0]!.id,
    );
  }
});

Deno.test("generateScenario() churns 1 % of resources and pods and deletes 5 % of instances", () => {
  const { scenario, stats } = generateScenario({
    instances: 200,
    resourcesPerInstance: 15,
  });
  assert.equal(stats.resources, 3000);
  assert.equal(stats.churn.verdictChanges, 30);
  assert.equal(stats.churn.podsReplaced, Math.round(stats.pods * 0.01));
  assert.equal(
    stats.churn.changedObjects,
    stats.churn.verdictChanges + 2 * stats.churn.podsReplaced,
  );
  assert.equal(stats.delete.instancesRemoved, 10);
  assert.equal(scenario.steps[2]!.instances.length, 190);
  assert.equal(stats.delete.resourcesRemoved, 150);

  // Replaced pods: as many names gone as new, per instance counts unchanged.
  const [base, churn] = [scenario.steps[0]!, scenario.steps[1]!];
  let gone = 0;
  let added = 0;
  base.instances.forEach((instance, i) => {
    const before = new Set(keys(instance.objects));
    const after = new Set(keys(churn.instances[i]!.objects));
    assert.equal(after.size, before.size);
    gone += [...before].filter((k) => !after.has(k)).length;
    added += [...after].filter((k) => !before.has(k)).length;
  });
  assert.equal(gone, stats.churn.podsReplaced);
  assert.equal(added, stats.churn.podsReplaced);

  // Unchanged instances are shared between steps, not copied.
  const shared =
    base.instances.filter((instance, i) => instance === churn.instances[i])
      .length;
  assert.ok(
    shared >= 200 - stats.churn.verdictChanges - stats.churn.podsReplaced,
  );
});

Deno.test("generateScenario() is deterministic", () => {
  const a = JSON.stringify(generateScenario(SMALL));
  const b = JSON.stringify(generateScenario(SMALL));
  assert.equal(a, b);
  const c = JSON.stringify(generateScenario({ ...SMALL, seed: 8 }));
  assert.notEqual(a, c);
});

Deno.test("generateScenario() output is a valid scenario for the simulators", () => {
  const { scenario } = generateScenario(SMALL);
  const parsed = parseScenario(scenario, "generated");
  const instance = parsed.steps[0]!.instances[0]!;
  assert.deepEqual(
    chartResources(instance).map((o) => o.kind),
    ["Deployment", "Service", "ConfigMap", "Secret"],
  );
  assert.equal(podsOf(instance).length, 2);
});

Deno.test("generateScenario() objects are Ready at base and exactly the churned ones change verdict", () => {
  const { scenario, stats } = generateScenario({
    instances: 100,
    resourcesPerInstance: 15,
  });
  const verdicts = scenario.steps.slice(0, 2).map((step) => {
    const out = new Map<string, string>();
    for (const instance of step.instances) {
      const judge = createEvaluator({
        now: new Date(step.now),
        related: instance.objects,
      });
      for (const object of instance.objects) {
        const r = judge(object);
        out.set(
          `${instance.id}/${keys([object])[0]}`,
          `${r.verdict} ${r.reason}`,
        );
      }
    }
    return out;
  });
  const [base, churn] = verdicts as [Map<string, string>, Map<string, string>];
  const notReady = [...base].filter(([, v]) => !v.startsWith("Ready"));
  assert.deepEqual(notReady, []);
  const changed = [...churn].filter(([k, v]) =>
    base.has(k) && base.get(k)!.split(" ")[0] !== v.split(" ")[0]
  );
  assert.equal(changed.length, stats.churn.verdictChanges);
  for (const [, v] of changed) assert.match(v, /^Pending /);
  const fresh = [...churn].filter(([k]) => !base.has(k));
  assert.equal(fresh.length, stats.churn.podsReplaced);
  for (const [, v] of fresh) assert.match(v, /^Ready /);
});

Deno.test("generateScenario() rejects a non-positive scale", () => {
  assert.throws(() => generateScenario({ instances: 0 }), RangeError);
  assert.throws(
    () => generateScenario({ instances: 2, resourcesPerInstance: 1.5 }),
    RangeError,
  );
});
