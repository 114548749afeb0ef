/**
 * One pass of the sync loop (DESIGN §3), read top to bottom: load the
 * snapshot and list the instances → place them → for each instance read,
 * plan, publish, commit → deletions under the safety rules (§8) → flush and
 * report. A dry run plans on a copy of the snapshot, publishes nothing and
 * writes no file. The lock is the caller's business (tasks/sync.ts).
 *
 * @module
 */

import pLimit from "p-limit";
import { isPeerUnavailable } from "../adapters/http.ts";
import {
  inScope,
  planDeletions,
  type Scope,
  unmatchedScope,
} from "./deletion.ts";
import { leftAlone, type PlannedOperation } from "./diff.ts";
import { finishPass } from "./finish_pass.ts";
import {
  type Pass,
  QUIET,
  type RunReport,
  type SyncDeps,
  type SyncOptions,
} from "./pass.ts";
import {
  discoverOwned,
  ownershipOf,
  prepare,
  readOptions,
} from "./placement.ts";
import type { WritePlan } from "./plan.ts";
import { planRead } from "./plan_read.ts";
import { type OperationResult, publish } from "./publish.ts";
import {
  listFailure,
  newReport,
  ownerChangeError,
  progressLogger,
  recordDeletions,
  recordResult,
  settleRead,
  toReported,
} from "./report.ts";
import {
  aaiBinding,
  bindSnapshot,
  type LoadedSnapshot,
  loadSnapshot,
  type Snapshot,
} from "./snapshot.ts";
import { SnapshotWriter } from "./snapshot_writer.ts";
import { installationOf } from "./guard.ts";
import { isSettled, passSalt } from "./settled.ts";
import { describeError, readInstances } from "./source.ts";

/**
 * Runs one pass of the sync loop and returns its report. Does not take the
 * lock (tasks/sync.ts does). Throws only for programmer errors and snapshot
 * I/O failures; peer problems end up in the report (`exitCode` 1 or 75). A
 * snapshot write that fails at the end of the pass (after A&AI was written)
 * throws with the pass's report attached as `error.report`.
 *
 * @param deps The peers (interfaces), the clock and the logger.
 * @param options The config and what this pass does (dry run, verify, scope…).
 * @returns What was read, evaluated and sent, and the exit code.
 *
 * @example
 * ```ts ignore
 * import { HttpAaiClient, HttpK8spluginClient } from "../adapters/mod.ts";
 * import { loadConfig, runSync, summaryLine } from "./mod.ts";
 * const config = await loadConfig(undefined, Deno.env.toObject());
 * const report = await runSync({
 *   k8splugin: new HttpK8spluginClient({ baseUrl: config.k8splugin.url }),
 *   aai: new HttpAaiClient({ baseUrl: config.aai.url }),
 * }, { config });
 * console.log(summaryLine(report));
 * ```
 */
export async function runSync(
  deps: SyncDeps,
  options: SyncOptions,
): Promise<RunReport> {
  try {
    return await runPass(deps, options);
  } catch (error) {
    // The state in memory may be ahead of the file: the next run reloads it.
    if (options.resident) options.resident.snapshot = undefined;
    throw error;
  }
}

