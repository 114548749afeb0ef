/**
 * Readiness of kinds without a rollout or a meaningful status (reference
 * §2.11, §4 "Status-less kinds"): ConfigMap, Secret, ServiceAccount, the RBAC
 * kinds, NetworkPolicy, PodDisruptionBudget, ResourceQuota, LimitRange,
 * PriorityClass, StorageClass, IngressClass, Namespace, Endpoints,
 * EndpointSlice and the admission webhook configurations.
 *
 * Fields read: none beyond the preamble (deletion, observedGeneration).
 *
 * | Situation | Verdict | Reason |
 * |---|---|---|
 * | stored by the API server | Ready | `Exists` |
 *
 * Deletion is the only disagreement between the anchors here: the preamble
 * makes a terminating object Pending (Helm, ONAP call it ready). A
 * PodDisruptionBudget with `DisruptionAllowed=False` is working as designed,
 * so it is Ready too; its status is never a rollout.
 *
 * @module
 */
import { ready } from "./_readiness.ts";
import type { KubeObject, Readiness, RuleContext } from "./types.ts";

/**
 * Every reason this rule names itself, for the guard test that requires a
 * fixture per reason (reasons copied from a condition or a container state
 * are not listed).
 */
export const REASONS: readonly string[] = [
  "Exists",
];

/** Rule keys (`group/Kind`, bare Kind for core) judged by {@linkcode statuslessRule}. */
export const STATUSLESS_KEYS: readonly string[] = [
  "ConfigMap",
  "Secret",
  "ServiceAccount",
  "Namespace",
  "Endpoints",
  "ResourceQuota",
  "LimitRange",
  "rbac.authorization.k8s.io/Role",
  "rbac.authorization.k8s.io/RoleBinding",
  "rbac.authorization.k8s.io/ClusterRole",
  "rbac.authorization.k8s.io/ClusterRoleBinding",
  "networking.k8s.io/NetworkPolicy",
  "networking.k8s.io/IngressClass",
  "policy/PodDisruptionBudget",
  "scheduling.k8s.io/PriorityClass",
  "storage.k8s.io/StorageClass",
  "discovery.k8s.io/EndpointSlice",
  "admissionregistration.k8s.io/ValidatingWebhookConfiguration",
  "admissionregistration.k8s.io/MutatingWebhookConfiguration",
];

/** Decides the readiness of a status-less object: it exists, so it is Ready. */
export function statuslessRule(
  object: KubeObject,
  _context: RuleContext,
): Readiness {
  return ready(
    "Exists",
    `${typeof object.kind === "string" ? object.kind : "object"} exists`,
  );
}
