/**
 * Kubernetes API simulator: a kube-apiserver on loopback, serving
 * the objects of a scenario step (the same files as the k8splugin sim) plus
 * any extra cluster objects (StorageClasses, Nodes, CRDs, …).
 *
 * It serves `/version`, discovery (`/api`, `/api/v1`, `/apis`,
 * `/apis/<group>`, `/apis/<group>/<version>`), GET and LIST of namespaced and
 * cluster-scoped resources (all namespaces too) with label selectors
 * (`=`, `==`, `!=`, `in`, `notin`, `key`, `!key`, `>`/`<`), field selectors
 * (`metadata.name`, `metadata.namespace`, and a few pod fields),
 * `limit`/`continue` pagination with opaque tokens that expire (410) once
 * {@linkcode KubeSimState.compact} is called or too many changes happened,
 * `resourceVersion` on every list, Kubernetes `Status` errors (401, 403, 404,
 * 405, 410, 400), bearer-token authentication, an RBAC knob
 * ({@linkcode KubeSimState.forbidden}), fault injection and HTTPS. The
 * unmodified `@kubernetes/client-node` (its `KubernetesObjectApi` included) and
 * `kubectl` (`get`, `-l`, `-A`, `-o json`, `api-resources`) work against it.
 *
 * Watches (`?watch=1`, see `kube_watch.ts`) follow the step changes, with
 * BOOKMARKs, ERROR 410 for a too-old resourceVersion and drops on request,
 * so `makeInformer`/`ListWatch` work; `coordination.k8s.io/v1` Leases (see
 * `kube_leases.ts`) are writable, with 409 on a stale resourceVersion. The
 * scenario's objects are otherwise read-only. The step advances on
 * `state.advance()`, `POST /_sim/advance` or a timer (`advanceEveryMs`), and
 * each change is recorded with its time (`state.changes`, `GET
 * /_sim/changes`); `POST /_sim/drop-watches[?graceful=true]`, `/_sim/compact`
 * and `/_sim/bookmark` drive the watches from another process.
 *
 * What it serves at a step: every object of every instance of
 * `scenario.steps[state.step]` (the scenario parser already added the label
 * `k8splugin.io/rb-instance-id` and the instance namespace), minus each
 * instance's `missing` resources, plus `extraObjects`; Namespaces are
 * synthesised for every namespace in use. LIST items of built-in kinds carry
 * no `apiVersion`/`kind`, like a real API server (custom resources keep
 * theirs); GET answers always carry them. Kinds are resolved through a
 * built-in table of common resources, the CRD objects served, and, for any
 * other kind found in the objects, a naive plural (`Widget` → `widgets`).
 *
 * Permissions: `--allow-net`; `tls: true` also needs `--allow-run` (openssl),
 * `--allow-write` and `--allow-read` (a temporary folder).
 *
 * @module
 */
import { type Faults, quietServerError, withFaults } from "./faults.ts";
import { DEMO_SCENARIO_URL, loadScenario, type Scenario } from "./scenario.ts";
import {
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  type Requirement,
  SelectorError,
} from "./_kube_selectors.ts";
import { qualifiedName, statusResponse } from "./_kube_status.ts";
import { tableOf, wantsTable } from "./_kube_table.ts";
import { discovery } from "./_kube_discovery.ts";
import {
  buildSnapshot,
  decodeContinue,
  encodeContinue,
  EXPIRED_MESSAGE,
  objectsOfStep,
  type Snapshot,
  SNAPSHOTS_KEPT,
} from "./_kube_store.ts";
import { generateTestCertificates, type KubeSimTls } from "./kube_tls.ts";
import { WatchHub, type WatchSpec } from "./kube_watch.ts";
import { LeaseStore } from "./kube_leases.ts";

export { LeaseStore, type SimLease } from "./kube_leases.ts";

export { generateTestCertificates, type KubeSimTls };

/** A Kubernetes object as served: apiVersion, kind and metadata.name at least. */
export type KubeSimObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown> & { name: string; namespace?: string };
};

/** One entry of a discovery `APIResourceList`. */
export interface KubeSimResource {
  /** API group (`""` for core). */
  group: string;
  /** API version. */
  version: string;
  /** Plural resource name, e.g. `deployments`. */
  name: string;
  /** Singular name, e.g. `deployment`. */
  singularName: string;
  /** Kind, e.g. `Deployment`. */
  kind: string;
  /** True for namespaced kinds. */
  namespaced: boolean;
  /** Verbs advertised (`get`, `list`). */
  verbs: string[];
  /** kubectl short names, e.g. `deploy`. */
  shortNames?: string[];
  /** Built-in kinds omit apiVersion/kind in LIST items; custom resources keep them. */
  builtin: boolean;
}

