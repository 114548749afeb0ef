/**
 * How a pass counts what happened and commits what A&AI confirmed: the
 * report's bookkeeping and the commit point of DESIGN §6.
 *
 * @module
 */

import { K8spluginError } from "../adapters/k8splugin.ts";
import type { DeletionPlan } from "./deletion.ts";
import type { PlannedOperation } from "./diff.ts";
import { type DesiredObject, fingerprintOf } from "./mapping.ts";
import type { Pass, ReportedOperation, RunReport } from "./pass.ts";
import type { OperationResult, Outcome } from "./publish.ts";
import { keepPendingMarks } from "./pending.ts";
import type { WritePlan } from "./plan.ts";
import { settlementOf } from "./settled.ts";
import type { SnapshotObject } from "./snapshot.ts";
import { describeError, type InstanceRead } from "./source.ts";

/** An empty report of a pass started at `now`. */
export function newReport(now: Date, dryRun: boolean): RunReport {
  return {
    startedAt: now.toISOString(),
    durationMs: 0,
    dryRun,
    instances: { listed: 0, synced: 0, unchanged: 0, unknown: [], failed: [] },
    resources: { Ready: 0, Pending: 0, Failed: 0 },
    operations: [],
    writes: {
      create: 0,
      update: 0,
      delete: 0,
      adopt: 0,
      relate: 0,
      skipped: 0,
      annotate: 0,
    },
    errors: [],
    warnings: [],
    deletesHeld: 0,
    exitCode: 0,
  };
}

/**
 * A planned operation as the HTTP request it becomes (what a dry run and
 * `check --aai` print).
 */
export function toReported(op: PlannedOperation): ReportedOperation {
  const { path, why, instanceId } = op;
  switch (op.op) {
    case "create":
      return { method: "PUT", path, body: op.body, why, instanceId };
    case "update":
      return { method: "PATCH", path, body: op.body, why, instanceId };
    case "relate":
      return {
        method: "PUT",
        path: `${path}/relationship-list/relationship`,
        body: { relationships: op.relationships },
        why,
        instanceId,
      };
    case "annotate":
      return { method: "PUT", path, why, instanceId };
    case "delete":
      return { method: "DELETE", path, why, instanceId };
  }
}

/** Records a confirmed result in the snapshot (failed ones change nothing). */
function commit(pass: Pass, result: OperationResult): void {
  const { op } = result;
  if (result.outcome === "failed") return;
  if (op.op === "delete") {
    // Deleted, already gone, or someone else's now: forget it either way.
    delete pass.snapshot.instances[op.instanceId]?.objects[op.path];
    return;
  }
  const entry = commitDesired(pass, op.desired, { edges: result.edges });
  if (
    (result.outcome === "skipped" || result.outcome === "annotated" ||
      result.outcome === "unchanged" || result.outcome === "waiting") &&
    result.foreignOwner
  ) {
    entry.foreign = result.foreignOwner;
    if (result.outcome === "annotated" || result.outcome === "unchanged") {
      entry.annotated = true;
      entry.sourceVersion = (op as { desired: DesiredObject }).desired
        .sourceVersion;
    }
  }
  // Remembered, so later passes send nothing for it (a guard refused it).
  if (result.outcome === "skipped" && result.refused) {
    entry.collision = result.refused;
  }
}

/**
 * Writes a desired object into the snapshot as A&AI holds it now; edges once
 * in place stay recorded.
 */
function commitDesired(
  pass: Pass,
  d: DesiredObject,
  { edges, foreign }: { edges: boolean; foreign?: string },
): SnapshotObject {
  const instance = pass.snapshot.instances[d.instanceId] ??= {
    cloudRegion: d.cloudRegion,
    misses: 0,
    objects: {},
  };
  const entry: SnapshotObject = {
    key: d.key,
    ...fingerprintOf(d.fields),
    verdict: d.readiness.verdict,
    reason: d.readiness.reason,
    publishedAt: pass.now.toISOString(),
    edges: edges || (instance.objects[d.path]?.edges ?? false),
  };
  if (foreign) entry.foreign = foreign;
  instance.objects[d.path] = entry;
  return entry;
}

/**
 * Takes a planned object that A&AI holds under another owner into the
 * report (a skip and a warning) and the snapshot (remembered as theirs).
 */
export function recordForeign(
  pass: Pass,
  desired: DesiredObject,
  owner: string,
): void {
  pass.report.writes.skipped++;
  pass.report.warnings.push(
    `Leaving ${desired.key} alone in A&AI: it belongs to data-owner "${owner}"`,
  );
  commitDesired(pass, desired, { edges: false, foreign: owner });
  pass.changed();
}

/**
 * Takes another owner's object that A&AI already holds with our current
 * readiness labels (policy `annotate`) into the snapshot as annotated.
 */
export function recordAnnotated(
  pass: Pass,
  desired: DesiredObject,
  owner: string,
): void {
  const entry = commitDesired(pass, desired, { edges: false, foreign: owner });
  entry.annotated = true;
  entry.sourceVersion = desired.sourceVersion;
  pass.changed();
}

/** Takes a planned object that A&AI already holds as it should be into the snapshot. */
export function recordInStep(
  pass: Pass,
  desired: DesiredObject,
  edges: boolean,
): void {
  commitDesired(pass, desired, { edges });
  pass.changed();
}

/**
 * A function to call once per instance read: at most every `everyMs`, it
 * logs how far the pass is (a pass over thousands of instances takes
 * minutes); never for the last read, which the summary line covers.
 */
