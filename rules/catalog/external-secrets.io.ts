/**
 * External Secrets Operator (`external-secrets.io`): ExternalSecret,
 * SecretStore, ClusterSecretStore. `Ready` reasons `SecretSynced`,
 * `SecretSyncedError` (ExternalSecret) and `Valid`, `InvalidStoreConfiguration`,
 * `InvalidProviderConfig`, `ValidationFailed` (stores) from external-secrets
 * `apis/externalsecrets/v1beta1/externalsecret_types.go`, `secretstore_types.go`.
 *
 * @module
 */
import type { CatalogFamily, CatalogKind } from "../catalog_schema.ts";

function store(kind: string): CatalogKind {
  return {
    kind,
    source:
      "external-secrets apis/externalsecrets/v1beta1/secretstore_types.go; argo-cd resource_customizations/external-secrets.io",
    health: ["Ready"],
    terminal: [{
      reason: "InvalidProviderConfig",
      reasons: [
        "InvalidStoreConfiguration",
        "InvalidProviderConfig",
        "ValidationFailed",
      ],
    }],
  };
}

/** External Secrets. */
export const EXTERNAL_SECRETS: CatalogFamily = {
  family: "External Secrets",
  group: "external-secrets.io",
  disagreements:
    "Argo CD calls any `Ready=False` Degraded (also a provider briefly unreachable); here a store with an invalid configuration and a secret whose remote key does not exist are Failed, other sync errors Pending until the stall timeout",
  kinds: [
    {
      kind: "ExternalSecret",
      source:
        "external-secrets apis/externalsecrets/v1beta1/externalsecret_types.go; argo-cd resource_customizations/external-secrets.io/ExternalSecret/testdata",
      health: ["Ready"],
      terminal: [{
        reason: "SecretSyncedError",
        reasons: ["SecretSyncedError"],
        message:
          "\\b(not found|does not exist|NoSuchKey|ResourceNotFoundException|SecretNotFound)\\b",
      }],
    },
    store("SecretStore"),
    store("ClusterSecretStore"),
  ],
};
