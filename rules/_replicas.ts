/**
 * Pieces shared by the replica-count rules (Deployment, ReplicaSet,
 * StatefulSet).
 *
 * @module
 */
import { type Condition, intAt, recordAt } from "./_fields.ts";
import { failed, pending } from "./_readiness.ts";
import type { KubeObject, Readiness } from "./types.ts";

/**
 * ReplicaFailure messages that mean the pods will never be admitted as
 * specified: quota, LimitRange, PodSecurity, admission webhooks, invalid pod
 * templates. A missing ServiceAccount ("error looking up service account")
 * is excluded: the same apply usually creates it a moment later.
 */
export const ADMISSION_FAILURE =
  /exceeded quota|denied the request|violates PodSecurity|is invalid|is forbidden: (?!error looking up service account)/i;

/**
 * The desired replica count: `spec.replicas` (API default 1). A bare status
 * block has no spec; then `status.replicas` is the best evidence, and a
 * warning says so.
 */
export function desiredReplicas(
  object: KubeObject,
  warnings: string[],
): number {
  if (recordAt(object, "spec") !== undefined) {
    return intAt(object, "spec.replicas", 1);
  }
  warnings.push("no spec: desired replicas taken from status.replicas");
  return intAt(object, "status.replicas", 1);
}

/**
 * Failed when a `ReplicaFailure=True` condition says the pods are refused
 * ({@linkcode ADMISSION_FAILURE}): nothing will admit them without a change.
 */
export function replicaFailureRefused(
  condition: Condition | undefined,
): Readiness | undefined {
  if (
    condition?.status !== "True" || !ADMISSION_FAILURE.test(condition.message)
  ) {
    return undefined;
  }
  return failed(
    "ReplicaFailure",
    `pods cannot be created: ${condition.message}`,
  );
}

/** Pending while any other `ReplicaFailure=True` condition holds. */
export function replicaFailurePending(
  condition: Condition | undefined,
): Readiness | undefined {
  if (condition?.status !== "True") return undefined;
  return pending(
    "ReplicaFailure",
    `pods not created yet: ${condition.message || condition.reason}`,
  );
}
