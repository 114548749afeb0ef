/**
 * The A&AI simulator's schema: the objects and edge rules it models
 * (reference/aai.md §2).
 *
 * @module
 */

// ---------------------------------------------------------------------------
// Schema: the objects and edge rules we model (reference/aai.md §2).

export type PropType = "string" | "boolean" | "integer" | "strings";

export interface TypeDef {
  name: string;
  parent: string | undefined;
  /** Segments between the parent object (or the root) and this type's singular name. */
  collection: string[];
  keys: string[];
  /** Required non-key properties (`required="true"` in the OXM). */
  required: string[];
  props: Record<string, PropType>;
  /** Child collection segment → child type. */
  children: Record<string, string>;
  /** Properties shown as `related-to-property` (the OXM's nameProps). */
  nameProps: string[];
}

export function strings(
  names: string[],
  type: PropType = "string",
): Record<string, PropType> {
  return Object.fromEntries(names.map((name) => [name, type]));
}

export const TYPES: Record<string, TypeDef> = {
  "cloud-region": {
    name: "cloud-region",
    parent: undefined,
    collection: ["cloud-infrastructure", "cloud-regions"],
    keys: ["cloud-owner", "cloud-region-id"],
    required: [],
    props: {
      ...strings([
        "cloud-owner",
        "cloud-region-id",
        "cloud-type",
        "owner-defined-type",
        "cloud-region-version",
        "identity-url",
        "cloud-zone",
        "complex-name",
        "cloud-extra-info",
        "upgrade-cycle",
        "resource-version",
      ]),
      ...strings(
        ["sriov-automation", "orchestration-disabled", "in-maint"],
        "boolean",
      ),
    },
    children: { tenants: "tenant" },
    nameProps: ["owner-defined-type"],
  },
  tenant: {
    name: "tenant",
    parent: "cloud-region",
    collection: ["tenants"],
    keys: ["tenant-id"],
    required: ["tenant-name"],
    props: strings([
      "tenant-id",
      "tenant-name",
      "tenant-context",
      "resource-version",
    ]),
    children: { "k8s-resources": "k8s-resource" },
    nameProps: ["tenant-name"],
  },
  "k8s-resource": {
    name: "k8s-resource",
    parent: "tenant",
    collection: ["k8s-resources"],
    keys: ["id"],
    required: ["name", "group", "version", "kind", "namespace", "selflink"],
    props: {
      ...strings([
        "id",
        "name",
        "group",
        "version",
        "kind",
        "namespace",
        "selflink",
        "data-owner",
        "data-source",
        "data-source-version",
        "resource-version",
      ]),
      labels: "strings",
    },
    children: {},
    nameProps: ["name"],
  },
  "generic-vnf": {
    name: "generic-vnf",
    parent: undefined,
    collection: ["network", "generic-vnfs"],
    keys: ["vnf-id"],
    required: ["vnf-type", "in-maint", "is-closed-loop-disabled"],
    props: {
      ...strings([
        "vnf-id",
        "vnf-name",
        "vnf-name2",
        "vnf-type",
        "service-id",
        "regional-resource-zone",
        "prov-status",
        "operational-status",
        "equipment-role",
        "orchestration-status",
        "vnf-package-name",
        "heat-stack-id",
        "ipv4-oam-address",
        "summary-status",
        "model-invariant-id",
        "model-version-id",
        "persona-model-version",
        "model-customization-id",
        "widget-model-id",
        "widget-model-version",
        "nf-type",
        "nf-function",
        "nf-role",
        "nf-naming-code",
        "selflink",
        "data-owner",
        "data-source",
        "data-source-version",
        "resource-version",
      ]),
      ...strings(["in-maint", "is-closed-loop-disabled"], "boolean"),
    },
    children: { "vf-modules": "vf-module" },
    nameProps: ["vnf-name"],
  },
  "vf-module": {
    name: "vf-module",
    parent: "generic-vnf",
    collection: ["vf-modules"],
    keys: ["vf-module-id"],
    required: ["is-base-vf-module", "automated-assignment"],
    props: {
      ...strings([
        "vf-module-id",
        "vf-module-name",
        "heat-stack-id",
        "orchestration-status",
        "operational-status",
        "model-invariant-id",
        "model-version-id",
        "persona-model-version",
        "model-customization-id",
        "widget-model-id",
        "widget-model-version",
        "contrail-service-instance-fqdn",
        "selflink",
        "data-owner",
        "data-source",
        "data-source-version",
        "resource-version",
      ]),
      ...strings(["is-base-vf-module", "automated-assignment"], "boolean"),
      "module-index": "integer",
    },
    children: {},
    nameProps: ["vf-module-name"],
  },
};

/** Plural name (as in `/nodes/{plural}`) → type. */
export const PLURALS: Record<string, string> = {
  "cloud-regions": "cloud-region",
  tenants: "tenant",
  "k8s-resources": "k8s-resource",
  "generic-vnfs": "generic-vnf",
  "vf-modules": "vf-module",
};

export interface EdgeRule {
  from: string;
  to: string;
  label: string;
  /** ONE2MANY: a `to` node has at most one `from` node through this rule. */
  multiplicity: "ONE2MANY" | "MANY2MANY";
}

/** dbedgerules v24…v32 for k8s-resource (reference/aai.md §2.2). */
export const EDGE_RULES: EdgeRule[] = [
  {
    from: "vf-module",
    to: "k8s-resource",
    label: "org.onap.relationships.inventory.Uses",
    multiplicity: "ONE2MANY",
  },
  {
    from: "generic-vnf",
    to: "k8s-resource",
    label: "tosca.relationships.HostedOn",
    multiplicity: "ONE2MANY",
  },
  // The VNF's placement, which SO hashes into its k8s-resource ids
  // (reference/aai.md §7: `vfw-generic-vnf-aai.json`).
  {
    from: "generic-vnf",
    to: "tenant",
    label: "org.onap.relationships.inventory.BelongsTo",
    multiplicity: "MANY2MANY",
  },
  {
    from: "generic-vnf",
    to: "cloud-region",
    label: "org.onap.relationships.inventory.LocatedIn",
    multiplicity: "MANY2MANY",
  },
];

export function pluralOf(type: string): string {
  return Object.entries(PLURALS).find(([, t]) => t === type)?.[0] ?? `${type}s`;
}

export function edgeRule(a: string, b: string): EdgeRule | undefined {
  return EDGE_RULES.find((rule) =>
    (rule.from === a && rule.to === b) || (rule.from === b && rule.to === a)
  );
}

export function isContainment(a: string, b: string): boolean {
  return TYPES[a]?.parent === b || TYPES[b]?.parent === a;
}
