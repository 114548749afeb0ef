/**
 * Reads instances and their resources: from k8splugin (`/status` per
 * instance, bounded concurrency) or from the cluster through a
 * {@linkcode KubeSource}, and evaluates every resource with the Kind rules.
 *
 * A failed read marks that instance *unknown this run*: its A&AI objects are
 * neither updated nor deleted (DESIGN §3, §4). When k8splugin fails because a
 * resource is missing and a kube client exists, the instance is read from the
 * cluster and the missing resource is reported Failed/NotFound.
 *
 * @module
 */

import pLimit from "p-limit";
import { sha256 } from "../adapters/sha256.ts";
import {
  apiVersionOf,
  type Gvk,
  INSTANCE_LABEL,
  type InstanceSummary,
  type K8spluginClient,
  K8spluginError,
  type ResourceStatus,
} from "../adapters/k8splugin.ts";
import type { KubeSource } from "../adapters/kube.ts";
import {
  type CatalogFamily,
  createEvaluator,
  nextPendingMark,
} from "../rules/mod.ts";
import type { KubeObject, PendingMark, RuleOptions } from "../rules/types.ts";
import type { EvaluatedResource } from "./mapping.ts";

/** How one instance was read. */
export type InstanceRead =
  | {
    ok: true;
    unchanged?: false;
    summary: InstanceSummary;
    resources: EvaluatedResource[];
    /** `k8splugin` or `kube` (fallback or `source: kube`). */
    via: "k8splugin" | "kube";
    /** For a k8splugin read: its key (see {@linkcode ReadOptions.isSettled}). */
    key?: string | undefined;
    /**
     * The earliest time (ms) at which a verdict would change with the clock
     * alone; absent when none would.
     */
    recheckAt?: number | undefined;
    /** k8splugin's own `ready` flag (Helm's checker), for a k8splugin read. */
    k8spluginReady?: boolean | undefined;
  }
  | {
    /** Read, and settled under `key`: not parsed or evaluated again. */
    ok: true;
    unchanged: true;
    summary: InstanceSummary;
    via: "k8splugin";
    key: string;
  }
  | { ok: false; summary: InstanceSummary; error: string; cause: unknown };

/** What {@linkcode readInstances} needs. */
export interface ReadOptions {
  /** The instance source. */
  k8splugin: K8spluginClient;
  /** The kube source of a region, if any (already resolved). */
  kubeFor: (cloudRegion: string) => KubeSource | undefined;
  /** Where resources are read from. */
  source: "k8splugin" | "kube";
  /** Parallel reads. */
  concurrency: number;
  /** Evaluation time. */
  now: Date;
  /** Rule tunables from the config. */
  ruleOptions: Partial<RuleOptions>;
  /** User health catalog families (the same array for every read). */
  catalog?: readonly CatalogFamily[] | undefined;
  /**
   * Mixed into every read's key: what verdicts and mapping depend on besides
   * the status document and the cluster context (config, placements, code).
   */
  keySalt?: string;
  /**
   * Asked with a k8splugin read's key before its document is parsed: the
   * digest of the document, the instance's cluster context and `keySalt`.
   * `true` means the caller settled the instance under the same key, so the
   * read is handed on `unchanged`, neither parsed nor evaluated.
   */
  isSettled?: (summary: InstanceSummary, key: string) => boolean;
  /**
   * What the caller remembers of an instance's objects: since when each has
   * been Pending with the same reason, keyed `group/version/kind/namespace/name`
   * (the rules' stall clock for objects without status timestamps).
   */
  memory?: (instanceId: string) => ReadonlyMap<string, PendingMark>;
  /** Called when a kube fallback or read problem is worth a warning. */
  warn?: (message: string, properties?: Record<string, unknown>) => void;
  /** Called with each read as soon as it is done, inside its read slot. */
  onRead: (read: InstanceRead) => void | Promise<void>;
  /**
   * Shown the entries of every k8splugin `/status` read that parses, settled
   * ones included (they are parsed for it), before `onRead`: `sync --watch`
   * remembers their versions to audit its subscriptions.
   */
  observe?:
    | ((summary: InstanceSummary, resources: ResourceStatus[]) => void)
    | undefined;
}

/** A one-line description of an error (never a response dump). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.split("\n").join(" ");
  return String(error);
}

/**
 * The object with `apiVersion`/`kind` filled from its GVK when missing (pods
 * from k8splugin lack them) and `metadata.name` when the object is a bare
 * `{status}` block.
 */
