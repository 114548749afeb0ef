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
    stopped: [{ reason: "Paused", condition: "Paused", status: "True" }],
    terminal: [{
      reason: "ScaledObjectCheckFailed",
      reasons: ["ScaledObjectCheckFailed", "ScaledJobCheckFailed"],
      message:
        "\\bno scaleTargetRef\\b|\\bscaleTargetRef\\b[^\\n]*\\b(not found|invalid)\\b|\\balready managed by\\b",
    }],
  };
}

/** KEDA. */
export const KEDA: CatalogFamily = {
  family: "KEDA",
  group: "keda.sh",
  disagreements:
    "Argo CD calls `Ready=False` Degraded at once, also while the scaler connects (argo-cd#28522) and `Fallback=True` Degraded; here those are Pending and only a target that is missing or owned by another ScaledObject is Failed; paused is Suspended in Argo CD, Ready with a warning here",
  kinds: [scaled("ScaledObject"), scaled("ScaledJob")],
};