/** Counters of what the simulator answered, for tests and benchmarks. */
export interface KubeSimRequests {
  /** Every request received (faulty ones included). */
  total: number;
  /** `GET`s of single objects. */
  get: number;
  /** LIST pages. */
  list: number;
  /** `/version`, `/api…`, `/apis…` discovery documents. */
  discovery: number;
  /** Per `"<VERB> <resource>[.<group>]"`, e.g. `"list pods"`, `"get deployments.apps"`. */
  byResource: Record<string, number>;
}

/** The mutable state of a running Kubernetes API simulator. */
export interface KubeSimState {
  /** Index of the scenario step served. */
  step: number;
  /** Serves step `n` (a RangeError when out of range); bumps the resourceVersion. */
  setStep(n: number): void;
  /** Serves the next step (stays on the last one). */
  advance(): void;
  /** Every change of the served objects (the starting step included), with when it was applied, for freshness measurements. */
  changes: { step: number; resourceVersion: number; at: number }[];
  /** How many watches are open. */
  readonly watches: number;
  /** Ends every open watch: abruptly (a dropped connection) or `graceful` (the server's timeout). */
  dropWatches(options?: { graceful?: boolean }): void;
  /** Sends a BOOKMARK on every watch that allows them, now. */
  bookmark(): void;
  /** The `coordination.k8s.io/v1` Leases. */
  readonly leases: LeaseStore;
  /** Objects served besides the scenario's (StorageClasses, Nodes, CRDs, …). */
  extraObjects: KubeSimObject[];
  /** Replaces {@linkcode extraObjects}; bumps the resourceVersion. */
  setExtraObjects(objects: KubeSimObject[]): void;
  /**
   * RBAC knob: each entry forbids a resource, kubectl-style
   * `"<resource>[.<group>]"` (`"nodes"`, `"deployments.apps"`), optionally
   * prefixed by one verb (`"list pods"`), optionally suffixed by
   * `" in <namespace>"` (`"list pods in testns2"`).
   */
  forbidden: Set<string>;
  /**
   * RBAC allow-list, same syntax as {@linkcode forbidden}: when set, only the
   * requests some entry matches are allowed (e.g. built from a ClusterRole).
   */
  allowed: Set<string> | undefined;
  /** Faults injected (sim/faults.ts), read on every request. */
  faults: Faults | undefined;
  /** The current resourceVersion of the store (a decimal string on the wire). */
  readonly resourceVersion: number;
  /** Forgets old snapshots: continue tokens issued before now answer 410 Expired. */
  compact(): void;
  /** The objects served right now (complete, apiVersion/kind included). */
  objects(): KubeSimObject[];
  /** Request counters. */
  requests: KubeSimRequests;
  /** Zeroes {@linkcode requests}. */
  resetRequests(): void;
}

/** Options of {@linkcode startKube}. */
export interface StartKubeOptions {
  /**
   * Hears about errors of the server (a handler that threw, a response body
   * that broke, as injected resets do); by default they are answered with a
   * quiet 500 and not printed.
   */
  onError?: ((error: unknown) => void) | undefined;
  /** Port to listen on (127.0.0.1); 0 or undefined picks a free one. */
  port?: number;
  /** A parsed scenario or a path/URL to one (default: the demo scenario); `null` serves only `extraObjects`. */
  scenario?: Scenario | string | URL | null;
  /** Step served first (default 0). */
  step?: number;
  /** Advance one step every so many ms until the last one (each change recorded in `state.changes`). */
  advanceEveryMs?: number;
  /** How often watches get a BOOKMARK (default 60000, about kube-apiserver's). */
  bookmarkIntervalMs?: number;
  /** Cluster objects served at every step (StorageClasses, Nodes, CRDs, …). */
  extraObjects?: KubeSimObject[];
  /** Faults to inject (sim/faults.ts). */
  faults?: Faults;
  /** HTTPS: `true` generates a CA and a server certificate (needs openssl), or give the PEMs. */
  tls?: boolean | KubeSimTls;
  /** When set, every request needs `Authorization: Bearer <token>` (else 401). */
  token?: string;
  /** User named in 403 messages (default `system:serviceaccount:onap-k8s-aai-sync:k8s-aai-sync`, deploy/rbac.yaml's, or `system:anonymous` without a token). */
  user?: string;
  /** Reported by `/version` as `gitVersion` (default `v1.31.4`). */
  version?: string;
}