async function runPass(
  deps: SyncDeps,
  options: SyncOptions,
): Promise<RunReport> {
  const {
    config,
    dryRun = false,
    verify = false,
    regions = [],
    instances = [],
    allowMassDelete = false,
    progressEveryMs = 10_000,
  } = options;
  const clock = deps.now ?? (() => new Date());
  const started = clock();
  const startedMs = performance.now();
  const log = deps.log ?? QUIET;
  const report = newReport(started, dryRun);
  // The pass deadline (14.19): past it no read is planned, no write or
  // delete is started; what A&AI confirmed is committed and flushed.
  const deadlineAt = startedMs + config.passDeadline;
  const expired = () =>
    (deps.deadline?.aborted ?? false) || performance.now() >= deadlineAt;
  let deferred = 0;
  // An installation's regions (scope.regions, a shard) bound every pass;
  // --region narrows a pass further.
  const shard = config.scope.regions;
  const scope: Scope = {
    regions: regions.length ? regions : shard ?? [],
    instances,
  };

  // 1. Load the snapshot while listing (one waits on the disk and the CPU,
  // the other on the network).
  // A long-running owner of the state keeps it in memory (`resident`).
  const resident = dryRun ? undefined : options.resident;
  const kept = resident?.snapshot as Snapshot | undefined;
  const [listing, loading] = await Promise.allSettled([
    options.listed ? [...options.listed] : deps.k8splugin.listInstances(),
    kept
      ? { snapshot: kept } satisfies LoadedSnapshot as LoadedSnapshot
      : loadSnapshot(config.snapshot, started),
  ]);
  if (loading.status === "rejected") throw loading.reason;
  const loaded = loading.value;
  if (loaded.movedAside) {
    report.snapshotMovedAside = loaded.movedAside;
    const message =
      `Snapshot "${config.snapshot}" was unreadable and was moved to "${loaded.movedAside}"; rebuilding from A&AI (${loaded.error?.message})`;
    report.warnings.push(message);
    log.warn(message, { movedAside: loaded.movedAside });
  }
  // The snapshot describes one A&AI (14.13); a lost one, or a rebuild that
  // did not finish, means finding our objects in A&AI first (14.9).
  const bound = bindSnapshot(
    loaded,
    aaiBinding(config.aai.url, config.aai.apiVersion),
    { path: config.snapshot, now: started },
  );
  if (bound.warning) {
    report.warnings.push(bound.warning);
    log.warn(bound.warning);
  }
  const base = bound.snapshot;
  if (resident) resident.snapshot = base;
  // A dry run plans on a copy that is never written.
  const snapshot = dryRun ? structuredClone(base) : base;
  const writer = dryRun
    ? undefined
    : new SnapshotWriter(config.snapshot, snapshot, clock);
  const migrating = options.migrateOwner !== undefined &&
    options.migrateOwner !== config.owner;
  const pass: Pass = {
    deps,
    options,
    config,
    log,
    now: started,
    snapshot,
    report,
    rebuild: verify || Boolean(loaded.movedAside) || migrating,
    changed: () => writer?.markChanged(),
  };
  if (bound.changed) pass.changed();
  function finish(): Promise<RunReport> {
    return finishPass(pass, {
      writer,
      startedMs,
      expired: expired(),
      deferred,
      migrating,
    });
  }
  if (listing.status === "rejected") {
    const message = listFailure(listing.reason);
    report.errors.push(message);
    log.error(message);
    report.exitCode = isPeerUnavailable(listing.reason) ? 75 : 1;
    return await finish();
  }
  // A changed owner setting is an explicit migration (14.1): without
  // --migrate-owner the pass writes nothing.
  const recordedOwner = snapshot.owner;
  const ownerChanged = ownerChangeError(recordedOwner, config.owner, {
    migrateOwner: options.migrateOwner,
  });
  if (ownerChanged) {
    report.errors.push(ownerChanged);
    log.error(ownerChanged);
    report.exitCode = 1;
    return await finish();
  }
  if (recordedOwner === undefined && !dryRun) {
    snapshot.owner = config.owner;
    pass.changed();
  }
  const listed = listing.value;
  const inScopeListed = listed.filter((s) =>
    inScope(scope, s.id, s.cloudRegion) &&
    (!shard || shard.includes(s.cloudRegion))
  );
  // A list pass reads only the instances it was asked to (new, or due).
  const readOnly = options.readOnly;
  const summaries = readOnly
    ? inScopeListed.filter((s) => readOnly.has(s.id))
    : inScopeListed;
  report.instances.listed = summaries.length;
  for (const message of unmatchedScope({ regions, instances }, listed)) {
    report.warnings.push(message);
    log.warn(message);
  }

  // 2. Place the regions in play; a rebuild first finds our objects in A&AI.
  const { placements, kubes } = await prepare(pass, summaries);
  const discovered = (pass.rebuild || snapshot.rebuildPending) && !expired()
    ? await discoverOwned(pass, scope)
    : false;

  // 3. Read, plan, publish and commit instance by instance (DESIGN §3 steps
  // 3–8): each instance's writes go out inside its read slot, so a run
  // holds the instances in flight rather than the fleet, and reads never
  // outrun what A&AI accepts. Deletes wait for the safety rules.
  const aaiLimit = pLimit(config.aai.concurrency);
  const vanished: PlannedOperation[] = [];
  const planned = new Map<string, PlannedOperation[]>();
  /** Desired paths of this pass → `instance\nkey`: two resources, one id (14.11). */
  const claimed = new Map<string, string>();
  let sent = 0;
  let unreachable = 0;
  const progress = progressLogger(pass, summaries.length, progressEveryMs);
  /** Publishes `operations` (committing each result); true when none failed. */
  async function send(
    operations: PlannedOperation[],
    onResults?: (results: OperationResult[]) => void,
  ): Promise<boolean> {
    if (operations.length === 0) return true;
    if (expired()) return false;
    const results = await publish(operations, {
      aai: deps.aai,
      concurrency: config.aai.concurrency,
      limit: aaiLimit,
      ...ownershipOf(pass),
      installation: installationOf(config),
      bulk: config.aai.bulk,
      warn: (message, properties) => {
        report.warnings.push(message);
        log.warn(message, properties);
      },
      onResult: (result) => {
        recordResult(pass, result);
        writer?.schedule();
      },
    });
    onResults?.(results);
    sent += results.length;
    unreachable +=
      results.filter((r) => r.outcome === "failed" && r.unreachable).length;
    return results.every((r) => r.outcome !== "failed");
  }
  await readInstances(
    summaries,
    {
      ...readOptions(pass, kubes),
      keySalt: passSalt(config, placements),
      isSettled: (summary, key) =>
        !pass.rebuild &&
        isSettled(snapshot.instances[summary.id], key, started.getTime()),
      onRead: async (read) => {
        progress();
        options.onRead?.(read);
        if (expired()) {
          // Left as it is for the next pass: neither an error nor a miss.
          deferred++;
          report.instances.unknown.push(read.summary.id);
          return;
        }
        let plan: WritePlan | undefined;
        try {
          plan = await planRead(pass, read, placements, aaiLimit, claimed);
        } catch (error) {
          // Whatever one instance's data does, the pass goes on (14.5).
          const message = `Cannot plan instance "${read.summary.id}": ${
            describeError(error)
          }`;
          report.instances.unknown.push(read.summary.id);
          report.instances.failed.push({ id: read.summary.id, error: message });
          report.errors.push(message);
          log.error(message, { instanceId: read.summary.id });
          return;
        }
        if (!plan) return;
        vanished.push(...plan.deletes);
        if (dryRun) return void planned.set(read.summary.id, plan.writes);
        const known = snapshot.instances[read.summary.id];
        const delivered = await send(plan.writes, (results) => {
          // The annotate flow is done once no object waits for SO any more.
          const looked = results.filter((r) => r.op.op === "annotate");
          if (
            known?.soSince !== undefined && looked.length > 0 &&
            looked.every((r) =>
              r.outcome !== "waiting" && r.outcome !== "failed"
            )
          ) {
            delete known.soSince;
            plan.pending = false;
            pass.changed();
          }
        });
        settleRead(pass, read, plan, delivered);
      },
    },
  );

  // 4. Deletions under the safety rules (DESIGN §8); none past the deadline.
  if (expired()) return await finish();
  // The one-instance path counts no misses: every known instance counts as
  // listed, so only resources gone from instances read fine are deleted.
  const deletion = planDeletions(snapshot.instances, {
    listed: new Set([
      ...listed.map((s) => s.id),
      ...(options.eventDriven ? Object.keys(snapshot.instances) : []),
    ]),
    vanished,
    scope,
    deleteAfterMisses: config.deleteAfterMisses,
    emptyListGuard: config.emptyListGuard,
    maxDeletesPerRun: config.maxDeletesPerRun,
    allowMassDelete,
  });
  recordDeletions(pass, deletion);

  // 5. A dry run reports its plan; a real one sends the deletes and forgets
  // instances whose objects are all gone.
  if (dryRun) {
    const all = [
      ...summaries.flatMap((s) => planned.get(s.id) ?? []),
      ...deletion.deletes,
    ];
    report.operations = all.map(toReported);
    for (const op of all) report.writes[op.op]++;
    return await finish();
  }
  await send(deletion.deletes);
  // A rebuild is done once discovery covered every region in scope.
  if (
    snapshot.rebuildPending && discovered && regions.length === 0 &&
    instances.length === 0
  ) {
    delete snapshot.rebuildPending;
    pass.changed();
  }
  // A&AI unreachable for every write: a temporary failure (exit 75).
  if (sent > 0 && unreachable === sent) report.exitCode = 75;
  for (const id of Object.keys(deletion.misses)) {
    const known = snapshot.instances[id];
    if (!known || known.misses < config.deleteAfterMisses) continue;
    if (!Object.values(known.objects).some((o) => !leftAlone(o))) {
      delete snapshot.instances[id];
      pass.changed();
    }
  }
  return await finish();
}
