/**
 * Flux Kustomization (`kustomize.toolkit.fluxcd.io`): reasons from
 * fluxcd/kustomize-controller `api/v1/reference_types.go`/`condition_types.go`
 * (`BuildFailed`, `HealthCheckFailed`, `ReconciliationFailed`,
 * `DependencyNotReady`).
 *
 * @module
 */
import type { CatalogFamily } from "../catalog_schema.ts";

/** Flux kustomize-controller. */
export const FLUX_KUSTOMIZE: CatalogFamily = {
  family: "Flux",
  group: "kustomize.toolkit.fluxcd.io",
  disagreements:
    "Argo CD calls `DependencyNotReady` Degraded; here it is Pending (the dependency may still converge); `BuildFailed` is Failed at once",
  kinds: [{
    kind: "Kustomization",
    source:
      "fluxcd/kustomize-controller api/v1 condition_types.go; argo-cd resource_customizations/kustomize.toolkit.fluxcd.io/Kustomization/testdata",
    health: ["Ready"],
    stopped: [{ reason: "Suspended", field: "spec.suspend", equals: true }],
    terminal: [{ reason: "BuildFailed", reasons: ["BuildFailed"] }],
  }],
};
