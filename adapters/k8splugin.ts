/**
 * k8splugin (ONAP multicloud-k8s) adapter: the source of instances and their
 * resources' live Kubernetes objects.
 *
 * CONTRACT (written first so sync/, sim/ and tasks/ can build against it):
 * the HTTP implementation `HttpK8spluginClient` follows below.
 *
 * @module
 */

/** Group/Version/Kind of a Kubernetes resource; `group` is `""` for core. */
export interface Gvk {
  group: string;
  version: string;
  kind: string;
}

/** Filter for `GET /v1/instance` (k8splugin matches each given field exactly). */
export interface InstanceFilter {
  rbName?: string;
  rbVersion?: string;
  profileName?: string;
}

/** One entry of `GET /v1/instance`, normalised (null labels become `{}`, missing release-name `""`). */
export interface InstanceSummary {
  id: string;
  rbName: string;
  rbVersion: string;
  profileName: string;
  releaseName: string;
  cloudRegion: string;
  namespace: string;
  labels: Record<string, string>;
}

/** `GET /v1/instance/{id}`: the summary plus the chart resources k8splugin created. */
export interface Instance extends InstanceSummary {
  resources: { gvk: Gvk; name: string }[];
}

/**
 * One entry of `resourcesStatus`. `object` is the whole Kubernetes object as
 * k8splugin returned it (for pods: without apiVersion/kind; for older
 * documents possibly a bare `{status: …}`). `gvk` is normalised: a pod's empty
 * GVK becomes `{group:"", version:"v1", kind:"Pod"}`.
 */
export interface ResourceStatus {
  name: string;
  gvk: Gvk;
  object: Record<string, unknown>;
}

/** `GET /v1/instance/{id}/status` (and `/query`), normalised. */
export interface InstanceStatus {
  /** k8splugin's own verdict (Helm's ready checker): kept for comparison only. */
  ready: boolean;
  resourceCount: number;
  resources: ResourceStatus[];
}

/** Parameters of `GET /v1/instance/{id}/query`. */
export interface ResourceQuery {
  /** group/version, e.g. `apps/v1` or `v1`. */
  apiVersion: string;
  kind: string;
  name?: string;
  labels?: string;
}

/** `GET /v1/connectivity-info/{region}`: never log `kubeconfig`. */
export interface ConnectivityInfo {
  cloudRegion: string;
  cloudOwner: string;
  /** The kubeconfig file's text (base64-decoded). Secret. */
  kubeconfig: string;
}

/** The seam between sync/ and k8splugin; the HTTP client and fakes implement it. */
export interface K8spluginClient {
  /** Lists instances; k8splugin's "no objects" 500 and a `null` body both become `[]`. */
  listInstances(filter?: InstanceFilter): Promise<InstanceSummary[]>;
  /** Reads one instance with its chart resources. */
  getInstance(id: string): Promise<Instance>;
  /** Reads the live status of every resource of an instance, pods included. */
  getStatus(id: string): Promise<InstanceStatus>;
  /** Queries resources of an instance by apiVersion/kind (and name/labels). */
  query(id: string, query: ResourceQuery): Promise<InstanceStatus>;
  /** Reads a region's connectivity info (cloud owner and kubeconfig). */
  getConnectivityInfo(cloudRegion: string): Promise<ConnectivityInfo>;
}

/**
 * Why a k8splugin call failed:
 * - `NotFound`: k8splugin says the instance/region does not exist ("no documents in result").
 * - `ResourceMissing`: status failed as a whole because a resource could not be read
 *   ("Getting Resources Status:"), e.g. deleted by hand.
 * - `Transient`: 5xx, timeout, reset, dropped connection (e.g. the Job-completions panic).
 * - `Invalid`: the response did not match the schema (see `path`).
 * - `BadRequest`: any 4xx other than 404.
 */
export type K8spluginErrorKind =
  | "NotFound"
  | "ResourceMissing"
  | "Transient"
  | "Invalid"
  | "BadRequest";
