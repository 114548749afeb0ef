/**
 * The one way rules compare the clock with a deadline, so that an evaluation
 * can say how long its verdicts hold: every grace period or timeout that has
 * not run out yet is reported to {@linkcode RuleContext.recheckAt}. A caller
 * that sees the same object again before the earliest reported time gets the
 * same verdicts without evaluating (see `sync/run.ts`, settled instances).
 *
 * @module
 */
import type { RuleContext } from "./types.ts";

/**
 * True once `periodMs` have passed since `sinceMs` (at `context.now`).
 * While they have not, tells the context when they will, since the verdict
 * that depends on it changes then without the object changing.
 */
export function hasElapsed(
  context: RuleContext,
  sinceMs: number,
  periodMs: number,
): boolean {
  const dueMs = sinceMs + periodMs;
  if (context.now.getTime() >= dueMs) return true;
  context.recheckAt?.(dueMs);
  return false;
}
