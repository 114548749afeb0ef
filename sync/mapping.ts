/**
 * Maps an evaluated Kubernetes resource to the A&AI `k8s-resource` it should
 * be (DESIGN §7.1–7.2). Pure functions of data (SHA-256 through
 * {@linkcode sha256}, synchronous and deterministic).
 *
 * The id is SO's CNF adapter formula so both tools name a resource the same
 * way: lower-case hex SHA-256 of `instanceId + name + namespace + kind + group
 * + version + cloudOwner + cloudRegion + tenantId`, plain concatenation.
 *
 * @module
 */

import { sha256 } from "../adapters/sha256.ts";
import { aaiPath } from "../adapters/aai.ts";
import type {
  AaiObject,
  AaiRelationship,
  VfModuleRef,
} from "../adapters/aai.ts";
import type { Gvk } from "../adapters/k8splugin.ts";
import type {
  KubeObject,
  PendingMark,
  Readiness,
  Verdict,
} from "../rules/types.ts";

/** Where an instance's objects live in A&AI. */
export interface Placement {
  /** A&AI `cloud-owner`. */
  cloudOwner: string;
  /** A&AI `cloud-region-id` (k8splugin's `cloud-region`). */
  cloudRegion: string;
  /** A&AI `tenant-id`. */
  tenantId: string;
}

/** A resource of an instance with its verdict, ready to be mapped. */
export interface EvaluatedResource {
  /** The k8splugin instance it belongs to. */
  instanceId: string;
  /** Group/version/kind (`group` is `""` for core). */
  gvk: Gvk;
  /** `metadata.name`. */
  name: string;
  /** `""` for cluster-scoped resources. */
  namespace: string;
  /**
   * The object's identity and metadata (name, namespace, labels,
   * resourceVersion, creationTimestamp); `spec` and `status` are dropped once
   * judged. For a missing resource: a stub with name and namespace.
   */
  object: KubeObject;
  /** The rules' verdict. */
  readiness: Readiness;
  /**
   * Since when it has been Pending with the same reason, to remember for the
   * next evaluation (`nextPendingMark`); absent when there is nothing to keep.
   */
  pendingSince?: PendingMark;
}

/** The `k8s-resource` fields we own and compare (not `data-source-version`). */
export interface OwnedFields {
  /** SHA-256 id (SO CNF adapter formula). */
  id: string;
  /** Kubernetes name. */
  name: string;
  /** API group, `""` for core. */
  group: string;
  /** GVK version (not the resourceVersion). */
  version: string;
  /** Kind. */
  kind: string;
  /** Namespace, `""` when cluster-scoped. */
  namespace: string;
  /** Sorted `key=value` labels plus the readiness labels. */
  labels: string[];
  /** k8splugin query URL of the resource. */
  selflink: string;
  /** Who owns the object (ours: `k8s-aai-sync`). */
  "data-owner": string;
  /** Always {@linkcode DATA_SOURCE} (`K8sPlugin`, as SO writes). */
  "data-source": string;
}

/** What A&AI should hold for one resource. */
export interface DesiredObject {
  /** A&AI object path without `/aai/{v}`, segments percent-encoded. */
  path: string;
  /** The k8splugin instance it belongs to. */
  instanceId: string;
  /** Its cloud region. */
  cloudRegion: string;
  /** `group/version/kind/namespace/name`, for messages. */
  key: string;
  /** The owned fields (compared). */
  fields: OwnedFields;
  /** Kubernetes `metadata.resourceVersion` (published, never compared). */
  sourceVersion: string;
  /**
   * The rules' verdict, as they gave it: the one form it travels in. The
   * readiness labels in `fields.labels` are derived from it
   * ({@linkcode aaiLabels}); {@linkcode readinessOfLabels} reads them back.
   */
  readiness: Readiness;
}

