import assert from "node:assert/strict";
import {
  type DesiredObject,
  fingerprintOf,
  mayChange,
  type PlanOptions,
  planWrites,
  type SnapshotObject,
} from "../../sync/mod.ts";

const OURS = { owner: "k8s-aai-sync", takeOwnership: false };

function desired(n: number, labels = ["a=1"]): DesiredObject {
  return {
    path: `/p/${n}`,
    instanceId: "i1",
    cloudRegion: "r1",
    key: `apps/v1/Deployment/ns/d${n}`,
    fields: {
      id: String(n),
      name: `d${n}`,
      group: "apps",
      version: "v1",
      kind: "Deployment",
      namespace: "ns",
      labels,
      selflink: "http://k/v1/instance/i1/query",
      "data-owner": "k8s-aai-sync",
      "data-source": "k8splugin",
    },
    sourceVersion: "10",
    readiness: {
      verdict: "Ready",
      reason: "Available",
      message: "",
      warnings: [],
    },
  };
}

function snap(d: DesiredObject, extra: Partial<SnapshotObject> = {}) {
  return {
    key: d.key,
    ...fingerprintOf(d.fields),
    verdict: d.readiness.verdict,
    reason: d.readiness.reason,
    publishedAt: "2026-01-01T00:00:00Z",
    edges: true,
    ...extra,
  };
}

/** What A&AI holds for a desired object, with some fields replaced. */
function held(d: DesiredObject, extra: Record<string, unknown> = {}) {
  return { ...d.fields, "resource-version": "1", ...extra };
}

function options(overrides: Partial<PlanOptions> = {}): PlanOptions {
  return {
    instanceId: "i1",
    previous: {},
    relationships: [],
    reference: { from: "snapshot" },
    ownership: OURS,
    ...overrides,
  };
}

Deno.test("mayChange() allows ours and unowned objects, others' only with takeOwnership", () => {
  const cases: [unknown, boolean, boolean][] = [
    ["k8s-aai-sync", false, true],
    ["", false, true],
    [undefined, false, true],
    ["CnfAdapter", false, false],
    ["CnfAdapter", true, true],
  ];
  for (const [owner, takeOwnership, expected] of cases) {
    assert.equal(
      mayChange(owner, { owner: "k8s-aai-sync", takeOwnership }),
      expected,
      `owner ${String(owner)}, takeOwnership ${takeOwnership}`,
    );
  }
});

Deno.test("planWrites() against the snapshot creates what is new, patches what changed, deletes what vanished", () => {
  const [a, b, c] = [desired(1), desired(2), desired(3)];
  const plan = planWrites(
    [a, { ...b, fields: { ...b.fields, labels: ["a=2"] } }],
    options({
      previous: { [b.path]: snap(b), [c.path]: snap(c) },
    }),
  );
  assert.deepEqual(plan.writes.map((op) => [op.op, op.path]), [
    ["create", "/p/1"],
    ["update", "/p/2"],
  ]);
  assert.deepEqual(plan.deletes.map((op) => [op.op, op.path]), [
    ["delete", "/p/3"],
  ]);
  assert.deepEqual([plan.foreign, plan.inStep], [[], []]);
});

Deno.test("planWrites() against the snapshot leaves objects it records as another owner's alone", () => {
  const [a, b] = [desired(1), desired(2)];
  const plan = planWrites(
    [{ ...a, fields: { ...a.fields, labels: [] } }],
    options({
      previous: {
        [a.path]: snap(a, { foreign: "CnfAdapter" }),
        [b.path]: snap(b, { foreign: "CnfAdapter" }),
      },
    }),
  );
  assert.deepEqual([plan.writes, plan.deletes], [[], []]);
});

Deno.test("planWrites() against A&AI: creates what is missing, patches what differs, keeps what is right", () => {
  const [a, b, c] = [desired(1), desired(2), desired(3)];
  const plan = planWrites(
    [a, b, c],
    options({
      reference: {
        from: "aai",
        held: new Map([
          [a.path, null],
          [b.path, held(b, { labels: ["drifted=1"] })],
          [c.path, held(c)],
        ]),
      },
    }),
  );
  assert.deepEqual(plan.writes.map((op) => [op.op, op.path]), [
    ["create", "/p/1"],
    ["update", "/p/2"],
  ]);
  assert.deepEqual(plan.inStep.map((d) => d.path), ["/p/3"]);
});

Deno.test("planWrites() against A&AI decides ownership by the owner A&AI holds now", () => {
  const a = desired(1);
  const theirs = held(a, { labels: ["theirs=1"], "data-owner": "CnfAdapter" });
  const reference = { from: "aai" as const, held: new Map([[a.path, theirs]]) };
  const kept = planWrites([a], options({ reference }));
  assert.deepEqual(kept.writes, []);
  assert.deepEqual(kept.foreign.map((f) => [f.desired.path, f.owner]), [
    ["/p/1", "CnfAdapter"],
  ]);
  const taken = planWrites(
    [a],
    options({
      reference,
      ownership: { ...OURS, takeOwnership: true },
    }),
  );
  assert.deepEqual(taken.writes.map((op) => op.op), ["update"]);
  assert.deepEqual(taken.foreign, []);
});

Deno.test("planWrites() against A&AI skips a path it could not read, and deletes what vanished from the instance", () => {
  const [a, b] = [desired(1), desired(2)];
  const plan = planWrites(
    [a],
    options({
      previous: { [a.path]: snap(a), [b.path]: snap(b) },
      reference: { from: "aai", held: new Map() },
    }),
  );
  assert.deepEqual(plan.writes, []);
  assert.deepEqual(plan.inStep, []);
  assert.deepEqual(plan.deletes.map((op) => op.path), ["/p/2"]);
});
