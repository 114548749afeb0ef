/**
 * k8splugin (ONAP multicloud-k8s) adapter: the source of instances and their
 * resources' live Kubernetes objects.
 *
 * CONTRACT (written first so sync/, sim/ and tasks/ can build against it):
 * the HTTP implementation `HttpK8spluginClient` follows below.
 *
 * @module
 */
import { z } from "zod";
import {
  HttpClient,
  type HttpClientOptions,
  type HttpResponse,
  HttpTransportError,
} from "./http.ts";
import { sha256 } from "./sha256.ts";

/** Group/Version/Kind of a Kubernetes resource; `group` is `""` for core. */
export interface Gvk {
  /** API group; `""` for the core group. */
  group: string;
  /** API version within the group, e.g. `v1`. */
  version: string;
  /** Kind, e.g. `Deployment`. */
  kind: string;
}

/**
 * The label k8splugin puts on every object it creates, and on pod templates
 * (its `kubernetes-label-name`), valued with the instance id.
 */
export const INSTANCE_LABEL = "k8splugin.io/rb-instance-id";

/**
 * The instance id a list of `key=value` labels carries under
 * {@linkcode INSTANCE_LABEL}, if any.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { instanceIdOfLabels } from "./k8splugin.ts";
 * assert.equal(instanceIdOfLabels(["app=web", "k8splugin.io/rb-instance-id=edgex-1"]), "edgex-1");
 * assert.equal(instanceIdOfLabels(["app=web"]), undefined);
 * ```
 */
export function instanceIdOfLabels(
  labels: readonly string[],
): string | undefined {
  const prefix = `${INSTANCE_LABEL}=`;
  return labels.find((l) => l.startsWith(prefix))?.slice(prefix.length);
}

/**
 * The `apiVersion` of a GVK: `v1` for core, `apps/v1` otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { apiVersionOf } from "./k8splugin.ts";
 * assert.equal(apiVersionOf({ group: "apps", version: "v1", kind: "Deployment" }), "apps/v1");
 * assert.equal(apiVersionOf({ group: "", version: "v1", kind: "Pod" }), "v1");
 * ```
 */
export function apiVersionOf(gvk: Gvk): string {
  return gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
}

/**
 * The GVK of an `apiVersion` and a `kind` (the inverse of
 * {@linkcode apiVersionOf}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gvkOf } from "./k8splugin.ts";
 * assert.deepEqual(gvkOf("apps/v1", "Deployment"), { group: "apps", version: "v1", kind: "Deployment" });
 * assert.deepEqual(gvkOf("v1", "Pod"), { group: "", version: "v1", kind: "Pod" });
 * ```
 */
export function gvkOf(apiVersion: string, kind: string): Gvk {
  const slash = apiVersion.lastIndexOf("/");
  return {
    group: slash < 0 ? "" : apiVersion.slice(0, slash),
    version: slash < 0 ? apiVersion : apiVersion.slice(slash + 1),
    kind,
  };
}

/** Filter for `GET /v1/instance` (k8splugin matches each given field exactly). */
export interface InstanceFilter {
  /** Resource Bundle name (`rb-name`). */
  rbName?: string;
  /** Resource Bundle version (`rb-version`). */
  rbVersion?: string;
  /** Profile name (`profile-name`). */
  profileName?: string;
}

/** One entry of `GET /v1/instance`, normalised (null labels become `{}`, missing release-name `""`). */
export interface InstanceSummary {
  /** k8splugin instance id (also the vf-module `heat-stack-id` in SO flows). */
  id: string;
  /** Resource Bundle name. */
  rbName: string;
  /** Resource Bundle version. */
  rbVersion: string;
  /** Profile the instance was created with. */
  profileName: string;
  /** Helm release name (`""` when k8splugin omits it). */
  releaseName: string;
  /** k8splugin cloud region (the A&AI `cloud-region-id`). */
  cloudRegion: string;
  /** Namespace the profile deployed into. */
  namespace: string;
  /** Request labels (metadata only; `{}` when k8splugin sends `null`). */
  labels: Record<string, string>;
}

/** `GET /v1/instance/{id}`: the summary plus the chart resources k8splugin created. */
export interface Instance extends InstanceSummary {
  /** The chart's resources as k8splugin recorded them (hooks excluded). */
  resources: { gvk: Gvk; name: string }[];
}

/**
 * One entry of `resourcesStatus`. `object` is the whole Kubernetes object as
 * k8splugin returned it (for pods: without apiVersion/kind; for older
 * documents possibly a bare `{status: …}`). `gvk` is normalised: a pod's empty
 * GVK becomes `{group:"", version:"v1", kind:"Pod"}`.
 */
