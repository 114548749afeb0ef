/**
 * The dirty set of `sync --watch` (issue 17): events mark instances dirty,
 * and after a short quiet period the marked ids are handed to `onDirty` in
 * one call (the one-instance path runs there). Calls never overlap: ids
 * marked while a call runs wait for the next one, so a change that lands
 * after a read started is never lost. Time comes from an injected
 * {@linkcode Clock}.
 *
 * Timing: a call starts `debounceMs` after the last mark (a burst of events
 * for one rollout becomes one read), but never later than `maxWaitMs` after
 * the first mark of the batch (an instance whose pods chatter every second
 * is still read). A failed call is reported to `onError` and not retried
 * here: the periodic full pass is the safety net.
 *
 * @module
 */
import { type Clock, SYSTEM_CLOCK } from "../../adapters/clock.ts";

/** Options of {@linkcode DirtyScheduler}. */
export interface DirtySchedulerOptions {
  /**
   * Reads and publishes the given instances (the one-instance path). The
   * signal aborts when the scheduler closes: finish or abandon the work.
   */
  onDirty(instanceIds: string[], signal: AbortSignal): Promise<void> | void;
  /** Quiet time after the last mark before a call, default 2 000 ms. */
  debounceMs?: number;
  /** Longest wait after the first mark of a batch, default 10 000 ms. */
  maxWaitMs?: number;
  /** Most ids per call, default 100; the rest follow in the next call at once. */
  maxBatch?: number;
  /** Time source, default {@linkcode SYSTEM_CLOCK}. */
  clock?: Clock;
  /** Told when `onDirty` throws; the ids are not marked again. */
  onError?(error: unknown, instanceIds: string[]): void;
}

/**
 * Collects dirty instance ids and runs `onDirty` on them after a debounce,
 * one call at a time. Close it (`await using`) to stop its timer and wait
 * for the call in flight.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DirtyScheduler } from "./dirty_scheduler.ts";
 * const seen: string[][] = [];
 * await using scheduler = new DirtyScheduler({
 *   onDirty: (ids) => void seen.push(ids),
 *   debounceMs: 1,
 * });
 * scheduler.mark("brave_brattain");
 * scheduler.mark("brave_brattain");
 * await scheduler.idle();
 * assert.deepEqual(seen, [["brave_brattain"]]);
 * ```
 */
export class DirtyScheduler implements AsyncDisposable {
  readonly #onDirty: DirtySchedulerOptions["onDirty"];
  readonly #onError: DirtySchedulerOptions["onError"];
  readonly #debounceMs: number;
  readonly #maxWaitMs: number;
  readonly #maxBatch: number;
  readonly #clock: Clock;
  readonly #abort = new AbortController();
  /** Pending ids (in the order first marked) → time of their last mark. */
  readonly #pending = new Map<string, number>();
  #firstMarkAt = 0;
  #lastMarkAt = 0;
  #timer: unknown;
  #running: Promise<void> | undefined;
  #idleWaiters: (() => void)[] = [];

  /** Stores the options; nothing runs until the first mark. */
  constructor(options: DirtySchedulerOptions) {
    const {
      onDirty,
      onError,
      debounceMs = 2_000,
      maxWaitMs = 10_000,
      maxBatch = 100,
      clock = SYSTEM_CLOCK,
    } = options;
    if (!(debounceMs >= 0) || !(maxWaitMs >= debounceMs)) {
      throw new RangeError(
        `Cannot schedule with debounceMs ${debounceMs} and maxWaitMs ${maxWaitMs}: need 0 <= debounceMs <= maxWaitMs`,
      );
    }
    if (!(maxBatch >= 1)) {
      throw new RangeError(`Cannot schedule batches of ${maxBatch} ids`);
    }
    this.#onDirty = onDirty;
    this.#onError = onError;
    this.#debounceMs = debounceMs;
    this.#maxWaitMs = maxWaitMs;
    this.#maxBatch = maxBatch;
    this.#clock = clock;
  }

  /** The ids waiting for the next call, in the order they were first marked. */
  get pending(): string[] {
    return [...this.#pending.keys()];
  }

  /** True while `onDirty` runs. */
  get running(): boolean {
    return this.#running !== undefined;
  }

  /** Marks an instance dirty (ignored once closed). */
  mark(instanceId: string): void {
    if (this.#abort.signal.aborted) return;
    const now = this.#clock.now();
    if (this.#pending.size === 0) this.#firstMarkAt = now;
    this.#lastMarkAt = now;
    this.#pending.set(instanceId, now);
    this.#arm();
  }

  /**
   * Drops pending marks (of every id without `instanceIds`): a full pass
   * that has read these instances makes their marks moot. With `before`
   * (clock ms, e.g. when the pass started), only marks older than that are
   * dropped: a change seen after the read still gets its run.
   */
  forget(
    instanceIds?: Iterable<string>,
    options: { before?: number } = {},
  ): void {
    const { before } = options;
    for (const id of instanceIds ?? [...this.#pending.keys()]) {
      const markedAt = this.#pending.get(id);
      if (
        markedAt !== undefined && (before === undefined || markedAt < before)
      ) this.#pending.delete(id);
    }
    if (this.#pending.size === 0) this.#disarm();
    this.#settle();
  }

  /** Runs every pending id now, without waiting for the debounce, and resolves when done. */
  async flush(): Promise<void> {
    this.#disarm();
    while (!this.#abort.signal.aborted) {
      if (this.#running) await this.#running;
      else if (this.#pending.size > 0) this.#start();
      else break;
    }
  }

  /** Resolves once nothing is pending and no call runs. */
  idle(): Promise<void> {
    if (this.#pending.size === 0 && !this.#running) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Stops: later marks are ignored, pending ids are dropped, the call in
   * flight sees its signal abort and is awaited.
   */
  async close(): Promise<void> {
    this.#abort.abort(new DOMException("Scheduler closed", "AbortError"));
    this.#disarm();
    this.#pending.clear();
    if (this.#running) await this.#running;
    this.#settle();
  }

  /** Same as {@linkcode close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #arm(): void {
    this.#disarm();
    if (this.#running || this.#pending.size === 0) return;
    const due = Math.min(
      this.#lastMarkAt + this.#debounceMs,
      this.#firstMarkAt + this.#maxWaitMs,
    );
    const wait = due - this.#clock.now();
    if (wait <= 0) {
      // Overdue (the rest of a split batch, or marks that waited for a
      // call): start on the next microtask, not on a timer.
      queueMicrotask(() => {
        if (!this.#running && this.#pending.size > 0) this.#start();
      });
      return;
    }
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      if (!this.#running) this.#start();
    }, wait);
  }

  #disarm(): void {
    if (this.#timer === undefined) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #start(): void {
    const ids: string[] = [];
    for (const id of this.#pending.keys()) {
      if (ids.length >= this.#maxBatch) break;
      ids.push(id);
    }
    for (const id of ids) this.#pending.delete(id);
    // What stays behind is overdue: it runs as soon as this call ends.
    if (this.#pending.size > 0) this.#firstMarkAt = this.#lastMarkAt = 0;
    this.#running = this.#call(ids).finally(() => {
      this.#running = undefined;
      this.#arm();
      this.#settle();
    });
  }

  async #call(ids: string[]): Promise<void> {
    try {
      await this.#onDirty(ids, this.#abort.signal);
    } catch (error) {
      this.#onError?.(error, ids);
    }
  }

  #settle(): void {
    if (this.#pending.size > 0 || this.#running) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
