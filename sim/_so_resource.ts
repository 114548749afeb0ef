/**
 * The k8s-resource SO's CNF adapter builds for one k8splugin status entry
 * (`AaiResponseParser`, `AaiIdGeneratorService`, `KubernetesResource.compare`).
 *
 * @module
 */
import type { SoAaiRequest } from "./so.ts";
import { springEncode } from "./_aai_paths.ts";
import { sha256 } from "../adapters/sha256.ts";

/** The host SO's selflinks name. */
export const SO_SELFLINK_BASE = "http://so-cnf-adapter:8090";

/** The k8s-resource fields SO compares (`KubernetesResource.compare`). */
export const COMPARED = [
  "id",
  "name",
  "version",
  "kind",
  "group",
  "namespace",
  "data-owner",
  "data-source",
  "data-source-version",
  "labels",
] as const;

/** A `resourcesStatus` entry as far as SO reads it. */
export interface StatusEntry {
  /** The resource name. */
  name?: string;
  /** Its group, version and kind, hashed verbatim (even when empty). */
  GVK?: { Group?: string; Version?: string; Kind?: string };
  /** The Kubernetes object; only its metadata is read. */
  status?: {
    metadata?: {
      namespace?: string;
      labels?: Record<string, string>;
      resourceVersion?: string;
    };
  };
}

/** SO's `AaiIdGeneratorService`: sha256 hex of the plain concatenation. */
export function soK8sResourceId(
  parts: {
    instanceId: string;
    name: string;
    namespace: string;
    kind: string;
    group: string;
    version: string;
    cloudOwner: string;
    cloudRegion: string;
    tenantId: string;
  },
): Promise<string> {
  return Promise.resolve(sha256(
    parts.instanceId + parts.name + parts.namespace + parts.kind +
      parts.group + parts.version + parts.cloudOwner + parts.cloudRegion +
      parts.tenantId,
  ));
}

/** An A&AI path: each segment Spring-encoded, each behind a `/`. */
export function path(...parts: string[]): string {
  return parts.map((p) => "/" + springEncode(p)).join("");
}

/** The k8s-resource SO builds for one status entry (`AaiResponseParser`). */
export async function soK8sResource(
  request: SoAaiRequest,
  entry: StatusEntry,
): Promise<Record<string, unknown>> {
  const metadata = entry.status?.metadata ?? {};
  const name = entry.name ?? "";
  const group = entry.GVK?.Group ?? "";
  const version = entry.GVK?.Version ?? "";
  const kind = entry.GVK?.Kind ?? "";
  const namespace = metadata.namespace ?? "";
  const id = await soK8sResourceId({
    instanceId: request.instanceId,
    name,
    namespace,
    kind,
    group,
    version,
    cloudOwner: request.cloudOwner,
    cloudRegion: request.cloudRegion,
    tenantId: request.tenantId,
  });
  const labels = Object.entries(metadata.labels ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .sort();
  const query = new URLSearchParams({
    ApiVersion: version,
    Kind: kind,
    Name: name,
    Namespace: namespace,
  });
  return {
    id,
    name,
    group,
    version,
    kind,
    namespace,
    labels,
    selflink: `${SO_SELFLINK_BASE}/api/cnf-adapter/v1/instance/${
      encodeURIComponent(request.instanceId)
    }/query?${query}`,
    "data-owner": "CnfAdapter",
    "data-source": "K8sPlugin",
    "data-source-version": metadata.resourceVersion ?? "",
  };
}

/** True when SO's `compare()` finds no difference. */
export function sameAs(
  wanted: Record<string, unknown>,
  stored: Record<string, unknown>,
): boolean {
  return COMPARED.every((field) =>
    JSON.stringify(wanted[field] ?? null) ===
      JSON.stringify(stored[field] ?? null)
  );
}

/** A failed run's reason. */
export class RunFailed extends Error {
  /** Builds the error. */
  constructor(message: string) {
    super(message);
    this.name = "RunFailed";
  }
}

/** Whether a body is a complete {@linkcode SoAaiRequest} (SO's `AaiRequest`). */
export function isAaiRequest(value: unknown): value is SoAaiRequest {
  if (value === null || typeof value !== "object") return false;
  const v = value as Record<string, unknown>;
  return ["instanceId", "cloudRegion", "cloudOwner", "tenantId"].every((k) =>
    typeof v[k] === "string" && v[k] !== ""
  ) && typeof v.genericVnfId === "string" && typeof v.vfModuleId === "string";
}
