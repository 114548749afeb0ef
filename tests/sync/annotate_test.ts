import assert from "node:assert/strict";
import {
  annotateForeign,
  placementOfVnf,
  planAnnotations,
  SO_GIVE_UP_DELAYS,
} from "../../sync/annotate.ts";
import { loadConfig } from "../../sync/config.ts";
import type { DesiredObject } from "../../sync/mapping.ts";
import type { WritePlan } from "../../sync/plan.ts";
import type { SnapshotInstance } from "../../sync/snapshot.ts";

function desired(n: number, sourceVersion = "1"): DesiredObject {
  return {
    path:
      `/cloud-infrastructure/cloud-regions/cloud-region/o/r/tenants/tenant/t/k8s-resources/k8s-resource/${n}`,
    instanceId: "i",
    cloudRegion: "r",
    key: `/v1/Pod/ns/n${n}`,
    fields: {
      id: String(n),
      name: `n${n}`,
      group: "",
      version: "v1",
      kind: "Pod",
      namespace: "ns",
      labels: ["k8s-aai-sync/readiness=Ready", "k8s-aai-sync/reason=Running"],
      selflink: "s",
      "data-owner": "k8s-aai-sync",
      "data-source": "K8sPlugin",
    },
    sourceVersion,
    readiness: {
      verdict: "Ready",
      reason: "Running",
      message: "",
      warnings: [],
    },
  };
}

const OWNERSHIP = {
  owner: "k8s-aai-sync",
  takeOwnership: false,
  owners: { CnfAdapter: "annotate" as const },
};
const T0 = Date.parse("2026-11-25T10:00:00Z");

function plan(): WritePlan {
  return { writes: [], deletes: [], foreign: [], inStep: [] };
}

function options(known: SnapshotInstance, nowMs: number) {
  return {
    known,
    ownership: OWNERSHIP,
    relationships: [],
    labelPrefix: "k8s-aai-sync/",
    nowMs,
    delayMs: 45_000,
  };
}

Deno.test("planAnnotations() waits soRewriteDelay after a change, then plans one annotate per SO object; forces after the give-up bound", () => {
  const known: SnapshotInstance = { cloudRegion: "r", misses: 0, objects: {} };
  const d = [desired(1), desired(2)];
  // New objects of an SO-managed instance: SO creates them; wait.
  const first = plan();
  first.writes.push({
    op: "create",
    path: d[0]!.path,
    instanceId: "i",
    body: {},
    desired: d[0]!,
    relationships: [],
    why: "new",
  });
  assert.equal(planAnnotations(d, first, options(known, T0)), true);
  assert.deepEqual(first.writes, [], "no create while SO may create");
  assert.equal(known.soSince, new Date(T0).toISOString());
  const later = plan();
  assert.equal(planAnnotations(d, later, options(known, T0 + 45_000)), true);
  assert.deepEqual(later.writes.map((o) => o.op), ["annotate", "annotate"]);
  assert.equal(
    later.writes.every((o) => o.op === "annotate" && !o.force),
    true,
  );
  const late = plan();
  planAnnotations(d, late, options(known, T0 + SO_GIVE_UP_DELAYS * 45_000));
  assert.equal(
    late.writes.every((o) => o.op === "annotate" && o.force),
    true,
    "SO seems not to run: annotate anyway",
  );
});

Deno.test("planAnnotations() plans nothing for annotated objects that did not change, and re-arms on a resourceVersion change", () => {
  const entry = {
    key: "k",
    fieldsDigest: "",
    labelsDigest: "",
    verdict: "Ready" as const,
    reason: "Running",
    publishedAt: "",
    edges: false,
    foreign: "CnfAdapter",
    annotated: true,
    sourceVersion: "1",
  };
  const d = desired(1);
  const known: SnapshotInstance = {
    cloudRegion: "r",
    misses: 0,
    objects: { [d.path]: entry },
  };
  const quiet = plan();
  assert.equal(planAnnotations([d], quiet, options(known, T0)), false);
  assert.deepEqual(quiet.writes, []);
  assert.equal(known.soSince, undefined);
  const moved = plan();
  assert.equal(
    planAnnotations([desired(1, "2")], moved, options(known, T0)),
    true,
  );
  assert.deepEqual(moved.writes, []);
  assert.equal(known.soSince, new Date(T0).toISOString());
});

Deno.test("placementOfVnf() reads the generic-vnf's BelongsTo tenant (SO's placement)", () => {
  assert.deepEqual(
    placementOfVnf({
      "relationship-list": {
        relationship: [
          { "related-to": "cloud-region", "relationship-data": [] },
          {
            "related-to": "tenant",
            "relationship-data": [
              {
                "relationship-key": "cloud-region.cloud-owner",
                "relationship-value": "CO",
              },
              {
                "relationship-key": "cloud-region.cloud-region-id",
                "relationship-value": "kud",
              },
              {
                "relationship-key": "tenant.tenant-id",
                "relationship-value": "t2",
              },
            ],
          },
        ],
      },
    }),
    { cloudOwner: "CO", cloudRegion: "kud", tenantId: "t2" },
  );
  assert.equal(placementOfVnf({ "vnf-id": "v" }), null);
});

Deno.test("loadConfig() owners: default CnfAdapter annotate, K8S_AAI_SYNC_OWNERS overrides, a bad policy names the variable", async () => {
  const env = { K8SPLUGIN_URL: "http://k:9015", AAI_URL: "http://a:8443" };
  assert.deepEqual((await loadConfig(undefined, env)).owners, {
    CnfAdapter: "annotate",
  });
  assert.deepEqual(
    (await loadConfig(undefined, {
      ...env,
      K8S_AAI_SYNC_OWNERS: "CnfAdapter=skip, Other=take",
    })).owners,
    { CnfAdapter: "skip", Other: "take" },
  );
  await assert.rejects(
    () =>
      loadConfig(undefined, {
        ...env,
        K8S_AAI_SYNC_OWNERS: "CnfAdapter=steal",
      }),
    /K8S_AAI_SYNC_OWNERS/,
  );
});

Deno.test("annotateForeign() plans an annotate (forced) for an annotate owner's object missing our labels, returns those already right, leaves skip owners", () => {
  const [a, b, c] = [desired(1), desired(2), desired(3)];
  const p = plan();
  p.foreign = [
    { desired: a, owner: "CnfAdapter" },
    { desired: b, owner: "CnfAdapter" },
    { desired: c, owner: "Other" },
  ];
  const held = new Map<string, Record<string, unknown> | null>([
    [a.path, { labels: ["app=web"] }],
    [b.path, { labels: ["app=web", ...b.fields.labels] }],
  ]);
  const right = annotateForeign(p, {
    ownership: OWNERSHIP,
    relationships: [],
    labelPrefix: "k8s-aai-sync/",
  }, held);
  assert.deepEqual(
    p.writes.map((o) => o.op === "annotate" && [o.path, o.force]),
    [[a.path, true]],
  );
  assert.deepEqual(right.map((r) => r.desired.path), [b.path]);
  assert.deepEqual(p.foreign.map((f) => f.owner), ["Other"]);
});
