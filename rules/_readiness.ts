/**
 * Builders for {@linkcode Readiness} results, so every rule spells its
 * verdicts the same way.
 *
 * @module
 */
import type { Readiness } from "./types.ts";

/** A Ready result; `reason` says why (`Available`, `Complete`, `Paused`…). */
export function ready(
  reason: string,
  message: string,
  warnings: string[] = [],
): Readiness {
  return { verdict: "Ready", reason, message, warnings };
}

/** A Pending result: not Ready yet, nothing says it cannot get there. */
export function pending(
  reason: string,
  message: string,
  warnings: string[] = [],
): Readiness {
  return { verdict: "Pending", reason, message, warnings };
}

/** A Failed result: it will not become Ready without someone changing something. */
export function failed(
  reason: string,
  message: string,
  warnings: string[] = [],
): Readiness {
  return { verdict: "Failed", reason, message, warnings };
}

/** Returns `result` with extra warnings appended (a new object). */
export function withWarnings(
  result: Readiness,
  warnings: readonly string[],
): Readiness {
  if (warnings.length === 0) return result;
  return { ...result, warnings: [...result.warnings, ...warnings] };
}