export interface ResourceStatus {
  /** Resource name. */
  name: string;
  /** Normalised GVK (a pod's empty GVK becomes `{"", "v1", "Pod"}`). */
  gvk: Gvk;
  /** The whole Kubernetes object as k8splugin returned it. */
  object: Record<string, unknown>;
}

/** `GET /v1/instance/{id}/status` (and `/query`), normalised. */
export interface InstanceStatus {
  /** k8splugin's own verdict (Helm's ready checker): kept for comparison only. */
  ready: boolean;
  /** k8splugin's `resourceCount`. */
  resourceCount: number;
  /** Every resource of the instance, pods included. */
  resources: ResourceStatus[];
}

/** Parameters of `GET /v1/instance/{id}/query`. */
export interface ResourceQuery {
  /** group/version, e.g. `apps/v1` or `v1`. */
  apiVersion: string;
  /** Kind to query. */
  kind: string;
  /** Only this name (k8splugin filters client-side). */
  name?: string;
  /** Extra label selector, `a=b,c=d`. */
  labels?: string;
}

/** `GET /v1/connectivity-info/{region}`: never log `kubeconfig`. */
export interface ConnectivityInfo {
  /** The region key. */
  cloudRegion: string;
  /** The A&AI cloud owner k8splugin recorded. */
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
  /**
   * Reads the same document as {@linkcode getStatus} but parses it only on
   * demand: a caller that has seen a body with the same digest before may
   * skip the parse altogether.
   */
  getStatusBody(id: string): Promise<StatusBody>;
  /** Queries resources of an instance by apiVersion/kind (and name/labels). */
  query(id: string, query: ResourceQuery): Promise<InstanceStatus>;
  /** Reads a region's connectivity info (cloud owner and kubeconfig). */
  getConnectivityInfo(cloudRegion: string): Promise<ConnectivityInfo>;
}

/** A status document as read, before parsing (see {@linkcode K8spluginClient.getStatusBody}). */
export interface StatusBody {
  /** SHA-256 of the body's text (base64url): equal bodies have equal digests. */
  digest: string;
  /**
   * Parses and validates the body.
   * @throws {K8spluginError} `Invalid` when it is not a status document.
   */
  parse(): InstanceStatus;
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

// ---------------------------------------------------------------------------
// HTTP implementation
// ---------------------------------------------------------------------------

/** A k8splugin call failed; `kind` says how, `retryable` whether a later run may succeed. */
export class K8spluginError extends Error {
  readonly kind: K8spluginErrorKind;
  /** HTTP status, when k8splugin answered. */
  readonly status?: number;
  /** The instance the call was about. */
  readonly instanceId?: string;
  /** For `Invalid`: the field path in the response, e.g. `resourcesStatus[2].GVK.Kind`. */
  readonly path?: string;
  /** The request, e.g. `GET /v1/instance/abc/status`. */
  readonly request?: string;
  /** k8splugin's error text (plain text, as sent), when it answered with one. */
  readonly body?: string;
  /** True for `Transient`. */
  readonly retryable: boolean;

