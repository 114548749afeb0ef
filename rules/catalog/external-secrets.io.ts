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

/**
 * A sync error is terminal unless its message looks like a provider outage
 * (a timeout, a refused connection, a 5xx): those clear on the next refresh.
 */
const NOT_TRANSIENT =
  "^(?![\\s\\S]*\\b(timeout|timed out|deadline exceeded|connection refused|connection reset|no such host|EOF|50[0-9]|429|too many requests|rate limit\\w*)\\b)";

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
    "Argo CD calls any `Ready=False` Degraded, also a provider briefly unreachable; here a sync error is Failed unless its message looks like an outage (timeout, refused connection, 5xx, rate limit), which stays Pending until the stall timeout",
  kinds: [
    {
      kind: "ExternalSecret",
      source:
        "external-secrets apis/externalsecrets/v1beta1/externalsecret_types.go; argo-cd resource_customizations/external-secrets.io/ExternalSecret/testdata",
      health: ["Ready"],
      terminal: [{
        reason: "SecretSyncedError",
        reasons: ["SecretSyncedError"],
        message: NOT_TRANSIENT,
      }],
    },
    {
      kind: "PushSecret",
      source:
        "external-secrets apis/externalsecrets/v1alpha1/pushsecret_types.go (Ready reasons Synced, Errored); argo-cd resource_customizations/external-secrets.io/PushSecret/testdata",
      health: ["Ready"],
      terminal: [{
        reason: "Errored",
        reasons: ["Errored"],
        message: NOT_TRANSIENT,
      }],
    },
    {
      kind: "ClusterExternalSecret",
      source:
        "external-secrets apis/externalsecrets/v1beta1/clusterexternalsecret_types.go (Ready, PartiallyReady, NotReady); argo-cd resource_customizations/external-secrets.io/ClusterExternalSecret/testdata",
      health: ["Ready"],
      // ESO appends conditions: a Ready=True written after a failure wins.
      ready: [{ reason: "Ready", condition: "Ready", status: "True" }],
      failed: [
        { reason: "NotReady", condition: "NotReady", status: "True" },
        {
          reason: "PartiallyReady",
          condition: "PartiallyReady",
          status: "True",
        },
      ],
    },
    store("SecretStore"),
    store("ClusterSecretStore"),
  ],
};
