import assert from "node:assert/strict";
import { type ResidentSnapshot, runSync } from "../../sync/mod.ts";
import { dueForRead, nextRecheck } from "../../tasks/_watch_recheck.ts";
import {
  healthy,
  k8sResources,
  scenario,
  VF,
  world,
} from "../sync/_scenario.ts";

type World = Awaited<ReturnType<typeof world>>;
function statusReads(w: World): number {
  return Object.entries(w.k8s.state.requests.byRoute)
    .filter(([route]) => route.endsWith("/status"))
    .reduce((n, [, count]) => n + (count as number), 0);
}

Deno.test("a list pass (readOnly) sends no /status read for known instances, reads a new one, and still deletes a gone one under the miss rule", async () => {
  await using w = await world(
    scenario([
      [healthy("app-1"), healthy("app-2")],
      [healthy("app-1"), healthy("app-2"), healthy("app-3")],
      [healthy("app-2"), healthy("app-3")],
    ], [VF]),
  );
  const resident: ResidentSnapshot = {};
  const first = await runSync(w.deps, { config: w.config, resident });
  assert.equal(first.exitCode, 0);
  assert.equal(k8sResources(w).size, 6);
  // Quiet: a list pass reads nothing.
  const before = statusReads(w);
  assert.ok(before >= 2, "the full run read every instance");
  const quiet = await runSync(w.deps, {
    config: w.config,
    resident,
    readOnly: new Set(),
  });
  assert.equal(quiet.exitCode, 0);
  assert.equal(statusReads(w), before, "no /status read in a quiet list pass");
  // A new instance in the list is read and synced by the list pass.
  w.k8s.state.setStep(1);
  const added = await runSync(w.deps, {
    config: w.config,
    resident,
    readOnly: new Set(["app-3"]),
  });
  assert.equal(added.exitCode, 0);
  assert.equal(statusReads(w), before + 1, "only the new instance is read");
  assert.equal(k8sResources(w).size, 9);
  // A gone instance: deleted after deleteAfterMisses list passes, unread.
  w.k8s.state.setStep(2);
  const reads = statusReads(w);
  const miss1 = await runSync(w.deps, {
    config: w.config,
    resident,
    readOnly: new Set(),
  });
  assert.equal(miss1.writes.delete, 0, "the first miss keeps everything");
  const miss2 = await runSync(w.deps, {
    config: w.config,
    resident,
    readOnly: new Set(),
  });
  assert.equal(miss2.writes.delete, 3);
  assert.equal(k8sResources(w).size, 6);
  assert.equal(statusReads(w), reads, "deletions need no /status read");
});

Deno.test("a resident snapshot is loaded once: N one-instance runs reuse it, and grow no per-run entry", async () => {
  await using w = await world(
    scenario([[healthy("app-1"), healthy("app-2")]], [VF]),
  );
  const resident: ResidentSnapshot = {};
  await runSync(w.deps, { config: w.config, resident });
  const kept = resident.snapshot;
  assert.ok(kept);
  const size = JSON.stringify(kept).length;
  // The file is gone: a run that reloaded it would rebuild from A&AI.
  await Deno.remove(w.config.snapshot);
  for (let i = 0; i < 50; i++) {
    const report = await runSync(w.deps, {
      config: w.config,
      resident,
      instances: [i % 2 ? "app-1" : "app-2"],
      eventDriven: true,
      recordOperations: false,
    });
    assert.equal(report.exitCode, 0);
    assert.equal(report.snapshotMovedAside, undefined);
    assert.equal(report.operations.length, 0, "no operation kept per run");
  }
  assert.equal(resident.snapshot, kept, "the same snapshot object");
  const after = JSON.stringify(kept).length;
  // Timestamps may move; no entry accrues per run.
  assert.ok(after <= size + 64, `${size} → ${after} bytes after 50 runs`);
});

Deno.test("dueForRead() and nextRecheck() pick due rechecks, not age-limited settlements", () => {
  const at = "2026-12-01T00:00:00.000Z";
  const atMs = Date.parse(at);
  const settled = (untilMs: number) => ({
    settled: { at, until: new Date(untilMs).toISOString(), key: "k" },
  });
  const snapshot = {
    instances: {
      never: {},
      aged: settled(atMs + 3_600_000),
      recheck: settled(atMs + 60_000),
      later: settled(atMs + 120_000),
    },
  } as unknown as Parameters<typeof dueForRead>[0];
  assert.deepEqual([...dueForRead(snapshot, atMs + 10_000)], []);
  assert.deepEqual([...dueForRead(snapshot, atMs + 60_000)], ["recheck"]);
  assert.deepEqual(nextRecheck(snapshot, atMs), {
    atMs: atMs + 60_000,
    ids: ["recheck"],
  });
  assert.deepEqual(nextRecheck(snapshot, atMs + 60_000), {
    atMs: atMs + 120_000,
    ids: ["later"],
  });
});