export function progressLogger(
  pass: Pass,
  total: number,
  everyMs: number,
): () => void {
  let done = 0;
  let loggedAt = performance.now();
  return () => {
    done++;
    const at = performance.now();
    if (at - loggedAt < everyMs || done === total) return;
    loggedAt = at;
    const { writes, errors } = pass.report;
    const sent = writes.create + writes.update + writes.delete +
      writes.adopt + writes.relate;
    pass.log.info(
      `Progress: ${done}/${total} instances read, ${sent} writes confirmed, ${errors.length} errors`,
      { read: done, listed: total, writes: sent, errors: errors.length },
    );
  };
}

/**
 * Takes a deletion plan into the snapshot (miss counts, forgotten
 * instances) and the report (held deletes and why), with a log line for each
 * instance whose objects wait for more misses.
 */
export function recordDeletions(pass: Pass, plan: DeletionPlan): void {
  const { snapshot, report, log, config } = pass;
  for (const [id, misses] of Object.entries(plan.misses)) {
    snapshot.instances[id]!.misses = misses;
    pass.changed();
  }
  for (const { instanceId, misses } of plan.waiting) {
    log.info(
      `Instance "${instanceId}" missing from k8splugin's list (${misses}/${config.deleteAfterMisses}); keeping its objects for now`,
      { instanceId, misses },
    );
  }
  for (const id of plan.forget) {
    delete snapshot.instances[id];
    pass.changed();
  }
  for (const message of plan.errors) {
    report.errors.push(message);
    log.error(message);
  }
  report.deletesHeld = plan.held;
}

/** The write counter each outcome adds to (`unchanged`: none; `failed` is an error). */
const WRITE_COUNTERS: Partial<Record<Outcome, keyof RunReport["writes"]>> = {
  created: "create",
  updated: "update",
  adopted: "adopt",
  related: "relate",
  deleted: "delete",
  gone: "delete",
  skipped: "skipped",
  annotated: "annotate",
};

/**
 * Takes one confirmed (or failed) result into the snapshot and the report:
 * the commit point of DESIGN §6, the write counters, and a log line.
 */
export function recordResult(pass: Pass, result: OperationResult): void {
  const { report, log } = pass;
  commit(pass, result);
  if (result.edgeTargetMissing) {
    const known = pass.snapshot.instances[result.op.instanceId];
    if (known) {
      known.vfModule = null;
      known.vfModuleCheckedAt = pass.now.toISOString();
    }
  }
  // Bodies stay in the report only for --dry-run, which prints them; a
  // cold run would otherwise hold every body it sent until the end.
  const { body: _sent, ...reported } = toReported(result.op);
  reported.outcome = result.outcome;
  if (result.status !== undefined) reported.status = result.status;
  if (result.error !== undefined) reported.error = result.error;
  if (result.transactionId) reported.transactionId = result.transactionId;
  if (pass.options.recordOperations ?? true) report.operations.push(reported);
  if (result.outcome === "failed") {
    const message =
      `Cannot ${reported.method} ${result.op.path} in A&AI: ${result.error}`;
    report.errors.push(message);
    log.error(message, {
      path: result.op.path,
      instanceId: result.op.instanceId,
    });
    return;
  }
  if (result.refused) {
    report.errors.push(result.refused);
    log.error(result.refused, {
      path: result.op.path,
      instanceId: result.op.instanceId,
    });
  }
  const counter = WRITE_COUNTERS[result.outcome];
  if (counter) report.writes[counter]++;
  log.info(
    `${reported.method} ${result.op.path}: ${result.outcome} (${result.op.why})`,
    {
      instanceId: result.op.instanceId,
      outcome: result.outcome,
      why: result.op.why,
      status: result.status,
      ...(result.transactionId ? { transactionId: result.transactionId } : {}),
    },
  );
}

/**
 * The snapshot's memory of one published read: the rules' stall marks
 * (written to the file, never to A&AI), and the settlement once everything
 * the read asked for is in A&AI — an instance with a delete to come is
 * settled by the next full read, one waiting for SO's rewrite by the pass
 * that annotates it.
 */
export function settleRead(
  pass: Pass,
  read: InstanceRead,
  plan: WritePlan,
  delivered: boolean,
): void {
  if (!read.ok || read.unchanged) return;
  const known = pass.snapshot.instances[read.summary.id];
  if (keepPendingMarks(known, read.resources)) pass.changed();
  if (
    delivered && read.key !== undefined && plan.deletes.length === 0 &&
    known && !plan.pending
  ) {
    pass.changed();
    known.settled = settlementOf(
      read.key,
      read.resources.map((r) => r.readiness.verdict),
      pass.now.getTime(),
      read.recheckAt,
    );
  }
}

/**
 * The error of a pass whose k8splugin list failed, said once: the
 * k8splugin client's errors already start with what failed.
 */
export function listFailure(reason: unknown): string {
  const what = "Cannot list instances from k8splugin: ";
  const detail = describeError(reason);
  return reason instanceof K8spluginError && detail.startsWith(what)
    ? detail
    : `${what}${detail}`;
}

/**
 * Why a pass must write nothing because the `owner` setting changed since
 * the snapshot was written (an owner rename is the explicit
 * `sync --migrate-owner OLD`); `undefined` when it may go on.
 */
export function ownerChangeError(
  recorded: string | undefined,
  owner: string,
  { migrateOwner }: { migrateOwner?: string | undefined } = {},
): string | undefined {
  if (recorded === undefined || recorded === owner) return undefined;
  if (migrateOwner === recorded) return undefined;
  return `Owner setting changed from "${recorded}" to "${owner}": A&AI holds this installation's objects under data-owner "${recorded}", so this pass writes nothing; run sync --migrate-owner ${recorded} once to move them to "${owner}", or set owner back`;
}