export function completeObject(
  resource: ResourceStatus,
  namespace: string,
): KubeObject {
  const object: KubeObject = { ...resource.object };
  if (typeof object.apiVersion !== "string" || !object.apiVersion) {
    object.apiVersion = apiVersionOf(resource.gvk);
  }
  if (typeof object.kind !== "string" || !object.kind) {
    object.kind = resource.gvk.kind;
  }
  if (typeof object.metadata !== "object" || object.metadata === null) {
    object.metadata = { name: resource.name, namespace };
  }
  return object;
}

/**
 * The namespace of a resource: its metadata's, `""` when it has metadata but
 * no namespace (cluster-scoped), the instance's for a bare `{status}` block.
 */
function namespaceOf(
  original: Record<string, unknown>,
  fallback: string,
): string {
  const metadata = original.metadata;
  if (typeof metadata !== "object" || metadata === null) return fallback;
  const ns = (metadata as Record<string, unknown>).namespace;
  return typeof ns === "string" ? ns : "";
}

/**
 * What a run keeps of an object once it is judged: identity and the metadata
 * the mapping and `check` read. Dropping `spec` and `status` keeps a run's
 * memory proportional to the number of resources rather than to the bytes of
 * every status document (measured by the bench at 2,000 instances).
 */
function retained(object: KubeObject): KubeObject {
  const metadata = (object.metadata ?? {}) as Record<string, unknown>;
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    metadata: {
      name: metadata.name,
      namespace: metadata.namespace,
      labels: metadata.labels,
      resourceVersion: metadata.resourceVersion,
      creationTimestamp: metadata.creationTimestamp,
    },
  };
}

/**
 * Evaluates an instance's resources: each against the others plus the
 * cluster context, with `missing` ones reported Failed/NotFound.
 */
