/**
 * One pass of the sync loop (DESIGN §3): snapshot → list → read and evaluate
 * → map → diff → (deletion safety) → publish → commit → report. The lock is
 * the caller's business (tasks/sync.ts).
 *
 * @module
 */

import pLimit, { type LimitFunction } from "p-limit";
import type {
  AaiClient,
  AaiObject,
  AaiRelationship,
  VfModuleRef,
} from "../adapters/aai.ts";
import type {
  InstanceSummary,
  K8spluginClient,
} from "../adapters/k8splugin.ts";
import type { Readiness, Verdict } from "../rules/types.ts";
import { rollup } from "../rules/mod.ts";
import { type Config, ruleOptions } from "./config.ts";
import { diffAgainstAai, diffInstance, type PlannedOperation } from "./diff.ts";
import {
  createBody,
  type DesiredObject,
  type EvaluatedResource,
  fingerprintOf,
  k8sResourcePath,
  k8sResourcesPath,
  mapResource,
  ownedFieldsOf,
  type Placement,
  relationshipsFor,
} from "./mapping.ts";
import {
  isTransportError,
  type OperationResult,
  type Outcome,
  publish,
} from "./publish.ts";
import {
  emptySnapshot,
  loadSnapshot,
  readSnapshot,
  type Snapshot,
  type SnapshotObject,
  SnapshotWriter,
} from "./snapshot.ts";
import type { KubeSource } from "../adapters/kube.ts";
import { isSettled, settlementOf, settlementSalt } from "./settled.ts";
import {
  describeError,
  type InstanceRead,
  readInstances,
  type ReadOptions,
} from "./source.ts";

/** The logger sync writes to (a @logtape/logtape `Logger` fits). */
export interface SyncLogger {
  /** Detail for `-v`. */
  debug(message: string, properties?: Record<string, unknown>): void;
  /** Normal progress (each write). */
  info(message: string, properties?: Record<string, unknown>): void;
  /** Something skipped or degraded. */
  warn(message: string, properties?: Record<string, unknown>): void;
  /** Something failed (the pass exits non-zero). */
  error(message: string, properties?: Record<string, unknown>): void;
}

/** The peers and clock a run uses; tasks/ chooses the implementations. */
export interface SyncDeps {
  /** The source of instances and statuses. */
  k8splugin: K8spluginClient;
  /** Where objects are published. */
  aai: AaiClient;
  /** The kube client of a region, if it has one (called once per region per run). */
  kube?: (
    cloudRegion: string,
  ) => KubeSource | undefined | Promise<KubeSource | undefined>;
  /** The clock (default: the wall clock); rules and the snapshot use it. */
  now?: () => Date;
  /** Where progress goes (default: nowhere). */
  log?: SyncLogger;
}

/** What a run does. */
export interface SyncOptions {
  /** The validated configuration (see {@linkcode loadConfig}). */
  config: Config;
  /** Plan only: print operations, send no writes, keep the snapshot. */
  dryRun?: boolean;
  /** Ignore the snapshot for reads: GET every desired object, repair drift. */
  verify?: boolean;
  /** Only instances of these cloud regions. */
  regions?: string[];
  /** Only these instance ids. */
  instances?: string[];
  /** Overwrite/delete objects of another `data-owner`. */
  takeOwnership?: boolean;
  /** Lift the per-run delete cap and the empty-list guard. */
  allowMassDelete?: boolean;
  /** Overrides `config.source`. */
  source?: "k8splugin" | "kube";
  /**
   * Keep every sent operation in `report.operations` (default true; a dry
   * run always keeps its plan). A cold run sends one per resource, so
   * `deno task sync` turns this off and logs each write instead.
   */
  recordOperations?: boolean;
}

/** One A&AI operation as reported (planned, or sent with its outcome). */
export interface ReportedOperation {
  /** HTTP method of the write. */
  method: "PUT" | "PATCH" | "DELETE";
  /** A&AI object path without `/aai/{v}` (relationship path for relate). */
  path: string;
  /** Request body (PUT/PATCH), as planned; kept only in a `--dry-run` report. */
  body?: Record<string, unknown>;
  /** Why it is sent, for humans. */
  why: string;
  /** The k8splugin instance the object belongs to. */
  instanceId: string;
  /** What happened (absent in a dry run). */
  outcome?: OperationResult["outcome"];
  /** HTTP status of the decisive request, when known. */
  status?: number;
  /** X-TransactionId of the decisive request, when the client reports it. */
  transactionId?: string;
  /** Why it failed. */
  error?: string;
}

