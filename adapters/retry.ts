/**
 * The one retry/backoff mechanism: p-retry (as the HTTP layer uses it) with
 * exponential backoff and full jitter, and the one sleep
 * (`node:timers/promises`). The kube adapter's requests and publish's 412
 * retries go through {@linkcode retry}.
 *
 * @module
 */

import pRetry from "p-retry";
import { delay } from "./clock.ts";

/**
 * Waits `ms` milliseconds; with a `signal`, ends early, rejecting with the
 * signal's reason, when it aborts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sleep } from "./retry.ts";
 * const started = performance.now();
 * await sleep(5);
 * assert.ok(performance.now() - started >= 4);
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  // One sleep for the whole code base: clock.ts's delay (the wall clock here).
  return delay(ms, signal ? { signal } : {});
}

/** How {@linkcode retry} retries. */
export interface RetryOptions {
  /** Extra attempts after the first. */
  retries: number;
  /** Whether a failure is worth another attempt (default: never). */
  shouldRetry?: (error: unknown) => boolean;
  /** First backoff cap in ms (default 200), doubled per attempt, full jitter. */
  minBackoffMs?: number;
  /** Largest backoff cap in ms (default 5 000). */
  maxBackoffMs?: number;
  /** Stops waiting and retrying. */
  signal?: AbortSignal;
}

/**
 * Calls `fn` (with the attempt number, 0 for the first) until it succeeds,
 * `shouldRetry` says no, or the retries run out; waits a random time up to
 * `minBackoffMs * 2^attempt` (at most `maxBackoffMs`) in between. Throws
 * the last failure.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { retry } from "./retry.ts";
 * let calls = 0;
 * const value = await retry(() => {
 *   calls++;
 *   if (calls < 3) throw new Error("busy");
 *   return Promise.resolve("done");
 * }, { retries: 3, minBackoffMs: 1, shouldRetry: () => true });
 * assert.equal(value, "done");
 * assert.equal(calls, 3);
 * ```
 */
export async function retry<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const {
    retries,
    shouldRetry = () => false,
    minBackoffMs = 200,
    maxBackoffMs = 5_000,
    signal,
  } = options;
  return await pRetry((attemptNumber) => fn(attemptNumber - 1), {
    retries,
    // p-retry's own delay is off: full jitter is done below.
    minTimeout: 0,
    maxTimeout: 0,
    ...(signal ? { signal } : {}),
    shouldRetry: ({ error }) => shouldRetry(error),
    onFailedAttempt: async ({ attemptNumber, retriesLeft, error }) => {
      if (retriesLeft <= 0 || !shouldRetry(error)) return;
      const cap = Math.min(
        maxBackoffMs,
        minBackoffMs * 2 ** (attemptNumber - 1),
      );
      await sleep(Math.random() * cap, signal);
    },
  });
}
