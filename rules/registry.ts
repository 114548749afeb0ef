/**
 * The rule registry: data mapping `"group/Kind"` (bare Kind for the core
 * group) to the rule that judges it. Legacy API groups are aliases of the
 * same function. To support a CRD, add its rule file and one line to
 * `TABLE` (docs/rules.md, "Adding a rule for your own CRD").
 *
 * @module
 */
import { guardRule } from "./_guard.ts";
import { apiServiceRule, REASONS as APISERVICE_REASONS } from "./apiservice.ts";
import {
  certificateRule,
  REASONS as CERTIFICATE_REASONS,
} from "./certificate.ts";
import { cronJobRule, REASONS as CRONJOB_REASONS } from "./cronjob.ts";
import {
  customResourceDefinitionRule,
  REASONS as CUSTOMRESOURCEDEFINITION_REASONS,
} from "./customresourcedefinition.ts";
import { daemonSetRule, REASONS as DAEMONSET_REASONS } from "./daemonset.ts";
import { deploymentRule, REASONS as DEPLOYMENT_REASONS } from "./deployment.ts";
import {
  horizontalPodAutoscalerRule,
  REASONS as HORIZONTALPODAUTOSCALER_REASONS,
} from "./horizontalpodautoscaler.ts";
import { ingressRule, REASONS as INGRESS_REASONS } from "./ingress.ts";
import { jobRule, REASONS as JOB_REASONS } from "./job.ts";
import {
  persistentVolumeRule,
  REASONS as PERSISTENTVOLUME_REASONS,
} from "./persistentvolume.ts";
import {
  persistentVolumeClaimRule,
  REASONS as PERSISTENTVOLUMECLAIM_REASONS,
} from "./persistentvolumeclaim.ts";
import { podRule, REASONS as POD_REASONS } from "./pod.ts";
import { REASONS as REPLICASET_REASONS, replicaSetRule } from "./replicaset.ts";
import { REASONS as SERVICE_REASONS, serviceRule } from "./service.ts";
import {
  REASONS as STATEFULSET_REASONS,
  statefulSetRule,
} from "./statefulset.ts";
import {
  REASONS as STATUSLESS_REASONS,
  STATUSLESS_KEYS,
  statuslessRule,
} from "./statusless.ts";
import type { Rule } from "./types.ts";

/**
 * One line per Kind: the canonical key, its rule, and the reasons the rule
 * names itself (each needs a fixture; see `tests/rules/fixtures_test.ts`).
 */
const TABLE: readonly (readonly [string, Rule, readonly string[]])[] = [
  ["Pod", podRule, POD_REASONS],
  ["apps/Deployment", deploymentRule, DEPLOYMENT_REASONS],
  ["apps/ReplicaSet", replicaSetRule, REPLICASET_REASONS],
  ["ReplicationController", replicaSetRule, REPLICASET_REASONS],
  ["apps/StatefulSet", statefulSetRule, STATEFULSET_REASONS],
  ["apps/DaemonSet", daemonSetRule, DAEMONSET_REASONS],
  ["batch/Job", jobRule, JOB_REASONS],
  ["batch/CronJob", cronJobRule, CRONJOB_REASONS],
  ["Service", serviceRule, SERVICE_REASONS],
  [
    "PersistentVolumeClaim",
    persistentVolumeClaimRule,
    PERSISTENTVOLUMECLAIM_REASONS,
  ],
  ["PersistentVolume", persistentVolumeRule, PERSISTENTVOLUME_REASONS],
  ["networking.k8s.io/Ingress", ingressRule, INGRESS_REASONS],
  [
    "apiextensions.k8s.io/CustomResourceDefinition",
    customResourceDefinitionRule,
    CUSTOMRESOURCEDEFINITION_REASONS,
  ],
  [
    "autoscaling/HorizontalPodAutoscaler",
    horizontalPodAutoscalerRule,
    HORIZONTALPODAUTOSCALER_REASONS,
  ],
  ["apiregistration.k8s.io/APIService", apiServiceRule, APISERVICE_REASONS],
  ["cert-manager.io/Certificate", certificateRule, CERTIFICATE_REASONS],
  ...STATUSLESS_KEYS.map((key) =>
    [key, statuslessRule, STATUSLESS_REASONS] as const
  ),
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

/**
 * The reasons each rule names itself, keyed like {@linkcode RULES} (canonical
 * keys only): the guard test requires a fixture for every one, so deleting a
 * branch of a rule cannot leave every test green.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RULE_REASONS } from "./mod.ts";
 * assert.ok(RULE_REASONS.get("apps/Deployment")?.includes("LessReady"));
 * ```
 */
export const RULE_REASONS: ReadonlyMap<string, readonly string[]> = new Map(
  TABLE.map(([key, , reasons]) => [key, reasons]),
);
