/**
 * What one pass is given and shares: the peers and clock it uses
 * ({@linkcode SyncDeps}), what it is asked to do ({@linkcode SyncOptions}),
 * the report it returns ({@linkcode RunReport}), and the state its steps
 * share ({@linkcode Pass}).
 *
 * @module
 */

import type { AaiClient } from "../adapters/aai.ts";
import type {
  InstanceSummary,
  K8spluginClient,
  ResourceStatus,
} from "../adapters/k8splugin.ts";
import type { KubeSource } from "../adapters/kube.ts";
import type { Verdict } from "../rules/types.ts";
import type { Config } from "./config.ts";
import { formatDuration } from "./config_fields.ts";
import type { OperationResult } from "./publish.ts";
import type { Snapshot } from "./snapshot.ts";
import type { InstanceRead } from "./source.ts";

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
  /**
   * Fires at the pass deadline (the caller's clients abort their requests
   * with it); without it the pass still stops starting work after
   * `config.passDeadline`.
   */
  deadline?: AbortSignal;
}

/** The reason a pass deadline aborts with. */
export class PassDeadlineError extends Error {
  /** The deadline, in ms. */
  readonly deadlineMs: number;
  /** Builds the error for a deadline of `deadlineMs`. */
  constructor(deadlineMs: number) {
    super(`Pass deadline of ${formatDuration(deadlineMs)} reached`);
    this.name = "PassDeadlineError";
    this.deadlineMs = deadlineMs;
  }
}

/** What a run does. */
export interface SyncOptions {
  /** The validated configuration (see {@linkcode loadConfig}). */
  config: Config;
  /** Plan only: print operations, send no writes, keep the snapshot. */
  dryRun?: boolean | undefined;
  /** Ignore the snapshot for reads: GET every desired object, repair drift. */
  verify?: boolean | undefined;
  /** Only instances of these cloud regions. */
  regions?: string[] | undefined;
  /** Only these instance ids. */
  instances?: string[] | undefined;
  /** Overwrite/delete objects of another `data-owner`. */
  takeOwnership?: boolean | undefined;
  /** Lift the per-run delete cap and the empty-list guard. */
  allowMassDelete?: boolean | undefined;
  /**
   * The `data-owner` the snapshot's objects were written under, when the
   * `owner` setting changed: this pass treats it as ours, verifies every
   * object against A&AI and PATCHes its `data-owner` to the new one.
   */
  migrateOwner?: string | undefined;
  /** Overrides `config.source`. */
  source?: "k8splugin" | "kube" | undefined;
  /**
   * Keep every sent operation in `report.operations` (default true; a dry
   * run always keeps its plan). A cold run sends one per resource, so
   * `deno task sync` turns this off and logs each write instead.
   */
  recordOperations?: boolean | undefined;
  /**
   * Log a progress line at most this often while instances are read, in ms
   * (default 10 000): a pass over thousands of instances takes minutes.
   */
  progressEveryMs?: number | undefined;
  /**
   * The instance list to use instead of asking k8splugin for one (the
   * one-instance path of `sync --watch` reuses the last full pass's list).
   */
  listed?: readonly InstanceSummary[] | undefined;
  /**
   * Decide no instance-level deletion: no misses are counted, so no
   * instance's objects go; resources gone from an instance read fine are
   * still deleted. The one-instance path of `sync --watch` sets it: only a
   * full pass decides that an instance is gone.
   */
  eventDriven?: boolean | undefined;
  /** Told about every instance read (its outcome), e.g. to keep watches and subscriptions. */
  onRead?: ((read: InstanceRead) => void) | undefined;
  /**
   * Shown the entries of every k8splugin `/status` read (settled ones are
   * parsed for it): `sync --watch` audits its subscriptions with them.
   */
  observeStatus?:
    | ((summary: InstanceSummary, resources: ResourceStatus[]) => void)
    | undefined;
  /**
   * A list pass (`sync --watch` between full reads): of the listed
   * instances only these are read; the others count as listed (no miss)
   * and are left as they are. Instances gone from the list count misses
   * and are deleted under the usual safety rules, as in a full pass.
   */
  readOnly?: ReadonlySet<string> | undefined;
  /**
   * The snapshot kept in memory by a long-running process that owns the
   * state (`sync --watch` holds the state lock): loaded from disk when
   * empty, then reused by every run; each commit is still written to disk
   * atomically. Cleared when a run fails, so the next one reloads the file.
   * Ignored by a dry run.
   */
  resident?: ResidentSnapshot | undefined;
}

/** A snapshot held in memory across runs (see {@linkcode SyncOptions.resident}). */
export interface ResidentSnapshot {
  /**
   * The snapshot (a `Snapshot` of sync/snapshot.ts, opaque here), once
   * loaded; `undefined` to load it from disk.
   */
  snapshot?: object | undefined;
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
    /** Listed by k8splugin and in scope. */
    listed: number;
    /** Read and planned. */
    synced: number;
    /** Synced without evaluating: settled, and read unchanged (settled.ts). */
    unchanged: number;
    /** Not read or not placed this run: their objects are left as they are. */
    unknown: string[];
    /** Why each unknown one failed. */
    failed: { id: string; error: string }[];
  };
  /** Resources evaluated, by verdict. */
  resources: Record<Verdict, number>;
  /** Every planned (dry run) or sent operation with its outcome. */
  operations: ReportedOperation[];
  /** Confirmed writes by kind (planned ones in a dry run). */
  writes: {
    /** Objects created. */
    create: number;
    /** Objects patched. */
    update: number;
    /** Objects deleted (or found gone). */
    delete: number;
    /** Objects adopted after a 412 on create. */
    adopt: number;
    /** Relationships added. */
    relate: number;
    /** Objects of another `data-owner` left alone. */
    skipped: number;
    /** Other owners' objects given our readiness labels (policy `annotate`). */
    annotate: number;
  };
  /** Errors, one line each; any makes the exit code non-zero. */
  errors: string[];
  /** Things skipped or degraded that did not fail the pass. */
  warnings: string[];
  /** Deletes held back by the safety rules (DESIGN §8). */
  deletesHeld: number;
  /** Where a corrupt snapshot was moved. */
  snapshotMovedAside?: string;
  /** The pass stopped at `passDeadline`; the rest is left for the next pass. */
  deadlineExceeded?: boolean;
  /** 0 all good, 1 something failed, 75 k8splugin unreachable or the pass deadline reached. */
  exitCode: 0 | 1 | 2 | 75;
}

/** The silent logger. */
export const QUIET: SyncLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/**
 * State shared by the steps of one pass. A dry run's `snapshot` is a copy
 * that is never written, so its steps change it like any pass would.
 */
export interface Pass {
  /** The peers. */
  deps: SyncDeps;
  /** What the pass was asked to do. */
  options: SyncOptions;
  /** The validated configuration (see {@linkcode loadConfig}). */
  config: Config;
  /** Where progress goes. */
  log: SyncLogger;
  /** The time the pass judges at. */
  now: Date;
  /** The snapshot the pass reads and commits to. */
  snapshot: Snapshot;
  /** The report it fills. */
  report: RunReport;
  /** Whether A&AI, not the snapshot, is the reference (`--verify`, lost snapshot). */
  rebuild: boolean;
  /**
   * Notes a change to `snapshot` outside a commit (those schedule a write
   * themselves), so that the pass writes the file; a pass that calls
   * neither leaves the file alone.
   */
  changed: () => void;
}
