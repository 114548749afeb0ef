/**
 * The rules' stall memory through the snapshot (issue 16): a custom resource
 * whose conditions carry no timestamps, stuck Pending across passes, becomes
 * Failed `NoProgress` once the stall timeout has passed by the snapshot's
 * clock. End to end through the simulators, with an injected clock.
 */
import assert from "node:assert/strict";
import { runSync, type SyncDeps } from "../../sync/mod.ts";
import { readSnapshot } from "../../sync/snapshot.ts";
import { keepPendingMarks, pendingMarksOf } from "../../sync/pending.ts";
import {
  deployment,
  expectedPath,
  instance,
  k8sResources,
  NS,
  pod,
  readiness,
  scenario,
  service,
  world,
} from "./_scenario.ts";

const VF = { vnfId: "vnf-1", vfModuleId: "vfm-1", heatStackId: "app-1" };

/** A custom resource Pending `Provisioning`, with no time in its status. */
function widget(): Record<string, unknown> {
  return {
    apiVersion: "example.com/v1",
    kind: "Widget",
    metadata: {
      name: "w1",
      namespace: NS,
      generation: 1,
      resourceVersion: "7",
    },
    status: {
      observedGeneration: 1,
      conditions: [{
        type: "Ready",
        status: "False",
        reason: "Provisioning",
        message: "waiting for the backend",
      }],
    },
  };
}

Deno.test("runSync() fails a custom resource without timestamps stuck Pending past the stall timeout, by the snapshot's clock", async () => {
  await using w = await world(
    scenario([[
      instance("app-1", [
        service("app-1-web"),
        deployment("app-1-web"),
        widget(),
      ]),
    ]], [VF]),
  );
  const at = (iso: string): SyncDeps => ({
    ...w.deps,
    now: () => new Date(iso),
  });
  const path = expectedPath("app-1", "Widget", "example.com", "v1", "w1").path;

  const first = await runSync(at("2026-11-25T10:00:00Z"), {
    config: w.config,
  });
  assert.equal(first.exitCode, 0, first.errors.join("\n"));
  assert.deepEqual(readiness(k8sResources(w).get(path)), {
    verdict: "Pending",
    reason: "Provisioning",
  });
  const saved = await readSnapshot(w.config.snapshot);
  assert.deepEqual(saved.instances["app-1"]?.objects[path]?.pendingSince, {
    reason: "Provisioning",
    since: "2026-11-25T10:00:00.000Z",
  });

  // Still within the stall timeout (10 min): the mark holds, nothing sent.
  w.aai.state.resetCounts();
  const within = await runSync(at("2026-11-25T10:09:00Z"), {
    config: w.config,
  });
  assert.equal(within.resources.Failed, 0);
  assert.equal(w.aai.state.counts.total, 0);

  const late = await runSync(at("2026-11-25T10:10:00Z"), {
    config: w.config,
  });
  assert.equal(late.exitCode, 0, late.errors.join("\n"));
  assert.equal(late.instances.unchanged, 0, "the settlement ran out");
  assert.deepEqual(readiness(k8sResources(w).get(path)), {
    verdict: "Failed",
    reason: "NoProgress",
  });
  // The mark survives the escalation, so the verdict stays Failed.
  const after = await readSnapshot(w.config.snapshot);
  assert.deepEqual(after.instances["app-1"]?.objects[path]?.pendingSince, {
    reason: "Provisioning",
    since: "2026-11-25T10:00:00.000Z",
  });
  w.aai.state.resetCounts();
  const again = await runSync(at("2026-11-25T10:30:00Z"), {
    config: w.config,
  });
  assert.equal(again.resources.Failed, 1);
  assert.equal(
    w.aai.state.counts.total,
    0,
    "no write for an unchanged verdict",
  );
});

Deno.test("runSync() fails a Pod stuck in ContainerCreating after the stall timeout, by the snapshot's clock", async () => {
  await using w = await world(
    scenario([[
      instance("app-1", [
        deployment("app-1-web", 1, 0),
        pod("app-1", "app-1-web", "aaaaa", "pending"),
      ]),
    ]], [VF]),
  );
  const at = (iso: string): SyncDeps => ({
    ...w.deps,
    now: () => new Date(iso),
  });
  const path =
    expectedPath("app-1", "Pod", "", "v1", "app-1-web-5d8f7c6b9-aaaaa").path;
  await runSync(at("2026-11-25T10:00:00Z"), { config: w.config });
  assert.deepEqual(readiness(k8sResources(w).get(path)), {
    verdict: "Pending",
    reason: "ContainerCreating",
  });
  await runSync(at("2026-11-25T10:10:00Z"), { config: w.config });
  assert.deepEqual(readiness(k8sResources(w).get(path)), {
    verdict: "Failed",
    reason: "NoProgress",
  });
});

Deno.test("keepPendingMarks() stores, keeps and drops marks by resource key and says when something changed", () => {
  const object = {
    key: "example.com/v1/Widget/ns/w1",
    fieldsDigest: "f",
    labelsDigest: "l",
    verdict: "Pending" as const,
    reason: "Provisioning",
    publishedAt: "2026-11-25T10:00:00.000Z",
    edges: true,
  };
  const instance = { cloudRegion: "r", misses: 0, objects: { "/p": object } };
  const resource = {
    instanceId: "app-1",
    gvk: { group: "example.com", version: "v1", kind: "Widget" },
    name: "w1",
    namespace: "ns",
    object: {},
    readiness: {
      verdict: "Pending" as const,
      reason: "Provisioning",
      message: "",
      warnings: [],
    },
  };
  const since = new Date("2026-11-25T10:00:00Z");
  const mark = { reason: "Provisioning", since };
  assert.equal(
    keepPendingMarks(instance, [{ ...resource, pendingSince: mark }]),
    true,
  );
  assert.deepEqual(pendingMarksOf(instance).get(object.key), mark);
  assert.equal(
    keepPendingMarks(instance, [{ ...resource, pendingSince: mark }]),
    false,
  );
  assert.equal(keepPendingMarks(instance, []), false, "not judged: kept");
  assert.equal(keepPendingMarks(instance, [resource]), true);
  assert.equal(pendingMarksOf(instance).size, 0);
});