/** The outcome of one pass. */
export interface RunReport {
  /** ISO time the pass started (scenario time when `now` is given). */
  startedAt: string;
  /** Wall-clock duration of the pass. */
  durationMs: number;
  /** Whether nothing was sent. */
  dryRun: boolean;
  /** Instances in scope: listed, synced, unknown this run and why. */
  instances: {
    listed: number;
    synced: number;
    /** Synced without evaluating: settled, and read unchanged (settled.ts). */
    unchanged: number;
    unknown: string[];
    failed: { id: string; error: string }[];
  };
  /** Resources evaluated, by verdict. */
  resources: Record<Verdict, number>;
  /** Every planned (dry run) or sent operation with its outcome. */
  operations: ReportedOperation[];
  /** Confirmed writes by kind (planned ones in a dry run). */
  writes: {
    create: number;
    update: number;
    delete: number;
    adopt: number;
    relate: number;
    skipped: number;
  };
  /** Errors, one line each; any makes the exit code non-zero. */
  errors: string[];
  /** Things skipped or degraded that did not fail the pass. */
  warnings: string[];
  /** Deletes held back by the safety rules (DESIGN §8). */
  deletesHeld: number;
  /** Where a corrupt snapshot was moved. */
  snapshotMovedAside?: string;
  /** 0 all good, 1 something failed, 75 k8splugin unreachable. */
  exitCode: 0 | 1 | 2 | 75;
}

/** The silent logger. */
const QUIET: SyncLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** The default delete cap: max(20, 10 % of owned objects). */
export function defaultMaxDeletes(owned: number): number {
  return Math.max(20, Math.ceil(owned * 0.1));
}

/** State shared by the steps of one pass. */
interface Pass {
  deps: Required<Pick<SyncDeps, "k8splugin" | "aai">> & SyncDeps;
  options: SyncOptions;
  /** The validated configuration (see {@linkcode loadConfig}). */
  config: Config;
  log: SyncLogger;
  now: Date;
  snapshot: Snapshot;
  report: RunReport;
  rebuild: boolean;
  /**
   * Notes a change to `snapshot` outside a commit (those schedule a write
   * themselves), so that the pass writes the file; a pass that calls
   * neither leaves the file alone.
   */
  changed: () => void;
}

/** Resolves cloud owner and tenant of each region, caching them in the snapshot. */
async function resolvePlacements(
  pass: Pass,
  regions: string[],
): Promise<Map<string, Placement | { error: string }>> {
  const { config, snapshot, deps } = pass;
  const out = new Map<string, Placement | { error: string }>();
  for (const region of regions) {
    const rc = config.regions[region] ?? {};
    const cached = pass.rebuild ? undefined : snapshot.regions[region];
    let cloudOwner = rc.cloudOwner ?? cached?.cloudOwner;
    let tenantId = rc.tenantId ?? config.tenantId ?? cached?.tenantId;
    try {
      if (!cloudOwner) {
        try {
          cloudOwner = (await deps.k8splugin.getConnectivityInfo(region))
            .cloudOwner || undefined;
        } catch (error) {
          if (!config.cloudOwner) {
            throw new Error(
              `no cloud owner: set regions.${region}.cloudOwner or AAI_CLOUD_OWNER (k8splugin connectivity-info failed: ${
                describeError(error)
              })`,
            );
          }
        }
        cloudOwner ??= config.cloudOwner;
      }
      if (!cloudOwner) {
        throw new Error(
          `no cloud owner: set regions.${region}.cloudOwner or AAI_CLOUD_OWNER`,
        );
      }
      if (!tenantId) {
        const tenants = await deps.aai.listTenants(cloudOwner, region);
        if (tenants.length === 0) {
          throw new Error(
            `cloud region "${cloudOwner}/${region}" has no tenant in A&AI; create one or set regions.${region}.tenantId`,
          );
        }
        if (tenants.length > 1) {
          throw new Error(
            `cloud region "${cloudOwner}/${region}" has ${tenants.length} tenants (${
              tenants.map((t) => `"${t}"`).join(", ")
            }); choose one with regions.${region}.tenantId or AAI_TENANT_ID`,
          );
        }
        tenantId = tenants[0]!;
      }
      out.set(region, { cloudOwner, cloudRegion: region, tenantId });
      const known = snapshot.regions[region];
      if (
        !pass.options.dryRun &&
        (known?.cloudOwner !== cloudOwner || known.tenantId !== tenantId)
      ) {
        pass.changed();
        snapshot.regions[region] = {
          cloudOwner,
          tenantId,
          checkedAt: pass.now.toISOString(),
        };
      }
    } catch (error) {
      out.set(region, {
        error: `Cannot place instances of region "${region}" in A&AI: ${
          describeError(error)
        }`,
      });
    }
  }
  return out;
}

