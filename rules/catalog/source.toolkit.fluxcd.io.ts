/**
 * Flux sources (`source.toolkit.fluxcd.io`): GitRepository, OCIRepository,
 * HelmRepository, HelmChart, Bucket. kstatus conditions (`Ready`,
 * `Reconciling`, `Stalled`), reasons from fluxcd/source-controller
 * `api/v1/condition_types.go` and fluxcd/pkg `apis/meta` (`Succeeded`,
 * `Failed`, `ProgressingWithRetry`, `AuthenticationFailed`…); `spec.suspend`
 * stops reconciliation on purpose.
 *
 * @module
 */
import type { CatalogFamily, CatalogKind } from "../catalog_schema.ts";

function source(kind: string, terminal: string[]): CatalogKind {
  return {
    kind,
    source:
      "fluxcd/source-controller api/v1 condition_types.go; fluxcd/pkg apis/meta; argo-cd resource_customizations/source.toolkit.fluxcd.io",
    health: ["Ready"],
    // FetchFailed=True: the last fetch failed; Flux retries on the interval.
    failed: [{
      reason: "FetchFailed",
      condition: "FetchFailed",
      status: "True",
    }],
    stopped: [{ reason: "Suspended", field: "spec.suspend", equals: true }],
    terminal: [{ reason: "AuthenticationFailed", reasons: terminal }],
  };
}

/** Flux source-controller. */
export const FLUX_SOURCE: CatalogFamily = {
  family: "Flux",
  group: "source.toolkit.fluxcd.io",
  disagreements:
    "kstatus waits while `Reconciling=True`; Argo CD and this entry call a failed fetch (`FetchFailed=True`, or a terminal `Ready=False` while retrying) Failed; a suspended source is Suspended in Argo CD, Ready with a warning here",
  kinds: [
    source("GitRepository", ["AuthenticationFailed"]),
    source("OCIRepository", ["AuthenticationFailed"]),
    {
      ...source("HelmRepository", ["AuthenticationFailed"]),
      // An OCI HelmRepository is static: Flux no longer reconciles it.
      ready: [{
        reason: "StaticOCIRepository",
        field: "spec.type",
        equals: "oci",
      }],
    },
    {
      kind: "HelmChart",
      source:
        "fluxcd/source-controller api/v1 helmchart_types.go, condition_types.go (InvalidChartReference)",
      health: ["Ready"],
      failed: [{
        reason: "FetchFailed",
        condition: "FetchFailed",
        status: "True",
      }],
      stopped: [{ reason: "Suspended", field: "spec.suspend", equals: true }],
      terminal: [{
        reason: "InvalidChartReference",
        reasons: ["InvalidChartReference"],
      }],
    },
    source("Bucket", ["AuthenticationFailed"]),
  ],
};