export function evaluateInstance(
  summary: InstanceSummary,
  statuses: ResourceStatus[],
  missing: { gvk: Gvk; name: string }[],
  context: {
    now: Date;
    related: readonly KubeObject[];
    ruleOptions: Partial<RuleOptions>;
    /** Told when a verdict would change with the clock alone. */
    recheckAt?: (atMs: number) => void;
    /** The marks remembered from earlier evaluations, by resource key. */
    memory?: ReadonlyMap<string, PendingMark>;
    /** User health catalog families (the same array every time). */
    catalog?: readonly CatalogFamily[] | undefined;
  },
): EvaluatedResource[] {
  const objects = statuses.map((s) => ({
    status: s,
    object: completeObject(s, summary.namespace),
  }));
  const related = [...objects.map((o) => o.object), ...context.related];
  // One evaluator per instance: options resolved and `related` indexed once.
  const judge = createEvaluator({
    now: context.now,
    related,
    options: context.ruleOptions,
    ...(context.recheckAt ? { recheckAt: context.recheckAt } : {}),
    ...(context.catalog ? { catalog: context.catalog } : {}),
  });
  const out: EvaluatedResource[] = [];
  const seen = new Set<string>();
  for (const { status, object } of objects) {
    const namespace = namespaceOf(status.object, summary.namespace);
    const key =
      `${status.gvk.group}/${status.gvk.version}/${status.gvk.kind}/${namespace}/${status.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const previous = context.memory?.get(key);
    const readiness = judge(
      object,
      previous === undefined ? undefined : { pendingSince: previous },
    );
    const mark = nextPendingMark(previous, readiness, context.now);
    out.push({
      instanceId: summary.id,
      gvk: status.gvk,
      name: status.name,
      namespace,
      object: retained(object),
      readiness,
      ...(mark === undefined ? {} : { pendingSince: mark }),
    });
  }
  for (const m of missing) {
    const key =
      `${m.gvk.group}/${m.gvk.version}/${m.gvk.kind}/${summary.namespace}/${m.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({
      instanceId: summary.id,
      gvk: m.gvk,
      name: m.name,
      namespace: summary.namespace,
      object: {
        apiVersion: apiVersionOf(m.gvk),
        kind: m.gvk.kind,
        metadata: { name: m.name, namespace: summary.namespace },
      },
      readiness: {
        verdict: "Failed",
        reason: "NotFound",
        message:
          `${m.gvk.kind} "${m.name}" is part of the instance but missing from the cluster`,
        warnings: [],
      },
    });
  }
  return out;
}

/**
 * A region's cluster context split once per run so each instance indexes
 * only its share: cluster-scoped objects (StorageClasses, Nodes, CRDs) go to
 * every instance, namespaced objects to the instance their
 * `k8splugin.io/rb-instance-id` label names, and unlabelled namespaced
 * objects to every instance of that namespace. Giving every instance the
 * whole region would make a run quadratic in the region's size.
 */
interface RegionContext {
  cluster: KubeObject[];
  byInstance: Map<string, KubeObject[]>;
  unlabelledByNamespace: Map<string, KubeObject[]>;
  /** Digest of `cluster`, made on first use. */
  clusterDigest?: string;
}

/** Splits a region's cluster context (see {@linkcode RegionContext}). */
function splitContext(objects: readonly KubeObject[]): RegionContext {
  const context: RegionContext = {
    cluster: [],
    byInstance: new Map(),
    unlabelledByNamespace: new Map(),
  };
  for (const object of objects) {
    const metadata = object.metadata as
      | { namespace?: unknown; labels?: Record<string, unknown> }
      | undefined;
    const namespace = metadata?.namespace;
    if (typeof namespace !== "string" || namespace === "") {
      context.cluster.push(object);
      continue;
    }
    const id = metadata?.labels?.[INSTANCE_LABEL];
    const [map, key] = typeof id === "string"
      ? [context.byInstance, id]
      : [context.unlabelledByNamespace, namespace];
    const list = map.get(key);
    if (list) list.push(object);
    else map.set(key, [object]);
  }
  return context;
}

/** The namespaced share of the cluster context one instance's rules see. */
function ownContext(
  context: RegionContext,
  summary: InstanceSummary,
): KubeObject[] {
  return [
    ...(context.byInstance.get(summary.id) ?? []),
    ...(context.unlabelledByNamespace.get(summary.namespace) ?? []),
  ];
}

/** The cluster context one instance's rules see. */
function contextFor(
  context: RegionContext,
  summary: InstanceSummary,
): KubeObject[] {
  return [...context.cluster, ...ownContext(context, summary)];
}

/**
 * The key of a k8splugin read: everything its verdicts and mapped objects
 * are made from. The status document by its digest, the cluster context
 * (the region's cluster-scoped share digested once), and `salt`.
 */
function readKey(
  salt: string,
  documentDigest: string,
  context: RegionContext,
  summary: InstanceSummary,
): string {
  context.clusterDigest ??= context.cluster.length
    ? sha256(JSON.stringify(context.cluster), "base64url")
    : "";
  const own = ownContext(context, summary);
  return sha256(
    [
      salt,
      documentDigest,
      context.clusterDigest,
      own.length ? JSON.stringify(own) : "",
    ].join("\n"),
    "base64url",
  );
}

/**
 * Reads and evaluates the given instances and hands each read to `onRead` as
 * soon as it is done, inside the read's concurrency slot: a caller that
 * publishes from `onRead` slows the reads down to what A&AI takes, and a run
 * holds only the instances in flight, not the whole fleet. (Freeing the slot
 * once the body is in, with a second bound on instances in flight, measured
 * no faster and held more memory.) Never throws for one instance's problem:
 * each read says `ok` or carries the error.
 *
 * With `source: "kube"`, each region's instances are read from the cluster
 * in one batch (one LIST per namespace and kind, DESIGN §4), after k8splugin
 * has named their chart resources.
 */
export async function readInstances(
  summaries: InstanceSummary[],
  options: ReadOptions,
): Promise<void> {
  const { onRead } = options;
  const limit = pLimit(options.concurrency);
  // Cluster context, fetched once per run per region (+ its namespaces).
  const contextByRegion = new Map<string, Promise<RegionContext>>();
  function regionContext(region: string): Promise<RegionContext> {
    let pending = contextByRegion.get(region);
    if (!pending) {
      const kube = options.kubeFor(region);
      const namespaces = [
        ...new Set(
          summaries.filter((s) => s.cloudRegion === region).map((s) =>
            s.namespace
          ),
        ),
      ].sort();
      pending = kube
        ? kube.related(namespaces).then(
          (objects) => splitContext(objects as KubeObject[]),
          (error) => {
            options.warn?.(
              `Cannot read cluster context of region "${region}": ${
                describeError(error)
              }`,
              { region },
            );
            return splitContext([]);
          },
        )
        : Promise.resolve(splitContext([]));
      contextByRegion.set(region, pending);
    }
    return pending;
  }

  async function evaluated(
    summary: InstanceSummary,
    statuses: ResourceStatus[],
    missing: { gvk: Gvk; name: string }[],
    via: "k8splugin" | "kube",
    key?: string,
    k8spluginReady?: boolean,
  ): Promise<InstanceRead> {
    const context = await regionContext(summary.cloudRegion);
    let recheckAt: number | undefined;
    const resources = evaluateInstance(summary, statuses, missing, {
      now: options.now,
      related: contextFor(context, summary),
      ruleOptions: options.ruleOptions,
      ...(options.memory ? { memory: options.memory(summary.id) } : {}),
      catalog: options.catalog,
      recheckAt: (atMs) => {
        if (recheckAt === undefined || atMs < recheckAt) recheckAt = atMs;
      },
    });
    return {
      ok: true,
      summary,
      via,
      resources,
      key,
      recheckAt,
      k8spluginReady,
    };
  }

  function failure(summary: InstanceSummary, error: unknown): InstanceRead {
    return {
      ok: false,
      summary,
      error: `Cannot read instance "${summary.id}": ${describeError(error)}`,
      cause: error,
    };
  }

  /** Reads instances of one region from the cluster in one batch. */
  async function fromKube(
    batch: InstanceSummary[],
    kube: KubeSource,
  ): Promise<void> {
    const instances = await Promise.all(
      batch.map((summary) =>
        limit(() => options.k8splugin.getInstance(summary.id)).then(
          (instance) => ({ summary, instance }),
          (error) => ({ summary, error: error as unknown }),
        )
      ),
    );
    const found = instances.flatMap((r) => "instance" in r ? [r.instance] : []);
    let read: Awaited<ReturnType<KubeSource["readInstances"]>>;
    try {
      read = found.length ? await kube.readInstances(found) : new Map();
    } catch (error) {
      await Promise.all(
        batch.map((summary) => limit(() => onRead(failure(summary, error)))),
      );
      return;
    }
    await Promise.all(instances.map((r) =>
      limit(async () => {
        if ("error" in r) return await onRead(failure(r.summary, r.error));
        const entry = read.get(r.summary.id) ?? { resources: [], missing: [] };
        read.delete(r.summary.id);
        await onRead(
          await evaluated(r.summary, entry.resources, entry.missing, "kube"),
        );
      })
    ));
  }

  /** Reads one instance's status from k8splugin (the cluster as a fallback). */
  async function readOne(summary: InstanceSummary): Promise<InstanceRead> {
    try {
      const body = await options.k8splugin.getStatusBody(summary.id);
      const key = readKey(
        options.keySalt ?? "",
        body.digest,
        await regionContext(summary.cloudRegion),
        summary,
      );
      const settled = options.isSettled?.(summary, key) ?? false;
      if (settled && !options.observe) {
        return { ok: true, unchanged: true, summary, via: "k8splugin", key };
      }
      const status = body.parse();
      options.observe?.(summary, status.resources);
      if (settled) {
        return { ok: true, unchanged: true, summary, via: "k8splugin", key };
      }
      return await evaluated(
        summary,
        status.resources,
        [],
        "k8splugin",
        key,
        status.ready,
      );
    } catch (error) {
      const kube = options.kubeFor(summary.cloudRegion);
      const missing = error instanceof K8spluginError &&
        error.kind === "ResourceMissing";
      if (!missing || !kube) {
        return failure(summary, error);
      }
      options.warn?.(
        `Reading instance "${summary.id}" from the cluster: k8splugin cannot read one of its resources`,
        { instanceId: summary.id },
      );
      try {
        const instance = await options.k8splugin.getInstance(summary.id);
        const entry = (await kube.readInstances([instance])).get(
          summary.id,
        ) ?? { resources: [], missing: [] };
        return await evaluated(
          summary,
          entry.resources,
          entry.missing,
          "kube",
        );
      } catch (fallbackError) {
        return failure(summary, fallbackError);
      }
    }
  }

  const byRegion = new Map<
    string,
    { kube: KubeSource; batch: InstanceSummary[] }
  >();
  const reads: Promise<void>[] = [];
  for (const summary of summaries) {
    const kube = options.source === "kube"
      ? options.kubeFor(summary.cloudRegion)
      : undefined;
    if (!kube) {
      reads.push(limit(async () => await onRead(await readOne(summary))));
      continue;
    }
    const group = byRegion.get(summary.cloudRegion);
    if (group) group.batch.push(summary);
    else byRegion.set(summary.cloudRegion, { kube, batch: [summary] });
  }
  for (const { kube, batch } of byRegion.values()) {
    reads.push(fromKube(batch, kube));
  }
  await Promise.all(reads);
}