/**
 * The instance's vf-module (cached in the snapshot; lookups retried later).
 * A lookup is an A&AI request: under `limit`, it shares the writes'
 * concurrency.
 */
async function vfModuleOf(
  pass: Pass,
  instanceId: string,
  limit?: LimitFunction,
): Promise<VfModuleRef | undefined> {
  const known = pass.snapshot.instances[instanceId];
  const retryDue = !known?.vfModuleCheckedAt ||
    pass.now.getTime() - Date.parse(known.vfModuleCheckedAt) >=
      pass.config.vfModuleRetry;
  if (known?.vfModule && !pass.rebuild) return known.vfModule;
  if (known?.vfModule === null && !retryDue && !pass.rebuild) return undefined;
  try {
    const lookup = () => pass.deps.aai.findVfModules(instanceId);
    const found = await (limit ? limit(lookup) : lookup());
    if (found.length > 1) {
      pass.report.warnings.push(
        `Instance "${instanceId}" has ${found.length} vf-modules in A&AI with that heat-stack-id; relating to the first`,
      );
    }
    const vf = found[0] ?? null;
    if (known) {
      known.vfModule = vf;
      known.vfModuleCheckedAt = pass.now.toISOString();
      pass.changed();
    }
    return vf ?? undefined;
  } catch (error) {
    pass.log.warn(
      `Cannot look up the vf-module of instance "${instanceId}" in A&AI: ${
        describeError(error)
      }`,
      { instanceId },
    );
    return undefined;
  }
}

