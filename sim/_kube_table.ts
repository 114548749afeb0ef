/**
 * Server-side printing of the Kubernetes API simulator: the `meta.k8s.io`
 * Table kubectl asks for with `as=Table`.
 *
 * @module
 */
import { dig } from "./_kube_selectors.ts";
import type { KubeSimObject } from "./kube.ts";

/** True when the client asks for a `meta.k8s.io` Table (kubectl get without -o). */
export function wantsTable(request: Request): boolean {
  return /(^|[;,\s])as=Table([;,\s]|$)/.test(
    request.headers.get("accept") ?? "",
  );
}

/** kubectl-style age of a timestamp: `45s`, `12m`, `5h`, `3d`. */
export function ageOf(timestamp: unknown, now: number): string {
  const time = typeof timestamp === "string" ? Date.parse(timestamp) : NaN;
  if (Number.isNaN(time)) return "<unknown>";
  const seconds = Math.max(0, Math.floor((now - time) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 48 * 3600) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

/** A number at `path`, or `fallback`. */
export function numberAt(
  object: unknown,
  fallback: number,
  ...path: string[]
): number {
  const value = dig(object, ...path);
  return typeof value === "number" ? value : fallback;
}

/** Kind-specific columns between NAME and AGE, like kubectl's printers. */
const TABLE_COLUMNS: Record<
  string,
  { names: string[]; cells: (object: KubeSimObject) => (string | number)[] }
> = {
  Pod: {
    names: ["Ready", "Status", "Restarts"],
    cells(pod) {
      const statuses = dig(pod, "status", "containerStatuses");
      const list = Array.isArray(statuses) ? statuses : [];
      const containers = dig(pod, "spec", "containers");
      const total = Array.isArray(containers) ? containers.length : list.length;
      const ready = list.filter((c) => dig(c, "ready") === true).length;
      const restarts = list.reduce(
        (sum, c) => sum + numberAt(c, 0, "restartCount"),
        0,
      );
      let status = String(dig(pod, "status", "phase") ?? "Unknown");
      for (const c of list) {
        const reason = dig(c, "state", "waiting", "reason") ??
          dig(c, "state", "terminated", "reason");
        if (typeof reason === "string") status = reason;
      }
      if (dig(pod, "metadata", "deletionTimestamp")) status = "Terminating";
      return [`${ready}/${total}`, status, restarts];
    },
  },
  Deployment: {
    names: ["Ready", "Up-to-date", "Available"],
    cells: (d) => [
      `${numberAt(d, 0, "status", "readyReplicas")}/${
        numberAt(d, 1, "spec", "replicas")
      }`,
      numberAt(d, 0, "status", "updatedReplicas"),
      numberAt(d, 0, "status", "availableReplicas"),
    ],
  },
  ReplicaSet: {
    names: ["Desired", "Current", "Ready"],
    cells: (r) => [
      numberAt(r, 1, "spec", "replicas"),
      numberAt(r, 0, "status", "replicas"),
      numberAt(r, 0, "status", "readyReplicas"),
    ],
  },
  Service: {
    names: ["Type", "Cluster-IP", "Port(s)"],
    cells(service) {
      const ports = dig(service, "spec", "ports");
      return [
        String(dig(service, "spec", "type") ?? "ClusterIP"),
        String(dig(service, "spec", "clusterIP") ?? "<none>"),
        Array.isArray(ports) && ports.length > 0
          ? ports.map((p) => `${dig(p, "port")}/${dig(p, "protocol") ?? "TCP"}`)
            .join(",")
          : "<none>",
      ];
    },
  },
};

/** A `meta.k8s.io/v1` Table of `objects` (kubectl's default `get` output). */
export function tableOf(
  objects: KubeSimObject[],
  metadata: Record<string, unknown>,
  includeObject: string | null,
): Record<string, unknown> {
  const now = Date.now();
  const kind = objects[0]?.kind ?? "";
  const extra = TABLE_COLUMNS[kind];
  const column = (name: string, format = "") => ({
    name,
    type: "string",
    format,
    description: "",
    priority: 0,
  });
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata,
    columnDefinitions: [
      column("Name", "name"),
      ...(extra?.names ?? []).map((name) => column(name)),
      column("Age"),
    ],
    rows: objects.map((object) => ({
      cells: [
        object.metadata.name,
        ...(extra?.cells(object) ?? []),
        ageOf(object.metadata.creationTimestamp, now),
      ],
      object: includeObject === "Object"
        ? object
        : includeObject === "None"
        ? undefined
        : {
          kind: "PartialObjectMetadata",
          apiVersion: "meta.k8s.io/v1",
          metadata: object.metadata,
        },
    })),
  };
}
