/**
 * Kubernetes API adapter: reads a cloud region's cluster directly, for the
 * context rules need (StorageClasses, ReplicaSets, Nodes, CRDs) and as a
 * direct source of instance resources (one LIST per namespace and kind
 * instead of k8splugin's one status call per instance).
 *
 * One {@linkcode KubeClient} per cloud region, built from a kubeconfig (inline
 * YAML, a file, or k8splugin's connectivity-info for the region);
 * {@linkcode KubeClients} keeps one per region for a run. The kubeconfig is
 * read by `@kubernetes/client-node`'s `KubeConfig` (contexts, CA, client
 * certificates, tokens, token files, exec and OIDC auth providers), which
 * also computes the auth headers of every request. Requests themselves go
 * through Deno's `fetch`, not client-node's generated clients, because:
 * - the typed deserialiser of client-node drops unknown fields and turns
 *   timestamps into `Date`s, and the objects must stay byte-for-byte what the
 *   API server sent (they are compared with k8splugin's);
 * - client-node's undici transport negotiates HTTP/2 over Deno's `node:http2`,
 *   which aborts the process (nghttp2 assertion) when the server sends GOAWAY.
 *
 * Kubeconfig pitfalls handled: a plain `http://` server is accepted (there is
 * no TLS to verify); `insecure-skip-tls-verify` over `https://` is refused
 * unless the operator allows it (`allowInsecure`), and then goes through
 * `node:https` without verification (Deno's fetch cannot skip verification
 * per client). No error ever carries a response body or a
 * header; 403s name the missing permission.
 *
 * Permissions: `--allow-net`, `--allow-env` (client-node reads it when
 * imported), `--allow-read` for kubeconfig files and the certificate files
 * they name, `--allow-run` only for exec auth providers.
 *
 * @module
 */
import { KubeConfig } from "@kubernetes/client-node";
import pLimit from "p-limit";
import { nodeFetch } from "./http.ts";
import {
  apiVersionOf,
  type Gvk,
  type Instance,
  INSTANCE_LABEL,
  type K8spluginClient,
  type ResourceStatus,
} from "./k8splugin.ts";
import { retry } from "./retry.ts";

/** A Kubernetes object as JSON (this adapter fills apiVersion and kind). */
export type KubeJsonObject = Record<string, unknown>;

/** What discovery says about a GVK. */
export interface KubeResource {
  /** API group (`""` for core). */
  group: string;
  /** API version. */
  version: string;
  /** Kind, e.g. `Deployment`. */
  kind: string;
  /** Plural resource name used in paths, e.g. `deployments`. */
  resource: string;
  /** True for namespaced kinds, false for cluster-scoped ones. */
  namespaced: boolean;
  /** Verbs the API server allows on it (`get`, `list`, …). */
  verbs: string[];
}

/** One page of a LIST. */
export interface KubeListPage {
  /** Items with apiVersion/kind filled in. */
  items: KubeJsonObject[];
  /** The list's `metadata.resourceVersion`. */
  resourceVersion: string;
  /** Token for the next page; undefined on the last page. */
  continue?: string;
}

/** Options of {@linkcode KubeClient.listPage} and {@linkcode KubeClient.list}. */
export interface KubeListOptions {
  /** Namespace of a namespaced kind; undefined lists all namespaces (or a cluster-scoped kind). */
  namespace?: string;
  /** Label selector, e.g. `app=x,tier in (a,b)`. */
  labelSelector?: string;
  /** Field selector, e.g. `metadata.name=x`. */
  fieldSelector?: string;
  /** Page size (`limit`); {@linkcode KubeClient.list} defaults to the client's `pageSize`. */
  limit?: number;
  /** Continue token of the previous page ({@linkcode KubeClient.listPage} only). */
  continue?: string;
}

/** The seam between sync/ and the cluster; {@linkcode KubeClient} implements it. */
export interface KubeSource {
  /** Context for rules, fetched once per run: StorageClasses, Nodes, CRDs (cluster) + ReplicaSets of these namespaces. */
  related(namespaces: string[]): Promise<KubeJsonObject[]>;
  /**
   * Reads instances from the cluster: one LIST per (namespace, GVK) with
   * `k8splugin.io/rb-instance-id in (ids)`. For each instance id: its chart
   * resources + pods in k8splugin's ResourceStatus shape (gvk normalised,
   * object complete), and `missing`: chart resources the cluster does not
   * have (→ sync reports them Failed/NotFound).
   */
  readInstances(
    instances: Instance[],
  ): Promise<Map<string, KubeInstanceRead>>;
}

/** What {@linkcode KubeSource.readInstances} found for one instance. */
export interface KubeInstanceRead {
  /** Chart resources found (in `Instance.resources` order), then the instance's pods (by name). */
  resources: ResourceStatus[];
  /** Chart resources the cluster does not have. */
  missing: { gvk: Gvk; name: string }[];
}

/**
 * Why a Kubernetes call failed: the API server's `Status.reason`
 * (`NotFound`, `Forbidden`, `Unauthorized`, `Expired`, `BadRequest`, …) or
 * one of ours: `Transport` (no answer: refused, reset, timeout), `Invalid`
 * (the answer is not the JSON expected), `Config` (the kubeconfig is
 * unusable), `UnknownKind` (discovery does not serve the GVK).
 */