/** Settings the mapping reads. */
export interface MappingOptions {
  /** k8splugin base URL, for `selflink`. */
  k8spluginUrl: string;
  /** `data-owner` value. */
  owner: string;
  /** Prefix of the readiness labels, e.g. `k8s-aai-sync/`. */
  labelPrefix: string;
}

/**
 * The value of `data-source` on every object we publish: SO's CNF adapter
 * value, so queries on that indexed property find one population. Objects
 * written with the old `k8splugin` are migrated by one PATCH each (the
 * snapshot's fields fingerprint covers `data-source`).
 */
export const DATA_SOURCE = "K8sPlugin";

/**
 * Owned fields that can change while the object keeps its id: the others
 * (`name`, `group`, `version`, `kind`, `namespace`) are part of the id.
 * `labels` changes most and has its own fingerprint.
 */
export const MUTABLE_FIELDS = [
  "selflink",
  "data-owner",
  "data-source",
] as const;

/** The fingerprints the snapshot keeps of the owned fields (DESIGN §6). */
export interface Fingerprint {
  /** Digest of what the {@linkcode MUTABLE_FIELDS} are made of (see {@linkcode fingerprintOf}). */
  fieldsDigest: string;
  /** Digest of the sorted labels. */
  labelsDigest: string;
}

/** 128 bits of SHA-256, base64url: a fingerprint, not an id. */
function digest(text: string): string {
  return sha256(text, "base64url").slice(0, 22);
}

/**
 * `cache`'s value for `key`, made by `make` on a miss. For values a run has a
 * handful of but needs once per object; the cache empties itself past 64
 * entries, so a long `--watch` process cannot grow it.
 */
function cached(
  cache: Map<string, string>,
  key: string,
  make: () => string,
): string {
  let value = cache.get(key);
  if (value === undefined) {
    if (cache.size >= 64) cache.clear();
    cache.set(key, value = make());
  }
  return value;
}

/** Fields digests by their inputs: one run has one or two, not one per object. */
const fieldsDigests = new Map<string, string>();

/**
 * Fingerprints of owned fields, so a snapshot entry tells whether a write is
 * due and which fields it must carry without holding the fields themselves.
 *
 * - `labelsDigest`: the labels as a set.
 * - `fieldsDigest`: what the {@linkcode MUTABLE_FIELDS} are made of: the
 *   k8splugin URL at the head of `selflink` and `data-source` (not
 *   `data-owner`: a changed owner setting is a migration, not a write).
 *   The rest of `selflink` is made from the resource's key and instance,
 *   which the entry is matched on, so the digest is the same for every
 *   object of a run and is computed once.
 *
 * Absent fields count as `""`.
 */
export function fingerprintOf(fields: Partial<OwnedFields>): Fingerprint {
  const selflink = fields.selflink ?? "";
  const at = selflink.indexOf(SELFLINK_PATH);
  // `data-owner` is left out: an owner setting change is a migration
  // (`sync --migrate-owner`), never a PATCH by itself.
  const inputs = [
    at < 0 ? selflink : selflink.slice(0, at),
    fields["data-source"] ?? "",
  ].join("\n");
  const labels = fields.labels ?? [];
  return {
    fieldsDigest: cached(fieldsDigests, inputs, () => digest(inputs)),
    labelsDigest: digest(
      (isSorted(labels) ? labels : [...labels].sort()).join("\n"),
    ),
  };
}

/** Whether strings are in ascending order (mapped labels already are). */
function isSorted(values: readonly string[]): boolean {
  for (let i = 1; i < values.length; i++) {
    if (values[i - 1]! > values[i]!) return false;
  }
  return true;
}

/** The `k8s-resource` id (SO CNF adapter formula, plain concatenation). */
export function resourceId(
  instanceId: string,
  resource: { gvk: Gvk; name: string; namespace: string },
  placement: Placement,
): string {
  return sha256(
    instanceId + resource.name + resource.namespace + resource.gvk.kind +
      resource.gvk.group + resource.gvk.version + placement.cloudOwner +
      placement.cloudRegion + placement.tenantId,
  );
}

