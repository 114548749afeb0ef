/**
 * One pass of the sync loop (DESIGN §3), read top to bottom: load the
 * snapshot and list the instances → place them → for each instance read,
 * plan, publish, commit → deletions under the safety rules (§8) → flush and
 * report. A dry run plans on a copy of the snapshot, publishes nothing and
 * writes no file. The lock is the caller's business (tasks/sync.ts).
 *
 * @module
 */

import pLimit, { type LimitFunction } from "p-limit";
import { ruleOptions } from "./config.ts";
import {
  inScope,
  planDeletions,
  type Scope,
  unmatchedScope,
} from "./deletion.ts";
import type { PlannedOperation } from "./diff.ts";
import { readHeld } from "./held.ts";
import { relationshipsFor } from "./mapping.ts";
import {
  type Pass,
  QUIET,
  type RunReport,
  type SyncDeps,
  type SyncOptions,
} from "./pass.ts";
import {
  desiredObjects,
  discoverOwned,
  ownershipOf,
  type Placements,
  prepare,
  readOptions,
  touchInstance,
  vfModuleOf,
} from "./placement.ts";
import { planWrites, type WritePlan } from "./plan.ts";
import { isTransportError, publish } from "./publish.ts";
import {
  newReport,
  progressLogger,
  recordDeletions,
  recordForeign,
  recordInStep,
  recordResult,
  toReported,
} from "./report.ts";
import { loadSnapshot, SnapshotWriter } from "./snapshot.ts";
import { isSettled, settlementOf, settlementSalt } from "./settled.ts";
import { describeError, type InstanceRead, readInstances } from "./source.ts";

