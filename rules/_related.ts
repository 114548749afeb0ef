/**
 * The index over `related` objects that owner rules query: pods by owner and
 * by namespace, ReplicaSets by Deployment, StorageClasses, Nodes and CRDs.
 * It is built once per `related` array (memoised in a `WeakMap`), so
 * evaluating every object of an instance against the same array stays linear
 * in the number of objects. Entries that are not valid objects are skipped:
 * a broken related object must not change the verdict of another one.
 *
 * @module
 */
import {
  FieldError,
  type Fields,
  isRecord,
  recordAt,
  recordsAt,
  stringAt,
  stringMapAt,
} from "./_fields.ts";
import type { KubeObject, Readiness, RuleOptions } from "./types.ts";

/** A related object with the fields owner lookups need, read once. */
export interface RelatedEntry {
  /** The object itself. */
  object: KubeObject;
  /** Kind of the object. */
  kind: string;
  /** `metadata.namespace` ("" for cluster-scoped objects). */
  namespace: string;
  /** `metadata.name`. */
  name: string;
  /** `metadata.uid` ("" when absent, e.g. in rendered documents). */
  uid: string;
  /** `metadata.labels` (pods only; `{}` for other kinds). */
  labels: Record<string, string>;
  /** Owner keys (`namespace/Kind/name`) with the uid each reference carries. */
  owners: { key: string; uid: string }[];
  /** No owner reference, or none whose owner is among the related objects. */
  orphan: boolean;
}

/** The lookups a rule can make into `related`. */
export interface RelatedIndex {
  /** Objects keyed by the owner they reference (`namespace/Kind/name`). */
  byOwner: Map<string, RelatedEntry[]>;
  /** Orphan pods keyed by namespace, for label-selector fallbacks. */
  orphanPodsByNamespace: Map<string, RelatedEntry[]>;
  /** Orphan pods keyed by `namespace\u0000label=value`, to narrow selector matching. */
  orphanPodsByLabel: Map<string, RelatedEntry[]>;
  /** `namespace/Kind/name` of every related object but pods, to tell present owners from absent ones. */
  present: Set<string>;
  /** StorageClasses by name. */
  storageClasses: Map<string, KubeObject>;
  /** Name of the StorageClass annotated as the cluster default, if any. */
  defaultStorageClass: string | undefined;
  /** Node name → whether its `Ready` condition is `True`. */
  nodeReady: Map<string, boolean>;
  /** CustomResourceDefinitions by `group/Kind` of the resource they define. */
  crds: Map<string, KubeObject>;
  /** Pod verdicts computed for owner propagation, reused across owners. */
  podVerdicts: WeakMap<
    object,
    { nowMs: number; options: RuleOptions; result: Readiness }
  >;
}

const INDEXES = new WeakMap<readonly KubeObject[], RelatedIndex>();

/** Returns the index of `related`, building it on first use. */
export function relatedIndex(related: readonly KubeObject[]): RelatedIndex {
  let index = INDEXES.get(related);
  if (index === undefined) {
    index = buildIndex(related);
    INDEXES.set(related, index);
  }
  return index;
}

/** The key owner references resolve to: `namespace/Kind/name`. */
export function objectKey(
  namespace: string,
  kind: string,
  name: string,
): string {
  return `${namespace}/${kind}/${name}`;
}

function buildIndex(related: readonly KubeObject[]): RelatedIndex {
  const index: RelatedIndex = {
    byOwner: new Map(),
    orphanPodsByNamespace: new Map(),
    orphanPodsByLabel: new Map(),
    present: new Set(),
    storageClasses: new Map(),
    defaultStorageClass: undefined,
    nodeReady: new Map(),
    crds: new Map(),
    podVerdicts: new WeakMap(),
  };
  const pods: RelatedEntry[] = [];
  for (const object of related) {
    try {
      const entry = addToIndex(index, object);
      if (entry?.kind === "Pod") pods.push(entry);
    } catch (error) {
      if (!(error instanceof FieldError)) throw error;
      // A malformed related object is skipped; it is judged on its own.
    }
  }
  for (const pod of pods) {
    pod.orphan = !pod.owners.some((owner) => index.present.has(owner.key));
    if (!pod.orphan) continue;
    push(index.orphanPodsByNamespace, pod.namespace, pod);
    for (const key in pod.labels) {
      push(
        index.orphanPodsByLabel,
        `${pod.namespace}\u0000${key}=${pod.labels[key]}`,
        pod,
      );
    }
  }
  return index;
}

function addToIndex(
  index: RelatedIndex,
  object: unknown,
): RelatedEntry | undefined {
  if (!isRecord(object)) return undefined;
  const kind = stringAt(object, "kind");
  const metadata = recordAt(object, "metadata");
  const namespace = stringAt(metadata, "namespace");
  const name = stringAt(metadata, "name");
  switch (kind) {
    case "StorageClass":
      index.storageClasses.set(name, object);
      if (
        stringMapAt(metadata, "annotations")[
          "storageclass.kubernetes.io/is-default-class"
        ] === "true"
      ) {
        index.defaultStorageClass = name;
      }
      break;
    case "Node":
      index.nodeReady.set(name, nodeIsReady(object));
      break;
    case "CustomResourceDefinition":
      index.crds.set(
        `${stringAt(object, "spec.group")}/${
          stringAt(object, "spec.names.kind")
        }`,
        object,
      );
      break;
  }
  // Pods own nothing; every other object may be an owner.
  if (kind !== "Pod") index.present.add(objectKey(namespace, kind, name));
  const refs = recordsAt(metadata, "ownerReferences");
  if (refs.length === 0 && kind !== "Pod") return undefined;
  const entry: RelatedEntry = {
    object,
    kind,
    namespace,
    name,
    uid: stringAt(metadata, "uid"),
    labels: kind === "Pod" ? stringMapAt(metadata, "labels") : {},
    owners: refs.map((ref) => ({
      key: objectKey(namespace, stringAt(ref, "kind"), stringAt(ref, "name")),
      uid: stringAt(ref, "uid"),
    })),
    orphan: false,
  };
  for (const owner of entry.owners) push(index.byOwner, owner.key, entry);
  return entry;
}