  /** Builds the error; the message is composed by the client. */
  constructor(
    message: string,
    init: {
      kind: K8spluginErrorKind;
      status?: number | undefined;
      instanceId?: string | undefined;
      path?: string | undefined;
      request?: string | undefined;
      body?: string | undefined;
    },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "K8spluginError";
    this.kind = init.kind;
    if (init.status !== undefined) this.status = init.status;
    if (init.instanceId !== undefined) this.instanceId = init.instanceId;
    if (init.path !== undefined) this.path = init.path;
    if (init.request !== undefined) this.request = init.request;
    if (init.body !== undefined) this.body = init.body;
    this.retryable = init.kind === "Transient";
  }
}

/** Options of {@linkcode HttpK8spluginClient}: the HTTP layer's, `peer` defaulting to `"k8splugin"`. */
export type HttpK8spluginClientOptions =
  & Omit<HttpClientOptions, "peer">
  & {
    peer?: string;
    /**
     * Told about each entry of the instance list that was skipped as
     * unreadable (k8splugin lists zero-valued rows, `id: ""`, for records it
     * cannot read); the rest of the list is kept.
     */
    onSkippedEntry?: (message: string) => void;
  };

const stringMap = z.record(z.string(), z.string());

const requestSchema = z.looseObject({
  "rb-name": z.string(),
  "rb-version": z.string(),
  "profile-name": z.string(),
  "release-name": z.string().nullish(),
  "cloud-region": z.string().min(1),
  labels: stringMap.nullish(),
  "override-values": z.record(z.string(), z.unknown()).nullish(),
});

const summarySchema = z.looseObject({
  id: z.string().min(1),
  request: requestSchema,
  "release-name": z.string().nullish(),
  namespace: z.string(),
});

/** k8splugin's `GVK` object (`{"Group","Version","Kind"}`), parsed loosely. */
export const gvkSchema = z.looseObject({
  Group: z.string(),
  Version: z.string(),
  Kind: z.string(),
});

const instanceSchema = summarySchema.extend({
  resources: z.array(z.looseObject({ GVK: gvkSchema, Name: z.string().min(1) }))
    .nullish(),
});

const statusSchema = z.looseObject({
  ready: z.boolean().optional(),
  resourceCount: z.number().int().nonnegative().optional(),
  resourcesStatus: z.array(z.looseObject({
    name: z.string().min(1),
    GVK: gvkSchema,
    // Checked, not copied: a status holds whole Kubernetes objects, and
    // copying every one of them was a measurable share of a run's CPU.
    status: z.custom<Record<string, unknown>>(
      (value) =>
        typeof value === "object" && value !== null && !Array.isArray(value),
      "expected an object",
    ),
  })).nullish(),
});

const connectivitySchema = z.looseObject({
  "cloud-region": z.string().min(1),
  "cloud-owner": z.string(),
  kubeconfig: z.string().min(1),
});

/**
 * Formats a zod issue path like `resourcesStatus[2].GVK.Kind` (`""` for the
 * root); shared with the scenario loader so both name fields the same way.
 */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else {
      const text = String(key);
      out += /^[A-Za-z_$][\w$]*$/.test(text)
        ? (out ? "." : "") + text
        : `[${JSON.stringify(text)}]`;
    }
  }
  return out;
}

/**
 * Percent-encodes one path segment. `.` and `..` cannot be sent at all: URL
 * parsers resolve them even as `%2E`, which would change the request's target.
 */
function segment(value: string, what: string): string {
  if (value === "" || value === "." || value === "..") {
    throw new K8spluginError(
      `Cannot use ${what} "${value}" in a k8splugin URL: it would change the request path`,
      { kind: "BadRequest" },
    );
  }
  return encodeURIComponent(value);
}

/** Error texts of k8splugin 500s that a retry will not change. */
const PERMANENT_500 = /no documents in result|Getting Resources Status:/;