/** The A&AI path of a tenant's `k8s-resources` collection. */
export function k8sResourcesPath(placement: Placement): string {
  return aaiPath(
    "cloud-infrastructure",
    "cloud-regions",
    "cloud-region",
    placement.cloudOwner,
    placement.cloudRegion,
    "tenants",
    "tenant",
    placement.tenantId,
    "k8s-resources",
  );
}

/** Encoded `k8s-resources` paths by placement: a run has a few, not one per object. */
const collectionPaths = new Map<string, string>();

/** The A&AI path of a `k8s-resource` (each segment percent-encoded). */
export function k8sResourcePath(placement: Placement, id: string): string {
  const collection = cached(
    collectionPaths,
    `${placement.cloudOwner}\n${placement.cloudRegion}\n${placement.tenantId}`,
    () => k8sResourcesPath(placement),
  );
  return `${collection}${aaiPath("k8s-resource", id)}`;
}

/**
 * One value encoded as `URLSearchParams` does (WHATWG form encoding: space
 * as `+`, and `!'()~` escaped, which `encodeURIComponent` leaves alone), at a
 * fraction of its cost: a run builds one selflink per resource.
 */
function formEncode(value: string): string {
  const encoded = encodeURIComponent(value);
  return /[!'()~]|%20/.test(encoded)
    ? encoded.replace(/%20/g, "+").replace(
      /[!'()~]/g,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
    )
    : encoded;
}

/** Where a selflink's per-resource part starts (see {@linkcode selfLink}). */
const SELFLINK_PATH = "/v1/instance/";

/** The k8splugin query URL that returns this resource's live object. */
export function selfLink(
  k8spluginUrl: string,
  instanceId: string,
  resource: { gvk: Gvk; name: string; namespace: string },
): string {
  const { group, version, kind } = resource.gvk;
  return `${k8spluginUrl.replace(/\/+$/, "")}${SELFLINK_PATH}${
    encodeURIComponent(instanceId)
  }/query?ApiVersion=${
    formEncode(group ? `${group}/${version}` : version)
  }&Kind=${formEncode(kind)}&Name=${formEncode(resource.name)}&Namespace=${
    formEncode(resource.namespace)
  }`;
}

/** A string-valued record read from `object.metadata[field]`, `{}` otherwise. */
function stringMap(object: KubeObject, field: string): Record<string, string> {
  const metadata = object.metadata;
  if (typeof metadata !== "object" || metadata === null) return {};
  const value = (metadata as Record<string, unknown>)[field];
  if (typeof value !== "object" || value === null) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === "string") out[k] = v;
  }
  return out;
}

/** `metadata.resourceVersion` of an object, `""` when absent. */
export function sourceVersionOf(object: KubeObject): string {
  const metadata = object.metadata;
  if (typeof metadata !== "object" || metadata === null) return "";
  const rv = (metadata as Record<string, unknown>).resourceVersion;
  return typeof rv === "string" ? rv : "";
}

/**
 * The `labels` list: the Kubernetes labels as `key=value` plus
 * `<prefix>readiness=<verdict>` and `<prefix>reason=<reason>`, sorted. A
 * Kubernetes label that collides with a readiness label key is dropped.
 */
export function aaiLabels(
  k8sLabels: Record<string, string>,
  readiness: { verdict: Verdict; reason: string },
  labelPrefix: string,
): string[] {
  const ours = new Set([`${labelPrefix}readiness`, `${labelPrefix}reason`]);
  const labels = Object.entries(k8sLabels)
    .filter(([k]) => !ours.has(k))
    .map(([k, v]) => `${k}=${v}`);
  labels.push(`${labelPrefix}readiness=${readiness.verdict}`);
  labels.push(`${labelPrefix}reason=${readiness.reason}`);
  return labels.sort();
}

