/**
 * Readiness of a HorizontalPodAutoscaler (reference §2.14, §4 "HPA").
 *
 * Fields read: `status.conditions[AbleToScale, ScalingActive, ScalingLimited]`
 * (autoscaling/v2), or the JSON in the
 * `autoscaling.alpha.kubernetes.io/conditions` annotation (autoscaling/v1).
 *
 * | Situation | Verdict | Reason |
 * |---|---|---|
 * | `ScalingActive=False`, reason `ScalingDisabled` | Ready | `ScalingDisabled` |
 * | `ScalingActive=False`, reason `InvalidSelector` / `InvalidMetricSourceType` | Failed | that reason |
 * | `ScalingActive=False`, message "missing request for" | Failed | `MissingResourceRequest` |
 * | `ScalingActive=False`, other reasons (`FailedGetResourceMetric`… — metric warm-up) | Pending; Failed `NoProgress` after `stallTimeoutMs` | that reason |
 * | `AbleToScale=False` (target not there yet) | Pending; Failed `NoProgress` after `stallTimeoutMs` | that reason |
 * | `AbleToScale=True` and `ScalingActive=True` | Ready (+ warning when `ScalingLimited=True`) | `ScalingActive` |
 * | no conditions | Pending | `NoConditions` |
 *
 * Trap avoided: Argo CD degrades on the metric warm-up right after a rollout
 * (argo-cd#6287, #28522); kstatus and Helm never look. Misconfiguration that
 * no waiting can fix (bad selector, pods without resource requests) fails at
 * once.
 *
 * @module
 */
import {
  type Condition,
  conditionsAt,
  describeCondition,
  findCondition,
  isReasonCode,
} from "./_fields.ts";
import { escalateIfStalled } from "./_preamble.ts";
import { failed, pending, ready } from "./_readiness.ts";
import { annotationsOf } from "./_related.ts";
import type { KubeObject, Readiness, RuleContext } from "./types.ts";

/**
 * Every reason this rule names itself, for the guard test that requires a
 * fixture per reason (reasons copied from a condition or a container state
 * are not listed).
 */
export const REASONS: readonly string[] = [
  "ScalingActive",
  "ScalingDisabled",
  "MissingResourceRequest",
  "NoConditions",
];

const MISCONFIGURED: ReadonlySet<string> = new Set([
  "InvalidSelector",
  "InvalidMetricSourceType",
]);

/** Decides the readiness of a HorizontalPodAutoscaler. */
export function horizontalPodAutoscalerRule(
  hpa: KubeObject,
  context: RuleContext,
): Readiness {
  const warnings: string[] = [];
  const conditions = hpaConditions(hpa, context, warnings);
  const active = findCondition(conditions, "ScalingActive");
  const able = findCondition(conditions, "AbleToScale");
  if (active?.status === "False") {
    if (active.reason === "ScalingDisabled") {
      return ready(
        "ScalingDisabled",
        "scaling disabled: the target has 0 replicas",
        warnings,
      );
    }
    if (MISCONFIGURED.has(active.reason)) {
      return failed(active.reason, describeCondition(active), warnings);
    }
    if (/missing request for/i.test(active.message)) {
      return failed(
        "MissingResourceRequest",
        describeCondition(active),
        warnings,
      );
    }
  }
  if (able?.status === "False") return waiting(hpa, context, able, warnings);
  if (active?.status === "False") {
    return waiting(hpa, context, active, warnings);
  }
  if (able?.status === "True" && active?.status === "True") {
    const limited = findCondition(conditions, "ScalingLimited");
    if (limited?.status === "True") {
      warnings.push(`scaling limited: ${limited.message || limited.reason}`);
    }
    return ready(
      "ScalingActive",
      "able to scale and reading its metrics",
      warnings,
    );
  }
  if (conditions.length === 0) {
    return pending(
      "NoConditions",
      "the controller has not reported yet",
      warnings,
    );
  }
  return pending(
    "NotActive",
    conditions.map(describeCondition).join("; "),
    warnings,
  );
}

function waiting(
  hpa: KubeObject,
  context: RuleContext,
  condition: Condition,
  warnings: string[],
): Readiness {
  const reason = isReasonCode(condition.reason)
    ? condition.reason
    : "NotActive";
  return escalateIfStalled(
    hpa,
    context,
    pending(reason, describeCondition(condition), warnings),
    condition.lastTransitionMs,
  );
}

function hpaConditions(
  hpa: KubeObject,
  context: RuleContext,
  warnings: string[],
): Condition[] {
  const conditions = conditionsAt(hpa, context.conditionCache);
  if (conditions.length > 0) return conditions;
  const annotation =
    annotationsOf(hpa)["autoscaling.alpha.kubernetes.io/conditions"];
  if (annotation === undefined) return [];
  try {
    return conditionsAt(
      { conditions: JSON.parse(annotation) },
      context.conditionCache,
      "conditions",
    );
  } catch {
    warnings.push(
      "the autoscaling.alpha.kubernetes.io/conditions annotation is not a conditions list; ignored",
    );
    return [];
  }
}
