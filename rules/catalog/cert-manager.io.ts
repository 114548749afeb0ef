/**
 * cert-manager (`cert-manager.io`): Issuer, ClusterIssuer,
 * CertificateRequest, Certificate. Shapes from cert-manager
 * `pkg/apis/certmanager/v1/types_issuer.go`, `types_certificaterequest.go`
 * (conditions `Ready`, `Approved`, `Denied`, `InvalidRequest`; Ready reasons
 * `Pending`, `Failed`, `Issued`), `pkg/issuer/acme/setup.go`
 * (`ErrRegisterACMEAccount`) and Argo CD
 * `resource_customizations/cert-manager.io/*`/testdata. The Certificate has
 * a Kind rule of its own (`rules/certificate.ts`: expiry, issuance attempts);
 * it consults this entry's terminal reasons for `Ready=False`.
 *
 * @module
 */
import type { CatalogFamily, CatalogKind } from "../catalog_schema.ts";

function issuer(kind: string): CatalogKind {
  return {
    kind,
    source:
      `cert-manager pkg/apis/certmanager/v1/types_issuer.go; argo-cd resource_customizations/cert-manager.io/${kind}/testdata/degraded_acmeFailed.yaml`,
    health: ["Ready"],
    terminal: [{
      reason: "ErrRegisterACMEAccount",
      reasons: ["ErrRegisterACMEAccount"],
      message:
        "\\b(404|400|403)\\b|\\bnot found\\b|\\binvalid\\b|\\bunauthorized\\b",
    }, {
      reason: "ErrInitIssuer",
      reasons: ["ErrInitIssuer", "ErrIssuerNotConfigured"],
    }],
  };
}

/** cert-manager. */
export const CERT_MANAGER: CatalogFamily = {
  family: "cert-manager",
  group: "cert-manager.io",
  disagreements:
    "Argo CD calls any Issuer `Ready=False` Degraded (also while the ACME server is briefly unreachable); here only an ACME registration answered with 4xx or an issuer that cannot be initialised is Failed; a denied CertificateRequest is Failed everywhere",
  kinds: [
    issuer("Issuer"),
    issuer("ClusterIssuer"),
    {
      kind: "CertificateRequest",
      source:
        "cert-manager pkg/apis/certmanager/v1/types_certificaterequest.go; argo-cd resource_customizations/cert-manager.io/CertificateRequest/testdata",
      health: ["Ready"],
      failed: [
        { reason: "Denied", condition: "Denied", status: "True" },
        {
          reason: "InvalidRequest",
          condition: "InvalidRequest",
          status: "True",
        },
      ],
      terminal: [{ reason: "Failed", reasons: ["Failed"] }],
    },
    {
      kind: "Certificate",
      source:
        "cert-manager pkg/apis/certmanager/v1/types_certificate.go; argo-cd resource_customizations/cert-manager.io/Certificate/testdata/degraded_configError.yaml",
      health: ["Ready"],
      terminal: [{
        reason: "SecretMismatch",
        reasons: ["SecretMismatch", "IncorrectIssuer"],
      }],
    },
  ],
};
