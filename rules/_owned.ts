/**
 * Owned-pod failure propagation (reference §4 step 4): an owner is Failed
 * when one of its live pods is Failed by the Pod rules. Skipped pods, because
 * they say nothing about whether the owner can converge: terminating pods,
 * terminal pods (`phase` Failed/Succeeded — the controller replaces them, and
 * a Job counts them against its backoff limit itself), and pods on a Node that
 * `related` shows NotReady.
 *
 * @module
 */
import { FieldError, stringAt, timeAt } from "./_fields.ts";
import { preamble } from "./_preamble.ts";
import { failed } from "./_readiness.ts";
import {
  nodeNameOf,
  type RelatedEntry,
  type RelatedIndex,
} from "./_related.ts";
import { podRule } from "./pod.ts";
import type { KubeObject, Readiness, RuleContext } from "./types.ts";

/** Evaluates a pod with the preamble and the Pod rule, memoised per context. */
export function podVerdict(
  index: RelatedIndex,
  pod: KubeObject,
  context: RuleContext,
): Readiness {
  const nowMs = context.now.getTime();
  const cached = index.podVerdicts.get(pod);
  if (
    cached !== undefined && cached.nowMs === nowMs &&
    cached.options === context.options
  ) return cached.result;
  let result: Readiness;
  try {
    result = preamble(pod, context, []) ?? podRule(pod, context);
  } catch (error) {
    if (!(error instanceof FieldError)) throw error;
    result = {
      verdict: "Pending",
      reason: "InvalidObject",
      message: error.message,
      warnings: [],
    };
  }
  index.podVerdicts.set(pod, { nowMs, options: context.options, result });
  return result;
}

/** True when the pod runs on a Node that `related` shows as not Ready. */
export function onNotReadyNode(index: RelatedIndex, pod: KubeObject): boolean {
  if (index.nodeReady.size === 0) return false;
  const node = nodeNameOf(pod);
  return node !== "" && index.nodeReady.get(node) === false;
}

const NO_REASONS: ReadonlySet<string> = new Set();

/**
 * Returns a Failed verdict naming the first failing pod (and how many fail),
 * or `undefined` when no live pod of the owner is Failed. Pod reasons in
 * `ignoredReasons` are left to the owner's own accounting (a Job's
 * `backoffLimit` counts container restarts).
 */
export function ownedPodFailure(
  index: RelatedIndex,
  pods: readonly RelatedEntry[],
  context: RuleContext,
  ignoredReasons: ReadonlySet<string> = NO_REASONS,
): Readiness | undefined {
  let first: { name: string; result: Readiness } | undefined;
  let failing = 0;
  let live = 0;
  for (const entry of pods) {
    if (!isLive(entry.object) || onNotReadyNode(index, entry.object)) continue;
    live++;
    const result = podVerdict(index, entry.object, context);
    if (result.verdict !== "Failed" || ignoredReasons.has(result.reason)) {
      continue;
    }
    failing++;
    first ??= { name: entry.name, result };
  }
  if (first === undefined) return undefined;
  const others = failing > 1 ? ` (${failing} of ${live} pods failing)` : "";
  return failed(
    first.result.reason,
    `pod "${first.name}": ${first.result.message}${others}`,
  );
}

/** A pod that is neither terminating nor finished. */
export function isLive(pod: KubeObject): boolean {
  try {
    if (timeAt(pod, "metadata.deletionTimestamp") !== undefined) return false;
    const phase = stringAt(pod, "status.phase");
    return phase !== "Failed" && phase !== "Succeeded";
  } catch {
    return true;
  }
}
