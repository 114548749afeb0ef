/**
 * Finds, with a handful of requests per region, the instances whose
 * k8splugin status subscription missed a change (issue 17).
 *
 * k8splugin's notifier dies silently after one failed `/status`, and its
 * POSTs are never retried (reference k8splugin.md §5): an instance kept by a
 * subscription can drift without a word. Reading every instance's `/status`
 * at each list pass would show it, at the price of cron's load. Instead, the
 * audit remembers the version of every object each read of an instance
 * returned, and a list pass asks k8splugin's region-wide `GET /v1/query`
 * (one LIST per kind in the cluster, not per instance) for the objects
 * carrying the instance label: an instance whose objects moved since its
 * last read, with no notification to show for it, is the one to read — and
 * its notifier the one to replace.
 *
 * What is compared, per instance, mirrors what its `/status` returns:
 * - pods: the whole set in the instance's namespace carrying its label (a
 *   replaced pod is a new name);
 * - other kinds: the objects its last read returned, by name (a `/status`
 *   GETs each chart resource by name; more objects of the kind carrying
 *   the label, such as a ReplicaSet's, are not the instance's resources);
 * - only objects that carry the instance label (k8splugin labels all it
 *   creates; a pre-existing object it skipped is not found by the query).
 *
 * A version is `metadata.resourceVersion`, or a digest of the object when it
 * has none. Pure: no I/O and no clock; the caller runs the queries.
 *
 * @module
 */
import {
  apiVersionOf,
  type Gvk,
  INSTANCE_LABEL,
  type ResourceStatus,
} from "../../adapters/k8splugin.ts";
import { sha256 } from "../../adapters/sha256.ts";

/** One region-wide query the audit needs: a kind, by group/version. */
export interface AuditQuery {
  /** `group/version` (or `v1`). */
  apiVersion: string;
  /** The kind. */
  kind: string;
}

/** What {@linkcode NotifierAudit.compare} found in a region. */
export interface AuditFindings {
  /** Instances whose objects moved since their last read. */
  changed: string[];
  /** Instances the answers cannot vouch for (never read, nothing to compare, or a kind's query failed). */
  unaudited: string[];
}

/** What the audit remembers of one instance's last read. */
interface Observed {
  region: string;
  namespace: string;
  /** Object key (`apiVersion|kind|namespace|name`) → version; pods included. */
  versions: Map<string, string>;
}

const POD = "v1|Pod";

function kindKey(apiVersion: string, kind: string): string {
  return `${apiVersion}|${kind}`;
}

function metadataOf(object: Record<string, unknown>): {
  name?: unknown;
  namespace?: unknown;
  resourceVersion?: unknown;
  labels?: unknown;
} {
  const metadata = object.metadata;
  return typeof metadata === "object" && metadata !== null ? metadata : {};
}

/** The instance an object is labelled for, if any. */
function labelledFor(object: Record<string, unknown>): string | undefined {
  const labels = metadataOf(object).labels;
  if (typeof labels !== "object" || labels === null) return undefined;
  const value = (labels as Record<string, unknown>)[INSTANCE_LABEL];
  return typeof value === "string" && value ? value : undefined;
}

/** The object's version: its resourceVersion, else a digest of it without type meta. */
function versionOf(object: Record<string, unknown>): string {
  const resourceVersion = metadataOf(object).resourceVersion;
  if (typeof resourceVersion === "string" && resourceVersion) {
    return resourceVersion;
  }
  // A pod from `/status` has no apiVersion/kind; the same pod from a query has.
  const { apiVersion: _a, kind: _k, ...rest } = object;
  return `#${sha256(JSON.stringify(rest), "base64url")}`;
}

/** The key of an entry (`""` namespace: cluster-scoped), or undefined when the object has no name. */
function keyOf(gvk: Gvk, object: Record<string, unknown>): string | undefined {
  const { name, namespace } = metadataOf(object);
  if (typeof name !== "string" || !name) return undefined;
  const ns = typeof namespace === "string" ? namespace : "";
  return `${kindKey(apiVersionOf(gvk), gvk.kind)}|${ns}|${name}`;
}

function isPodKey(key: string): boolean {
  return key.startsWith(`${POD}|`);
}

/**
 * The versions last read per instance, and the comparison with a region's
 * query answers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NotifierAudit } from "./notifier_audit.ts";
 *
 * const pod = (rv: string) => ({
 *   name: "web-0",
 *   gvk: { group: "", version: "v1", kind: "Pod" },
 *   object: {
 *     metadata: {
 *       name: "web-0",
 *       namespace: "ns",
 *       resourceVersion: rv,
 *       labels: { "k8splugin.io/rb-instance-id": "app-1" },
 *     },
 *   },
 * });
 * const audit = new NotifierAudit();
 * audit.record("app-1", "region-a", "ns", [pod("7")]);
 * assert.deepEqual(audit.queriesFor("region-a"), [{ apiVersion: "v1", kind: "Pod" }]);
 * const answers = new Map([["v1|Pod", [pod("9")]]]);
 * assert.deepEqual(audit.compare("region-a", ["app-1"], answers).changed, ["app-1"]);
 * ```
 */
