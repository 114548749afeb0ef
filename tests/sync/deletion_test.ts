import assert from "node:assert/strict";
import {
  defaultMaxDeletes,
  type DeletionOptions,
  planDeletions,
  type PlannedOperation,
  type SnapshotInstance,
} from "../../sync/mod.ts";

/** A snapshot instance with `owned` objects of ours and `foreign` of another owner. */
function instance(
  misses: number,
  owned: number,
  { region = "r1", foreign = 0 } = {},
): SnapshotInstance {
  const objects: SnapshotInstance["objects"] = {};
  for (let i = 0; i < owned + foreign; i++) {
    objects[`/${region}/${misses}/${i}`] = {
      key: `k${i}`,
      fieldsDigest: "",
      labelsDigest: "",
      verdict: "Ready",
      reason: "",
      publishedAt: "",
      edges: true,
      ...(i >= owned ? { foreign: "CnfAdapter" } : {}),
    };
  }
  return { cloudRegion: region, misses, objects };
}

const BASE: DeletionOptions = {
  listed: new Set(["kept"]),
  deleteAfterMisses: 2,
  emptyListGuard: 2,
};

function vanished(n: number): PlannedOperation[] {
  return Array.from({ length: n }, (_, i) => ({
    op: "delete" as const,
    path: `/vanished/${i}`,
    instanceId: "kept",
    key: `/v1/Pod/ns/p${i}`,
    why: "gone from instance kept",
  }));
}

Deno.test("defaultMaxDeletes() is 10 % of owned objects, at least 20", () => {
  assert.deepEqual([0, 100, 200, 201, 1000].map(defaultMaxDeletes), [
    20,
    20,
    20,
    21,
    100,
  ]);
});

Deno.test("planDeletions() follows DESIGN §8, case by case", () => {
  const cases: {
    name: string;
    instances: Record<string, SnapshotInstance>;
    options?: Partial<DeletionOptions>;
    deletes: number;
    held?: number;
    misses?: Record<string, number>;
    forget?: string[];
    errors?: RegExp;
  }[] = [
    {
      name: "a first miss keeps the objects",
      instances: { kept: instance(0, 3), gone: instance(0, 3) },
      deletes: 0,
      misses: { gone: 1 },
    },
    {
      name:
        "the second consecutive miss deletes our objects, not another owner's",
      instances: { kept: instance(0, 3), gone: instance(1, 3, { foreign: 2 }) },
      deletes: 3,
      misses: { gone: 2 },
    },
    {
      name: "a gone instance owning nothing is forgotten",
      instances: { kept: instance(0, 3), gone: instance(1, 0, { foreign: 1 }) },
      deletes: 0,
      forget: ["gone"],
    },
    {
      name:
        "resources vanished from read instances are deleted in the same run",
      instances: { kept: instance(0, 3) },
      options: { vanished: vanished(2) },
      deletes: 2,
    },
    {
      name:
        "an empty list while the snapshot holds many instances deletes nothing",
      instances: { a: instance(5, 3), b: instance(5, 3) },
      options: { listed: new Set() },
      deletes: 0,
      // Counted, so one --allow-mass-delete run deletes them (14.14).
      misses: { a: 6, b: 6 },
      errors: /listed no instances while the snapshot holds 2/,
    },
    {
      name: "an empty list below the guard counts misses as usual",
      instances: { a: instance(1, 3) },
      options: { listed: new Set() },
      deletes: 3,
    },
    {
      name: "--allow-mass-delete lifts the empty-list guard",
      instances: { a: instance(1, 3), b: instance(1, 3) },
      options: { listed: new Set(), allowMassDelete: true },
      deletes: 6,
    },
    {
      name: "above the cap nothing is deleted and all are held",
      instances: { kept: instance(0, 3), gone: instance(1, 5) },
      options: { maxDeletesPerRun: 4 },
      deletes: 0,
      held: 5,
      errors: /Refusing to delete 5 objects from A&AI in one run \(limit 4/,
    },
    {
      name: "vanished resources count against the cap too",
      instances: { kept: instance(0, 3) },
      options: { vanished: vanished(3), maxDeletesPerRun: 2 },
      deletes: 0,
      held: 3,
      errors: /Refusing to delete 3 objects/,
    },
    {
      name: "--allow-mass-delete lifts the cap",
      instances: { kept: instance(0, 3), gone: instance(1, 5) },
      options: { maxDeletesPerRun: 4, allowMassDelete: true },
      deletes: 5,
    },
    {
      name: "the default cap is max(20, 10 %)",
      instances: { kept: instance(0, 3), gone: instance(1, 21) },
      deletes: 0,
      held: 21,
      errors: /limit 20/,
    },
    {
      name: "--region leaves other regions' instances alone",
      instances: {
        kept: instance(0, 3),
        here: instance(1, 2, { region: "r1" }),
        there: instance(1, 2, { region: "r2" }),
      },
      options: { scope: { regions: ["r1"] } },
      deletes: 2,
      misses: { here: 2 },
    },
    {
      name: "--instance leaves other instances alone",
      instances: { kept: instance(0, 3), a: instance(1, 2), b: instance(1, 2) },
      options: { scope: { instances: ["b"] } },
      deletes: 2,
      misses: { b: 2 },
    },
  ];
  for (const c of cases) {
    const before = structuredClone(c.instances);
    const plan = planDeletions(c.instances, { ...BASE, ...c.options });
    assert.equal(plan.deletes.length, c.deletes, c.name);
    assert.equal(plan.held, c.held ?? 0, c.name);
    if (c.misses) assert.deepEqual(plan.misses, c.misses, c.name);
    assert.deepEqual(plan.forget, c.forget ?? [], c.name);
    if (c.errors) assert.match(plan.errors.join("\n"), c.errors, c.name);
    else assert.deepEqual(plan.errors, [], c.name);
    assert.deepEqual(c.instances, before, `${c.name}: mutates nothing`);
  }
});