/** A running Kubernetes API simulator. */
export interface KubeSim {
  /** Base URL, e.g. `https://127.0.0.1:40123`. */
  url: string;
  /** The CA certificate (PEM) to trust when serving HTTPS. */
  caCert?: string;
  /** The mutable state (step, extra objects, RBAC, faults, counters). */
  state: KubeSimState;
  /** Stops the server. */
  close(): Promise<void>;
  /** Same as {@linkcode close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

// ---------------------------------------------------------------------------
// The server

/**
 * Starts the Kubernetes API simulator on 127.0.0.1.
 *
 * @example
 * ```ts ignore
 * await using kube = await startKube({ scenario: DEMO_SCENARIO_URL, token: "t" });
 * kube.state.setStep(2);
 * ```
 */
export async function startKube(
  options: StartKubeOptions = {},
): Promise<KubeSim> {
  const source = options.scenario === undefined
    ? DEMO_SCENARIO_URL
    : options.scenario;
  const scenario = source === null
    ? undefined
    : typeof source === "string" || source instanceof URL
    ? await loadScenario(source)
    : source;
  const lastStep = Math.max(0, (scenario?.steps.length ?? 1) - 1);
  const tls = options.tls === true
    ? await generateTestCertificates()
    : options.tls || undefined;
  const user = options.user ??
    (options.token === undefined
      ? "system:anonymous"
      : "system:serviceaccount:onap-k8s-aai-sync:k8s-aai-sync");
  const gitVersion = options.version ?? "v1.31.4";

  function checkStep(n: number): number {
    if (!Number.isInteger(n) || n < 0 || n > lastStep) {
      throw new RangeError(
        `Cannot serve step ${n}: the scenario has steps 0 to ${lastStep}`,
      );
    }
    return n;
  }
  let step = checkStep(options.step ?? 0);
  let extraObjects = [...(options.extraObjects ?? [])];
  let resourceVersion = 1000;
  const snapshots = new Map<number, Snapshot>();

  function current(): Snapshot {
    let snapshot = snapshots.get(resourceVersion);
    if (!snapshot) {
      snapshot = buildSnapshot(
        [...objectsOfStep(scenario, step), ...extraObjects],
        resourceVersion,
      );
      snapshots.set(resourceVersion, snapshot);
      while (snapshots.size > SNAPSHOTS_KEPT) {
        snapshots.delete(snapshots.keys().next().value!);
      }
    }
    return snapshot;
  }

  function emptyRequests(): KubeSimRequests {
    return { total: 0, get: 0, list: 0, discovery: 0, byResource: {} };
  }

  const state: KubeSimState = {
    get step() {
      return step;
    },
    set step(n: number) {
      state.setStep(n);
    },
    setStep(n: number) {
      step = checkStep(n);
      changed();
    },
    advance() {
      if (step < lastStep) state.setStep(step + 1);
    },
    changes: [],
    get watches() {
      return watches.size;
    },
    dropWatches(dropOptions) {
      watches.drop(dropOptions);
    },
    bookmark() {
      watches.bookmark();
    },
    leases: new LeaseStore(),
    get extraObjects() {
      return extraObjects;
    },
    set extraObjects(objects: KubeSimObject[]) {
      state.setExtraObjects(objects);
    },
    setExtraObjects(objects: KubeSimObject[]) {
      extraObjects = [...objects];
      changed();
    },
    forbidden: new Set<string>(),
    allowed: undefined,
    faults: options.faults,
    get resourceVersion() {
      return resourceVersion;
    },
    compact() {
      const keep = current();
      snapshots.clear();
      snapshots.set(keep.resourceVersion, keep);
    },
    objects() {
      return [...current().byResource.values()].flatMap((bucket) =>
        bucket.map((entry) => entry.object)
      );
    },
    requests: emptyRequests(),
    resetRequests() {
      state.requests = emptyRequests();
    },
  };

  const watches = new WatchHub(options.bookmarkIntervalMs);
  /** The served objects changed: a new resourceVersion, recorded; open watches get their events. */
  function changed(): void {
    resourceVersion++;
    state.changes.push({
      step,
      resourceVersion,
      at: performance.timeOrigin + performance.now(),
    });
    if (watches.size > 0) watches.changed(current(), resourceVersion);
  }
  state.changes.push({
    step,
    resourceVersion,
    at: performance.timeOrigin + performance.now(),
  });
  const autoAdvance = options.advanceEveryMs === undefined
    ? undefined
    : setInterval(() => {
      if (step < lastStep) state.advance();
    }, options.advanceEveryMs);
  const indexes = new WeakMap<
    Snapshot,
    Map<string, Map<string, KubeSimObject>>
  >();
  /** The objects of one resource in a snapshot, by `namespace/name`. */
  function objectsAt(
    snapshot: Snapshot,
    bucketKey: string,
  ): Map<string, KubeSimObject> {
    let bySnapshot = indexes.get(snapshot);
    if (!bySnapshot) indexes.set(snapshot, bySnapshot = new Map());
    let index = bySnapshot.get(bucketKey);
    if (!index) {
      index = new Map(
        (snapshot.byResource.get(bucketKey) ?? []).map((
          e,
        ) => [e.key, e.object]),
      );
      bySnapshot.set(bucketKey, index);
    }
    return index;
  }

  function count(verb: string, resource: KubeSimResource): void {
    const key = `${verb} ${qualifiedName(resource)}`;
    state.requests.byResource[key] = (state.requests.byResource[key] ?? 0) + 1;
    if (verb === "get") state.requests.get++;
    else if (verb === "list") state.requests.list++;
  }

  function isForbidden(
    verb: string,
    resource: KubeSimResource,
    namespace: string | undefined,
  ): boolean {
    const name = qualifiedName(resource);
    const candidates = [name, `${verb} ${name}`];
    if (namespace) {
      candidates.push(
        `${name} in ${namespace}`,
        `${verb} ${name} in ${namespace}`,
      );
    }
    return candidates.some((c) => state.forbidden.has(c)) ||
      (state.allowed !== undefined &&
        !candidates.some((c) => state.allowed!.has(c)));
  }

  function forbiddenResponse(
    verb: string,
    resource: KubeSimResource,
    namespace: string | undefined,
    name: string | undefined,
  ): Response {
    const subject = name === undefined
      ? qualifiedName(resource)
      : `${qualifiedName(resource)} "${name}"`;
    const scope = namespace === undefined
      ? "at the cluster scope"
      : `in the namespace "${namespace}"`;
    return statusResponse(
      403,
      "Forbidden",
      `${subject} is forbidden: User "${user}" cannot ${verb} resource "${resource.name}" in API group "${resource.group}" ${scope}`,
      {
        ...(name === undefined ? {} : { name }),
        ...(resource.group ? { group: resource.group } : {}),
        kind: resource.name,
      },
    );
  }

  function notFound(resource: KubeSimResource, name: string): Response {
    return statusResponse(
      404,
      "NotFound",
      `${qualifiedName(resource)} "${name}" not found`,
      {
        name,
        ...(resource.group ? { group: resource.group } : {}),
        kind: resource.name,
      },
    );
  }

  const pageNotFound = () =>
    statusResponse(
      404,
      "NotFound",
      "the server could not find the requested resource",
      {},
    );

  /** Adds apiVersion/kind to an object (GET answers, custom resources in lists). */
  function withType(
    object: KubeSimObject,
    resource: KubeSimResource,
  ): KubeSimObject {
    return {
      ...object,
      apiVersion: resource.group
        ? `${resource.group}/${resource.version}`
        : resource.version,
      kind: resource.kind,
    };
  }

  /** LIST items of built-in kinds carry no apiVersion/kind, like a real API server. */
  function asListItem(
    object: KubeSimObject,
    resource: KubeSimResource,
  ): Record<string, unknown> {
    if (!resource.builtin) return withType(object, resource);
    const { apiVersion: _apiVersion, kind: _kind, ...rest } = object;
    return rest;
  }

  function list(
    request: Request,
    url: URL,
    resource: KubeSimResource,
    namespace: string | undefined,
  ): Response {
    const params = url.searchParams;
    const watching = params.get("watch") === "true" ||
      params.get("watch") === "1";
    let labels: Requirement[];
    let fields: (object: KubeSimObject) => boolean;
    try {
      labels = parseLabelSelector(params.get("labelSelector") ?? "");
      fields = parseFieldSelector(
        params.get("fieldSelector") ?? "",
        resource.kind,
      );
    } catch (error) {
      if (error instanceof SelectorError) {
        return statusResponse(400, "BadRequest", error.message);
      }
      throw error;
    }
    if (watching) {
      return watch(params, resource, namespace, labels, fields);
    }
    const limitText = params.get("limit");
    const limit = limitText === null ? 0 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 0) {
      return statusResponse(400, "BadRequest", `invalid limit: ${limitText}`);
    }
    const continueText = params.get("continue");
    let snapshot = current();
    let start = "";
    if (continueText) {
      const token = decodeContinue(continueText);
      if (!token) {
        return statusResponse(
          400,
          "BadRequest",
          "invalid continue token: continue key is not valid: illegal base64 data at input byte 0",
        );
      }
      const old = snapshots.get(token.rv);
      if (!old) return statusResponse(410, "Expired", EXPIRED_MESSAGE);
      snapshot = old;
      start = token.start;
    }
    const bucket =
      snapshot.byResource.get(`${resource.group}/${resource.name}`) ??
        [];
    const prefix = namespace === undefined ? "" : `${namespace}/`;
    const items: Record<string, unknown>[] = [];
    const matched: KubeSimObject[] = [];
    let last = "";
    let remaining = 0;
    for (const entry of bucket) {
      if (start && entry.key <= start) continue;
      if (prefix && !entry.key.startsWith(prefix)) continue;
      const object = entry.object;
      const objectLabels = (object.metadata.labels ?? {}) as Record<
        string,
        string
      >;
      if (!matchesLabels(labels, objectLabels) || !fields(object)) continue;
      if (limit > 0 && items.length >= limit) {
        remaining++;
        continue;
      }
      items.push(asListItem(object, resource));
      matched.push(withType(object, resource));
      last = entry.key;
    }
    const metadata: Record<string, unknown> = {
      resourceVersion: String(snapshot.resourceVersion),
    };
    if (remaining > 0) {
      metadata.continue = encodeContinue(snapshot.resourceVersion, last);
      metadata.remainingItemCount = remaining;
    }
    if (wantsTable(request)) {
      return Response.json(
        tableOf(matched, metadata, params.get("includeObject")),
      );
    }
    return Response.json({
      kind: `${resource.kind}List`,
      apiVersion: resource.group
        ? `${resource.group}/${resource.version}`
        : resource.version,
      metadata,
      items,
    });
  }