export class NotifierAudit {
  readonly #observed = new Map<string, Observed>();

  /** Instances remembered. */
  get size(): number {
    return this.#observed.size;
  }

  /**
   * Remembers what a read of the instance returned (its `/status` entries),
   * replacing the previous read's versions.
   */
  record(
    instanceId: string,
    region: string,
    namespace: string,
    resources: readonly ResourceStatus[],
  ): void {
    const versions = new Map<string, string>();
    for (const resource of resources) {
      if (labelledFor(resource.object) !== instanceId) continue;
      const key = keyOf(resource.gvk, resource.object);
      if (key) versions.set(key, versionOf(resource.object));
    }
    this.#observed.set(instanceId, { region, namespace, versions });
  }

  /** Forgets every instance but these (the listed ones, after a whole pass). */
  keepOnly(instanceIds: Iterable<string>): void {
    const keep = new Set(instanceIds);
    for (const id of this.#observed.keys()) {
      if (!keep.has(id)) this.#observed.delete(id);
    }
  }

  /**
   * The kinds to query in a region: Pod, and every kind a remembered read
   * of its instances (or of `instanceIds` only) returned.
   */
  queriesFor(region: string, instanceIds?: Iterable<string>): AuditQuery[] {
    const kinds = new Set<string>([POD]);
    const observedIn = instanceIds
      ? [...instanceIds].flatMap((id) => this.#observed.get(id) ?? [])
      : this.#observed.values();
    for (const observed of observedIn) {
      if (observed.region !== region) continue;
      for (const key of observed.versions.keys()) {
        const [apiVersion, kind] = key.split("|");
        kinds.add(kindKey(apiVersion!, kind!));
      }
    }
    return [...kinds].sort().map((k) => {
      const [apiVersion, kind] = k.split("|");
      return { apiVersion: apiVersion!, kind: kind! };
    });
  }

  /**
   * Compares the listed instances of a region with the region's query
   * answers, keyed `apiVersion|kind` (a kind missing from `answers` is a
   * query that failed).
   */
  compare(
    region: string,
    instanceIds: Iterable<string>,
    answers: ReadonlyMap<string, readonly ResourceStatus[]>,
  ): AuditFindings {
    // Current version of each labelled object, and the pods per instance.
    const current = new Map<string, string>();
    const podsOf = new Map<string, Map<string, string>>();
    for (const [kind, resources] of answers) {
      for (const resource of resources) {
        const owner = labelledFor(resource.object);
        if (!owner) continue;
        const observed = this.#observed.get(owner);
        const key = keyOf(resource.gvk, resource.object);
        if (!key) continue;
        const version = versionOf(resource.object);
        if (kind !== POD) {
          current.set(key, version);
          continue;
        }
        // Pods count in the instance's namespace only, as `/status` lists them.
        if (observed && !key.startsWith(`${POD}|${observed.namespace}|`)) {
          continue;
        }
        let pods = podsOf.get(owner);
        if (!pods) podsOf.set(owner, pods = new Map());
        pods.set(key, version);
      }
    }
    const findings: AuditFindings = { changed: [], unaudited: [] };
    for (const id of instanceIds) {
      const observed = this.#observed.get(id);
      if (!observed || observed.region !== region) {
        findings.unaudited.push(id);
        continue;
      }
      const verdict = this.#verdict(id, observed, answers, current, podsOf);
      if (verdict === "changed") findings.changed.push(id);
      else if (verdict === "unaudited") findings.unaudited.push(id);
    }
    return findings;
  }

  #verdict(
    id: string,
    observed: Observed,
    answers: ReadonlyMap<string, readonly ResourceStatus[]>,
    current: ReadonlyMap<string, string>,
    podsOf: ReadonlyMap<string, ReadonlyMap<string, string>>,
  ): "same" | "changed" | "unaudited" {
    if (observed.versions.size === 0 || !answers.has(POD)) return "unaudited";
    let podsRead = 0;
    for (const [key, version] of observed.versions) {
      if (isPodKey(key)) {
        podsRead++;
        if (podsOf.get(id)?.get(key) !== version) return "changed";
        continue;
      }
      const [apiVersion, kind] = key.split("|");
      if (!answers.has(kindKey(apiVersion!, kind!))) return "unaudited";
      if (current.get(key) !== version) return "changed";
    }
    return (podsOf.get(id)?.size ?? 0) === podsRead ? "same" : "changed";
  }
}
