/**
 * A test clock: `@sinonjs/fake-timers`' standalone clock (no global is
 * patched) behind the {@linkcode Clock} interface, advanced by `tick`.
 *
 * @module
 */
import FakeTimers from "@sinonjs/fake-timers";
import type { Clock } from "../../adapters/mod.ts";

/** A {@linkcode Clock} whose time only moves when the test says so. */
export interface TestClock extends Clock {
  /** Advances time by `ms`, running due timers and the promises they settle. */
  tick(ms: number): Promise<void>;
  /** Runs the promises already settled, without moving time. */
  settle(): Promise<void>;
  /** Timers not yet fired. */
  readonly timers: number;
}

/** A test clock starting at `start` (ms since the epoch). */
export function testClock(start = Date.UTC(2026, 11, 4, 12)): TestClock {
  const fake = FakeTimers.createClock(start);
  return {
    now: () => fake.now,
    setTimeout: (callback: () => void, ms: number) =>
      fake.setTimeout(callback, ms),
    clearTimeout: (handle: unknown) =>
      fake.clearTimeout(handle as ReturnType<typeof fake.setTimeout>),
    async tick(ms: number) {
      await fake.tickAsync(ms);
    },
    async settle() {
      await fake.tickAsync(0);
    },
    get timers() {
      return fake.countTimers();
    },
  };
}