  /** `?watch=1` on a list URL. */
  function watch(
    params: URLSearchParams,
    resource: KubeSimResource,
    namespace: string | undefined,
    labels: Requirement[],
    fields: (object: KubeSimObject) => boolean,
  ): Response {
    const bucketKey = `${resource.group}/${resource.name}`;
    const timeout = params.get("timeoutSeconds");
    const spec: WatchSpec = {
      kind: resource.kind,
      apiVersion: resource.group
        ? `${resource.group}/${resource.version}`
        : resource.version,
      objectsAt: (snapshot) => objectsAt(snapshot as Snapshot, bucketKey),
      matches: (object) =>
        (namespace === undefined ||
          object.metadata.namespace === namespace) &&
        matchesLabels(
          labels,
          (object.metadata.labels ?? {}) as Record<string, string>,
        ) && fields(object as KubeSimObject),
      render: (object) => withType(object as KubeSimObject, resource),
      bookmarks: params.get("allowWatchBookmarks") === "true",
      timeoutSeconds: timeout === null ? undefined : Number(timeout),
    };
    const requested = params.get("resourceVersion") ?? "";
    if (requested === "" || requested === "0") {
      return watches.open(spec, current(), resourceVersion, true);
    }
    const n = Number(requested);
    if (!Number.isInteger(n) || n < 0) {
      return statusResponse(
        400,
        "BadRequest",
        `invalid resource version: ${requested}`,
      );
    }
    const snapshot = snapshots.get(n) ??
      (n >= resourceVersion ? current() : undefined);
    if (!snapshot) {
      const oldest = Math.min(...snapshots.keys(), resourceVersion);
      return watches.expired(requested, oldest);
    }
    const response = watches.open(
      spec,
      snapshot,
      Math.min(n, resourceVersion),
      false,
    );
    // Catch up from N to now.
    watches.changed(current(), resourceVersion);
    return response;
  }

