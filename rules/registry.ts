/**
 * The rule registry: data mapping `"group/Kind"` (bare Kind for the core
 * group) to the rule that judges it. Legacy API groups are aliases of the
 * same function. To support a CRD, add its rule file and one line to
 * `TABLE` (docs/rules.md, "Adding a rule for your own CRD").
 *
 * @module
 */
import { guardRule } from "./_guard.ts";
import { apiServiceRule } from "./apiservice.ts";
import { certificateRule } from "./certificate.ts";
import { cronJobRule } from "./cronjob.ts";
import { customResourceDefinitionRule } from "./customresourcedefinition.ts";
import { daemonSetRule } from "./daemonset.ts";
import { deploymentRule } from "./deployment.ts";
import { horizontalPodAutoscalerRule } from "./horizontalpodautoscaler.ts";
import { ingressRule } from "./ingress.ts";
import { jobRule } from "./job.ts";
import { persistentVolumeRule } from "./persistentvolume.ts";
import { persistentVolumeClaimRule } from "./persistentvolumeclaim.ts";
import { podRule } from "./pod.ts";
import { replicaSetRule } from "./replicaset.ts";
import { serviceRule } from "./service.ts";
import { statefulSetRule } from "./statefulset.ts";
import { STATUSLESS_KEYS, statuslessRule } from "./statusless.ts";
import type { Rule } from "./types.ts";

/** One line per Kind: the canonical key and its rule. */
const TABLE: readonly (readonly [string, Rule])[] = [
  ["Pod", podRule],
  ["apps/Deployment", deploymentRule],
  ["apps/ReplicaSet", replicaSetRule],
  ["ReplicationController", replicaSetRule],
  ["apps/StatefulSet", statefulSetRule],
  ["apps/DaemonSet", daemonSetRule],
  ["batch/Job", jobRule],
  ["batch/CronJob", cronJobRule],
  ["Service", serviceRule],
  ["PersistentVolumeClaim", persistentVolumeClaimRule],
  ["PersistentVolume", persistentVolumeRule],
  ["networking.k8s.io/Ingress", ingressRule],
  [
    "apiextensions.k8s.io/CustomResourceDefinition",
    customResourceDefinitionRule,
  ],
  ["autoscaling/HorizontalPodAutoscaler", horizontalPodAutoscalerRule],
  ["apiregistration.k8s.io/APIService", apiServiceRule],
  ["cert-manager.io/Certificate", certificateRule],
  ...STATUSLESS_KEYS.map((key) => [key, statuslessRule] as const),
];

/**
 * Legacy group keys and the canonical key whose rule they share (the
 * `extensions` and `*beta*` groups served the same kinds before `apps/v1`).
 */
export const RULE_ALIASES: ReadonlyMap<string, string> = new Map([
  ["extensions/Deployment", "apps/Deployment"],
  ["extensions/ReplicaSet", "apps/ReplicaSet"],
  ["extensions/DaemonSet", "apps/DaemonSet"],
  ["extensions/Ingress", "networking.k8s.io/Ingress"],
  ["extensions/NetworkPolicy", "networking.k8s.io/NetworkPolicy"],
]);

function buildRules(): ReadonlyMap<string, Rule> {
  const rules = new Map<string, Rule>();
  const guarded = new Map<Rule, Rule>();
  for (const [key, rule] of TABLE) {
    let safe = guarded.get(rule);
    if (safe === undefined) {
      safe = guardRule(rule);
      guarded.set(rule, safe);
    }
    rules.set(key, safe);
  }
  for (const [alias, key] of RULE_ALIASES) {
    const rule = rules.get(key);
    if (rule !== undefined) rules.set(alias, rule);
  }
  return rules;
}

/**
 * Every built-in rule, keyed `"group/Kind"` (`"apps/Deployment"`) or bare
 * Kind for the core group (`"Pod"`). Each rule already runs behind
 * a guard that turns exceptions into Pending verdicts; `evaluate()` adds the shared preamble in front.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RULES } from "./mod.ts";
 * const rule = RULES.get("apps/StatefulSet");
 * assert.ok(rule !== undefined && RULES.get("extensions/Deployment") === RULES.get("apps/Deployment"));
 * ```
 */
export const RULES: ReadonlyMap<string, Rule> = buildRules();
