/**
 * Knative Serving (`serving.knative.dev`): Service, Configuration, Revision,
 * Route. Conditions `Ready`, `ConfigurationsReady`, `RoutesReady`; reasons
 * `RevisionFailed`, `RevisionMissing`, `ContainerMissing` from
 * knative.dev/serving `pkg/apis/serving/v1/*_lifecycle.go`.
 *
 * @module
 */
import type { CatalogFamily } from "../catalog_schema.ts";

const SOURCE =
  "knative/serving pkg/apis/serving/v1 service_lifecycle.go, revision_lifecycle.go; argo-cd resource_customizations/serving.knative.dev";

/** Knative Serving. */
export const KNATIVE_SERVING: CatalogFamily = {
  family: "Knative Serving",
  group: "serving.knative.dev",
  disagreements:
    "kstatus and Argo CD read `Ready` only; a revision that failed (`RevisionFailed`, `ContainerMissing`) is Failed here at once instead of Progressing until the deadline",
  kinds: [
    {
      kind: "Service",
      source: SOURCE,
      health: ["Ready", "ConfigurationsReady", "RoutesReady"],
      terminal: [{
        reason: "RevisionFailed",
        reasons: ["RevisionFailed", "ContainerMissing"],
      }],
    },
    {
      kind: "Configuration",
      source: SOURCE,
      health: ["Ready"],
      terminal: [{
        reason: "RevisionFailed",
        reasons: ["RevisionFailed", "ContainerMissing"],
      }],
    },
    {
      kind: "Revision",
      source: SOURCE,
      health: ["Ready", "ContainerHealthy", "ResourcesAvailable"],
      terminal: [{
        reason: "ContainerMissing",
        reasons: ["ContainerMissing", "ExitCode"],
      }],
    },
    { kind: "Route", source: SOURCE, health: ["Ready"] },
  ],
};
