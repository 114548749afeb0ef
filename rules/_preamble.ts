/**
 * The shared preamble every object goes through before its Kind rule
 * (reference §4 "Global preamble", steps 1–3 and 5):
 *
 * | Check | Verdict |
 * |---|---|
 * | `metadata.deletionTimestamp` set | Pending `Terminating`; Failed `TerminationStuck` after `terminatingTimeoutMs` |
 * | `status.observedGeneration` an integer (or a numeric string, Argo Rollouts ≥ 1.0) `< metadata.generation` | Pending `ObservedGenerationLag` |
 * | controller kinds with `metadata.generation` but no `status.observedGeneration` | Pending `ObservedGenerationLag` |
 * | a condition whose own `observedGeneration < metadata.generation` | Pending `StaleCondition` |
 *
 * A non-integer `observedGeneration` (Argo Rollouts writes a string) is
 * ignored with a warning, never an error — the trap that keeps kstatus and
 * Helm 4 waiting (helm#32615). The stall escalation used by kinds without a
 * native deadline lives here too.
 *
 * @module
 */
import { hasElapsed } from "./_clock.ts";
import {
  conditionsAt,
  describe,
  formatDuration,
  recordsAt,
  stringAt,
  timeAt,
  valueAt,
} from "./_fields.ts";
import { failed, pending } from "./_readiness.ts";
import type { KubeObject, Readiness, RuleContext } from "./types.ts";

/** Kinds whose controllers always write `status.observedGeneration`. */
const CONTROLLER_KINDS: ReadonlySet<string> = new Set([
  "Deployment",
  "ReplicaSet",
  "StatefulSet",
  "DaemonSet",
]);

/**
 * Runs the shared checks; returns a verdict when one of them decides, or
 * `undefined` to hand over to the Kind rule. `warnings` collects notes.
 */
export function preamble(
  object: KubeObject,
  context: RuleContext,
  warnings: string[],
): Readiness | undefined {
  const deletion = timeAt(object, "metadata.deletionTimestamp");
  if (deletion !== undefined) return terminating(object, context, deletion);

  const generation = valueAt(object, "metadata.generation");
  if (typeof generation !== "number" || !Number.isInteger(generation)) {
    return undefined;
  }
  const observed = valueAt(object, "status.observedGeneration");
  if (observed === undefined || observed === null) {
    if (CONTROLLER_KINDS.has(stringAt(object, "kind"))) {
      return pending(
        "ObservedGenerationLag",
        `generation ${generation} not yet observed: status.observedGeneration is missing`,
      );
    }
  } else if (
    typeof observed === "string" && /^[0-9]{1,9}$/.test(observed) &&
    Number(observed) < generation
  ) {
    // Argo Rollouts ≥ 1.0 writes the generation as a numeric string ("1");
    // older ones wrote a pod-template hash, which this pattern leaves alone.
    return pending(
      "ObservedGenerationLag",
      `generation ${generation} not yet observed (status.observedGeneration "${observed}")`,
    );
  } else if (
    typeof observed === "string" && /^[0-9]{1,9}$/.test(observed)
  ) {
    // A numeric string at or past the generation: observed.
  } else if (typeof observed !== "number" || !Number.isInteger(observed)) {
    warnings.push(
      `status.observedGeneration is ${
        describe(observed)
      }, not an integer; ignored`,
    );
  } else if (observed < generation) {
    return pending(
      "ObservedGenerationLag",
      `generation ${generation} not yet observed (status.observedGeneration ${observed})`,
    );
  }

  for (const condition of conditionsAt(object, context.conditionCache)) {
    if (
      condition.observedGeneration !== undefined &&
      condition.observedGeneration < generation
    ) {
      return pending(
        "StaleCondition",
        `condition ${condition.type} reflects generation ${condition.observedGeneration}, object is at generation ${generation}`,
      );
    }
  }
  return undefined;
}

function terminating(
  object: KubeObject,
  context: RuleContext,
  deletion: number,
): Readiness {
  const finalizers = valueAt(object, "metadata.finalizers");
  const names = Array.isArray(finalizers)
    ? finalizers.filter((f) => typeof f === "string")
    : [];
  const waiting = names.length > 0 ? ` (finalizers: ${names.join(", ")})` : "";
  const elapsed = context.now.getTime() - deletion;
  if (hasElapsed(context, deletion, context.options.terminatingTimeoutMs)) {
    return failed(
      "TerminationStuck",
      `deletion requested ${
        formatDuration(elapsed)
      } ago and still not gone${waiting}`,
    );
  }
  return pending(
    "Terminating",
    `deletion requested${
      elapsed > 0 ? ` ${formatDuration(elapsed)} ago` : ""
    }${waiting}`,
  );
}

