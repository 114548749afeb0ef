/**
 * The baseline of the benchmark (issue #7): SO's CNF adapter algorithm for
 * keeping `k8s-resource` objects in A&AI, as `reference/aai.md` §3 describes
 * it (so-cnf-adapter `AaiRepository.update`/`delete`), run over the same
 * {@linkcode K8spluginClient} and {@linkcode AaiClient} interfaces as our
 * sync, against the same simulators.
 *
 * Per instance (`aaiUpdate`, what every k8splugin status notification runs):
 * 1. read the instance's status from k8splugin;
 * 2. GET every `k8s-resource`, one after the other; compare id, name,
 *    version, kind, group, namespace, data-owner, data-source,
 *    data-source-version (the Kubernetes resourceVersion) and labels; a
 *    missing object is queued as a create, any difference as a PUT replace
 *    carrying the stored resource-version;
 * 3. GET the vf-module and the generic-vnf; queue a `connect` to each for a
 *    new object or one lacking that edge;
 * 4. stale removal: GET the vf-module again, take its `k8s-resource`
 *    relationships, drop the ids still present, GET each remaining one for its
 *    resource-version and queue a delete;
 * 5. write the three stores (create + connect, update, delete) in chunks of
 *    30 operations.
 * An instance that disappeared gets `aaiDelete` (what SO's DeleteVfModuleBB
 * triggers): steps 4–5 with no id kept.
 *
 * Writes: the CNF adapter uses legacy `PUT /aai/v24/bulkprocess`, which the
 * {@linkcode AaiClient} interface does not offer; with `writeMode: "bulk"`
 * (default) each chunk of ≤ 30 operations goes through
 * `POST /bulk/single-transaction` instead — the same number of requests and
 * operations, counted as POST; `writeMode: "single"` sends one request per
 * operation.
 *
 * @module
 */
import pLimit from "p-limit";
// From the adapter files, not adapters/mod.ts: mod.ts re-exports the kube
// adapter, and bench/_pass.ts loads this module in every measured pass, so
// @kubernetes/client-node (some 30 MB of heap) would count in our memory
// figures though no pass uses it.
import {
  AAI_BULK_LIMIT,
  type AaiClient,
  type AaiObject,
  type AaiRelationship,
  type BulkOperation,
  type VfModuleRef,
} from "../adapters/aai.ts";
import type {
  InstanceSummary,
  K8spluginClient,
  ResourceStatus,
} from "../adapters/k8splugin.ts";
import { sha256 } from "../adapters/sha256.ts";

/** What the baseline reads and writes through. */
export interface BaselineDeps {
  k8splugin: K8spluginClient;
  aai: AaiClient;
}

/** How to write: bulk chunks of ≤ 30 operations, or one request per operation. */
export type BaselineWriteMode = "bulk" | "single";

/** Options of one baseline pass. */
export interface BaselineOptions {
  /** Cloud owner of every region (SO takes it from its cloud configuration). */
  cloudOwner: string;
  /** Tenant of every region (SO's request carries it). */
  tenantId: string;
  /** Instance id → its vnf and vf-module (SO's `AaiRequest.genericVnfId`/`vfModuleId`). */
  vfModules: ReadonlyMap<string, VfModuleRef>;
  /**
   * Instances the adapter handled before (its status subscriptions, kept in
   * memory and recovered at start). Those no longer listed get `aaiDelete`.
   */
  subscriptions: ReadonlySet<string>;
  /** Instances handled at the same time (default 8). */
  concurrency?: number;
  /** A&AI API version used in related-links (default `v24`). */
  apiVersion?: string;
  /** Default `"bulk"`. */
  writeMode?: BaselineWriteMode;
}

/** What one baseline pass did. */
export interface BaselineReport {
  instances: {
    listed: number;
    updated: number;
    deleted: number;
    failed: number;
  };
  writes: { create: number; update: number; delete: number; connect: number };
  /** Objects created, replaced or deleted. */
  changedObjects: number;
  /** Write requests sent (bulk chunks, or single operations). */
  writeRequests: number;
  /** The subscriptions after this pass (listed instances). */
  subscriptions: Set<string>;
  errors: string[];
}