export type KubeErrorReason =
  | "NotFound"
  | "Forbidden"
  | "Unauthorized"
  | "Expired"
  | "BadRequest"
  | "Transport"
  | "Invalid"
  | "Config"
  | "UnknownKind"
  | (string & Record<never, never>);

/** The permission a 403 says is missing. */
export interface KubePermission {
  /** The verb refused (`get`, `list`). */
  verb: string;
  /** Plural resource name, e.g. `replicasets`. */
  resource: string;
  /** API group (`""` for core). */
  group: string;
  /** Undefined for cluster-scoped requests. */
  namespace?: string;
}

/** A Kubernetes API call failed. Never carries response bodies, headers or tokens. */
export class KubeError extends Error {
  /** The cloud region whose cluster was called. */
  readonly region: string;
  /** The GVK the call was about, when there was one. */
  readonly gvk?: Gvk;
  /** The namespace of the request, if namespaced. */
  readonly namespace?: string;
  /** The object's name (`name` is the error class name, as for every Error). */
  readonly objectName?: string;
  /** HTTP status, when the API server answered. */
  readonly status?: number;
  /** Why it failed (see {@linkcode KubeErrorReason}). */
  readonly reason: KubeErrorReason;
  /** For 403: the permission to grant (see deploy/rbac.yaml). */
  readonly permission?: KubePermission;
  /** True for 5xx, 429 and transport failures: a later run may succeed. */
  readonly retryable: boolean;

  /** Builds the error; the message is composed by the client. */
  constructor(
    message: string,
    init: {
      region: string;
      reason: KubeErrorReason;
      gvk?: Gvk | undefined;
      namespace?: string | undefined;
      name?: string | undefined;
      status?: number | undefined;
      permission?: KubePermission | undefined;
    },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "KubeError";
    this.region = init.region;
    this.reason = init.reason;
    if (init.gvk !== undefined) this.gvk = init.gvk;
    if (init.namespace !== undefined) this.namespace = init.namespace;
    if (init.name !== undefined) this.objectName = init.name;
    if (init.status !== undefined) this.status = init.status;
    if (init.permission !== undefined) this.permission = init.permission;
    this.retryable = init.reason === "Transport" ||
      (init.status !== undefined &&
        (init.status >= 500 || init.status === 429));
  }
}

/** Options of {@linkcode KubeClient}. */
export interface KubeClientOptions {
  /** Kubeconfig context to use (default: its current-context). */
  context?: string;
  /** Per attempt, default 30 000 ms. */
  timeoutMs?: number;
  /** Extra attempts for transport errors, 5xx and 429 (default 2). */
  retries?: number;
  /** First backoff in ms (default 200), doubled per attempt with full jitter. */
  minBackoffMs?: number;
  /** LIST page size (`limit`), default 500. */
  pageSize?: number;
  /** Concurrent LISTs in `related`/`readInstances`, default 4. */
  concurrency?: number;
  /** Instance ids per `in (…)` selector, default 50. */
  idsPerSelector?: number;
  /** The instance label (k8splugin's `kubernetes-label-name`), default `k8splugin.io/rb-instance-id`. */
  instanceLabel?: string;
  /** Called after every HTTP exchange (for logs and metrics); `path` includes the query. */
  onRequest?: (exchange: KubeExchange) => void;
  /**
   * Honour a kubeconfig's `insecure-skip-tls-verify: true` over https (no
   * certificate check). Off by default: such a kubeconfig is refused unless
   * the operator allows it (`regions.<r>.allowInsecureSkipTlsVerify`).
   */
  allowInsecure?: boolean;
}

/** One HTTP exchange with the API server, as reported to `onRequest`. */
export interface KubeExchange {
  /** The cloud region of the client. */
  region: string;
  /** Always `GET` (the adapter only reads). */
  method: string;
  /** Path and query (never credentials). */
  path: string;
  /** Undefined when no answer came. */
  status?: number;
  /** Time from request to full body, in ms. */
  durationMs: number;
  /** 0 for the first attempt, then 1, 2, … for retries. */
  attempt: number;
}

/** A connected transport: base URL, Deno HTTP client and auth header source. */
interface Transport {
  server: string;
  client?: Deno.HttpClient;
  /** Skip certificate verification (an allowed `insecure-skip-tls-verify`). */
  insecure?: { cert?: string; key?: string };
  headers(): Promise<Record<string, string>>;
}

/** A GET without certificate verification, shaped like fetch's Response for #request. */
async function insecureGet(
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal,
  tls: { cert?: string; key?: string },
): Promise<{ status: number; ok: boolean; text(): Promise<string> }> {
  const raw = await nodeFetch("GET", url, headers, undefined, signal, {
    ...tls,
    rejectUnauthorized: false,
  });
  return {
    status: raw.status,
    ok: raw.status >= 200 && raw.status < 300,
    text: () => Promise.resolve(raw.text),
  };
}

/** `deployments.apps` / `pods`, as the API server names resources. */
function qualified(resource: string, group: string): string {
  return group ? `${resource}.${group}` : resource;
}

/** A short description of a GVK for messages: `apps/v1 Deployment`. */
function describeGvk(gvk: Gvk): string {
  return `${apiVersionOf(gvk)} ${gvk.kind}`;
}

/** Reads a string property of a plain object. */
function stringAt(value: unknown, key: string): string | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const field = (value as Record<string, unknown>)[key];
  return typeof field === "string" ? field : undefined;
}

