/**
 * The Kubernetes API simulator's store: the resources it knows and the
 * snapshots it serves, one per resourceVersion.
 *
 * @module
 */
import { dig } from "./_kube_selectors.ts";
import type { KubeSimObject, KubeSimResource } from "./kube.ts";
import { clusterObjects, type Scenario } from "./scenario.ts";

/**
 * Verbs advertised for the scenario's kinds. Watch is served too, but not
 * advertised: tests elsewhere pin discovery to get/list (informers do not
 * read the verbs).
 */
const VERBS = ["get", "list"];

/** Built-in resources the simulator knows, with kubectl's short names. */
const BUILTIN_RESOURCES: KubeSimResource[] = [
  ["", "v1", "pods", "Pod", true, ["po"]],
  ["", "v1", "services", "Service", true, ["svc"]],
  ["", "v1", "configmaps", "ConfigMap", true, ["cm"]],
  ["", "v1", "secrets", "Secret", true, []],
  ["", "v1", "serviceaccounts", "ServiceAccount", true, ["sa"]],
  ["", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, ["pvc"]],
  ["", "v1", "persistentvolumes", "PersistentVolume", false, ["pv"]],
  ["", "v1", "endpoints", "Endpoints", true, ["ep"]],
  ["", "v1", "events", "Event", true, ["ev"]],
  ["", "v1", "replicationcontrollers", "ReplicationController", true, ["rc"]],
  ["", "v1", "namespaces", "Namespace", false, ["ns"]],
  ["", "v1", "nodes", "Node", false, ["no"]],
  ["apps", "v1", "deployments", "Deployment", true, ["deploy"]],
  ["apps", "v1", "replicasets", "ReplicaSet", true, ["rs"]],
  ["apps", "v1", "statefulsets", "StatefulSet", true, ["sts"]],
  ["apps", "v1", "daemonsets", "DaemonSet", true, ["ds"]],
  ["apps", "v1", "controllerrevisions", "ControllerRevision", true, []],
  ["batch", "v1", "jobs", "Job", true, []],
  ["batch", "v1", "cronjobs", "CronJob", true, ["cj"]],
  [
    "autoscaling",
    "v2",
    "horizontalpodautoscalers",
    "HorizontalPodAutoscaler",
    true,
    [
      "hpa",
    ],
  ],
  ["policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true, [
    "pdb",
  ]],
  ["networking.k8s.io", "v1", "ingresses", "Ingress", true, ["ing"]],
  ["networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true, [
    "netpol",
  ]],
  ["storage.k8s.io", "v1", "storageclasses", "StorageClass", false, ["sc"]],
  ["rbac.authorization.k8s.io", "v1", "roles", "Role", true, []],
  ["rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true, []],
  ["rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false, []],
  [
    "rbac.authorization.k8s.io",
    "v1",
    "clusterrolebindings",
    "ClusterRoleBinding",
    false,
    [],
  ],
  ["coordination.k8s.io", "v1", "leases", "Lease", true, []],
  [
    "apiextensions.k8s.io",
    "v1",
    "customresourcedefinitions",
    "CustomResourceDefinition",
    false,
    ["crd", "crds"],
  ],
].map(([group, version, name, kind, namespaced, shortNames]) => ({
  group: group as string,
  version: version as string,
  name: name as string,
  singularName: (kind as string).toLowerCase(),
  kind: kind as string,
  namespaced: namespaced as boolean,
  verbs: name === "leases"
    ? ["create", "delete", "get", "list", "patch", "update", "watch"]
    : VERBS,
  ...((shortNames as string[]).length > 0
    ? { shortNames: shortNames as string[] }
    : {}),
  builtin: true,
}));

// ---------------------------------------------------------------------------
// The store

/** What the simulator serves at one resourceVersion. */
export interface Snapshot {
  resourceVersion: number;
  /** Every object, grouped by `group/resource`, sorted by namespace/name (etcd key order). */
  byResource: Map<string, { key: string; object: KubeSimObject }[]>;
  /** Resources discoverable at this snapshot. */
  resources: KubeSimResource[];
}

/** `apps/v1` → `{group: "apps", version: "v1"}`. */
function groupVersionOf(
  apiVersion: string,
): { group: string; version: string } {
  const slash = apiVersion.lastIndexOf("/");
  return slash < 0 ? { group: "", version: apiVersion } : {
    group: apiVersion.slice(0, slash),
    version: apiVersion.slice(slash + 1),
  };
}

/** A naive English plural, as a fallback for kinds with no CRD served. */
export function pluralOf(kind: string): string {
  const lower = kind.toLowerCase();
  if (/(s|x|z|ch|sh)$/.test(lower)) return `${lower}es`;
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

/** The resources a CRD object defines (one per served version). */
function resourcesOfCrd(crd: KubeSimObject): KubeSimResource[] {
  const group = dig(crd, "spec", "group");
  const names = dig(crd, "spec", "names") as
    | Record<string, unknown>
    | undefined;
  const versions = dig(crd, "spec", "versions");
  if (typeof group !== "string" || !names || !Array.isArray(versions)) {
    return [];
  }
  const kind = String(names.kind ?? "");
  const plural = String(names.plural ?? pluralOf(kind));
  const shortNames = Array.isArray(names.shortNames)
    ? names.shortNames.map(String)
    : [];
  return versions
    .filter((v) =>
      v && typeof v === "object" && (v as { served?: unknown }).served !== false
    )
    .map((v) => ({
      group,
      version: String((v as { name?: unknown }).name),
      name: plural,
      singularName: String(names.singular ?? kind.toLowerCase()),
      kind,
      namespaced: dig(crd, "spec", "scope") !== "Cluster",
      verbs: VERBS,
      ...(shortNames.length > 0 ? { shortNames } : {}),
      builtin: false,
    }));
}

/** Builds the snapshot of the objects given. */
export function buildSnapshot(
  objects: KubeSimObject[],
  resourceVersion: number,
): Snapshot {
  const resources = [...BUILTIN_RESOURCES];
  const index = new Map<string, KubeSimResource>();
  const keyOf = (group: string, version: string, kind: string) =>
    `${group}/${version}/${kind}`;
  for (const resource of resources) {
    index.set(keyOf(resource.group, resource.version, resource.kind), resource);
  }
  for (const object of objects) {
    if (object.kind !== "CustomResourceDefinition") continue;
    for (const resource of resourcesOfCrd(object)) {
      const key = keyOf(resource.group, resource.version, resource.kind);
      if (!index.has(key)) {
        index.set(key, resource);
        resources.push(resource);
      }
    }
  }
  const namespaces = new Set<string>();
  const all = [...objects];
  for (const object of objects) {
    if (object.metadata.namespace) namespaces.add(object.metadata.namespace);
  }
  const declared = new Set(
    objects.filter((o) => o.kind === "Namespace").map((o) => o.metadata.name),
  );
  for (const name of [...namespaces].sort()) {
    if (declared.has(name)) continue;
    all.push({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        name,
        uid: `00000000-0000-4000-8000-${
          [...name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7)
            .toString(16).padStart(12, "0").slice(-12)
        }`,
        resourceVersion: "1",
        creationTimestamp: "2026-01-01T00:00:00Z",
        labels: { "kubernetes.io/metadata.name": name },
      },
      spec: { finalizers: ["kubernetes"] },
      status: { phase: "Active" },
    });
  }
  const byResource = new Map<
    string,
    { key: string; object: KubeSimObject }[]
  >();
  for (const object of all) {
    const { group, version } = groupVersionOf(object.apiVersion);
    let resource = index.get(keyOf(group, version, object.kind));
    if (!resource) {
      resource = {
        group,
        version,
        name: pluralOf(object.kind),
        singularName: object.kind.toLowerCase(),
        kind: object.kind,
        namespaced: object.metadata.namespace !== undefined,
        verbs: VERBS,
        builtin: false,
      };
      index.set(keyOf(group, version, object.kind), resource);
      resources.push(resource);
    }
    const bucketKey = `${resource.group}/${resource.name}`;
    let bucket = byResource.get(bucketKey);
    if (!bucket) byResource.set(bucketKey, bucket = []);
    bucket.push({
      key: `${object.metadata.namespace ?? ""}/${object.metadata.name}`,
      object,
    });
  }
  for (const bucket of byResource.values()) {
    bucket.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
  return { resourceVersion, byResource, resources };
}

/** The objects of a scenario step, minus each instance's `missing` resources. */
export function objectsOfStep(
  scenario: Scenario | undefined,
  step: number,
): KubeSimObject[] {
  const current = scenario?.steps[step];
  if (!current) return [];
  return current.instances.flatMap((instance) =>
    clusterObjects(instance) as KubeSimObject[]
  );
}

/** Opaque continue token: base64url of the snapshot's resourceVersion and the last key sent. */
export function encodeContinue(resourceVersion: number, start: string): string {
  return btoa(
    JSON.stringify({ v: "meta.k8s.io/v1", rv: resourceVersion, start }),
  )
    .replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
}

/** Decodes a continue token; undefined when it is not one of ours. */
export function decodeContinue(
  token: string,
): { rv: number; start: string } | undefined {
  try {
    const json = atob(token.replaceAll("-", "+").replaceAll("_", "/"));
    const data = JSON.parse(json) as {
      v?: unknown;
      rv?: unknown;
      start?: unknown;
    };
    if (
      data.v !== "meta.k8s.io/v1" || typeof data.rv !== "number" ||
      typeof data.start !== "string"
    ) return undefined;
    return { rv: data.rv, start: data.start };
  } catch {
    return undefined;
  }
}

/** The `message` of the 410 Expired answer to a continue token too old to serve. */
export const EXPIRED_MESSAGE =
  "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

/** How many past snapshots stay available to continue tokens. */
export const SNAPSHOTS_KEPT = 16;