/** `data-owner` the CNF adapter writes. */
export const CNF_ADAPTER_OWNER = "CnfAdapter";

const COMPARED = [
  "id",
  "name",
  "version",
  "kind",
  "group",
  "namespace",
  "data-owner",
  "data-source",
  "data-source-version",
] as const;

/** Percent-encodes each segment and joins them into an A&AI object path. */
function pathOf(...segments: string[]): string {
  return "/" + segments.map((s) => encodeURIComponent(s)).join("/");
}

/** A string field of a nested record, or `""`. */
function stringAt(object: Record<string, unknown>, ...keys: string[]): string {
  let node: unknown = object;
  for (const key of keys) {
    if (node === null || typeof node !== "object") return "";
    node = (node as Record<string, unknown>)[key];
  }
  return typeof node === "string" ? node : "";
}

/** The k8s-resource the CNF adapter would write for one resource (AaiResponseParser). */
function cnfResource(
  instanceId: string,
  resource: ResourceStatus,
  options: BaselineOptions,
  cloudRegion: string,
): { path: string; body: AaiObject } {
  const { group, version, kind } = resource.gvk;
  const namespace = stringAt(resource.object, "metadata", "namespace");
  const id = sha256(
    instanceId + resource.name + namespace + kind + group + version +
      options.cloudOwner + cloudRegion + options.tenantId,
  );
  const labelsObject = (resource.object.metadata as Record<string, unknown>)
    ?.labels;
  const labels = labelsObject && typeof labelsObject === "object"
    ? Object.entries(labelsObject as Record<string, unknown>)
      .map(([k, v]) => `${k}=${v}`).sort()
    : [];
  const apiVersion = group ? `${group}/${version}` : version;
  return {
    path: resourcePath(options, cloudRegion, id),
    body: {
      id,
      name: resource.name,
      group,
      version,
      kind,
      namespace,
      labels,
      selflink:
        `http://so-cnf-adapter:8090/api/cnf-adapter/v1/instance/${instanceId}/query?ApiVersion=${apiVersion}&Kind=${kind}&Name=${resource.name}&Namespace=${namespace}`,
      "data-owner": CNF_ADAPTER_OWNER,
      "data-source": "K8sPlugin",
      "data-source-version": stringAt(
        resource.object,
        "metadata",
        "resourceVersion",
      ),
    },
  };
}

/** Path of a k8s-resource of the configured owner/tenant in a region. */
function resourcePath(
  options: BaselineOptions,
  cloudRegion: string,
  id: string,
): string {
  return pathOf(
    "cloud-infrastructure",
    "cloud-regions",
    "cloud-region",
    options.cloudOwner,
    cloudRegion,
    "tenants",
    "tenant",
    options.tenantId,
    "k8s-resources",
    "k8s-resource",
    id,
  );
}

/** The CNF adapter's `compare()`: the fields it owns, selflink and resource-version ignored. */
function sameAsStored(stored: AaiObject, desired: AaiObject): boolean {
  for (const key of COMPARED) {
    if ((stored[key] ?? "") !== (desired[key] ?? "")) return false;
  }
  const a: unknown[] = Array.isArray(stored.labels) ? stored.labels : [];
  const b = desired.labels as string[];
  return a.length === b.length && a.every((label, i) => label === b[i]);
}

/** Relationships of an A&AI object. */
function relationshipsOf(object: AaiObject | undefined): AaiRelationship[] {
  const list = object?.["relationship-list"] as
    | { relationship?: unknown }
    | undefined;
  return Array.isArray(list?.relationship)
    ? list.relationship as AaiRelationship[]
    : [];
}

/** Whether an object has an edge to a node of type `relatedTo`. */
function hasEdge(object: AaiObject, relatedTo: string): boolean {
  return relationshipsOf(object).some((r) => r["related-to"] === relatedTo);
}

