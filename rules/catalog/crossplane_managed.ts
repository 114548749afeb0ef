/**
 * Crossplane managed resources of the Upbound providers (every Kind of any
 * `*.upbound.io` group): conditions `Synced` (reasons `ReconcileSuccess`,
 * `ReconcileError`, `ReconcilePaused`) and `Ready` (`Available`, `Creating`,
 * `Deleting`, `Unavailable`) from crossplane-runtime
 * `apis/common/v1/condition.go`; Argo CD
 * `resource_customizations/*.upbound.io/_/health.lua`. Providers in other
 * groups can be added by a user catalog file with the same entry.
 *
 * @module
 */
import type { CatalogFamily } from "../catalog_schema.ts";

/** Crossplane managed resources. */
export const CROSSPLANE_MANAGED: CatalogFamily = {
  family: "Crossplane",
  group: "*.upbound.io",
  disagreements:
    "kstatus reads `Ready` only (a resource the provider cannot sync stays Current); Argo CD calls any `Synced=False` Degraded, here only a `ReconcileError` whose message names a configuration error is Failed; paused (`ReconcilePaused`) is Ready with a warning",
  kinds: [{
    kind: "ProviderConfig",
    source:
      "crossplane-runtime apis/common/v1/resource.go (ProviderConfigStatus: users); argo-cd resource_customizations/_.upbound.io/_/testdata/providerconfig_healthy.yaml",
    health: ["Ready"],
    noStatus: "Ready",
  }, {
    kind: "*",
    source:
      "crossplane-runtime apis/common/v1/condition.go; argo-cd resource_customizations/*.upbound.io/_/health.lua",
    health: ["Synced", "Ready"],
    stopped: [{
      reason: "ReconcilePaused",
      condition: "Synced",
      reasons: ["ReconcilePaused"],
    }],
    terminal: [{
      reason: "ReconcileError",
      reasons: ["ReconcileError"],
      message:
        "\\brefuse to update\\b|\\brequires replacing\\b|\\bapi error Invalid\\w*|\\b(InvalidParameter\\w*|ValidationError|AccessDenied\\w*|UnauthorizedOperation|InvalidClientTokenId|InvalidAccessKeyId)\\b",
    }],
  }],
};
