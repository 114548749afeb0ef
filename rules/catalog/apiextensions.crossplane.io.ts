/**
 * Crossplane compositions (`apiextensions.crossplane.io`): Composition has
 * no status at all (stored is all there is); CompositeResourceDefinition
 * reports `Established` and `Offered` (crossplane `apis/apiextensions/v1`
 * `composition_types.go`, `xrd_types.go`).
 *
 * @module
 */
import type { CatalogFamily } from "../catalog_schema.ts";

/** Crossplane Composition and XRD. */
export const CROSSPLANE_COMPOSITION: CatalogFamily = {
  family: "Crossplane",
  group: "apiextensions.crossplane.io",
  disagreements:
    "an XRD whose claim CRD is not offered is Pending here; Argo CD has no health for either Kind",
  kinds: [
    {
      kind: "Composition",
      source:
        "crossplane apis/apiextensions/v1 composition_types.go (no status subresource)",
      health: ["Ready"],
      noStatus: "Ready",
    },
    {
      kind: "CompositeResourceDefinition",
      source: "crossplane apis/apiextensions/v1 xrd_types.go",
      health: ["Established", "Offered"],
    },
  ],
};
