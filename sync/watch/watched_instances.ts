/**
 * What `sync --watch` remembers per instance between runs (issue 17): its
 * region (scope checks and metrics labels for events), the recheck its rules
 * asked for, and whether its last read failed. Entries are keyed by instance
 * id, never by event, and {@linkcode WatchedInstances.keepOnly} drops those
 * of instances no longer listed after every pass, so the memory of a
 * long-running process follows the fleet, not the number of events or of
 * instances ever seen.
 *
 * @module
 */

/** The part of a read (`InstanceRead`) the bookkeeping looks at. */
export interface ReadOutcome {
  /** The instance read. */
  summary: { id: string; cloudRegion: string };
  /** The read succeeded. */
  ok: boolean;
  /** The instance was settled and not read again (its settlement holds any recheck). */
  unchanged?: boolean;
  /** When the rules want it read again (ms since the epoch). */
  recheckAt?: number | undefined;
}

/**
 * Regions, rechecks and failed reads of the instances `sync --watch` keeps,
 * pruned to the listed instances by {@linkcode WatchedInstances.keepOnly}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WatchedInstances } from "./watched_instances.ts";
 * const watched = new WatchedInstances();
 * watched.noteRead({ summary: { id: "a", cloudRegion: "r" }, ok: false });
 * watched.place("b", "r");
 * watched.keepOnly(["a"]);
 * assert.deepEqual(watched.sizes, { regions: 1, rechecks: 0, failedReads: 1 });
 * ```
 */
export class WatchedInstances {
  readonly #regions = new Map<string, string>();
  readonly #rechecks = new Map<string, number>();
  readonly #failedReads = new Set<string>();

  /** The region of an instance, when known. */
  regionOf(instanceId: string): string | undefined {
    return this.#regions.get(instanceId);
  }

  /** Records where an instance lives (from a list or an event). */
  place(instanceId: string, region: string): void {
    this.#regions.set(instanceId, region);
  }

  /**
   * Records a read: the instance's region, whether it failed, and the
   * recheck its rules asked for (an unchanged read keeps the previous one:
   * its settlement holds it).
   */
  noteRead(read: ReadOutcome): void {
    const id = read.summary.id;
    this.#regions.set(id, read.summary.cloudRegion);
    if (read.ok) this.#failedReads.delete(id);
    else this.#failedReads.add(id);
    if (read.ok && read.unchanged) return;
    if (read.ok && read.recheckAt !== undefined) {
      this.#rechecks.set(id, read.recheckAt);
    } else this.#rechecks.delete(id);
  }

  /** Pending rechecks: instance id → when (ms since the epoch). */
  get rechecks(): ReadonlyMap<string, number> {
    return this.#rechecks;
  }

  /** Forgets the recheck of an instance (it is marked dirty now). */
  dropRecheck(instanceId: string): void {
    this.#rechecks.delete(instanceId);
  }

  /** Instances whose last read failed (list passes read them again). */
  get failedReads(): ReadonlySet<string> {
    return this.#failedReads;
  }

  /** Forgets every instance not in `instanceIds` (the instances listed by a pass). */
  keepOnly(instanceIds: Iterable<string>): void {
    const keep = new Set(instanceIds);
    for (const id of this.#regions.keys()) {
      if (!keep.has(id)) this.#regions.delete(id);
    }
    for (const id of this.#rechecks.keys()) {
      if (!keep.has(id)) this.#rechecks.delete(id);
    }
    for (const id of this.#failedReads) {
      if (!keep.has(id)) this.#failedReads.delete(id);
    }
  }

  /** Entries held (for tests and diagnostics). */
  get sizes(): { regions: number; rechecks: number; failedReads: number } {
    return {
      regions: this.#regions.size,
      rechecks: this.#rechecks.size,
      failedReads: this.#failedReads.size,
    };
  }
}