/**
 * The last time the controller is known to have changed the status: the
 * newest of the status-subresource `managedFields` times and the conditions'
 * transition/update times. `undefined` when the object carries no such
 * evidence — then a stall cannot be told apart from slow progress.
 */
export function lastStatusChange(
  object: KubeObject,
  context: RuleContext,
): number | undefined {
  let last: number | undefined;
  try {
    for (const entry of recordsAt(object, "metadata.managedFields")) {
      if (entry["subresource"] !== "status") continue;
      const time = timeAt(entry, "time");
      if (time !== undefined && (last === undefined || time > last)) {
        last = time;
      }
    }
  } catch {
    // managedFields are bookkeeping; a malformed entry only loses evidence.
  }
  for (const condition of conditionsAt(object, context.conditionCache)) {
    for (const time of [condition.lastTransitionMs, condition.lastUpdateMs]) {
      if (time !== undefined && (last === undefined || time > last)) {
        last = time;
      }
    }
  }
  return last;
}

/**
 * The clock of a Pending verdict with `reason` when the object carries no
 * status timestamps: since when the caller has seen it Pending with that
 * reason (`context.pendingSince`), else now — the caller starts remembering
 * now, so the stall timeout is due `stallTimeoutMs` from now (reported through
 * `hasElapsed`, so a settled instance is judged again then).
 */
export function pendingClock(context: RuleContext, reason: string): number {
  const mark = context.pendingSince;
  if (mark !== undefined && mark.reason === reason) {
    const since = mark.since.getTime();
    if (!Number.isNaN(since)) return Math.min(since, context.now.getTime());
  }
  return context.now.getTime();
}

/**
 * Escalates a Pending verdict to Failed `NoProgress` when the status has not
 * changed for `stallTimeoutMs` (reference §4 step 5), for kinds without a
 * native deadline. The clock is `since` (default: the object's last status
 * change); an object without status timestamps falls back on the caller's
 * memory ({@linkcode pendingClock}). Other verdicts pass through.
 */
export function escalateIfStalled(
  object: KubeObject,
  context: RuleContext,
  result: Readiness,
  since: number | undefined = lastStatusChange(object, context),
): Readiness {
  if (result.verdict !== "Pending") return result;
  if (since !== undefined) return escalateFrom(context, result, since, false);
  return escalateFrom(
    context,
    result,
    pendingClock(context, result.reason),
    true,
  );
}

/**
 * {@linkcode escalateIfStalled} for custom resources (generic rule, health
 * catalog), whose Pending reason is the controller's own: the clock is the
 * earlier of the last status change and the caller's `pendingSince` for the
 * same reason. A controller that retries rewrites its conditions (and
 * `managedFields` times) at every attempt, which would push a clock based on
 * status changes out indefinitely; the verdict's reason has not moved (issue 16).
 */
export function escalateCustomResource(
  object: KubeObject,
  context: RuleContext,
  result: Readiness,
): Readiness {
  if (result.verdict !== "Pending") return result;
  const last = lastStatusChange(object, context);
  const mark = context.pendingSince;
  const remembered = mark !== undefined && mark.reason === result.reason
    ? pendingClock(context, result.reason)
    : undefined;
  if (remembered !== undefined && (last === undefined || remembered < last)) {
    return escalateFrom(context, result, remembered, true);
  }
  return escalateIfStalled(object, context, result, last);
}

function escalateFrom(
  context: RuleContext,
  result: Readiness,
  start: number,
  remembered: boolean,
): Readiness {
  if (!hasElapsed(context, start, context.options.stallTimeoutMs)) {
    return result;
  }
  const elapsed = formatDuration(context.now.getTime() - start);
  const timeout = formatDuration(context.options.stallTimeoutMs);
  return {
    ...failed(
      "NoProgress",
      remembered
        ? `${result.message}; Pending (${result.reason}) for ${elapsed} by the caller's clock (stall timeout ${timeout})`
        : `${result.message}; no status change for ${elapsed} (stall timeout ${timeout})`,
      result.warnings,
    ),
    pendingReason: result.reason,
  };
}