/** Operations as reported (without sending). */
function toReported(op: PlannedOperation): ReportedOperation {
  switch (op.op) {
    case "create":
      return {
        method: "PUT",
        path: op.path,
        body: op.body,
        why: op.why,
        instanceId: op.instanceId,
      };
    case "update":
      return {
        method: "PATCH",
        path: op.path,
        body: op.body,
        why: op.why,
        instanceId: op.instanceId,
      };
    case "relate":
      return {
        method: "PUT",
        path: `${op.path}/relationship-list/relationship`,
        body: { relationships: op.relationships },
        why: op.why,
        instanceId: op.instanceId,
      };
    case "delete":
      return {
        method: "DELETE",
        path: op.path,
        why: op.why,
        instanceId: op.instanceId,
      };
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
  const d = op.desired;
  const instance = pass.snapshot.instances[d.instanceId] ??= {
    cloudRegion: d.cloudRegion,
    misses: 0,
    objects: {},
  };
  const previous = instance.objects[op.path];
  const entry: SnapshotObject = {
    key: d.key,
    ...fingerprintOf(d.fields),
    verdict: d.verdict,
    reason: d.reason,
    publishedAt: pass.now.toISOString(),
    edges: result.edges || (previous?.edges ?? false),
  };
  if (result.outcome === "skipped" && result.foreignOwner) {
    entry.foreign = result.foreignOwner;
  }
  instance.objects[op.path] = entry;
}

/** Resolves the kube clients and the A&AI placement of the regions in play. */
async function prepare(
  pass: Pass,
  summaries: InstanceSummary[],
): Promise<{
  placements: Map<string, Placement | { error: string }>;
  kubes: Map<string, KubeSource | undefined>;
}> {
  const regions = [...new Set(summaries.map((s) => s.cloudRegion))].sort();
  const kubes = new Map<string, KubeSource | undefined>();
  for (const region of regions) {
    try {
      kubes.set(region, await pass.deps.kube?.(region));
    } catch (error) {
      pass.report.warnings.push(
        `Cannot build a kube client for region "${region}": ${
          describeError(error)
        }`,
      );
      kubes.set(region, undefined);
    }
  }
  return { placements: await resolvePlacements(pass, regions), kubes };
}

/** How {@linkcode readInstances} reads for this pass. */
function readOptions(
  pass: Pass,
  kubes: Map<string, KubeSource | undefined>,
): ReadOptions {
  return {
    k8splugin: pass.deps.k8splugin,
    kubeFor: (region) => kubes.get(region),
    source: pass.options.source ?? pass.config.source,
    concurrency: pass.config.k8splugin.concurrency,
    now: pass.now,
    ruleOptions: ruleOptions(pass.config),
    warn: (message, properties) => pass.log.warn(message, properties),
  };
}

/** Maps an instance's evaluated resources into desired objects. */
function mapAll(
  pass: Pass,
  resources: EvaluatedResource[],
  placement: Placement,
): DesiredObject[] {
  const options = {
    k8spluginUrl: pass.config.k8splugin.url,
    owner: pass.config.owner,
    labelPrefix: pass.config.labelPrefix,
  };
  return resources.map((r) => mapResource(r, placement, options));
}

function newReport(now: Date, dryRun: boolean): RunReport {
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
    },
    errors: [],
    warnings: [],
    deletesHeld: 0,
    exitCode: 0,
  };
}

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
  const clock = deps.now ?? (() => new Date());
  const started = clock();
  const startedMs = performance.now();
  const config = options.config;
  const log = deps.log ?? QUIET;
  const dryRun = options.dryRun ?? false;
  const report = newReport(started, dryRun);
  // 1. List, while the snapshot loads (one waits on the network, the other
  // on the disk and the CPU).
  const [listing, loading] = await Promise.allSettled([
    deps.k8splugin.listInstances(),
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
  const writer = new SnapshotWriter(config.snapshot, loaded.snapshot, clock);
  const pass: Pass = {
    deps,
    options,
    config,
    log,
    now: started,
    snapshot: loaded.snapshot,
    report,
    rebuild: Boolean(options.verify) || Boolean(loaded.movedAside),
    changed: () => writer.markChanged(),
  };
  const finish = async (): Promise<RunReport> => {
    if (!dryRun) await writer.flush();
    report.durationMs = Math.round(performance.now() - startedMs);
    report.exitCode = report.exitCode !== 0
      ? report.exitCode
      : report.errors.length > 0
      ? 1
      : 0;
    return report;
  };

  if (listing.status === "rejected") {
    const error = listing.reason;
    report.errors.push(
      `Cannot list instances from k8splugin: ${describeError(error)}`,
    );
    log.error(report.errors[0]!);
    report.exitCode = isTransportError(error) ? 75 : 1;
    return await finish();
  }
  const listed = listing.value;
  const regionFilter = options.regions?.length
    ? new Set(options.regions)
    : undefined;
  const instanceFilter = options.instances?.length
    ? new Set(options.instances)
    : undefined;
  function inScope(id: string, region: string): boolean {
    return (!regionFilter || regionFilter.has(region)) &&
      (!instanceFilter || instanceFilter.has(id));
  }
  const summaries = listed.filter((s) => inScope(s.id, s.cloudRegion));
  report.instances.listed = summaries.length;

  // 2. Place; then read, evaluate, map, diff and publish instance by
  // instance (DESIGN §3 steps 3–8). Each instance's creates and updates go
  // out inside its read slot, so a run holds the instances in flight rather
  // than the whole fleet, and reads never outrun what A&AI accepts. Deletes
  // wait for the safety rules of steps 3–4.
  const { placements, kubes } = await prepare(pass, summaries);
  const regionInScope = (region: string) =>
    !regionFilter || regionFilter.has(region);
  if (pass.rebuild) {
    await discoverOwned(pass, placements, inScope, regionInScope);
  }
  const aaiLimit = pLimit(config.aai.concurrency);
  const deletes: PlannedOperation[] = [];
  /** Dry run: planned writes per instance, reported in list order. */
  const planned = new Map<string, PlannedOperation[]>();
  let sent = 0;
  let unreachable = 0;
  /** Publishes `operations`; true when none failed. */
  async function send(operations: PlannedOperation[]): Promise<boolean> {
    if (operations.length === 0) return true;
    const results = await publish(operations, {
      aai: deps.aai,
      concurrency: config.aai.concurrency,
      limit: aaiLimit,
      owner: config.owner,
      takeOwnership: options.takeOwnership ?? false,
      bulk: config.aai.bulk,
      warn: (message, properties) => {
        report.warnings.push(message);
        log.warn(message, properties);
      },
      onResult: (result) => {
        recordResult(pass, result);
        writer.schedule();
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
        isSettled(pass.snapshot.instances[summary.id], key, started.getTime()),
    },
    async (read) => {
      const ops = await planRead(pass, read, placements, aaiLimit);
      if (ops === undefined) return;
      const writes: PlannedOperation[] = [];
      for (const op of ops) (op.op === "delete" ? deletes : writes).push(op);
      if (dryRun) {
        planned.set(read.summary.id, writes);
        return;
      }
      const delivered = await send(writes);
      // Settled once everything it asked for is in A&AI; an instance with a
      // delete to come is settled by the next full read.
      const known = pass.snapshot.instances[read.summary.id];
      if (
        delivered && read.ok && !read.unchanged && read.key !== undefined &&
        writes.length === ops.length && known
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
  );
  const operations = summaries.flatMap((s) => planned.get(s.id) ?? []);

  // 3. Instances gone from a successful list (DESIGN §8).
  const listedIds = new Set(listed.map((s) => s.id));
  const scopedKnown = Object.entries(pass.snapshot.instances).filter((
    [id, i],
  ) => inScope(id, i.cloudRegion));
  const suspicious = listed.length === 0 && !options.allowMassDelete &&
    scopedKnown.filter(([, i]) => Object.keys(i.objects).length > 0)
        .length >= config.emptyListGuard;
  if (suspicious) {
    const message =
      `k8splugin listed no instances while the snapshot holds ${scopedKnown.length}: deleting nothing (rerun with --allow-mass-delete if they are really gone)`;
    report.errors.push(message);
    log.error(message);
  } else {
    for (const [id, known] of scopedKnown) {
      if (listedIds.has(id)) continue;
      if (!dryRun) {
        known.misses++;
        pass.changed();
      }
      const misses = dryRun ? known.misses + 1 : known.misses;
      if (misses < config.deleteAfterMisses) {
        log.info(
          `Instance "${id}" missing from k8splugin's list (${misses}/${config.deleteAfterMisses}); keeping its objects for now`,
          { instanceId: id, misses },
        );
        continue;
      }
      const owned = Object.entries(known.objects).filter(([, o]) => !o.foreign);
      if (owned.length === 0 && !dryRun) {
        delete pass.snapshot.instances[id];
        pass.changed();
      }
      for (const [path, o] of owned) {
        deletes.push({
          op: "delete",
          path,
          instanceId: id,
          why:
            `${o.key}: instance ${id} gone from k8splugin for ${misses} runs`,
        });
      }
    }
  }

  // 4. Delete cap.
  const cap = config.maxDeletesPerRun ??
    defaultMaxDeletes(ownedCount(pass.snapshot));
  const allowedDeletes: PlannedOperation[] = [];
  if (deletes.length > cap && !options.allowMassDelete) {
    const message =
      `Refusing to delete ${deletes.length} objects from A&AI in one run (limit ${cap}, maxDeletesPerRun): deleting none; rerun with --allow-mass-delete if this is intended`;
    report.errors.push(message);
    log.error(message, { deletes: deletes.length, cap });
    report.deletesHeld = deletes.length;
  } else {
    allowedDeletes.push(...deletes);
  }

  // 5. Publish the deletes (a dry run reports everything it planned).
  if (dryRun) {
    const all = [...operations, ...allowedDeletes];
    report.operations = all.map(toReported);
    for (const op of all) report.writes[op.op]++;
    return await finish();
  }
  await send(allowedDeletes);

  // A&AI unreachable for every write: a temporary failure (exit 75).
  if (sent > 0 && unreachable === sent) report.exitCode = 75;

  // 6. Forget instances whose objects are all gone.
  for (const [id, known] of scopedKnown) {
    if (listedIds.has(id) || known.misses < config.deleteAfterMisses) continue;
    if (!Object.values(known.objects).some((o) => !o.foreign)) {
      delete pass.snapshot.instances[id];
      pass.changed();
    }
  }
  return await finish();
}

/** Objects we own (not another owner's) across the snapshot. */
function ownedCount(snapshot: Snapshot): number {
  let count = 0;
  for (const instance of Object.values(snapshot.instances)) {
    for (const o of Object.values(instance.objects)) if (!o.foreign) count++;
  }
  return count;
}

/**
 * Plans one instance's writes from its read: `undefined` for an instance
 * that could not be read or placed (it is unknown this run), nothing for a
 * settled one read unchanged, else the diff of its desired objects against
 * the snapshot, or against A&AI itself when rebuilding (`--verify`, lost
 * snapshot).
 */
async function planRead(
  pass: Pass,
  read: InstanceRead,
  placements: Map<string, Placement | { error: string }>,
  aaiLimit: LimitFunction,
): Promise<PlannedOperation[] | undefined> {
  const { report, log, config } = pass;
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
  const known = pass.snapshot.instances[id];
  if (read.unchanged) {
    const verdicts = known!.settled!.verdicts;
    for (const v of ["Ready", "Pending", "Failed"] as const) {
      report.resources[v] += verdicts[v];
    }
    report.instances.synced++;
    report.instances.unchanged++;
    return [];
  }
  // Judged afresh: settled again only once its writes are confirmed.
  if (known?.settled && !pass.options.dryRun) {
    delete known.settled;
    pass.changed();
  }
  for (const r of read.resources) report.resources[r.readiness.verdict]++;
  const desired = mapAll(pass, read.resources, placement);
  const previous = pass.snapshot.instances[id]?.objects ?? {};
  const isNew = Object.keys(previous).length === 0;
  const needsLookup = isNew || pass.rebuild ||
    Object.values(previous).some((o) => !o.edges && !o.foreign);
  const vf = needsLookup || pass.snapshot.instances[id]?.vfModule
    ? await vfModuleOf(pass, id, aaiLimit)
    : undefined;
  const relationships = vf ? relationshipsFor(vf, config.aai.apiVersion) : [];
  report.instances.synced++;
  if (!pass.rebuild) {
    return diffInstance(desired, previous, { relationships }, id);
  }
  const ops: PlannedOperation[] = [];
  await Promise.all(desired.map((d) =>
    aaiLimit(async () => {
      try {
        const op = verifyObject(pass, d, await pass.deps.aai.get(d.path), {
          relationships,
        });
        if (op) ops.push(op);
      } catch (error) {
        const message = `Cannot read ${d.path} from A&AI: ${
          describeError(error)
        }`;
        report.errors.push(message);
        log.error(message, { path: d.path });
      }
    })
  ));
  const wanted = new Set(desired.map((d) => d.path));
  for (const [path, before] of Object.entries(previous)) {
    if (!wanted.has(path) && !before.foreign) {
      ops.push({
        op: "delete",
        path,
        instanceId: id,
        why: `${before.key}: gone from instance ${id}`,
      });
    }
  }
  return ops;
}

/**
 * Rebuild: the write one desired object needs against what A&AI holds. An
 * object of another `data-owner` is left alone (and remembered as theirs);
 * one already right is recorded in the snapshot without a write.
 */
function verifyObject(
  pass: Pass,
  d: DesiredObject,
  actual: AaiObject | undefined,
  context: { relationships: AaiRelationship[] },
): PlannedOperation | undefined {
  const { config, options, report } = pass;
  const dryRun = options.dryRun ?? false;
  const owner = actual?.["data-owner"];
  if (
    actual && typeof owner === "string" && owner &&
    owner !== config.owner && !options.takeOwnership
  ) {
    report.writes.skipped++;
    report.warnings.push(
      `Leaving ${d.key} alone in A&AI: it belongs to data-owner "${owner}"`,
    );
    if (!dryRun) {
      commit(pass, {
        op: {
          op: "create",
          path: d.path,
          instanceId: d.instanceId,
          body: createBody(d, []),
          desired: d,
          relationships: [],
          why: "",
        },
        outcome: "skipped",
        edges: false,
        foreignOwner: owner,
        requests: 1,
      });
    }
    return undefined;
  }
  const op = diffAgainstAai(d, actual, context.relationships);
  if (!op && !dryRun) {
    commit(pass, {
      op: {
        op: "relate",
        path: d.path,
        instanceId: d.instanceId,
        desired: d,
        relationships: context.relationships,
        why: "",
      },
      outcome: "unchanged",
      edges: context.relationships.length > 0,
      requests: 1,
    });
  }
  return op;
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
};

/**
 * Takes one confirmed (or failed) result into the snapshot and the report:
 * the commit point of DESIGN §6, the write counters, and a log line.
 */
function recordResult(pass: Pass, result: OperationResult): void {
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

/** The label k8splugin puts on every object it creates. */
const INSTANCE_LABEL = "k8splugin.io/rb-instance-id=";

/**
 * Rebuild/verify: finds the objects A&AI holds under our `data-owner` in
 * each region's tenant (one collection GET per tenant) and adds those the
 * snapshot does not know, keyed to their instance by the
 * `k8splugin.io/rb-instance-id` label. Vanished resources of instances read
 * this run are then deleted, and objects of instances k8splugin no longer
 * lists go through the usual misses (DESIGN §8), so a lost snapshot loses
 * nothing.
 */
async function discoverOwned(
  pass: Pass,
  placements: Map<string, Placement | { error: string }>,
  inScope: (id: string, region: string) => boolean,
  regionInScope: (region: string) => boolean,
): Promise<void> {
  const regions = new Set([
    ...placements.keys(),
    ...Object.keys(pass.config.regions),
  ]);
  const extra = [...regions].filter((r) =>
    !placements.has(r) && regionInScope(r)
  );
  const more = await resolvePlacements(pass, extra);
  for (const [region, placement] of [...placements, ...more]) {
    if ("error" in placement) continue;
    const collection = k8sResourcesPath(placement);
    let found: Record<string, unknown>[];
    try {
      const body = await pass.deps.aai.get(
        `${collection}?data-owner=${encodeURIComponent(pass.config.owner)}`,
      );
      const list = body?.["k8s-resource"];
      found = Array.isArray(list) ? list : [];
    } catch (error) {
      pass.report.warnings.push(
        `Cannot list our objects in A&AI for region "${region}": ${
          describeError(error)
        }`,
      );
      continue;
    }
    for (const object of found) {
      const fields = ownedFieldsOf(object);
      if (!fields.id || object["data-owner"] !== pass.config.owner) continue;
      const label = fields.labels?.find((l) => l.startsWith(INSTANCE_LABEL));
      if (!label) continue;
      const instanceId = label.slice(INSTANCE_LABEL.length);
      if (!inScope(instanceId, region)) continue;
      const path = k8sResourcePath(placement, fields.id);
      const instance = pass.snapshot.instances[instanceId] ??= {
        cloudRegion: region,
        misses: 0,
        objects: {},
      };
      if (instance.objects[path]) continue;
      pass.changed();
      const readiness = (key: string) =>
        fields.labels?.find((l) =>
          l.startsWith(`${pass.config.labelPrefix}${key}=`)
        )
          ?.split("=").slice(1).join("=") ?? "";
      const verdict = readiness("readiness");
      instance.objects[path] = {
        key:
          `${fields.group}/${fields.version}/${fields.kind}/${fields.namespace}/${fields.name}`,
        ...fingerprintOf(fields),
        verdict: verdict === "Ready" || verdict === "Failed"
          ? verdict
          : "Pending",
        reason: readiness("reason"),
        publishedAt: pass.now.toISOString(),
        edges: hasEdges(object),
      };
    }
  }
}

/** Whether an A&AI object carries any relationship. */
function hasEdges(object: Record<string, unknown>): boolean {
  const list = (object["relationship-list"] as { relationship?: unknown })
    ?.relationship;
  return Array.isArray(list) && list.length > 0;
}

/** Marks an instance as seen in a successful list: no misses, its region. */
function touchInstance(pass: Pass, summary: InstanceSummary): void {
  if (pass.options.dryRun) return;
  const known = pass.snapshot.instances[summary.id];
  if (known?.misses === 0 && known.cloudRegion === summary.cloudRegion) return;
  pass.changed();
  if (known) {
    known.misses = 0;
    known.cloudRegion = summary.cloudRegion;
  } else {
    pass.snapshot.instances[summary.id] = {
      cloudRegion: summary.cloudRegion,
      misses: 0,
      objects: {},
    };
  }
}

/** What `check` shows for one instance. */
export interface InstancePlan {
  /** The instance as k8splugin lists it. */
  instance: InstanceSummary;
  /** Its resources with their verdicts. */
  resources: EvaluatedResource[];
  /** The instance verdict (worst resource decides). */
  rollup: Readiness;
  /** What a sync would send for it now. */
  planned: PlannedOperation[];
  /** The desired A&AI objects (create bodies). */
  aai: Record<string, unknown>[];
  /** Where its objects live in A&AI. */
  placement?: Placement;
  /** Why it cannot be placed in A&AI, when it cannot. */
  error?: string;
}

/**
 * Reads, evaluates and plans one instance without writing anything (for
 * `check`): the operations are diffed against the snapshot, or against A&AI
 * itself when `options.verify` is set.
 *
 * @throws {Error} when k8splugin does not list the instance or it cannot be read.
 */
export async function planInstance(
  deps: SyncDeps,
  options: SyncOptions,
  instanceId: string,
): Promise<InstancePlan> {
  const clock = deps.now ?? (() => new Date());
  const now = clock();
  const config = options.config;
  let snapshot: Snapshot;
  try {
    snapshot = await readSnapshot(config.snapshot);
  } catch {
    snapshot = emptySnapshot(now);
  }
  const report = newReport(now, true);
  const pass: Pass = {
    deps,
    options: { ...options, dryRun: true },
    config,
    log: deps.log ?? QUIET,
    now,
    snapshot: structuredClone(snapshot),
    report,
    rebuild: Boolean(options.verify),
    changed: () => {},
  };
  const listed = await deps.k8splugin.listInstances();
  const summary = listed.find((s) => s.id === instanceId);
  if (!summary) {
    throw new Error(
      `Cannot find instance "${instanceId}" in k8splugin's instance list`,
    );
  }
  const { placements, kubes } = await prepare(pass, [summary]);
  let read: InstanceRead | undefined;
  await readInstances([summary], readOptions(pass, kubes), (r) => {
    read = r;
  });
  if (!read) throw new Error(`Cannot read instance "${instanceId}"`);
  if (!read.ok) throw new Error(read.error, { cause: read.cause });
  // Without `isSettled` in the read options every read is evaluated.
  if (read.unchanged) throw new Error(`Instance "${instanceId}" not evaluated`);
  const roll = rollup(
    read.resources.map((r) => ({
      ...r.readiness,
      resource: `${r.gvk.kind}/${r.name}`,
    })),
  );
  const placement = placements.get(summary.cloudRegion)!;
  if ("error" in placement) {
    return {
      instance: summary,
      resources: read.resources,
      rollup: roll,
      planned: [],
      aai: [],
      error: placement.error,
    };
  }
  const desired = mapAll(pass, read.resources, placement);
  const vf = await vfModuleOf(pass, instanceId);
  const relationships = vf ? relationshipsFor(vf, config.aai.apiVersion) : [];
  const previous = snapshot.instances[instanceId]?.objects ?? {};
  let planned: PlannedOperation[];
  if (options.verify) {
    planned = [];
    for (const d of desired) {
      const op = diffAgainstAai(d, await deps.aai.get(d.path), relationships);
      if (op) planned.push(op);
    }
  } else {
    planned = diffInstance(desired, previous, { relationships }, instanceId);
  }
  return {
    instance: summary,
    resources: read.resources,
    rollup: roll,
    planned,
    aai: desired.map((d) => createBody(d, relationships)),
    placement,
  };
}
