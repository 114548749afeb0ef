import assert from "node:assert/strict";
import { retry, sleep } from "../../adapters/retry.ts";

Deno.test("retry() tries again only what shouldRetry accepts, and throws the last failure", async () => {
  let calls = 0;
  const attempts: number[] = [];
  await assert.rejects(
    () =>
      retry((attempt) => {
        calls++;
        attempts.push(attempt);
        return Promise.reject(new RangeError(`busy ${attempt}`));
      }, { retries: 2, minBackoffMs: 1, shouldRetry: () => true }),
    /busy 2/,
  );
  assert.equal(calls, 3);
  assert.deepEqual(attempts, [0, 1, 2], "attempts count from 0");
  calls = 0;
  await assert.rejects(
    () =>
      retry(() => {
        calls++;
        return Promise.reject(new TypeError("not worth it"));
      }, { retries: 5, minBackoffMs: 1 }),
    TypeError,
  );
  assert.equal(calls, 1, "no shouldRetry: never retried");
});

Deno.test("retry() waits with full jitter below the doubling cap", async () => {
  const started = performance.now();
  let calls = 0;
  const value = await retry(() => {
    calls++;
    return calls < 3 ? Promise.reject(new Error("busy")) : Promise.resolve(7);
  }, {
    retries: 3,
    minBackoffMs: 20,
    maxBackoffMs: 25,
    shouldRetry: () => true,
  });
  assert.equal(value, 7);
  // Two waits of at most 20 and 25 ms.
  assert.ok(performance.now() - started < 45 + 100);
});

Deno.test("sleep() ends early, rejecting, when its signal aborts", async () => {
  const stop = new AbortController();
  const started = performance.now();
  const waiting = sleep(10_000, stop.signal);
  stop.abort(new Error("stopped"));
  await assert.rejects(() => waiting, /stopped/);
  assert.ok(performance.now() - started < 1_000);
});