/**
 * Runs one pass of the sync loop and returns its report. Does not take the
 * lock (tasks/sync.ts does). Throws only for programmer errors and snapshot
 * I/O failures; peer problems end up in the report (`exitCode` 1 or 75).
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
  const scope: Scope = { regions, instances };

  // 1. Load the snapshot while listing (one waits on the disk and the CPU,
  // the other on the network).
  const [listing, loading] = await Promise.allSettled([
    options.listed ? [...options.listed] : deps.k8splugin.listInstances(),
    loadSnapshot(config.snapshot, started),
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
  // A dry run plans on a copy that is never written.
  const snapshot = dryRun ? structuredClone(loaded.snapshot) : loaded.snapshot;
  const writer = dryRun
    ? undefined
    : new SnapshotWriter(config.snapshot, snapshot, clock);
  const pass: Pass = {
    deps,
    options,
    config,
    log,
    now: started,
    snapshot,
    report,
    rebuild: verify || Boolean(loaded.movedAside),
    changed: () => writer?.markChanged(),
  };
  async function finish(): Promise<RunReport> {
    await writer?.flush();
    report.durationMs = Math.round(performance.now() - startedMs);
    if (report.exitCode === 0 && report.errors.length > 0) report.exitCode = 1;
    return report;
  }
  if (listing.status === "rejected") {
    const message = `Cannot list instances from k8splugin: ${
      describeError(listing.reason)
    }`;
    report.errors.push(message);
    log.error(message);
    report.exitCode = isTransportError(listing.reason) ? 75 : 1;
    return await finish();
  }
  const listed = listing.value;
  const summaries = listed.filter((s) => inScope(scope, s.id, s.cloudRegion));
  report.instances.listed = summaries.length;
  for (const message of unmatchedScope(scope, listed)) {
    report.warnings.push(message);
    log.warn(message);
  }

  // 2. Place the regions in play; a rebuild first finds our objects in A&AI.
  const { placements, kubes } = await prepare(pass, summaries);
  if (pass.rebuild) {
    await discoverOwned(pass, placements, scope);
  }

  // 3. Read, plan, publish and commit instance by instance (DESIGN §3 steps
  // 3–8): each instance's writes go out inside its read slot, so a run
  // holds the instances in flight rather than the fleet, and reads never
  // outrun what A&AI accepts. Deletes wait for the safety rules.
  const aaiLimit = pLimit(config.aai.concurrency);
  const vanished: PlannedOperation[] = [];
  const planned = new Map<string, PlannedOperation[]>();
  let sent = 0;
  let unreachable = 0;
  const progress = progressLogger(pass, summaries.length, progressEveryMs);
  /** Publishes `operations` (committing each result); true when none failed. */
  async function send(operations: PlannedOperation[]): Promise<boolean> {
    if (operations.length === 0) return true;
    const results = await publish(operations, {
      aai: deps.aai,
      concurrency: config.aai.concurrency,
      limit: aaiLimit,
      ...ownershipOf(pass),
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
    sent += results.length;
    unreachable +=
      results.filter((r) => r.outcome === "failed" && r.unreachable).length;
    return results.every((r) => r.outcome !== "failed");
  }
  await readInstances(
    summaries,
    {
      ...readOptions(pass, kubes),
      keySalt: settlementSalt({
        rules: ruleOptions(config),
        k8splugin: config.k8splugin.url,
        owner: config.owner,
        labelPrefix: config.labelPrefix,
        aai: config.aai.apiVersion,
        placements: [...placements].sort(([a], [b]) => a < b ? -1 : 1),
      }),
      isSettled: (summary, key) =>
        !pass.rebuild &&
        isSettled(snapshot.instances[summary.id], key, started.getTime()),
      onRead: async (read) => {
        progress();
        options.onRead?.(read);
        const plan = await planRead(pass, read, placements, aaiLimit);
        if (!plan) return;
        vanished.push(...plan.deletes);
        if (dryRun) return void planned.set(read.summary.id, plan.writes);
        const delivered = await send(plan.writes);
        // Settled once everything it asked for is in A&AI; an instance with a
        // delete to come is settled by the next full read.
        const known = snapshot.instances[read.summary.id];
        if (
          delivered && read.ok && !read.unchanged && read.key !== undefined &&
          plan.deletes.length === 0 && known
        ) {
          pass.changed();
          known.settled = settlementOf(
            read.key,
            read.resources.map((r) => r.readiness.verdict),
            started.getTime(),
            read.recheckAt,
          );
        }
      },
    },
  );

  // 4. Deletions under the safety rules (DESIGN §8).
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
  // A&AI unreachable for every write: a temporary failure (exit 75).
  if (sent > 0 && unreachable === sent) report.exitCode = 75;
  for (const id of Object.keys(deletion.misses)) {
    const known = snapshot.instances[id];
    if (!known || known.misses < config.deleteAfterMisses) continue;
    if (!Object.values(known.objects).some((o) => !o.foreign)) {
      delete snapshot.instances[id];
      pass.changed();
    }
  }
  return await finish();
}

/**
 * Plans one instance's writes from its read: `undefined` for an instance
 * that could not be read or placed (it is unknown this run), nothing for a
 * settled one read unchanged, else {@linkcode planWrites} against the
 * snapshot, or against A&AI itself when rebuilding (`--verify`, lost
 * snapshot). Objects A&AI holds under another owner, or already right, are
 * committed as such.
 */
async function planRead(
  pass: Pass,
  read: InstanceRead,
  placements: Placements,
  aaiLimit: LimitFunction,
): Promise<WritePlan | undefined> {
  const { report, log, config, snapshot } = pass;
  const id = read.summary.id;
  touchInstance(pass, read.summary);
  if (!read.ok) {
    report.instances.unknown.push(id);
    report.instances.failed.push({ id, error: read.error });
    report.errors.push(read.error);
    log.error(read.error, { instanceId: id });
    return undefined;
  }
  const placement = placements.get(read.summary.cloudRegion)!;
  if ("error" in placement) {
    report.instances.failed.push({ id, error: placement.error });
    report.instances.unknown.push(id);
    if (!report.errors.includes(placement.error)) {
      report.errors.push(placement.error);
      log.error(placement.error, { region: read.summary.cloudRegion });
    }
    return undefined;
  }
  const known = snapshot.instances[id]!;
  if (read.unchanged) {
    const verdicts = known.settled!.verdicts;
    for (const v of ["Ready", "Pending", "Failed"] as const) {
      report.resources[v] += verdicts[v];
    }
    report.instances.synced++;
    report.instances.unchanged++;
    return { writes: [], deletes: [], foreign: [], inStep: [] };
  }
  // Judged afresh: settled again only once its writes are confirmed.
  if (known.settled) {
    delete known.settled;
    pass.changed();
  }
  for (const r of read.resources) report.resources[r.readiness.verdict]++;
  const desired = desiredObjects(pass, read.resources, placement);
  const previous = known.objects;
  const needsLookup = pass.rebuild ||
    Object.keys(previous).length === 0 ||
    Object.values(previous).some((o) => !o.edges && !o.foreign);
  const vf = needsLookup || known.vfModule
    ? await vfModuleOf(pass, id, aaiLimit)
    : undefined;
  const relationships = vf ? relationshipsFor(vf, config.aai.apiVersion) : [];
  report.instances.synced++;
  const reference = pass.rebuild
    ? {
      from: "aai" as const,
      held: await readHeld(desired.map((d) => d.path), pass.deps.aai, {
        limit: aaiLimit,
        onError: (message, path) => {
          report.errors.push(message);
          log.error(message, { path });
        },
      }),
    }
    : { from: "snapshot" as const };
  const plan = planWrites(desired, {
    instanceId: id,
    previous,
    relationships,
    reference,
    ownership: ownershipOf(pass),
  });
  for (const { desired: d, owner } of plan.foreign) {
    recordForeign(pass, d, owner);
  }
  for (const d of plan.inStep) {
    recordInStep(pass, d, relationships.length > 0);
  }
  return plan;
}