/** Metadata of an object (empty when absent). */
function metadataOf(object: KubeJsonObject): Record<string, unknown> {
  const metadata = object.metadata;
  return metadata !== null && typeof metadata === "object"
    ? metadata as Record<string, unknown>
    : {};
}

/** Splits a list into chunks of at most `size`. */
function chunked<T>(items: T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) {
    chunks.push(items.slice(i, i + size));
  }
  return chunks;
}

/**
 * Like `Promise.all`, but waits for every promise to settle before throwing
 * the first failure, so no request outlives the call that started it.
 */
async function settleAll<T>(promises: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/**
 * The path of a resource collection: namespaced when the kind is and a
 * namespace is given, else cluster-wide (also what watches use).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { collectionPath } from "./kube.ts";
 * const deployments = { group: "apps", version: "v1", kind: "Deployment", resource: "deployments", namespaced: true, verbs: ["list", "watch"] };
 * assert.equal(collectionPath(deployments, "ns"), "/apis/apps/v1/namespaces/ns/deployments");
 * assert.equal(collectionPath(deployments, undefined), "/apis/apps/v1/deployments");
 * ```
 */
export function collectionPath(
  resource: KubeResource,
  namespace: string | undefined,
): string {
  const root = resource.group
    ? `/apis/${encodeURIComponent(resource.group)}/${
      encodeURIComponent(resource.version)
    }`
    : `/api/${encodeURIComponent(resource.version)}`;
  const ns = resource.namespaced && namespace !== undefined
    ? `/namespaces/${encodeURIComponent(namespace)}`
    : "";
  return `${root}${ns}/${encodeURIComponent(resource.resource)}`;
}

/**
 * The kubeconfig with its current cluster marked `skipTLSVerify`:
 * client-node refuses an `http://` server otherwise (DESIGN §12 pitfalls),
 * and there is no TLS to verify over plain HTTP.
 */
export function allowingPlainHttp(kc: KubeConfig): KubeConfig {
  const current = kc.getCurrentCluster();
  const relaxed = new KubeConfig();
  relaxed.loadFromOptions({
    clusters: kc.clusters.map((c) =>
      c.name === current?.name ? { ...c, skipTLSVerify: true } : c
    ),
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
  return relaxed;
}

/**
 * A read-only client of one region's Kubernetes API. Constructors never do
 * I/O: the kubeconfig is loaded on the first request (so a provider can hand
 * out clients synchronously). Discovery is cached for the client's life (a
 * run). Close it (or `await using` it) to release connections.
 *
 * @example
 * ```ts ignore
 * await using kube = KubeClient.fromKubeconfig("k8sregionone", yamlText);
 * const pods = await kube.list({ group: "", version: "v1", kind: "Pod" }, { namespace: "testns2" });
 * ```
 */
export class KubeClient implements KubeSource {
  /** The cloud region this client reads. */
  readonly region: string;
  #load: () => Promise<string>;
  #options: KubeClientOptions;
  #transport: Promise<Transport> | undefined;
  #discovery = new Map<string, Promise<KubeResource[]>>();
  #closed = false;

  /** Stores what it is given; `loadKubeconfig` is called once, on the first request. */
  constructor(
    region: string,
    loadKubeconfig: () => Promise<string>,
    options: KubeClientOptions = {},
  ) {
    this.region = region;
    this.#load = loadKubeconfig;
    this.#options = options;
  }

  /** A client from kubeconfig YAML text. */
  static fromKubeconfig(
    region: string,
    kubeconfigYaml: string,
    options?: KubeClientOptions,
  ): KubeClient {
    return new KubeClient(
      region,
      () => Promise.resolve(kubeconfigYaml),
      options,
    );
  }

  /** A client from a kubeconfig file (read on first use). */
  static fromKubeconfigFile(
    region: string,
    path: string,
    options?: KubeClientOptions,
  ): KubeClient {
    return new KubeClient(region, async () => {
      try {
        return await Deno.readTextFile(path);
      } catch (error) {
        throw new KubeError(
          `Cannot read kubeconfig "${path}" for region "${region}": ${
            error instanceof Error ? error.message : String(error)
          }`,
          { region, reason: "Config" },
          { cause: error },
        );
      }
    }, options);
  }

  /** A client whose kubeconfig comes from k8splugin's connectivity-info for the region (fetched on first use). */
  static fromConnectivityInfo(
    region: string,
    k8splugin: Pick<K8spluginClient, "getConnectivityInfo">,
    options?: KubeClientOptions,
  ): KubeClient {
    return new KubeClient(
      region,
      async () => (await k8splugin.getConnectivityInfo(region)).kubeconfig,
      options,
    );
  }

  /** Releases the HTTP client; later calls fail. */
  async close(): Promise<void> {
    this.#closed = true;
    const transport = this.#transport;
    this.#transport = undefined;
    if (!transport) return;
    try {
      (await transport).client?.close();
    } catch {
      // The kubeconfig never loaded: nothing to release.
    }
  }

  /** Same as {@linkcode close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Sends a request for a path (and query) of the API server with this
   * region's credentials and returns the raw response, its body unread (a
   * watch stream, a Lease, a pod label): this makes a `KubeClient` a
   * `KubeStream` (adapters/kube_stream.ts). Not retried. An allowed
   * `insecure-skip-tls-verify` cannot stream through Deno's fetch: refused.
   */
  async fetch(pathAndQuery: string, init: RequestInit = {}): Promise<Response> {
    const transport = await this.#transportOnce();
    if (transport.insecure) {
      throw new KubeError(
        `Cannot watch region "${this.region}": insecure-skip-tls-verify is not supported for watches; set certificate-authority-data instead`,
        { region: this.region, reason: "Config" },
      );
    }
    const headers = new Headers(init.headers);
    if (!headers.has("accept")) headers.set("accept", "application/json");
    for (const [key, value] of Object.entries(await transport.headers())) {
      headers.set(key, value);
    }
    return await fetch(transport.server + pathAndQuery, {
      ...init,
      headers,
      ...(transport.client ? { client: transport.client } : {}),
    } as RequestInit);
  }

  #transportOnce(): Promise<Transport> {
    if (this.#closed) {
      return Promise.reject(
        new TypeError(`Kube client of region "${this.region}" is closed`),
      );
    }
    return this.#transport ??= this.#connect().catch((error) => {
      this.#transport = undefined;
      throw error;
    });
  }

  async #connect(): Promise<Transport> {
    const region = this.region;
    const configError = (detail: string, cause?: unknown) =>
      new KubeError(
        `Cannot use the kubeconfig of region "${region}": ${detail}`,
        { region, reason: "Config" },
        cause === undefined ? undefined : { cause },
      );
    const text = await this.#load();
    let kc = new KubeConfig();
    try {
      kc.loadFromString(text);
    } catch (error) {
      // The parser's message may quote the file: keep only its class.
      throw configError(
        `not a valid kubeconfig (${
          error instanceof Error ? error.name : "error"
        })`,
        undefined,
      );
    }
    if (this.#options.context !== undefined) {
      if (!kc.getContextObject(this.#options.context)) {
        throw configError(`context "${this.#options.context}" not found`);
      }
      kc.setCurrentContext(this.#options.context);
    }
    const cluster = kc.getCurrentCluster();
    if (!cluster?.server) throw configError("no current cluster with a server");
    const server = cluster.server.replace(/\/+$/, "");
    if (server.startsWith("http:") && !cluster.skipTLSVerify) {
      kc = allowingPlainHttp(kc);
    } else if (
      server.startsWith("https:") && cluster.skipTLSVerify &&
      !this.#options.allowInsecure
    ) {
      throw configError(
        `insecure-skip-tls-verify is refused: set certificate-authority-data (or certificate-authority) instead, or allow it with regions.${region}.allowInsecureSkipTlsVerify: true`,
      );
    } else if (!server.startsWith("https:") && !server.startsWith("http:")) {
      throw configError(`server "${server}" is not an http(s) URL`);
    }
    async function options(): Promise<
      {
        headers: Record<string, string>;
        ca?: string;
        cert?: string;
        key?: string;
      }
    > {
      const opts: Record<string, unknown> = {};
      try {
        await kc.applyToHTTPSOptions(opts);
      } catch (error) {
        throw configError(
          `cannot apply its credentials (${
            error instanceof Error ? error.name : "error"
          })`,
          undefined,
        );
      }
      const headers: Record<string, string> = {};
      for (
        const [key, value] of Object.entries(
          (opts.headers ?? {}) as Record<string, unknown>,
        )
      ) headers[key] = String(value);
      if (typeof opts.auth === "string") {
        headers.Authorization = `Basic ${btoa(opts.auth)}`;
      }
      const pem = (value: unknown) =>
        value === undefined || value === null ? undefined : String(value);
      const result: {
        headers: Record<string, string>;
        ca?: string;
        cert?: string;
        key?: string;
      } = { headers };
      const ca = pem(opts.ca);
      const cert = pem(opts.cert);
      const key = pem(opts.key);
      if (ca !== undefined) result.ca = ca;
      if (cert !== undefined) result.cert = cert;
      if (key !== undefined) result.key = key;
      return result;
    }
    const first = await options();
    let client: Deno.HttpClient | undefined;
    // Allowed insecure-skip-tls-verify: Deno's fetch cannot skip
    // verification per client, node:https can (adapters/http.ts).
    const insecure = server.startsWith("https:") && cluster.skipTLSVerify
      ? {
        ...(first.cert ? { cert: first.cert } : {}),
        ...(first.key ? { key: first.key } : {}),
      }
      : undefined;
    if (
      !insecure && server.startsWith("https:") && (first.ca || first.cert)
    ) {
      try {
        client = Deno.createHttpClient({
          ...(first.ca ? { caCerts: [first.ca] } : {}),
          ...(first.cert && first.key
            ? { cert: first.cert, key: first.key }
            : {}),
        });
      } catch (error) {
        throw configError(
          `its certificates cannot be used (${
            error instanceof Error ? error.message : "error"
          })`,
          undefined,
        );
      }
    }
    let pending: Record<string, string> | undefined = first.headers;
    return {
      server,
      ...(client ? { client } : {}),
      ...(insecure ? { insecure } : {}),
      async headers() {
        // Computed per request so exec/OIDC/token-file credentials stay fresh.
        if (pending) {
          const headers = pending;
          pending = undefined;
          return headers;
        }
        return (await options()).headers;
      },
    };
  }

  /**
   * GETs a path of the API server and parses the JSON answer; `about` names
   * the object for error messages. Retries transport errors, 5xx and 429.
   */
  async #request(
    path: string,
    about: {
      verb: string;
      gvk?: Gvk;
      resource?: string;
      group?: string;
      namespace?: string | undefined;
      name?: string | undefined;
    },
  ): Promise<Record<string, unknown>> {
    const transport = await this.#transportOnce();
    const region = this.region;
    const target = describeTarget(about);
    return await retry(async (attempt) => {
      const started = performance.now();
      let status: number | undefined;
      let failure: KubeError | undefined;
      const abort = new AbortController();
      const timer = setTimeout(
        () => abort.abort(new DOMException("Timed out", "TimeoutError")),
        this.#options.timeoutMs ?? 30_000,
      );
      try {
        const init: RequestInit & { client?: Deno.HttpClient } = {
          headers: {
            ...(await transport.headers()),
            Accept: "application/json",
          },
          signal: abort.signal,
        };
        if (transport.client) init.client = transport.client;
        const response = transport.insecure
          ? await insecureGet(
            transport.server + path,
            init.headers as Record<string, string>,
            abort.signal,
            transport.insecure,
          )
          : await fetch(transport.server + path, init);
        status = response.status;
        const text = await response.text();
        if (response.ok) {
          try {
            const body = JSON.parse(text) as unknown;
            if (
              body === null || typeof body !== "object" || Array.isArray(body)
            ) {
              throw new SyntaxError("not a JSON object");
            }
            return body as Record<string, unknown>;
          } catch (error) {
            throw new KubeError(
              `Cannot ${target} in region "${region}": the API server's answer is not a JSON object`,
              { region, reason: "Invalid", ...about, status },
              { cause: error },
            );
          }
        }
        failure = statusError(region, response.status, text, about, target);
      } catch (error) {
        if (error instanceof KubeError) throw error;
        const timeout = error instanceof DOMException &&
          (error.name === "TimeoutError" || error.name === "AbortError");
        failure = new KubeError(
          `Cannot ${target} in region "${region}": ${
            timeout
              ? "timed out"
              : `no answer from the API server (${
                error instanceof Error ? error.message : String(error)
              })`
          }`,
          { region, reason: "Transport", ...about },
          { cause: error },
        );
      } finally {
        clearTimeout(timer);
        this.#options.onRequest?.({
          region,
          method: "GET",
          path,
          ...(status === undefined ? {} : { status }),
          durationMs: Math.round(performance.now() - started),
          attempt,
        });
      }
      throw failure;
    }, {
      retries: this.#options.retries ?? 2,
      shouldRetry: (error) => error instanceof KubeError && error.retryable,
      minBackoffMs: this.#options.minBackoffMs ?? 200,
    });
  }

  /**
   * Resolves a GVK through discovery (`/api/v1`, `/apis/<group>/<version>`),
   * cached per client; a kind not found refreshes the cache once (a CRD may
   * have appeared). Throws {@linkcode KubeError} `UnknownKind` when the API
   * server does not serve it.
   */
  async discover(gvk: Gvk): Promise<KubeResource> {
    const groupVersion = apiVersionOf(gvk);
    const find = (resources: KubeResource[]) =>
      resources.find((r) => r.kind === gvk.kind);
    const cached = this.#discovery.get(groupVersion);
    if (cached) {
      const hit = find(await cached);
      if (hit) return hit;
      this.#discovery.delete(groupVersion);
    }
    const loading = this.#loadGroupVersion(gvk);
    this.#discovery.set(groupVersion, loading);
    loading.catch(() => this.#discovery.delete(groupVersion));
    const hit = find(await loading);
    if (hit) return hit;
    throw new KubeError(
      `Cannot resolve ${
        describeGvk(gvk)
      } in region "${this.region}": the API server does not serve this kind`,
      { region: this.region, reason: "UnknownKind", gvk },
    );
  }

  async #loadGroupVersion(gvk: Gvk): Promise<KubeResource[]> {
    const path = gvk.group
      ? `/apis/${encodeURIComponent(gvk.group)}/${
        encodeURIComponent(gvk.version)
      }`
      : `/api/${encodeURIComponent(gvk.version)}`;
    let body: Record<string, unknown>;
    try {
      body = await this.#request(path, { verb: "discover", gvk });
    } catch (error) {
      if (error instanceof KubeError && error.status === 404) return [];
      throw error;
    }
    const resources = Array.isArray(body.resources) ? body.resources : [];
    return resources.flatMap((entry): KubeResource[] => {
      const name = stringAt(entry, "name");
      const kind = stringAt(entry, "kind");
      // Subresources (`pods/status`) share the kind: skip them.
      if (!name || !kind || name.includes("/")) return [];
      const record = entry as Record<string, unknown>;
      return [{
        group: gvk.group,
        version: gvk.version,
        kind,
        resource: name,
        namespaced: record.namespaced === true,
        verbs: Array.isArray(record.verbs) ? record.verbs.map(String) : [],
      }];
    });
  }

  /**
   * Reads one object by GVK, namespace (ignored for cluster-scoped kinds) and
   * name; the answer always has apiVersion/kind. A missing object throws
   * {@linkcode KubeError} with reason `NotFound` and status 404.
   */
  async get(
    gvk: Gvk,
    namespace: string | undefined,
    name: string,
  ): Promise<KubeJsonObject> {
    const resource = await this.discover(gvk);
    if (resource.namespaced && namespace === undefined) {
      throw new TypeError(
        `Cannot get ${
          describeGvk(gvk)
        } "${name}": the kind is namespaced and no namespace was given`,
      );
    }
    const path = `${collectionPath(resource, namespace)}/${
      encodeURIComponent(name)
    }`;
    const object = await this.#request(path, {
      verb: "get",
      gvk,
      resource: resource.resource,
      group: resource.group,
      namespace: resource.namespaced ? namespace : undefined,
      name,
    });
    return withType(object, gvk);
  }

  /** Reads one page of a LIST (see {@linkcode KubeListOptions}). */
  async listPage(
    gvk: Gvk,
    options: KubeListOptions = {},
  ): Promise<KubeListPage> {
    const resource = await this.discover(gvk);
    const namespace = resource.namespaced ? options.namespace : undefined;
    const query = new URLSearchParams();
    if (options.labelSelector) {
      query.set("labelSelector", options.labelSelector);
    }
    if (options.fieldSelector) {
      query.set("fieldSelector", options.fieldSelector);
    }
    if (options.limit !== undefined && options.limit > 0) {
      query.set("limit", String(options.limit));
    }
    if (options.continue) query.set("continue", options.continue);
    const search = query.size > 0 ? `?${query}` : "";
    const body = await this.#request(
      collectionPath(resource, namespace) + search,
      {
        verb: "list",
        gvk,
        resource: resource.resource,
        group: resource.group,
        namespace,
      },
    );
    const items = Array.isArray(body.items) ? body.items : [];
    const metadata = body.metadata ?? {};
    const next = stringAt(metadata, "continue");
    return {
      items: items.filter((item): item is KubeJsonObject =>
        item !== null && typeof item === "object"
      ).map((item) => withType(item, gvk)),
      resourceVersion: stringAt(metadata, "resourceVersion") ?? "",
      ...(next ? { continue: next } : {}),
    };
  }

  /**
   * LISTs every page (page size `limit`, default the client's `pageSize`).
   * When a continue token expires (410) it starts over once from the first
   * page, like client-go's pager.
   */
  async list(
    gvk: Gvk,
    options: KubeListOptions = {},
  ): Promise<KubeJsonObject[]> {
    const limit = options.limit ?? this.#options.pageSize ?? 500;
    for (let restart = 0;; restart++) {
      const items: KubeJsonObject[] = [];
      let token: string | undefined;
      try {
        do {
          const page = await this.listPage(gvk, {
            ...options,
            limit,
            ...(token ? { continue: token } : {}),
          });
          items.push(...page.items);
          token = page.continue;
        } while (token);
        return items;
      } catch (error) {
        if (
          restart === 0 && error instanceof KubeError &&
          error.reason === "Expired"
        ) continue;
        throw error;
      }
    }
  }

  /**
   * Context for rules, one LIST per kind: StorageClasses, Nodes and CRDs of
   * the cluster, ReplicaSets of each namespace given. Pods are not listed:
   * the source (k8splugin's status or {@linkcode readInstances}) already
   * brings every pod of an instance, and a second LIST would double the cost.
   */
  async related(namespaces: string[]): Promise<KubeJsonObject[]> {
    const limit = pLimit(this.#options.concurrency ?? 4);
    const cluster: Gvk[] = [
      { group: "storage.k8s.io", version: "v1", kind: "StorageClass" },
      { group: "", version: "v1", kind: "Node" },
      {
        group: "apiextensions.k8s.io",
        version: "v1",
        kind: "CustomResourceDefinition",
      },
    ];
    const namespaced: Gvk[] = [
      { group: "apps", version: "v1", kind: "ReplicaSet" },
    ];
    const jobs = [
      ...cluster.map((gvk) => limit(() => this.list(gvk))),
      ...[...new Set(namespaces)].flatMap((namespace) =>
        namespaced.map((gvk) => limit(() => this.list(gvk, { namespace })))
      ),
    ];
    return (await settleAll(jobs)).flat();
  }

  /**
   * Reads instances from the cluster: one LIST per (namespace, GVK), per
   * chunk of `idsPerSelector` ids, with `<label> in (id1,id2,…)`. A chart
   * resource the LISTs did not return (its label removed by hand?) is read
   * by name, as k8splugin does; only a 404 (or a kind the server no longer
   * serves) makes it `missing`. Any other failure throws
   * {@linkcode KubeError}: the caller treats every instance as unknown.
   */
  async readInstances(
    instances: Instance[],
  ): Promise<Map<string, KubeInstanceRead>> {
    const label = this.#options.instanceLabel ?? INSTANCE_LABEL;
    const pod: Gvk = { group: "", version: "v1", kind: "Pod" };
    const gvkKey = (gvk: Gvk) => `${gvk.group}/${gvk.version}/${gvk.kind}`;
    // Which kinds the server does not serve (their resources are missing).
    const unknown = new Set<string>();
    const scopes = new Map<string, boolean>();
    for (const instance of instances) {
      for (const { gvk } of [{ gvk: pod }, ...instance.resources]) {
        const key = gvkKey(gvk);
        if (scopes.has(key) || unknown.has(key)) continue;
        try {
          scopes.set(key, (await this.discover(gvk)).namespaced);
        } catch (error) {
          if (error instanceof KubeError && error.reason === "UnknownKind") {
            unknown.add(key);
          } else throw error;
        }
      }
    }
    // One query per (namespace or "" for cluster-scoped, GVK).
    const queries = new Map<
      string,
      { gvk: Gvk; namespace: string | undefined; ids: Set<string> }
    >();
    function want(gvk: Gvk, namespace: string | undefined, id: string): void {
      const key = `${namespace ?? ""}|${gvkKey(gvk)}`;
      let query = queries.get(key);
      if (!query) queries.set(key, query = { gvk, namespace, ids: new Set() });
      query.ids.add(id);
    }
    for (const instance of instances) {
      want(pod, instance.namespace, instance.id);
      for (const { gvk } of instance.resources) {
        const key = gvkKey(gvk);
        if (unknown.has(key) || key === gvkKey(pod)) continue;
        want(
          gvk,
          scopes.get(key) ? instance.namespace : undefined,
          instance.id,
        );
      }
    }
    const limit = pLimit(this.#options.concurrency ?? 4);
    // found: "<namespace>|<gvk>" → id → name → object
    const found = new Map<string, Map<string, Map<string, KubeJsonObject>>>();
    await settleAll(
      [...queries].flatMap(([key, query]) =>
        chunked([...query.ids].sort(), this.#options.idsPerSelector ?? 50).map(
          (ids) =>
            limit(async () => {
              const items = await this.list(query.gvk, {
                ...(query.namespace === undefined
                  ? {}
                  : { namespace: query.namespace }),
                labelSelector: `${label} in (${ids.join(",")})`,
              });
              let byId = found.get(key);
              if (!byId) found.set(key, byId = new Map());
              for (const item of items) {
                const metadata = metadataOf(item);
                const id = stringAt(metadata.labels, label);
                const name = stringAt(metadata, "name");
                if (id === undefined || name === undefined) continue;
                let byName = byId.get(id);
                if (!byName) byId.set(id, byName = new Map());
                byName.set(name, item);
              }
            }),
        )
      ),
    );
    const result = new Map<string, KubeInstanceRead>();
    await settleAll(instances.map(async (instance) => {
      const read: KubeInstanceRead = { resources: [], missing: [] };
      result.set(instance.id, read);
      const podKey = `${instance.namespace}|${gvkKey(pod)}`;
      const pods = found.get(podKey)?.get(instance.id) ?? new Map();
      for (const { gvk, name } of instance.resources) {
        const key = gvkKey(gvk);
        if (unknown.has(key)) {
          read.missing.push({ gvk, name });
          continue;
        }
        if (key === gvkKey(pod)) {
          // A chart Pod is reported once, with the instance's pods (as k8splugin does).
          if (pods.has(name)) continue;
        } else {
          const namespace = scopes.get(key) ? instance.namespace : "";
          const object = found.get(`${namespace}|${key}`)?.get(instance.id)
            ?.get(
              name,
            );
          if (object) {
            read.resources.push({ name, gvk, object });
            continue;
          }
        }
        try {
          const object = await limit(() =>
            this.get(
              gvk,
              scopes.get(key) ? instance.namespace : undefined,
              name,
            )
          );
          read.resources.push({ name, gvk, object });
        } catch (error) {
          if (error instanceof KubeError && error.status === 404) {
            read.missing.push({ gvk, name });
          } else throw error;
        }
      }
      for (
        const [name, object] of [...pods].sort(([a], [b]) =>
          a < b ? -1 : a > b ? 1 : 0
        )
      ) {
        read.resources.push({ name, gvk: pod, object });
      }
    }));
    return result;
  }
}

/** Adds apiVersion/kind (LIST items of built-in kinds have none). */
function withType(object: Record<string, unknown>, gvk: Gvk): KubeJsonObject {
  return { ...object, apiVersion: apiVersionOf(gvk), kind: gvk.kind };
}

/** "list deployments.apps in namespace \"x\"" for messages. */
function describeTarget(about: {
  verb: string;
  gvk?: Gvk;
  resource?: string;
  group?: string;
  namespace?: string | undefined;
  name?: string | undefined;
}): string {
  if (about.verb === "discover") {
    return `discover ${about.gvk ? apiVersionOf(about.gvk) : "the API"}`;
  }
  const what = about.resource !== undefined
    ? qualified(about.resource, about.group ?? "")
    : about.gvk
    ? describeGvk(about.gvk)
    : "resource";
  const name = about.name !== undefined ? ` "${about.name}"` : "";
  const where = about.namespace !== undefined
    ? ` in namespace "${about.namespace}"`
    : "";
  return `${about.verb} ${what}${name}${where}`;
}

/** Maps a non-2xx answer (ideally a Kubernetes `Status`) to a KubeError, without its body. */
function statusError(
  region: string,
  status: number,
  text: string,
  about: {
    verb: string;
    gvk?: Gvk;
    resource?: string;
    group?: string;
    namespace?: string | undefined;
    name?: string | undefined;
  },
  target: string,
): KubeError {
  let reason: string | undefined;
  try {
    const body = JSON.parse(text) as unknown;
    if (stringAt(body, "kind") === "Status") reason = stringAt(body, "reason");
  } catch {
    // Not a Status (a proxy's HTML page…): fall back on the HTTP status.
  }
  reason ||= status === 401
    ? "Unauthorized"
    : status === 403
    ? "Forbidden"
    : status === 404
    ? "NotFound"
    : status === 410
    ? "Expired"
    : status >= 500
    ? "InternalError"
    : "BadRequest";
  const init = {
    region,
    reason,
    status,
    gvk: about.gvk,
    namespace: about.namespace,
    name: about.name,
  };
  if (status === 403 && about.resource !== undefined) {
    const permission: KubePermission = {
      verb: about.verb,
      resource: about.resource,
      group: about.group ?? "",
      ...(about.namespace !== undefined ? { namespace: about.namespace } : {}),
    };
    const scope = permission.namespace !== undefined
      ? `in namespace "${permission.namespace}"`
      : "at the cluster scope";
    return new KubeError(
      `Cannot ${target} in region "${region}": HTTP 403 Forbidden: grant verb "${permission.verb}" on resource "${permission.resource}" in API group "${permission.group}" ${scope} (see deploy/rbac.yaml)`,
      { ...init, permission },
    );
  }
  const detail = status === 401
    ? ": the credentials of the kubeconfig were refused"
    : status === 404 && about.name !== undefined
    ? ": not found"
    : status === 410
    ? ": the continue token expired"
    : "";
  return new KubeError(
    `Cannot ${target} in region "${region}": HTTP ${status} ${reason}${detail}`,
    init,
  );
}

/**
 * Puts resource statuses in the form both sources are compared in: sorted by
 * group, version, kind, namespace and name, each object with its
 * `apiVersion`/`kind` filled from the GVK when absent (k8splugin omits them
 * on pods, and may give a pod an empty GVK, which becomes `v1 Pod`). Use it on
 * k8splugin's `getStatus().resources` and on
 * {@linkcode KubeSource.readInstances}' `resources` before comparing.
 */
export function normalizeResourceStatuses(
  resources: ResourceStatus[],
): ResourceStatus[] {
  const normalized = resources.map(({ name, gvk, object }) => {
    const full: Gvk = gvk.kind === "" && gvk.version === ""
      ? { group: "", version: "v1", kind: "Pod" }
      : gvk;
    return {
      name,
      gvk: full,
      object: {
        ...object,
        apiVersion: typeof object.apiVersion === "string"
          ? object.apiVersion
          : apiVersionOf(full),
        kind: typeof object.kind === "string" ? object.kind : full.kind,
      },
    };
  });
  const key = (r: ResourceStatus) =>
    [
      r.gvk.group,
      r.gvk.version,
      r.gvk.kind,
      stringAt(r.object.metadata, "namespace") ?? "",
      r.name,
    ].join("\u0000");
  return normalized.sort((a, b) =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0
  );
}

/** Where the kubeconfig of one region comes from (config file `kube.regions.<region>`). */
export interface KubeRegionConfig {
  /** Inline kubeconfig YAML. */
  kubeconfig?: string;
  /** Path of a kubeconfig file. */
  kubeconfigPath?: string;
  /** Context to use instead of the kubeconfig's current-context. */
  context?: string;
  /** Honour `insecure-skip-tls-verify` in this region's kubeconfig. */
  allowInsecure?: boolean;
}

/** Options of {@linkcode KubeClients}. */
export interface KubeClientsOptions extends KubeClientOptions {
  /** Per-region kubeconfig; a region with none uses k8splugin's connectivity-info when `k8splugin` is given. */
  regions?: Record<string, KubeRegionConfig>;
  /** Source of connectivity-info kubeconfigs. */
  k8splugin?: Pick<K8spluginClient, "getConnectivityInfo"> | undefined;
}

/**
 * One {@linkcode KubeClient} per cloud region for a run: from the region's
 * configured kubeconfig, else k8splugin's connectivity-info, else none.
 * `get` is synchronous (clients load their kubeconfig on first use), so it
 * fits `SyncDeps.kube`: `kube: (region) => clients.get(region)`.
 */
export class KubeClients {
  #options: KubeClientsOptions;
  #clients = new Map<string, KubeClient>();

  /** Stores the options. */
  constructor(options: KubeClientsOptions) {
    this.#options = options;
  }

  /** The client of a region, or undefined when nothing says how to reach its cluster. */
  get(region: string): KubeClient | undefined {
    const existing = this.#clients.get(region);
    if (existing) return existing;
    const { regions, k8splugin, ...clientOptions } = this.#options;
    const config = regions?.[region];
    const options: KubeClientOptions = {
      ...clientOptions,
      ...(config?.context !== undefined ? { context: config.context } : {}),
      ...(config?.allowInsecure ? { allowInsecure: true } : {}),
    };
    let client: KubeClient | undefined;
    if (config?.kubeconfig !== undefined) {
      client = KubeClient.fromKubeconfig(region, config.kubeconfig, options);
    } else if (config?.kubeconfigPath !== undefined) {
      client = KubeClient.fromKubeconfigFile(
        region,
        config.kubeconfigPath,
        options,
      );
    } else if (k8splugin) {
      client = KubeClient.fromConnectivityInfo(region, k8splugin, options);
    }
    if (client) this.#clients.set(region, client);
    return client;
  }

  /** Closes every client handed out. */
  async close(): Promise<void> {
    const clients = [...this.#clients.values()];
    this.#clients.clear();
    await Promise.all(clients.map((client) => client.close()));
  }

  /** Same as {@linkcode close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