  function get(
    request: Request,
    url: URL,
    resource: KubeSimResource,
    namespace: string | undefined,
    name: string,
  ): Response {
    const bucket =
      current().byResource.get(`${resource.group}/${resource.name}`) ??
        [];
    const key = `${namespace ?? ""}/${name}`;
    const entry = bucket.find((e) => e.key === key);
    if (!entry) return notFound(resource, name);
    const object = withType(entry.object, resource);
    if (wantsTable(request)) {
      return Response.json(
        tableOf(
          [object],
          { resourceVersion: String(resourceVersion) },
          url.searchParams.get("includeObject"),
        ),
      );
    }
    return Response.json(object);
  }

  function handle(request: Request): Response | Promise<Response> {
    state.requests.total++;
    const url = new URL(request.url);
    if (url.pathname === "/_sim/advance" && request.method === "POST") {
      state.advance();
      return Response.json(state.changes.at(-1));
    }
    if (url.pathname === "/_sim/changes") return Response.json(state.changes);
    if (request.method === "POST" && url.pathname === "/_sim/drop-watches") {
      state.dropWatches({
        graceful: url.searchParams.get("graceful") === "true",
      });
      return new Response(null, { status: 204 });
    }
    if (request.method === "POST" && url.pathname === "/_sim/compact") {
      state.compact();
      return new Response(null, { status: 204 });
    }
    if (request.method === "POST" && url.pathname === "/_sim/bookmark") {
      state.bookmark();
      return new Response(null, { status: 204 });
    }
    if (options.token !== undefined) {
      const auth = request.headers.get("authorization") ?? "";
      if (auth !== `Bearer ${options.token}`) {
        return statusResponse(401, "Unauthorized", "Unauthorized");
      }
    }
    if (
      request.method !== "GET" && request.method !== "HEAD" &&
      !/^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/[^/]+\/leases(\/[^/]+)?\/?$/
        .test(url.pathname)
    ) {
      return statusResponse(
        405,
        "MethodNotAllowed",
        `the server does not allow this method on the requested resource`,
      );
    }
    const snapshot = current();
    const document = discovery(url, snapshot, gitVersion);
    if (document) {
      state.requests.discovery++;
      return document;
    }
    const match = /^\/api\/(v1)\/(.+)$|^\/apis\/([^/]+)\/([^/]+)\/(.+)$/.exec(
      url.pathname.replace(/\/+$/, ""),
    );
    if (!match) return pageNotFound();
    const group = match[3] ?? "";
    const version = match[1] ?? match[4]!;
    const segments = (match[2] ?? match[5]!).split("/").map(decodeURIComponent);
    let namespace: string | undefined;
    let resourceName: string;
    let name: string | undefined;
    if (segments[0] === "namespaces" && segments.length >= 3) {
      namespace = segments[1];
      resourceName = segments[2]!;
      name = segments[3];
      if (segments.length > 4) return pageNotFound();
    } else {
      resourceName = segments[0]!;
      name = segments[1];
      if (segments.length > 2) return pageNotFound();
    }
    const resource = snapshot.resources.find((r) =>
      r.group === group && r.version === version && r.name === resourceName
    );
    if (!resource) return pageNotFound();
    if (namespace !== undefined && !resource.namespaced) return pageNotFound();
    if (name !== undefined && resource.namespaced && namespace === undefined) {
      return pageNotFound();
    }
    const watching = name === undefined &&
      ["true", "1"].includes(url.searchParams.get("watch") ?? "");
    const verb = ({
      POST: "create",
      PUT: "update",
      PATCH: "patch",
      DELETE: "delete",
    } as Record<string, string>)[request.method] ??
      (watching ? "watch" : name === undefined ? "list" : "get");
    count(verb, resource);
    if (isForbidden(verb, resource, namespace)) {
      return forbiddenResponse(verb, resource, namespace, name);
    }
    if (
      resource.group === "coordination.k8s.io" && resource.name === "leases" &&
      !watching
    ) {
      return state.leases.handle(request, namespace, name);
    }
    return name === undefined
      ? list(request, url, resource, namespace)
      : get(request, url, resource, namespace, name);
  }

  const handler = withFaults(handle, () => state.faults);
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
    onListen() {},
    onError: quietServerError(options.onError),
    ...(tls ? { cert: tls.cert, key: tls.key } : {}),
  }, handler);
  const url = `${tls ? "https" : "http"}://127.0.0.1:${server.addr.port}`;
  let closed: Promise<void> | undefined;
  function close(): Promise<void> {
    clearInterval(autoAdvance);
    watches.close();
    return closed ??= server.shutdown();
  }
  return {
    url,
    ...(tls?.caCert ? { caCert: tls.caCert } : {}),
    state,
    close,
    [Symbol.asyncDispose]: close,
  };
}
