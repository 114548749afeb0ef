/**
 * KServe (`serving.kserve.io`): InferenceService. Conditions `Ready`,
 * `PredictorReady`, `IngressReady`; `status.modelStatus.transitionStatus`
 * (`BlockedByFailedLoad`, `InvalidSpec`) and `lastFailureInfo.reason`
 * (`ModelLoadFailed`…) from kserve `pkg/apis/serving/v1beta1/inference_service_status.go`.
 *
 * @module
 */
import type { CatalogFamily } from "../catalog_schema.ts";

/** KServe. */
export const KSERVE: CatalogFamily = {
  family: "KServe",
  group: "serving.kserve.io",
  disagreements:
    "Argo CD reads the conditions only; a model that failed to load (`BlockedByFailedLoad`) or an invalid predictor spec is Failed here at once",
  kinds: [{
    kind: "InferenceService",
    source:
      "kserve pkg/apis/serving/v1beta1/inference_service_status.go (TransitionStatus, FailureReason); argo-cd resource_customizations/serving.kserve.io/InferenceService/testdata",
    health: ["Ready", "PredictorReady", "IngressReady"],
    failed: [
      {
        reason: "BlockedByFailedLoad",
        field: "status.modelStatus.transitionStatus",
        equals: "BlockedByFailedLoad",
      },
      {
        reason: "InvalidSpec",
        field: "status.modelStatus.transitionStatus",
        equals: "InvalidSpec",
      },
    ],
    terminal: [{ reason: "RevisionFailed", reasons: ["RevisionFailed"] }],
  }],
};