/** The k8s-resource object paths a vf-module is related to. */
function relatedResourcePaths(vfModule: AaiObject | undefined): string[] {
  return relationshipsOf(vfModule)
    .filter((r) => r["related-to"] === "k8s-resource")
    .map((r) =>
      r["related-link"].replace(/^(?:https?:\/\/[^/]+)?\/aai\/v\d+/, "")
    );
}

/** Counters shared by the instances of one pass. */
interface Tally {
  writes: BaselineReport["writes"];
  writeRequests: number;
}

/** Writes one store, as bulk chunks or single requests. */
async function flush(
  aai: AaiClient,
  operations: BulkOperation[],
  mode: BaselineWriteMode,
  tally: Tally,
): Promise<void> {
  if (mode === "bulk") {
    for (let i = 0; i < operations.length; i += AAI_BULK_LIMIT) {
      tally.writeRequests++;
      await aai.bulk(operations.slice(i, i + AAI_BULK_LIMIT));
    }
    return;
  }
  for (const op of operations) {
    tally.writeRequests++;
    const [path, query] = op.uri.split("?resource-version=") as [
      string,
      string?,
    ];
    if (op.action === "delete") {
      await aai.delete(path, decodeURIComponent(query ?? ""));
    } else if (path.endsWith("/relationship-list/relationship")) {
      await aai.putRelationship(
        path.slice(0, -"/relationship-list/relationship".length),
        op.body as unknown as AaiRelationship,
      );
    } else {
      await aai.put(path, op.body);
    }
  }
}

/** Queues deletes of the stale k8s-resources of a vf-module (the adapter's `delete`). */
async function queueStale(
  aai: AaiClient,
  vfModulePath: string,
  keep: ReadonlySet<string>,
  deletes: BulkOperation[],
): Promise<void> {
  const vfModule = await aai.get(vfModulePath);
  for (const path of relatedResourcePaths(vfModule)) {
    if (keep.has(path)) continue;
    // exists() + the GET for the resource-version, counted once (in the
    // adapter's favour).
    const current = await aai.get(path);
    const rv = current?.["resource-version"];
    if (typeof rv !== "string") continue;
    deletes.push({
      action: "delete",
      uri: `${path}?resource-version=${encodeURIComponent(rv)}`,
      body: {},
    });
  }
}

/** Links and paths of an instance's vnf and vf-module. */
function vnfPaths(ref: VfModuleRef, apiVersion: string) {
  const vnf = pathOf("network", "generic-vnfs", "generic-vnf", ref.vnfId);
  const vfModule = `${vnf}${pathOf("vf-modules", "vf-module", ref.vfModuleId)}`;
  return {
    vnf,
    vfModule,
    vnfLink: `/aai/${apiVersion}${vnf}`,
    vfModuleLink: `/aai/${apiVersion}${vfModule}`,
  };
}

