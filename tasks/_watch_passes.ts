/**
 * The passes of `sync --watch` (issue 17): full passes (every instance
 * read; at the start of a term, after a failure, and every
 * `--resync-interval`) and list passes in between (one `GET /v1/instance`,
 * reading only new, due, failed and audited-changed instances), each
 * followed by the bookkeeping it implies: what is remembered per instance,
 * the marks it made moot, the event sources and the recheck timer.
 *
 * @module
 */
import type {
  InstanceSummary,
  K8spluginClient,
} from "../adapters/k8splugin.ts";
import type {
  InstanceRead,
  ResidentSnapshot,
  Snapshot,
  SyncLogger,
  SyncOptions,
} from "../sync/mod.ts";
import type { DirtyScheduler, WatchedInstances } from "../sync/watch/mod.ts";
import { EXIT, type ExitCode, exitCodeFor } from "./_exit.ts";
import { dueForRead, type RecheckTimer } from "./_watch_recheck.ts";
import type { WatchSources } from "./_watch_sources.ts";
import type { WatchSubscriptions } from "./_watch_subscriptions.ts";

/** Least time between two relists asked for by events (ms). */
export const RELIST_MIN_INTERVAL_MS = 10_000;

/** What a pass of `sync --watch` is given beyond `onRead`. */
export interface PassExtras {
  /** The snapshot kept in memory while the process owns the state. */
  resident: ResidentSnapshot;
  /** A list pass: the list it fetched, and the listed instances to read. */
  listed?: InstanceSummary[];
  /** With `listed`: read only these (the others are left as they are). */
  readOnly?: ReadonlySet<string>;
  /** Shown every k8splugin `/status` read's entries (the subscription audit). */
  observeStatus?: SyncOptions["observeStatus"];
}

/** What runs one pass with the lock held (tasks/sync.ts `onePass`). */
export type FullPass = (
  onRead: (read: InstanceRead) => void,
  extras: PassExtras,
) => Promise<ExitCode>;

/** What {@linkcode WatchPasses} is given. */
export interface WatchPassesOptions {
  /** Runs one pass with the lock held. */
  fullPassOnce: FullPass;
  /** Lists the instances (a list pass, a relist for a new one). */
  k8splugin: Pick<K8spluginClient, "listInstances">;
  /** `--resync-interval`: time between full reads of every instance. */
  resyncIntervalMs: number;
  /** The snapshot in memory (its due rechecks; the passes keep it). */
  resident: ResidentSnapshot;
  /** Regions, rechecks and failed reads of the instances. */
  watched: WatchedInstances;
  /** Told every read (the bookkeeping and the subscription keeper). */
  onRead(read: InstanceRead): void;
  /** Shown every `/status` read's entries (the subscription audit). */
  observeStatus: SyncOptions["observeStatus"];
  /** Its marks of instances a pass just read are dropped. */
  scheduler: Pick<DirtyScheduler, "forget">;
  /** Kept after every pass. */
  sources: Pick<WatchSources, "follow">;
  /** With `--callback-url`: the audit of list passes and its suspects. */
  subscriptions:
    | Pick<WatchSubscriptions, "audit" | "suspect" | "keepOnly">
    | undefined;
  /** Armed after every pass. */
  recheck: Pick<RecheckTimer, "arm">;
  /** Where failures and the list pass's summary go. */
  log: SyncLogger;
}

/** The passes of one process, with what they remember between them. */
export class WatchPasses {
  readonly #options: WatchPassesOptions;
  /** What the last pass listed: the event sources follow it. */
  #listed: InstanceSummary[] = [];
  /** The newest list (a pass's, or a relist's for an instance an event named). */
  #latest: InstanceSummary[] = [];
  #latestIds = new Set<string>();
  #lastRelistMs = Number.NEGATIVE_INFINITY;
  /** A full read of every instance is due at the next pass. */
  #fullReadDue = true;
  #lastFullReadMs = Number.NEGATIVE_INFINITY;
  #firstPassDone = false;
  #lastCode: ExitCode = EXIT.OK;

  /** Stores the options; nothing runs until a pass is asked for. */
  constructor(options: WatchPassesOptions) {
    this.#options = options;
  }

  /** The instances listed last (by a pass, or a relist for a new one). */
  get listed(): InstanceSummary[] {
    return this.#latest;
  }

  /** Whether the newest list holds the instance. */
  isListed(instanceId: string): boolean {
    return this.#latestIds.has(instanceId);
  }

  /** The first pass of the term (or process) is done. */
  get firstPassDone(): boolean {
    return this.#firstPassDone;
  }

  /** The exit code of the last pass (or failed list). */
  get lastCode(): ExitCode {
    return this.#lastCode;
  }

  /** Asks for a full read at the next pass (e.g. the state lock was just taken). */
  readAllNext(): void {
    this.#fullReadDue = true;
  }

  /** A new leadership term: it starts with a full read, checking every subscription. */
  startTerm(): void {
    this.#firstPassDone = false;
    this.#fullReadDue = true;
  }

  /** The pass due now: a full one when asked for or at the resync interval, else a list pass. */
  next(): () => Promise<void> {
    const full = this.#fullReadDue ||
      Date.now() - this.#lastFullReadMs >= this.#options.resyncIntervalMs;
    this.#fullReadDue = false;
    return full ? () => this.#fullPass() : () => this.#listPass();
  }

