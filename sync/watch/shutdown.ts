/**
 * Graceful shutdown of the long-running `sync --watch` (issue 17), driven by
 * one AbortSignal: when it aborts (SIGTERM, see `tasks/_serve.ts`), work in
 * flight gets `graceMs` to finish and is abandoned after that, then the
 * cleanups registered with {@linkcode Shutdown.defer} run in reverse order
 * (close watches, release the Lease, stop the HTTP server), each within
 * `cleanupMs`.
 *
 * @module
 */
import { type Clock, delay, SYSTEM_CLOCK } from "../../adapters/clock.ts";

/** Options of {@linkcode Shutdown}. */
export interface ShutdownOptions {
  /** Starts the shutdown when it aborts (e.g. a SIGTERM controller's signal). */
  signal?: AbortSignal;
  /** Time for work in flight, default 15 000 ms. */
  graceMs?: number;
  /**
   * Time for each cleanup after that, default 3 000 ms (with a few cleanups
   * this stays under Kubernetes' default 30 s
   * `terminationGracePeriodSeconds`). Cleanups always get it, even when the
   * work used all of its grace, and a stuck one does not starve the next:
   * releasing the Lease is what lets the next leader start at once.
   */
  cleanupMs?: number;
  /** Time source, default {@linkcode SYSTEM_CLOCK}. */
  clock?: Clock;
}

/** What a shutdown did, for the last log line. */
export interface ShutdownReport {
  /** Why it started (the signal's reason, or the argument of `begin`). */
  reason: unknown;
  /** Tracked tasks that were still running when the grace period ran out. */
  abandoned: number;
  /** Cleanups that threw or did not finish in time, by name. */
  failed: { name: string; error: unknown }[];
}

/**
 * Collects work in flight and cleanups; {@linkcode Shutdown.begin} (or the
 * given signal) runs the shutdown once.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shutdown } from "./shutdown.ts";
 * const shutdown = new Shutdown({ graceMs: 100 });
 * const closed: string[] = [];
 * shutdown.defer("server", () => void closed.push("server"));
 * shutdown.defer("lease", () => void closed.push("lease"));
 * const report = await shutdown.begin("test");
 * assert.deepEqual(closed, ["lease", "server"]);
 * assert.equal(report.abandoned, 0);
 * ```
 */
export class Shutdown {
  readonly #abort = new AbortController();
  readonly #graceMs: number;
  readonly #cleanupMs: number;
  readonly #clock: Clock;
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #cleanups: { name: string; run: () => unknown }[] = [];
  #done: Promise<ShutdownReport> | undefined;
  #unlisten: (() => void) | undefined;

  /** Stores the options and listens to `signal`. */
  constructor(options: ShutdownOptions = {}) {
    const {
      signal,
      graceMs = 15_000,
      cleanupMs = 3_000,
      clock = SYSTEM_CLOCK,
    } = options;
    this.#graceMs = graceMs;
    this.#cleanupMs = cleanupMs;
    this.#clock = clock;
    if (signal) {
      const onAbort = () => void this.begin(signal.reason);
      if (signal.aborted) queueMicrotask(onAbort);
      else {
        signal.addEventListener("abort", onAbort, { once: true });
        this.#unlisten = () => signal.removeEventListener("abort", onAbort);
      }
    }
  }

  /** Aborts when the shutdown begins: long-running loops stop on it. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** True once the shutdown began. */
  get stopping(): boolean {
    return this.#abort.signal.aborted;
  }

  /** Resolves with the report once the shutdown finished (never before `begin`). */
  get done(): Promise<ShutdownReport> {
    return this.#done ?? new Promise((resolve) => {
      this.#abort.signal.addEventListener(
        "abort",
        () => resolve(this.#done!),
        { once: true },
      );
    });
  }

  /**
   * Registers work in flight: the shutdown waits for it (up to the grace
   * period). Returns the same promise.
   */
  track<T>(work: Promise<T>): Promise<T> {
    this.#inFlight.add(work);
    const untrack = () => this.#inFlight.delete(work);
    work.then(untrack, untrack);
    return work;
  }

  /** Registers a cleanup; cleanups run last registered, first. */
  defer(name: string, cleanup: () => unknown): void {
    this.#cleanups.push({ name, run: cleanup });
  }

  /** Starts the shutdown (once; later calls return the same report). */
  begin(reason: unknown = "shutdown"): Promise<ShutdownReport> {
    if (this.#done) return this.#done;
    this.#unlisten?.();
    this.#done = this.#run(reason);
    this.#abort.abort(reason);
    return this.#done;
  }

  async #run(reason: unknown): Promise<ShutdownReport> {
    const workDeadline = this.#clock.now() + this.#graceMs;
    const report: ShutdownReport = { reason, abandoned: 0, failed: [] };
    // Let the abort listeners run before counting what is in flight.
    await Promise.resolve();
    const inFlight = [...this.#inFlight];
    if (inFlight.length > 0) {
      const finished = await this.#within(
        workDeadline,
        Promise.allSettled(inFlight),
      );
      if (!finished) report.abandoned = this.#inFlight.size;
    }
    for (const { name, run } of this.#cleanups.reverse()) {
      try {
        const finished = await this.#within(
          this.#clock.now() + this.#cleanupMs,
          Promise.resolve().then(run),
        );
        if (!finished) {
          report.failed.push({
            name,
            error: new Error(`Cleanup "${name}" did not finish in time`),
          });
        }
      } catch (error) {
        report.failed.push({ name, error });
      }
    }
    return report;
  }

  /** True when `work` settles before `deadline` (rethrows its error). */
  async #within(deadline: number, work: Promise<unknown>): Promise<boolean> {
    const timer = new AbortController();
    const timeout = delay(deadline - this.#clock.now(), {
      clock: this.#clock,
      signal: timer.signal,
    }).then(() => false, () => false);
    try {
      return await Promise.race([work.then(() => true), timeout]);
    } finally {
      timer.abort();
    }
  }
}
