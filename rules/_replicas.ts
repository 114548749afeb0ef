/**
 * Pieces shared by the replica-count rules (Deployment, ReplicaSet,
 * StatefulSet).
 *
 * @module
 */
import { intAt, recordAt } from "./_fields.ts";
import type { KubeObject } from "./types.ts";

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
