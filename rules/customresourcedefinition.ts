/**
 * Readiness of a CustomResourceDefinition (reference §2.12, §4 "CRD").
 *
 * Fields read: `status.conditions[NamesAccepted, Established, NonStructuralSchema]`.
 *
 * | Situation | Verdict | Reason |
 * |---|---|---|
 * | `NamesAccepted=False` | Failed | `NamesNotAccepted` |
 * | `Established=True` | Ready (+ warning if `NonStructuralSchema=True`) | `Established` |
 * | otherwise (no conditions yet, `Installing`) | Pending | `NotEstablished` |
 *
 * Traps avoided: Helm calls `NamesAccepted=False` ready; Argo CD degrades a
 * CRD in its first second, before `Established` appears (argo-cd#26346).
 *
 * @module
 */
import { conditionsAt, describeCondition, findCondition } from "./_fields.ts";
import { failed, pending, ready } from "./_readiness.ts";
import type { KubeObject, Readiness, RuleContext } from "./types.ts";

/**
 * Every reason this rule names itself, for the guard test that requires a
 * fixture per reason (reasons copied from a condition or a container state
 * are not listed).
 */
export const REASONS: readonly string[] = [
  "Established",
  "NamesNotAccepted",
  "NotEstablished",
];

/** Decides the readiness of a CustomResourceDefinition. */
export function customResourceDefinitionRule(
  crd: KubeObject,
  context: RuleContext,
): Readiness {
  const conditions = conditionsAt(crd, context.conditionCache);
  const names = findCondition(conditions, "NamesAccepted");
  if (names?.status === "False") {
    return failed("NamesNotAccepted", describeCondition(names));
  }
  const established = findCondition(conditions, "Established");
  if (established?.status === "True") {
    const schema = findCondition(conditions, "NonStructuralSchema");
    const warnings = schema?.status === "True"
      ? [`non-structural schema: ${schema.message}`]
      : [];
    return ready("Established", "the API serves the new resource", warnings);
  }
  return pending(
    "NotEstablished",
    established === undefined
      ? "waiting for the Established condition"
      : describeCondition(established),
  );
}
