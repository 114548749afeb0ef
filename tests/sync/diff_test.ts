import assert from "node:assert/strict";
import {
  changedFields,
  changedSince,
  type DesiredObject,
  diffAgainstAai,
  diffInstance,
  fingerprintOf,
  type SnapshotObject,
} from "../../sync/mod.ts";

function desired(
  overrides: Partial<DesiredObject> = {},
  labels = ["a=1", "x/readiness=Ready", "x/reason=Available"],
): DesiredObject {
  return {
    path: "/p/1",
    instanceId: "i1",
    cloudRegion: "r1",
    key: "apps/v1/Deployment/ns/d",
    fields: {
      id: "1",
      name: "d",
      group: "apps",
      version: "v1",
      kind: "Deployment",
      namespace: "ns",
      labels,
      selflink: "http://k/v1/instance/i1/query",
      "data-owner": "k8s-aai-sync",
      "data-source": "K8sPlugin",
    },
    sourceVersion: "10",
    readiness: {
      verdict: "Ready",
      reason: "Available",
      message: "",
      warnings: [],
    },
    ...overrides,
  };
}

function snap(
  d: DesiredObject,
  extra: Partial<SnapshotObject> = {},
): SnapshotObject {
  return {
    key: d.key,
    ...fingerprintOf(d.fields),
    verdict: d.readiness.verdict,
    reason: d.readiness.reason,
    publishedAt: "2026-01-01T00:00:00Z",
    edges: false,
    ...extra,
  };
}

Deno.test("diffInstance() sends nothing when only the resourceVersion moved", () => {
  const before = desired();
  const now = desired({ sourceVersion: "11" });
  assert.deepEqual(
    diffInstance([now], {
      instanceId: "i1",
      previous: { [before.path]: snap(before) },
      relationships: [],
    }),
    [],
  );
});

Deno.test("diffInstance() patches only the changed labels plus data-source-version", () => {
  const before = desired();
  const now = desired({
    sourceVersion: "12",
    readiness: {
      verdict: "Failed",
      reason: "CrashLoopBackOff",
      message: "",
      warnings: [],
    },
  }, [
    "a=1",
    "x/readiness=Failed",
    "x/reason=CrashLoopBackOff",
  ]);
  const ops = diffInstance([now], {
    instanceId: "i1",
    previous: { [before.path]: snap(before) },
    relationships: [],
  });
  assert.equal(ops.length, 1);
  assert.equal(ops[0]!.op, "update");
  assert.deepEqual((ops[0] as { body: unknown }).body, {
    labels: ["a=1", "x/readiness=Failed", "x/reason=CrashLoopBackOff"],
    "data-source-version": "12",
  });
  assert.match(ops[0]!.why, /Ready\/Available → Failed\/CrashLoopBackOff/);
});

Deno.test("diffInstance() creates new objects and deletes vanished ones of the instance", () => {
  const gone = desired({ path: "/p/old", key: "old" });
  const fresh = desired({ path: "/p/new" });
  const ops = diffInstance([fresh], {
    instanceId: "i1",
    previous: { "/p/old": snap(gone) },
    relationships: [],
  });
  assert.deepEqual(ops.map((o) => [o.op, o.path]), [["create", "/p/new"], [
    "delete",
    "/p/old",
  ]]);
});

Deno.test("diffInstance() leaves objects of another owner alone", () => {
  const d = desired({
    readiness: {
      verdict: "Failed",
      reason: "Available",
      message: "",
      warnings: [],
    },
  }, ["x/readiness=Failed"]);
  assert.deepEqual(
    diffInstance([d], {
      instanceId: "i1",
      previous: { [d.path]: snap(desired(), { foreign: "CnfAdapter" }) },
      relationships: [],
    }),
    [],
  );
});

Deno.test("diffInstance() relates objects once the vf-module is known", () => {
  const d = desired();
  const rel = [{
    "related-link": "/aai/v24/network/generic-vnfs/generic-vnf/v",
  }];
  const ops = diffInstance([d], {
    instanceId: "i1",
    previous: { [d.path]: snap(d) },
    relationships: rel,
  });
  assert.deepEqual(ops.map((o) => o.op), ["relate"]);
  assert.deepEqual(
    diffInstance([d], {
      instanceId: "i1",
      previous: { [d.path]: snap(d, { edges: true }) },
      relationships: rel,
    }),
    [],
  );
});

Deno.test("changedFields() compares labels as sets", () => {
  const d = desired();
  assert.deepEqual(
    changedFields(
      { ...d.fields, labels: [...d.fields.labels].reverse() },
      d.fields,
    ),
    [],
  );
});

Deno.test("diffAgainstAai() creates missing objects and patches edited ones", () => {
  const d = desired();
  assert.equal(diffAgainstAai(d, undefined, [])?.op, "create");
  assert.equal(
    diffAgainstAai(d, { ...d.fields, "resource-version": "1" }, []),
    undefined,
  );
  const op = diffAgainstAai(d, { ...d.fields, labels: ["a=2"] }, []);
  assert.equal(op?.op, "update");
  assert.deepEqual((op as { body: unknown }).body, {
    labels: d.fields.labels,
    "data-source-version": "10",
  });
});

Deno.test("changedSince() names the labels or the mutable fields whose fingerprint moved", () => {
  const d = desired();
  const before = fingerprintOf(d.fields);
  assert.deepEqual(changedSince(before, d.fields), []);
  assert.deepEqual(
    changedSince(before, {
      ...d.fields,
      labels: [...d.fields.labels].reverse(),
    }),
    [],
    "labels compare as a set",
  );
  assert.deepEqual(
    changedSince(before, { ...d.fields, labels: ["a=2"] }),
    ["labels"],
  );
  assert.deepEqual(
    changedSince(before, {
      ...d.fields,
      selflink: "http://k8splugin:9015/v1/instance/i1/query",
    }),
    ["selflink", "data-owner", "data-source"],
  );
  assert.deepEqual(
    changedSince(before, { ...d.fields, "data-source": "k8splugin" }),
    ["selflink", "data-owner", "data-source"],
    "the old data-source value is migrated once",
  );
  assert.deepEqual(
    changedSince(before, { ...d.fields, "data-owner": "someone" }),
    [],
    "an owner setting change is a migration (--migrate-owner), not a PATCH",
  );
});
