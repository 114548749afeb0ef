/**
 * Crossplane packages (`pkg.crossplane.io`): Provider, Configuration,
 * Function. Conditions `Installed` and `Healthy` with reasons
 * `ActivePackageRevision`, `UnpackingPackage`, `HealthyPackageRevision`,
 * `UnhealthyPackageRevision` from crossplane `apis/pkg/v1/package_types.go`,
 * `apis/pkg/v1/revision_types.go` and Argo CD
 * `resource_customizations/pkg.crossplane.io/*`.
 *
 * @module
 */
import type { CatalogFamily, CatalogKind } from "../catalog_schema.ts";

function pkg(kind: string): CatalogKind {
  return {
    kind,
    source:
      `crossplane apis/pkg/v1 package_types.go, revision_types.go; argo-cd resource_customizations/pkg.crossplane.io/${kind}`,
    health: ["Installed", "Healthy"],
    terminal: [{
      reason: "UnhealthyPackageRevision",
      reasons: ["UnhealthyPackageRevision"],
    }, {
      reason: "PackageUnavailable",
      reasons: ["UnpackingPackage"],
      message:
        "\\bcannot (pull|resolve|parse) package\\b|\\bdenied\\b|\\bincompatible\\b",
    }],
  };
}

/** Crossplane packages. */
export const CROSSPLANE_PACKAGES: CatalogFamily = {
  family: "Crossplane",
  group: "pkg.crossplane.io",
  disagreements:
    "the generic rule and kstatus see no `Ready` condition and call a Provider Current whatever `Healthy` says; Argo CD needs both `Installed` and `Healthy` True, as here, and calls any False Degraded, where unpacking a package that is still being pulled is Pending here",
  kinds: [pkg("Provider"), pkg("Configuration"), pkg("Function")],
};
