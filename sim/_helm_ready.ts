/**
 * Helm 3.5's `ReadyChecker` as k8splugin ported it
 * (`internal/statuscheck/ready.go`, PausedAsReady and CheckJobs), used by the
 * k8splugin simulator's `/status` (reference/k8splugin.md §3 step 5).
 *
 * @module
 */
import type { ScenarioObject } from "./scenario.ts";

/** Reads a number at a dotted path, or undefined. */
function numberAt(object: unknown, path: string): number | undefined {
  let current: unknown = object;
  for (const key of path.split(".")) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return typeof current === "number" ? current : undefined;
}

/** Reads a value at a dotted path, or undefined. */
function valueAt(object: unknown, path: string): unknown {
  let current: unknown = object;
  for (const key of path.split(".")) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** `intstr.GetScaledValueFromIntOrPercent`. */
function scaled(value: unknown, total: number, roundUp: boolean): number {
  if (typeof value === "number") return value;
  if (typeof value === "string" && value.endsWith("%")) {
    const raw = (Number(value.slice(0, -1)) * total) / 100;
    return roundUp ? Math.ceil(raw) : Math.floor(raw);
  }
  if (typeof value === "string" && /^\d+$/.test(value)) return Number(value);
  return 0;
}

/** True when a controller ownerReference points at `owner`. */
function ownedBy(object: ScenarioObject, owner: ScenarioObject): boolean {
  const refs = (object.metadata as { ownerReferences?: unknown })
    .ownerReferences;
  return Array.isArray(refs) &&
    refs.some((ref) =>
      (ref as { kind?: unknown }).kind === owner.kind &&
      (ref as { name?: unknown }).name === owner.metadata.name
    );
}

/** True when a pod's `Ready` condition is True. */
function podReady(pod: ScenarioObject): boolean {
  const conditions = valueAt(pod, "status.conditions");
  return Array.isArray(conditions) &&
    conditions.some((c) =>
      (c as { type?: unknown }).type === "Ready" &&
      (c as { status?: unknown }).status === "True"
    );
}

/** Thrown by the ready check to reproduce k8splugin's Job nil-pointer panic. */
export class JobPanic extends Error {
  constructor(readonly job: string) {
    super(`Job "${job}" has no spec.completions`);
  }
}

/**
 * Helm 3.5's `ReadyChecker` as ported into k8splugin (PausedAsReady, CheckJobs),
 * over the instance's cluster objects. Other kinds count as ready.
 */
export function helmReady(
  object: ScenarioObject,
  cluster: ScenarioObject[],
): boolean {
  switch (object.kind) {
    case "Pod":
      return podReady(object);
    case "Job": {
      const completions = numberAt(object, "spec.completions");
      if (completions === undefined) throw new JobPanic(object.metadata.name);
      const backoffLimit = numberAt(object, "spec.backoffLimit") ?? 6;
      return (numberAt(object, "status.failed") ?? 0) <= backoffLimit &&
        (numberAt(object, "status.succeeded") ?? 0) >= completions;
    }
    case "Deployment": {
      if (valueAt(object, "spec.paused") === true) return true;
      const replicas = numberAt(object, "spec.replicas") ?? 1;
      const rolling = valueAt(object, "spec.strategy.type") !== "Recreate";
      const maxUnavailable = rolling && replicas > 0
        ? scaled(
          valueAt(object, "spec.strategy.rollingUpdate.maxUnavailable") ??
            "25%",
          replicas,
          false,
        )
        : 0;
      const sets = cluster.filter((o) =>
        o.kind === "ReplicaSet" && ownedBy(o, object)
      );
      if (sets.length === 0) {
        // A scenario may leave ReplicaSets out (the bench does): judge by the
        // Deployment's own count rather than call it never ready.
        if (!cluster.some((o) => o.kind === "ReplicaSet")) {
          return (numberAt(object, "status.readyReplicas") ?? 0) >=
            replicas - maxUnavailable;
        }
        return false;
      }
      const revision = (rs: ScenarioObject): number =>
        Number(
          (rs.metadata as { annotations?: Record<string, string> })
            .annotations?.["deployment.kubernetes.io/revision"] ?? 0,
        );
      const newest = sets.reduce((a, b) => revision(b) > revision(a) ? b : a);
      return (numberAt(newest, "status.readyReplicas") ?? 0) >=
        replicas - maxUnavailable;
    }
    case "PersistentVolumeClaim":
      return valueAt(object, "status.phase") === "Bound";
    case "Service": {
      const type = valueAt(object, "spec.type");
      if (type === "ExternalName") return true;
      const clusterIP = valueAt(object, "spec.clusterIP");
      if (typeof clusterIP !== "string" || clusterIP === "") return false;
      if (type === "LoadBalancer") {
        const externalIPs = valueAt(object, "spec.externalIPs");
        const ingress = valueAt(object, "status.loadBalancer.ingress");
        return (Array.isArray(externalIPs) && externalIPs.length > 0) ||
          (Array.isArray(ingress) && ingress.length > 0);
      }
      return true;
    }
    case "DaemonSet": {
      if (valueAt(object, "spec.updateStrategy.type") === "OnDelete") {
        return true;
      }
      const desired = numberAt(object, "status.desiredNumberScheduled") ?? 0;
      const maxUnavailable = scaled(
        valueAt(object, "spec.updateStrategy.rollingUpdate.maxUnavailable") ??
          1,
        desired,
        true,
      );
      return (numberAt(object, "status.updatedNumberScheduled") ?? 0) ===
          desired &&
        (numberAt(object, "status.numberReady") ?? 0) >=
          desired - maxUnavailable;
    }
    case "StatefulSet": {
      if (valueAt(object, "spec.updateStrategy.type") === "OnDelete") {
        return true;
      }
      const replicas = numberAt(object, "spec.replicas") ?? 1;
      const partition =
        numberAt(object, "spec.updateStrategy.rollingUpdate.partition") ?? 0;
      return (numberAt(object, "status.updatedReplicas") ?? 0) ===
          replicas - partition &&
        (numberAt(object, "status.readyReplicas") ?? 0) === replicas;
    }
    case "ReplicaSet":
    case "ReplicationController":
      return cluster.filter((o) => o.kind === "Pod" && ownedBy(o, object))
        .every(podReady);
    default:
      return true;
  }
}
