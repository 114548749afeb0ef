import assert from "node:assert/strict";
import fc from "fast-check";
import {
  diffInstance,
  type EvaluatedResource,
  fingerprintOf,
  mapResource,
  selfLink,
  type SnapshotObject,
} from "../../sync/mod.ts";

const placement = { cloudOwner: "O", cloudRegion: "r", tenantId: "t" };
const options = {
  k8spluginUrl: "http://k",
  owner: "k8s-aai-sync",
  labelPrefix: "k8s-aai-sync/",
};
const verdict = fc.constantFrom("Ready", "Pending", "Failed") as fc.Arbitrary<
  "Ready" | "Pending" | "Failed"
>;
const labels = fc.dictionary(
  fc.stringMatching(/^[a-z][a-z0-9./-]{0,12}$/),
  fc.string({ maxLength: 8 }),
  { maxKeys: 5 },
);

function resource(
  name: string,
  l: Record<string, string>,
  v: "Ready" | "Pending" | "Failed",
  reason: string,
  rv: string,
): EvaluatedResource {
  return {
    instanceId: "i",
    gvk: { group: "apps", version: "v1", kind: "Deployment" },
    name,
    namespace: "ns",
    object: { metadata: { name, labels: l, resourceVersion: rv } },
    readiness: { verdict: v, reason, message: "", warnings: [] },
  };
}

function committed(
  r: EvaluatedResource,
): Record<string, SnapshotObject> {
  const d = mapResource(r, placement, options);
  return {
    [d.path]: {
      key: d.key,
      ...fingerprintOf(d.fields),
      verdict: d.readiness.verdict,
      reason: d.readiness.reason,
      publishedAt: "x",
      edges: false,
    },
  };
}

Deno.test("diffInstance() after a commit is empty whatever resourceVersion does", () => {
  fc.assert(
    fc.property(
      labels,
      verdict,
      fc.string({ maxLength: 10 }),
      fc.nat(),
      fc.nat(),
      (l, v, reason, rv1, rv2) => {
        const snapshot = committed(
          resource("d", l, v, reason, String(rv1)),
        );
        const again = mapResource(
          resource("d", l, v, reason, String(rv2)),
          placement,
          options,
        );
        assert.deepEqual(
          diffInstance([again], {
            instanceId: "i",
            previous: snapshot,
            relationships: [],
          }),
          [],
        );
      },
    ),
  );
});

Deno.test("diffInstance() sends exactly one PATCH when verdict, reason or labels change", () => {
  fc.assert(
    fc.property(
      labels,
      labels,
      verdict,
      verdict,
      fc.string({ maxLength: 6 }),
      fc.string({ maxLength: 6 }),
      (l1, l2, v1, v2, r1, r2) => {
        const snapshot = committed(resource("d", l1, v1, r1, "1"));
        const next = mapResource(
          resource("d", l2, v2, r2, "2"),
          placement,
          options,
        );
        const ops = diffInstance([next], {
          instanceId: "i",
          previous: snapshot,
          relationships: [],
        });
        const same = JSON.stringify(Object.entries(l1).sort()) ===
            JSON.stringify(Object.entries(l2).sort()) && v1 === v2 && r1 === r2;
        if (same) assert.deepEqual(ops, []);
        else {
          assert.equal(ops.length, 1);
          assert.equal(ops[0]!.op, "update");
          assert.deepEqual(
            Object.keys((ops[0] as { body: object }).body).sort(),
            ["data-source-version", "labels"],
          );
        }
      },
    ),
  );
});

Deno.test("selfLink() encodes its query exactly as URLSearchParams does", () => {
  fc.assert(
    fc.property(
      fc.string({ unit: "grapheme" }),
      fc.string({ unit: "grapheme" }),
      fc.string({ unit: "grapheme" }),
      fc.string({ unit: "grapheme" }),
      (group, kind, name, namespace) => {
        const gvk = { group, version: "v1", kind };
        const link = selfLink("http://k/", "i 1", { gvk, name, namespace });
        const query = new URLSearchParams({
          ApiVersion: group ? `${group}/v1` : "v1",
          Kind: kind,
          Name: name,
          Namespace: namespace,
        });
        assert.equal(link, `http://k/v1/instance/i%201/query?${query}`);
      },
    ),
    { numRuns: 500 },
  );
});