  /**
   * Lists the instances again (an event named one not listed yet), at most
   * once per {@linkcode RELIST_MIN_INTERVAL_MS}: labelled objects of an
   * instance k8splugin does not list (still in PRE-INSTALL, or left behind)
   * must not make every event a list. The next pass still sees the new
   * instances as new (their event sources follow then).
   */
  async relist(): Promise<void> {
    if (Date.now() - this.#lastRelistMs < RELIST_MIN_INTERVAL_MS) return;
    this.#lastRelistMs = Date.now();
    this.#setLatest(await this.#options.k8splugin.listInstances());
    for (const s of this.#latest) {
      this.#options.watched.place(s.id, s.cloudRegion);
    }
  }

  #setLatest(listed: InstanceSummary[]): void {
    this.#latest = listed;
    this.#latestIds = new Set(listed.map((s) => s.id));
  }

  /** One full pass (every instance read), then the event sources it implies. */
  async #fullPass(): Promise<void> {
    const {
      fullPassOnce,
      resident,
      watched,
      onRead,
      observeStatus,
      scheduler,
      sources,
      recheck,
      log,
    } = this.#options;
    const before = new Set(this.#listed.map((s) => s.id));
    const failedBefore = [...watched.failedReads];
    const passStart = Date.now();
    const seen: InstanceSummary[] = [];
    const read: string[] = [];
    try {
      this.#lastCode = await fullPassOnce((r) => {
        seen.push(r.summary);
        if (r.ok) read.push(r.summary.id);
        onRead(r);
      }, { resident, observeStatus });
      if (this.#lastCode === EXIT.OK) this.#lastFullReadMs = passStart;
      else this.#fullReadDue = true;
    } catch (error) {
      this.#fullReadDue = true;
      this.#lastCode = exitCodeFor(error);
      log.error(`Sync pass failed: ${(error as Error).message}`);
    }
    if (seen.length > 0 || this.#lastCode === EXIT.OK) {
      this.#listed = seen;
      this.#setLatest(seen);
    }
    // After a whole pass, instances gone (or out of scope) are forgotten;
    // after a partial one, the next list pass does it.
    const whole = this.#lastCode === EXIT.OK;
    if (whole) this.#forgetAllBut(seen.map((s) => s.id));
    scheduler.forget(read, { before: passStart });
    // The first pass of a term checks every subscription (one GET each);
    // later ones follow the list, the audit watching the rest.
    await sources.follow(this.#listed, {
      before,
      failedBefore,
      scope: this.#firstPassDone ? "changes" : "all",
      whole,
    });
    recheck.arm();
    this.#firstPassDone = true;
  }

  /**
   * A list pass (between full reads): one `GET /v1/instance`. New instances
   * and those due (never settled, a recheck due) are read; the others are
   * left as they are; instances gone from the list count misses and are
   * deleted under the safety rules, as in a full pass.
   */
  async #listPass(): Promise<void> {
    const {
      fullPassOnce,
      k8splugin,
      resident,
      watched,
      onRead,
      observeStatus,
      scheduler,
      sources,
      subscriptions,
      recheck,
      log,
    } = this.#options;
    let fresh: InstanceSummary[];
    try {
      fresh = await k8splugin.listInstances();
    } catch (error) {
      this.#lastCode = exitCodeFor(error);
      log.error(
        `List pass: cannot list instances from k8splugin: ${
          (error as Error).message
        }`,
      );
      return;
    }
    const before = new Set(this.#listed.map((s) => s.id));
    const now = new Set(fresh.map((s) => s.id));
    const added = fresh.filter((s) => !before.has(s.id)).map((s) => s.id);
    const gone = [...before].filter((id) => !now.has(id));
    for (const s of fresh) watched.place(s.id, s.cloudRegion);
    const known = resident.snapshot as Snapshot | undefined;
    const readOnly = new Set(
      known ? dueForRead(known, Date.now()) : fresh.map((s) => s.id),
    );
    for (const s of fresh) {
      if (!known?.instances[s.id]) readOnly.add(s.id);
    }
    for (const id of added) readOnly.add(id);
    for (const [id, atMs] of watched.rechecks) {
      if (atMs <= Date.now()) readOnly.add(id);
    }
    // A failed read may have killed k8splugin's notifier: read it again,
    // and check its subscription after.
    const failedBefore = [...watched.failedReads].filter((id) => now.has(id));
    for (const id of failedBefore) readOnly.add(id);
    // The audit finds the instances that moved unseen: read now, their
    // subscriptions checked later.
    const audited = subscriptions && await subscriptions.audit(fresh);
    for (const id of audited?.read ?? []) readOnly.add(id);
    const passStart = Date.now();
    const read: string[] = [];
    try {
      this.#lastCode = await fullPassOnce((r) => {
        if (r.ok) read.push(r.summary.id);
        onRead(r);
      }, { resident, listed: fresh, readOnly, observeStatus });
    } catch (error) {
      this.#lastCode = exitCodeFor(error);
      log.error(`List pass failed: ${(error as Error).message}`);
    }
    this.#listed = fresh;
    this.#setLatest(fresh);
    // Instances gone, and ids only events named: forgotten.
    this.#forgetAllBut([...now]);
    scheduler.forget(read, { before: passStart });
    log.info(
      `List pass: ${fresh.length} listed · ${added.length} new · ${gone.length} gone · ${readOnly.size} read`,
    );
    await sources.follow(this.#listed, {
      before,
      failedBefore,
      scope: "changes-if-any",
      whole: true,
    });
    subscriptions?.suspect(audited?.changedUnseen ?? []);
    recheck.arm();
  }

  /** What is remembered per instance, pruned to these (the listed ones after a whole pass). */
  #forgetAllBut(instanceIds: readonly string[]): void {
    this.#options.watched.keepOnly(instanceIds);
    this.#options.subscriptions?.keepOnly(instanceIds);
  }
}
