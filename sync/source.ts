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
import type {
  Gvk,
  Instance,
  InstanceSummary,
  K8spluginClient,
  ResourceStatus,
} from "../adapters/k8splugin.ts";
import type { KubeSource } from "../adapters/kube.ts";
import { createEvaluator } from "../rules/mod.ts";
import type { KubeObject, RuleOptions } from "../rules/types.ts";
import type { EvaluatedResource } from "./mapping.ts";

/** How one instance was read. */
export type InstanceRead =
  | {
    ok: true;
    summary: InstanceSummary;
    resources: EvaluatedResource[];
    /** `k8splugin` or `kube` (fallback or `source: kube`). */
    via: "k8splugin" | "kube";
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
  /** Called when a kube fallback or read problem is worth a warning. */
  warn?: (message: string, properties?: Record<string, unknown>) => void;
}

/** The kind of a thrown peer error (`K8spluginError.kind`), if it has one. */
function errorKind(error: unknown): string | undefined {
  const kind = (error as { kind?: unknown })?.kind;
  return typeof kind === "string" ? kind : undefined;
}

/** A one-line description of an error (never a response dump). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.split("\n").join(" ");
  return String(error);
}

/** `apiVersion` of a GVK. */
function apiVersionOf(gvk: Gvk): string {
  return gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
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
  });
  const out: EvaluatedResource[] = [];
  const seen = new Set<string>();
  for (const { status, object } of objects) {
    const namespace = namespaceOf(status.object, summary.namespace);
    const key =
      `${status.gvk.group}/${status.gvk.version}/${status.gvk.kind}/${namespace}/${status.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({
      instanceId: summary.id,
      gvk: status.gvk,
      name: status.name,
      namespace,
      object,
      readiness: judge(object),
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
 * Reads and evaluates the given instances. Never throws for one instance's
 * problem: each entry says `ok` or carries the error.
 */
export async function readInstances(
  summaries: InstanceSummary[],
  options: ReadOptions,
): Promise<InstanceRead[]> {
  const limit = pLimit(options.concurrency);
  // Cluster context, fetched once per run per region (+ its namespaces).
  const relatedByRegion = new Map<string, Promise<KubeObject[]>>();
  function relatedFor(region: string): Promise<KubeObject[]> {
    let pending = relatedByRegion.get(region);
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
          (objects) => objects as KubeObject[],
          (error) => {
            options.warn?.(
              `Cannot read cluster context of region "${region}": ${
                describeError(error)
              }`,
              { region },
            );
            return [];
          },
        )
        : Promise.resolve([]);
      relatedByRegion.set(region, pending);
    }
    return pending;
  }

  async function fromKube(
    summary: InstanceSummary,
    instance: Instance,
    kube: KubeSource,
  ): Promise<InstanceRead> {
    const read = await kube.readInstances([instance]);
    const entry = read.get(summary.id) ?? { resources: [], missing: [] };
    return {
      ok: true,
      summary,
      via: "kube",
      resources: evaluateInstance(summary, entry.resources, entry.missing, {
        now: options.now,
        related: await relatedFor(summary.cloudRegion),
        ruleOptions: options.ruleOptions,
      }),
    };
  }

  function readOne(summary: InstanceSummary): Promise<InstanceRead> {
    return limit(async (): Promise<InstanceRead> => {
      const kube = options.kubeFor(summary.cloudRegion);
      try {
        if (options.source === "kube" && kube) {
          const instance = await options.k8splugin.getInstance(summary.id);
          return await fromKube(summary, instance, kube);
        }
        let status;
        try {
          status = await options.k8splugin.getStatus(summary.id);
        } catch (error) {
          if (errorKind(error) === "ResourceMissing" && kube) {
            options.warn?.(
              `Reading instance "${summary.id}" from the cluster: k8splugin cannot read one of its resources`,
              { instanceId: summary.id },
            );
            const instance = await options.k8splugin.getInstance(summary.id);
            return await fromKube(summary, instance, kube);
          }
          throw error;
        }
        return {
          ok: true,
          summary,
          via: "k8splugin",
          resources: evaluateInstance(summary, status.resources, [], {
            now: options.now,
            related: await relatedFor(summary.cloudRegion),
            ruleOptions: options.ruleOptions,
          }),
        };
      } catch (error) {
        return {
          ok: false,
          summary,
          error: `Cannot read instance "${summary.id}": ${
            describeError(error)
          }`,
          cause: error,
        };
      }
    });
  }

  return await Promise.all(summaries.map(readOne));
}
