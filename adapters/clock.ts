/**
 * The clock the long-running blocks (issue 17) are given instead of reading
 * `Date.now()` and `setTimeout` themselves, so tests drive time (through a
 * `@sinonjs/fake-timers` clock, see `tests/watch/_clock.ts`).
 *
 * @module
 */

/** Wall time and one-shot timers. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `callback` once after `ms`; returns a handle for {@linkcode Clock.clearTimeout}. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a timer (a handle already fired or cleared is ignored). */
  clearTimeout(handle: unknown): void;
}

/** The real clock: `Date.now()` and the global timers. */
export const SYSTEM_CLOCK: Clock = {
  now(): number {
    return Date.now();
  },
  setTimeout(callback: () => void, ms: number): unknown {
    return setTimeout(callback, ms);
  },
  clearTimeout(handle: unknown): void {
    clearTimeout(handle as number);
  },
};

/**
 * Resolves after `ms` on `clock`; rejects with the signal's reason as soon
 * as `signal` aborts (and clears the timer, so no timer outlives the wait).
 *
 * @example
 * ```ts
 * import { delay, SYSTEM_CLOCK } from "./clock.ts";
 * await delay(1, { clock: SYSTEM_CLOCK });
 * ```
 */
export function delay(
  ms: number,
  options: { clock?: Clock; signal?: AbortSignal } = {},
): Promise<void> {
  const { clock = SYSTEM_CLOCK, signal } = options;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, Math.max(0, ms));
    function onAbort(): void {
      clock.clearTimeout(handle);
      reject(signal?.reason);
    }
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