/** The first line of an error body (the query handler appends JSON after it), quoted. */
function quoteBody(text: string): string {
  let shown = text.replace(/\n\{[\s\S]*$/, "").trimEnd();
  if (shown.length > 500) shown = `${shown.slice(0, 500)}…`;
  return JSON.stringify(shown);
}

/** Turns a summary or instance document into the normalised form. */
function toSummary(item: z.infer<typeof summarySchema>): InstanceSummary {
  const request = item.request;
  return {
    id: item.id,
    rbName: request["rb-name"],
    rbVersion: request["rb-version"],
    profileName: request["profile-name"],
    releaseName: item["release-name"] || request["release-name"] || "",
    cloudRegion: request["cloud-region"],
    namespace: item.namespace,
    labels: request.labels ?? {},
  };
}

/** Normalises a GVK; an empty one (pods in Guilin output) is read from the object, else it is a Pod. */
function toGvk(
  gvk: z.infer<typeof gvkSchema>,
  object?: Record<string, unknown>,
): Gvk {
  if (gvk.Kind) {
    return { group: gvk.Group, version: gvk.Version, kind: gvk.Kind };
  }
  const apiVersion = object?.apiVersion;
  const kind = object?.kind;
  if (typeof apiVersion === "string" && typeof kind === "string" && kind) {
    return gvkOf(apiVersion, kind);
  }
  return { group: "", version: "v1", kind: "Pod" };
}

/**
 * Parses a k8splugin JSON body with a schema; any mismatch becomes a
 * {@linkcode K8spluginError} of kind `Invalid` naming the field.
 */
export function parseBody<T>(
  what: string,
  instanceId: string | undefined,
  schema: z.ZodType<T>,
  response: HttpResponse,
): T {
  let json: unknown;
  try {
    json = response.json();
  } catch (error) {
    throw new K8spluginError(
      `${what}: invalid response: the body is not JSON`,
      { kind: "Invalid", instanceId, status: response.status },
      { cause: error },
    );
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = fieldPath(issue?.path ?? []) || "(root)";
    throw new K8spluginError(
      `${what}: invalid response at ${path}: ${issue?.message ?? "invalid"}`,
      { kind: "Invalid", instanceId, path, status: response.status },
      { cause: result.error },
    );
  }
  return result.data;
}

/**
 * Reads k8splugin over HTTP (`HttpClient`: timeouts, retries of 5xx and
 * transport errors). Every response is zod-validated: the known variants are
 * accepted (null labels, missing release-name, empty pod GVK, a status entry
 * holding only a `status` block, a `null` list), anything else becomes a
 * `K8spluginError` of kind `Invalid` naming the instance and the field.
 *
 * Permissions: `--allow-net` (k8splugin's host), `--allow-read` for a CA file,
 * `--allow-write` when recording.
 */
export class HttpK8spluginClient implements K8spluginClient {
  readonly #http: HttpClient;
  readonly #onSkippedEntry: ((message: string) => void) | undefined;

  /** Stores the options (nothing is opened until the first call). */
  constructor(options: HttpK8spluginClientOptions) {
    const { onSkippedEntry, ...http } = options;
    this.#http = new HttpClient({
      ...http,
      peer: options.peer ?? "k8splugin",
    });
    this.#onSkippedEntry = onSkippedEntry;
  }

  /** The base URL, without credentials. */
  get baseUrl(): string {
    return this.#http.baseUrl;
  }

  /** Lists instances; k8splugin's "no objects" 500 and a `null` body both become `[]`. */
  async listInstances(filter?: InstanceFilter): Promise<InstanceSummary[]> {
    const what = "Cannot list instances from k8splugin";
    const response = await this.#get(
      what,
      "/v1/instance",
      undefined,
      {
        "rb-name": filter?.rbName,
        "rb-version": filter?.rbVersion,
        "profile-name": filter?.profileName,
      },
      (status, text) =>
        status === 500 && text.includes("Did not find any objects with tag"),
    );
    if (response === undefined) return [];
    const data = parseBody(
      what,
      undefined,
      z.array(z.unknown()).nullable(),
      response,
    );
    // One unreadable row must not hide every other instance (#6): real
    // k8splugin lists `{"id": "", …}` for a record it cannot decode.
    const summaries: InstanceSummary[] = [];
    for (const [index, entry] of (data ?? []).entries()) {
      const parsed = summarySchema.safeParse(entry);
      if (parsed.success) {
        summaries.push(toSummary(parsed.data));
        continue;
      }
      const issue = parsed.error.issues[0];
      const id = (entry as { id?: unknown } | null)?.id;
      this.#onSkippedEntry?.(
        `Skipping entry ${index}${
          typeof id === "string" && id ? ` (instance "${id}")` : ""
        } of k8splugin's instance list: ${
          fieldPath(issue?.path ?? []) || "the entry"
        } ${
          issue?.code === "too_small"
            ? "is empty"
            : issue?.code === "invalid_type"
            ? `is not a${
              /^[aeiou]/.test(issue.expected) ? "n" : ""
            } ${issue.expected}`
            : "is invalid"
        }; the other entries are kept`,
      );
    }
    return summaries;
  }

  /** Reads one instance with its chart resources. */
  async getInstance(id: string): Promise<Instance> {
    const what = `Cannot read instance "${id}" from k8splugin`;
    const response = await this.#get(
      what,
      `/v1/instance/${segment(id, "instance id")}`,
      id,
    );
    const data = parseBody(what, id, instanceSchema, response!);
    return {
      ...toSummary(data),
      resources: (data.resources ?? []).map((r) => ({
        gvk: toGvk(r.GVK),
        name: r.Name,
      })),
    };
  }

  /** Reads the live status of every resource of an instance, pods included. */
  async getStatus(id: string): Promise<InstanceStatus> {
    return (await this.getStatusBody(id)).parse();
  }

  /** Reads an instance's status document, to be parsed on demand. */
  async getStatusBody(id: string): Promise<StatusBody> {
    const what = `Cannot read status of instance "${id}" from k8splugin`;
    const response = (await this.#get(
      what,
      `/v1/instance/${segment(id, "instance id")}/status`,
      id,
    ))!;
    return {
      digest: sha256(response.text, "base64url"),
      parse: () => this.#status(what, id, response),
    };
  }

  /** Queries resources of an instance by apiVersion/kind (and name/labels). */
  async query(id: string, query: ResourceQuery): Promise<InstanceStatus> {
    const what =
      `Cannot query ${query.kind} resources of instance "${id}" from k8splugin`;
    const response = await this.#get(
      what,
      `/v1/instance/${segment(id, "instance id")}/query`,
      id,
      {
        ApiVersion: query.apiVersion,
        Kind: query.kind,
        Name: query.name,
        Labels: query.labels,
      },
    );
    return this.#status(what, id, response!);
  }

  /**
   * `GET /v1/query`: the objects of one kind in a whole region (every
   * namespace unless `namespace` is given), filtered by `labels` only — not
   * tied to an instance. k8splugin LISTs them in the cluster in one call.
   * The GVK of every entry is the one asked for.
   */
  async queryRegion(
    cloudRegion: string,
    query: ResourceQuery & { namespace?: string },
  ): Promise<ResourceStatus[]> {
    const what =
      `Cannot query ${query.kind} resources of region "${cloudRegion}" from k8splugin`;
    const response = await this.#get(what, "/v1/query", undefined, {
      CloudRegion: cloudRegion,
      ApiVersion: query.apiVersion,
      Kind: query.kind,
      Namespace: query.namespace,
      Name: query.name,
      Labels: query.labels,
    });
    return this.#status(what, undefined, response!).resources;
  }

  /** Reads a region's connectivity info; the kubeconfig is base64-decoded and never logged. */
  async getConnectivityInfo(cloudRegion: string): Promise<ConnectivityInfo> {
    const what =
      `Cannot read connectivity info of region "${cloudRegion}" from k8splugin`;
    const response = await this.#get(
      what,
      `/v1/connectivity-info/${segment(cloudRegion, "cloud region")}`,
    );
    const data = parseBody(what, undefined, connectivitySchema, response!);
    let kubeconfig: string;
    try {
      const binary = atob(data.kubeconfig.replace(/\s+/g, ""));
      kubeconfig = new TextDecoder("utf-8", { fatal: true }).decode(
        Uint8Array.from(binary, (c) => c.charCodeAt(0)),
      );
    } catch {
      // Never quote the value: it is a secret.
      throw new K8spluginError(
        `${what}: invalid response at kubeconfig: not base64-encoded UTF-8 text`,
        { kind: "Invalid", path: "kubeconfig", status: response!.status },
      );
    }
    return {
      cloudRegion: data["cloud-region"],
      cloudOwner: data["cloud-owner"],
      kubeconfig,
    };
  }

  /** Releases the HTTP client. */
  close(): void {
    this.#http.close();
  }

  /** Releases the HTTP client (`using`). */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * GETs a path and classifies failures. Returns `undefined` when `empty`
   * says the error means "nothing there".
   */
  async #get(
    what: string,
    path: string,
    instanceId?: string,
    query?: Record<string, string | undefined>,
    empty?: (status: number, text: string) => boolean,
  ): Promise<HttpResponse | undefined> {
    const request = `GET ${path}`;
    let response: HttpResponse;
    try {
      response = await this.#http.request("GET", path, {
        headers: { Accept: "application/json" },
        ...(query ? { query } : {}),
        // k8splugin's deterministic 500s (unknown id, missing resource, empty
        // database) will not change on a retry.
        retryStatus: ({ status, text }) =>
          !(empty?.(status, text) || PERMANENT_500.test(text)),
      });
    } catch (error) {
      if (error instanceof HttpTransportError) {
        // Once each: the URL, what happened, how many attempts.
        throw new K8spluginError(
          `${what}: ${error.where}`,
          { kind: "Transient", instanceId, request },
          { cause: error },
        );
      }
      throw error;
    }
    const { status, text } = response;
    if (status >= 200 && status < 300) return response;
    if (empty?.(status, text)) return undefined;
    const kind: K8spluginErrorKind = text.includes("no documents in result") ||
        status === 404
      ? "NotFound"
      : text.includes("Getting Resources Status:")
      ? "ResourceMissing"
      : status >= 500
      ? "Transient"
      : "BadRequest";
    throw new K8spluginError(
      `${what}: HTTP ${status} ${quoteBody(this.#http.redact(text))}`,
      { kind, status, instanceId, request, body: text },
    );
  }

  /** Parses a status or query document. */
  #status(
    what: string,
    id: string | undefined,
    response: HttpResponse,
  ): InstanceStatus {
    const data = parseBody(what, id, statusSchema, response);
    const resources = (data.resourcesStatus ?? []).map((entry) => ({
      name: entry.name,
      gvk: toGvk(entry.GVK, entry.status),
      object: entry.status,
    }));
    return {
      ready: data.ready ?? false,
      resourceCount: data.resourceCount ?? resources.length,
      resources,
    };
  }
}
