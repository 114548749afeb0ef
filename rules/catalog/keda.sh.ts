/**
 * KEDA (`keda.sh`): ScaledObject and ScaledJob. Conditions `Ready`, `Active`,
 * `Fallback`, `Paused` from kedacore/keda `apis/keda/v1alpha1/condition_types.go`;
 * Argo CD `resource_customizations/keda.sh/*`/testdata.
 *
 * @module
 */
import type { CatalogFamily, CatalogKind } from "../catalog_schema.ts";

function scaled(kind: string): CatalogKind {
  return {
    kind,
    source:
      `kedacore/keda apis/keda/v1alpha1/condition_types.go; argo-cd resource_customizations/keda.sh/${kind}/testdata`,
    health: ["Ready"],
    // Fallback=True: the scaler has failed failureThreshold times in a row.
    failed: [{ reason: "Fallback", condition: "Fallback", status: "True" }],
    stopped: [{ reason: "Paused", condition: "Paused", status: "True" }],
    terminal: [{
      reason: "ScaledObjectCheckFailed",
      reasons: ["ScaledObjectCheckFailed", "ScaledJobCheckFailed"],
      message:
        "\\bno scaleTargetRef\\b|\\bscaleTargetRef\\b[^\\n]*\\b(not found|invalid)\\b|\\balready managed by\\b|\\bdoes(n't| not) have correct [^\\n]*specification\\b",
    }],
  };
}

/** KEDA. */
export const KEDA: CatalogFamily = {
  family: "KEDA",
  group: "keda.sh",
  disagreements:
    "Argo CD calls `Ready=False` Degraded at once, also while the scaler connects (argo-cd#28522) and a trigger error; here those are Pending and only a spec the check rejects (target, triggers, replica counts, target owned by another ScaledObject) or `Fallback=True` is Failed; paused is Suspended in Argo CD, Ready with a warning here",
  kinds: [scaled("ScaledObject"), scaled("ScaledJob")],
};