function nodeIsReady(node: Fields): boolean {
  for (const condition of recordsAt(node, "status.conditions")) {
    if (condition["type"] === "Ready") return condition["status"] === "True";
  }
  return false;
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/**
 * Objects of `kind` that name `owner` in their ownerReferences. A reference
 * whose uid differs from the owner's uid (both known) belongs to an earlier
 * object of the same name and is ignored.
 */
export function ownedBy(
  index: RelatedIndex,
  owner: Fields,
  kind: string,
): RelatedEntry[] {
  const namespace = stringAt(owner, "metadata.namespace");
  const key = objectKey(
    namespace,
    stringAt(owner, "kind"),
    stringAt(owner, "metadata.name"),
  );
  const uid = stringAt(owner, "metadata.uid");
  const out: RelatedEntry[] = [];
  for (const entry of index.byOwner.get(key) ?? []) {
    if (entry.kind !== kind) continue;
    const ref = entry.owners.find((o) => o.key === key);
    if (uid !== "" && ref !== undefined && ref.uid !== "" && ref.uid !== uid) {
      continue;
    }
    out.push(entry);
  }
  return out;
}

/**
 * The pods an owner controls: those whose ownerReferences name it, plus —
 * when ownerReferences are missing or point to an owner absent from
 * `related` — the pods of the owner's namespace its label selector matches.
 */
export function ownedPods(
  index: RelatedIndex,
  owner: Fields,
  selectorPath = "spec.selector",
): RelatedEntry[] {
  const pods = ownedBy(index, owner, "Pod");
  if (index.orphanPodsByNamespace.size === 0) return pods;
  const selector = parseSelector(owner, selectorPath);
  if (selector === undefined) return pods;
  const namespace = stringAt(owner, "metadata.namespace");
  let candidates = index.orphanPodsByNamespace.get(namespace) ?? [];
  for (const key in selector.matchLabels) {
    const list = index.orphanPodsByLabel.get(
      `${namespace}\u0000${key}=${selector.matchLabels[key]}`,
    ) ?? [];
    if (list.length < candidates.length) candidates = list;
  }
  const seen = new Set(pods);
  for (const pod of candidates) {
    if (!seen.has(pod) && matches(selector, pod.labels)) pods.push(pod);
  }
  return pods;
}

/** A parsed label selector (matchLabels + matchExpressions). */
export interface Selector {
  /** Labels that must be equal. */
  matchLabels: Record<string, string>;
  /** Set-based requirements. */
  matchExpressions: { key: string; operator: string; values: string[] }[];
}

/**
 * Parses the label selector at `path`: a `metav1.LabelSelector`, or the plain
 * map a ReplicationController uses. An empty or missing selector gives
 * `undefined` — for the fallback it must match nothing, not everything.
 */
export function parseSelector(
  object: unknown,
  path: string,
): Selector | undefined {
  const raw = recordAt(object, path);
  if (raw === undefined) return undefined;
  const isLabelSelector = "matchLabels" in raw || "matchExpressions" in raw;
  const matchLabels = isLabelSelector
    ? stringMapAt(object, `${path}.matchLabels`)
    : stringMapAt(object, path);
  const matchExpressions = isLabelSelector
    ? recordsAt(object, `${path}.matchExpressions`).map((e, i) => ({
      key: stringAt(e, "key"),
      operator: stringAt(e, "operator"),
      values: stringList(e["values"], `${path}.matchExpressions[${i}].values`),
    }))
    : [];
  if (Object.keys(matchLabels).length === 0 && matchExpressions.length === 0) {
    return undefined;
  }
  return { matchLabels, matchExpressions };
}

function stringList(value: unknown, path: string): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) {
    return value as string[];
  }
  throw new FieldError(path, `${path} is not a list of strings`);
}

/** True when `labels` satisfy every requirement of `selector`. */
export function matches(
  selector: Selector,
  labels: Record<string, string>,
): boolean {
  for (const key in selector.matchLabels) {
    if (labels[key] !== selector.matchLabels[key]) return false;
  }
  for (const { key, operator, values } of selector.matchExpressions) {
    const value = labels[key];
    switch (operator) {
      case "In":
        if (value === undefined || !values.includes(value)) return false;
        break;
      case "NotIn":
        if (value !== undefined && values.includes(value)) return false;
        break;
      case "Exists":
        if (value === undefined) return false;
        break;
      case "DoesNotExist":
        if (value !== undefined) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** Reads `metadata.annotations` of a related object, `{}` when malformed. */
export function annotationsOf(object: unknown): Record<string, string> {
  try {
    return stringMapAt(object, "metadata.annotations");
  } catch {
    return {};
  }
}

/** Reads `spec.nodeName` of a pod, "" when missing or malformed. */
export function nodeNameOf(pod: unknown): string {
  try {
    return stringAt(pod, "spec.nodeName");
  } catch {
    return "";
  }
}