/**
 * The verdict and reason an A&AI `labels` list carries (the inverse of
 * {@linkcode aaiLabels}); `undefined` without a valid readiness label.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { aaiLabels, readinessOfLabels } from "./mapping.ts";
 * const labels = aaiLabels({ app: "web" }, { verdict: "Failed", reason: "CrashLoopBackOff" }, "k8s-aai-sync/");
 * assert.deepEqual(readinessOfLabels(labels, "k8s-aai-sync/"), { verdict: "Failed", reason: "CrashLoopBackOff" });
 * assert.equal(readinessOfLabels(["app=web"], "k8s-aai-sync/"), undefined);
 * ```
 */
export function readinessOfLabels(
  labels: readonly string[],
  labelPrefix: string,
): { verdict: Verdict; reason: string } | undefined {
  const value = (key: string) => {
    const prefix = `${labelPrefix}${key}=`;
    return labels.find((l) => l.startsWith(prefix))?.slice(prefix.length);
  };
  const verdict = value("readiness");
  if (verdict !== "Ready" && verdict !== "Pending" && verdict !== "Failed") {
    return undefined;
  }
  return { verdict, reason: value("reason") ?? "" };
}

/** The desired A&AI object for one evaluated resource. */
export function mapResource(
  resource: EvaluatedResource,
  placement: Placement,
  options: MappingOptions,
): DesiredObject {
  const id = resourceId(resource.instanceId, resource, placement);
  const { group, version, kind } = resource.gvk;
  return {
    path: k8sResourcePath(placement, id),
    instanceId: resource.instanceId,
    cloudRegion: placement.cloudRegion,
    key: `${group}/${version}/${kind}/${resource.namespace}/${resource.name}`,
    fields: {
      id,
      name: resource.name,
      group,
      version,
      kind,
      namespace: resource.namespace,
      labels: aaiLabels(
        stringMap(resource.object, "labels"),
        resource.readiness,
        options.labelPrefix,
      ),
      selflink: selfLink(options.k8spluginUrl, resource.instanceId, resource),
      "data-owner": options.owner,
      "data-source": DATA_SOURCE,
    },
    sourceVersion: sourceVersionOf(resource.object),
    readiness: resource.readiness,
  };
}

/** The relationships of a `k8s-resource` to its vf-module (Uses) and generic-vnf (HostedOn). */
export function relationshipsFor(
  vf: VfModuleRef,
  apiVersion: string,
): AaiRelationship[] {
  const vnf = `/aai/${apiVersion}${
    aaiPath("network", "generic-vnfs", "generic-vnf", vf.vnfId)
  }`;
  return [
    {
      "related-to": "vf-module",
      "relationship-label": "org.onap.relationships.inventory.Uses",
      "related-link": `${vnf}${
        aaiPath("vf-modules", "vf-module", vf.vfModuleId)
      }`,
    },
    {
      "related-to": "generic-vnf",
      "relationship-label": "tosca.relationships.HostedOn",
      "related-link": vnf,
    },
  ];
}

/** The full PUT body for creating an object (relationships when known). */
export function createBody(
  desired: DesiredObject,
  relationships: AaiRelationship[],
): AaiObject {
  const body: AaiObject = {
    ...desired.fields,
    labels: [...desired.fields.labels],
    "data-source-version": desired.sourceVersion,
  };
  if (relationships.length > 0) {
    body["relationship-list"] = { relationship: relationships };
  }
  return body;
}

/** The owned fields of an object A&AI returned (for comparison), labels sorted. */
export function ownedFieldsOf(object: AaiObject): Partial<OwnedFields> {
  const out: Record<string, unknown> = {};
  for (
    const key of [
      "id",
      "name",
      "group",
      "version",
      "kind",
      "namespace",
      "selflink",
      "data-owner",
      "data-source",
    ]
  ) {
    if (typeof object[key] === "string") out[key] = object[key];
  }
  out.labels = Array.isArray(object.labels)
    ? (object.labels.filter((l) => typeof l === "string") as string[]).sort()
    : [];
  return out as Partial<OwnedFields>;
}
