/**
 * The rechecks of `sync --watch` (issue 17): a rule's `recheckAt` (a
 * settlement that ends before its age limit) and a read's grace period
 * mark their instance dirty when due, without waiting for the next pass.
 *
 * @module
 */
import type { ResidentSnapshot, Snapshot } from "../sync/mod.ts";
import type { WatchedInstances } from "../sync/watch/mod.ts";
import { SETTLED_MAX_AGE_MS } from "../sync/settled.ts";

/**
 * The instances of `snapshot` a list pass reads besides new ones: those
 * whose settlement ends at a rule's recheck (`recheckAt`) now due.
 */
export function dueForRead(snapshot: Snapshot, nowMs: number): Set<string> {
  const due = new Set<string>();
  for (const [id, instance] of Object.entries(snapshot.instances)) {
    const settled = instance.settled;
    if (!settled) continue;
    const until = Date.parse(settled.until);
    // A settlement that ends at its age limit is a resync's business.
    if (until - Date.parse(settled.at) < SETTLED_MAX_AGE_MS && until <= nowMs) {
      due.add(id);
    }
  }
  return due;
}

/** The earliest future `recheckAt` of `snapshot`, with the instances due then. */
export function nextRecheck(
  snapshot: Snapshot,
  afterMs: number,
): { atMs: number; ids: string[] } | undefined {
  let atMs = Infinity;
  let ids: string[] = [];
  for (const [id, instance] of Object.entries(snapshot.instances)) {
    const settled = instance.settled;
    if (!settled) continue;
    const until = Date.parse(settled.until);
    if (
      until - Date.parse(settled.at) >= SETTLED_MAX_AGE_MS || until <= afterMs
    ) continue;
    if (until < atMs) {
      atMs = until;
      ids = [id];
    } else if (until === atMs) ids.push(id);
  }
  return ids.length ? { atMs, ids } : undefined;
}

/** What a {@linkcode RecheckTimer} looks at, and whom it tells. */
export interface RecheckTimerOptions {
  /** The snapshot in memory: the rules' `recheckAt`s. */
  resident: ResidentSnapshot;
  /** The rechecks reads asked for (grace periods), dropped once marked. */
  watched: Pick<WatchedInstances, "rechecks" | "dropRecheck">;
  /** False while no recheck may be armed (not leading, or stopping). */
  armable(): boolean;
  /** Marks an instance dirty. */
  mark(instanceId: string): void;
}

/**
 * One timer, set for the earliest recheck: when it fires it marks every
 * instance due (by the snapshot's `recheckAt`s and the reads' rechecks),
 * then arms itself for the next one.
 */
export class RecheckTimer {
  readonly #options: RecheckTimerOptions;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #atMs = Number.POSITIVE_INFINITY;

  /** Stores the options; nothing is armed until {@linkcode RecheckTimer.arm}. */
  constructor(options: RecheckTimerOptions) {
    this.#options = options;
  }

  /** Sets the timer for the earliest recheck, unless it is already set as early. */
  arm(): void {
    const { resident, watched, armable, mark } = this.#options;
    if (!armable()) return;
    const snapshot = resident.snapshot as Snapshot | undefined;
    let next = snapshot ? nextRecheck(snapshot, Date.now()) : undefined;
    for (const [id, atMs] of watched.rechecks) {
      if (!next || atMs < next.atMs) next = { atMs, ids: [id] };
    }
    if (!next || next.atMs >= this.#atMs) return;
    clearTimeout(this.#timer);
    this.#atMs = next.atMs;
    const timer = this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#atMs = Number.POSITIVE_INFINITY;
      const now = resident.snapshot as Snapshot | undefined;
      if (now) {
        for (const id of dueForRead(now, Date.now())) mark(id);
      }
      for (const [id, atMs] of watched.rechecks) {
        if (atMs > Date.now()) continue;
        watched.dropRecheck(id);
        mark(id);
      }
      this.arm();
    }, Math.max(0, next.atMs - Date.now()));
    Deno.unrefTimer(timer);
  }

  /** Clears the timer (until the next {@linkcode RecheckTimer.arm}). */
  disarm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#atMs = Number.POSITIVE_INFINITY;
  }
}
