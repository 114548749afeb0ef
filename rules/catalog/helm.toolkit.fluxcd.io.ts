/**
 * Flux HelmRelease (`helm.toolkit.fluxcd.io`): reasons from
 * fluxcd/helm-controller `api/v2/reason.go` (`InstallFailed`,
 * `UpgradeFailed`, `RollbackFailed`, `UninstallFailed`, `TestFailed`,
 * `RetriesExceeded` with `Stalled=True`).
 *
 * @module
 */
import type { CatalogFamily } from "../catalog_schema.ts";

/** Flux helm-controller. */
export const FLUX_HELM: CatalogFamily = {
  family: "Flux",
  group: "helm.toolkit.fluxcd.io",
  disagreements:
    "kstatus waits until `Stalled` after the retries run out; a failed install or upgrade is Failed at once here (the controller's remediation reports through a new transition)",
  kinds: [{
    kind: "HelmRelease",
    source:
      "fluxcd/helm-controller api/v2/reason.go; argo-cd resource_customizations/helm.toolkit.fluxcd.io/HelmRelease/testdata",
    health: ["Ready", "Released"],
    stopped: [{ reason: "Suspended", field: "spec.suspend", equals: true }],
    terminal: [
      {
        reason: "InstallFailed",
        reasons: ["InstallFailed"],
      },
      { reason: "UpgradeFailed", reasons: ["UpgradeFailed"] },
      { reason: "RollbackFailed", reasons: ["RollbackFailed"] },
      { reason: "UninstallFailed", reasons: ["UninstallFailed"] },
      { reason: "TestFailed", reasons: ["TestFailed"] },
    ],
  }],
};