/** The adapter's `aaiUpdate` for one instance. */
async function aaiUpdate(
  deps: BaselineDeps,
  options: BaselineOptions,
  instance: InstanceSummary,
  tally: Tally,
): Promise<void> {
  const apiVersion = options.apiVersion ?? "v24";
  const status = await deps.k8splugin.getStatus(instance.id);
  const creates: BulkOperation[] = [];
  const connects: BulkOperation[] = [];
  const updates: BulkOperation[] = [];
  const deletes: BulkOperation[] = [];
  const needsEdge: { path: string; vfModule: boolean; vnf: boolean }[] = [];
  const keep = new Set<string>();
  for (const resource of status.resources) {
    const desired = cnfResource(
      instance.id,
      resource,
      options,
      instance.cloudRegion,
    );
    keep.add(desired.path);
    const stored = await deps.aai.get(desired.path);
    if (!stored) {
      creates.push({ action: "put", uri: desired.path, body: desired.body });
      tally.writes.create++;
      needsEdge.push({ path: desired.path, vfModule: true, vnf: true });
      continue;
    }
    if (!sameAsStored(stored, desired.body)) {
      updates.push({
        action: "put",
        uri: desired.path,
        body: {
          ...desired.body,
          "resource-version": stored["resource-version"],
        },
      });
      tally.writes.update++;
    }
    const vfModule = !hasEdge(stored, "vf-module");
    const vnf = !hasEdge(stored, "generic-vnf");
    if (vfModule || vnf) needsEdge.push({ path: desired.path, vfModule, vnf });
  }
  const ref = options.vfModules.get(instance.id);
  if (ref) {
    const paths = vnfPaths(ref, apiVersion);
    const vfModule = await deps.aai.get(paths.vfModule);
    const vnf = await deps.aai.get(paths.vnf);
    if (vfModule && vnf) {
      for (const edge of needsEdge) {
        const uri = `${edge.path}/relationship-list/relationship`;
        if (edge.vfModule) {
          connects.push({
            action: "put",
            uri,
            body: {
              "related-to": "vf-module",
              "related-link": paths.vfModuleLink,
            },
          });
        }
        if (edge.vnf) {
          connects.push({
            action: "put",
            uri,
            body: {
              "related-to": "generic-vnf",
              "related-link": paths.vnfLink,
            },
          });
        }
      }
      tally.writes.connect += connects.length;
    }
    await queueStale(deps.aai, paths.vfModule, keep, deletes);
    tally.writes.delete += deletes.length;
  }
  const mode = options.writeMode ?? "bulk";
  await flush(deps.aai, [...creates, ...connects], mode, tally);
  await flush(deps.aai, updates, mode, tally);
  await flush(deps.aai, deletes, mode, tally);
}

/** The adapter's `aaiDelete` for an instance that is gone. */
async function aaiDelete(
  deps: BaselineDeps,
  options: BaselineOptions,
  instanceId: string,
  tally: Tally,
): Promise<void> {
  const ref = options.vfModules.get(instanceId);
  if (!ref) return;
  const deletes: BulkOperation[] = [];
  await queueStale(
    deps.aai,
    vnfPaths(ref, options.apiVersion ?? "v24").vfModule,
    new Set(),
    deletes,
  );
  tally.writes.delete += deletes.length;
  await flush(deps.aai, deletes, options.writeMode ?? "bulk", tally);
}

/**
 * Runs one pass of the CNF adapter's algorithm over every k8splugin instance
 * (what one round of status notifications does), deleting the objects of
 * subscribed instances k8splugin no longer lists.
 *
 * @example
 * ```ts ignore
 * const report = await runBaseline({ k8splugin, aai }, {
 *   cloudOwner: "CloudOwner", tenantId: "t1", vfModules: new Map(), subscriptions: new Set(),
 * });
 * console.log(report.writes);
 * ```
 */
export async function runBaseline(
  deps: BaselineDeps,
  options: BaselineOptions,
): Promise<BaselineReport> {
  const tally: Tally = {
    writes: { create: 0, update: 0, delete: 0, connect: 0 },
    writeRequests: 0,
  };
  const errors: string[] = [];
  const instances = await deps.k8splugin.listInstances();
  const listed = new Set(instances.map((i) => i.id));
  const gone = [...options.subscriptions].filter((id) => !listed.has(id));
  const limit = pLimit(options.concurrency ?? 8);
  let failed = 0;
  function record(id: string, error: unknown): void {
    failed++;
    errors.push(
      `Cannot sync instance "${id}" the CNF adapter's way: ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
  }
  await Promise.all([
    ...instances.map((instance) =>
      limit(() =>
        aaiUpdate(deps, options, instance, tally).catch((e) =>
          record(instance.id, e)
        )
      )
    ),
    ...gone.map((id) =>
      limit(() =>
        aaiDelete(deps, options, id, tally).catch((e) => record(id, e))
      )
    ),
  ]);
  const { create, update, delete: deleted } = tally.writes;
  return {
    instances: {
      listed: instances.length,
      updated: instances.length,
      deleted: gone.length,
      failed,
    },
    writes: tally.writes,
    changedObjects: create + update + deleted,
    writeRequests: tally.writeRequests,
    subscriptions: listed,
    errors,
  };
}
