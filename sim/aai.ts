/**
 * A&AI simulator: serves the part of aai-resources that k8s-aai-sync touches
 * (cloud-region, tenant, k8s-resource, generic-vnf, vf-module, their
 * relationships, the nodes query and the bulk APIs) over real HTTP
 * on loopback, with aai-resources' rules rather than the leniency of ONAP's
 * own simulators (issue #3, reference/aai.md §1):
 *
 * - PUT create → 201, replace → 200; 412 ERR.5.4.6130 (no rv on an existing
 *   object), 6131 (rv mismatch, PUT and DELETE), 6135 (rv on create);
 * - PUT is a full replace (absent scalars removed; an absent
 *   `relationship-list` leaves edges, a present one replaces them); unknown
 *   keys dropped; missing required property → 400; URI/payload key mismatch
 *   → 400; the parent must exist;
 * - merge-PATCH (RFC 7386) without rv check, 404 when missing;
 * - DELETE needs `?resource-version=` (412 otherwise); a tenant that still has
 *   k8s-resources cannot be deleted (400 ERR.5.4.6110);
 * - relationship PUT/DELETE with the real labels and multiplicity (a second
 *   vf-module `Uses` edge onto one k8s-resource → 400 ERR.5.4.6140), visible
 *   from both ends with `relationship-data` / `related-to-property` like a
 *   real GET; every write, edge writes and no-op writes included, bumps the
 *   resource-version (OOM's notification depth "all");
 * - 404 ERR.5.4.6114 bodies, for empty collections too; 400 AAI_4009/4010 for
 *   missing X-FromAppId / X-TransactionId; 400 AAI_3016 for an unknown API
 *   version; success bodies in XML unless `Accept` asks for JSON, error
 *   bodies always in JSON (ErrorLogHelper); optional basic auth (403);
 * - `ValidateEncoding`: a path segment, query key or query value that is not
 *   in Spring `UriUtils.encode` form → 400 AAI_3008;
 * - GET `depth`, `nodes-only`, `skip-related-to`, property filters,
 *   `resultIndex`/`resultSize`, `format=count|pathed|resource_and_url`;
 * - `POST /aai/{v}/bulk/single-transaction` with the 30-operation limit
 *   (400 ERR.5.4.6147), all-or-nothing rollback and the failure body of the
 *   first failing operation;
 * - the legacy `PUT /aai/{v}/bulkprocess` and `bulkadd` (what SO's CNF
 *   adapter uses): always 201 with each operation's status, each transaction
 *   object committed or rolled back on its own, one action kind per object;
 * - request counters by method, route and client (`X-FromAppId`), a log of
 *   recent requests with their time, and the stored objects as they are.
 *
 * Deliberate simplifications (not needed by the tool): nested child
 * containers in a PUT body are ignored, relationships in a PATCH body are
 * ignored, request bodies must be JSON (XML bodies get 415), and only the
 * edge rules of k8s-resource are modelled (any other cousin pair → 400
 * ERR.5.4.6120).
 *
 * Everything is indexed in maps, so a store of tens of thousands of objects
 * answers each request without scanning (collection GETs walk only their own
 * members).
 *
 * @module
 */
import { AaiObjectStore } from "./_aai_store.ts";
import { Engine, type Reply } from "./_aai_engine.ts";
import { errorReply, SimError } from "./_aai_errors.ts";
import {
  decodePath,
  encodeSegments,
  type ParsedPath,
  parseObjectPath,
  parseSegments,
  validateEncoding,
} from "./_aai_paths.ts";
import { pluralOf } from "./_aai_schema.ts";
import { toXml } from "./_aai_xml.ts";
import { getReply, nodesReply, writeReply } from "./_aai_routes.ts";
import { type BulkContext, bulkReply, legacyBulkReply } from "./_aai_bulk.ts";
export { AaiObjectStore };
export { springEncode } from "./_aai_paths.ts";
import {
  type Faults,
  type InjectedLatency,
  quietServerError,
  resetInjectedLatency,
  withFaults,
} from "./faults.ts";

/** An A&AI object as stored by the simulator (no `relationship-list`). */
export type SimAaiObject = Record<string, unknown>;

/** What the simulator starts with: a scenario file's `aai` block. */
export interface AaiSimSeed {
  /** Cloud regions with their tenants. */
  cloudRegions?:
    | {
      cloudOwner: string;
      cloudRegionId: string;
      tenants?:
        | { tenantId: string; tenantName?: string | undefined }[]
        | undefined;
    }[]
    | undefined;
  /** Generic-vnfs with one vf-module each whose heat-stack-id is a k8splugin instance id. */
  vfModules?:
    | {
      vnfId: string;
      vfModuleId: string;
      heatStackId: string;
      vnfName?: string | undefined;
      vfModuleName?: string | undefined;
      /**
       * The VNF's placement: the generic-vnf gets `BelongsTo` this tenant
       * and `LocatedIn` its cloud region (both must be seeded).
       */
      placement?:
        | { cloudOwner: string; cloudRegionId: string; tenantId: string }
        | undefined;
    }[]
    | undefined;
}

/** Options of {@linkcode startAai}. */
export interface AaiSimOptions {
  /**
   * Hears about errors of the server (a handler that threw, a response body
   * that broke, as injected resets do); by default they are answered with a
   * quiet 500 and not printed.
   */
  onError?: ((error: unknown) => void) | undefined;
  /** TCP port on 127.0.0.1; 0 or absent picks a free one. */
  port?: number | undefined;
  /** Objects to create before serving. */
  seed?: AaiSimSeed | undefined;
  /** Faults to inject (mutable later through `state.faults`). */
  faults?: Faults | undefined;
  /** Versions served (default v11…v32); `latest` is always accepted. */
  apiVersions?: string[] | undefined;
  /**
   * Check basic auth (aai-resources' `one-way-ssl` profile): `true` accepts
   * AAI/AAI, or give the accepted user. Default off, as in OOM.
   */
  requireAuth?: boolean | { username: string; password: string };
  /** Operations allowed per bulk request (default 30, OOM's `bulk.limit`). */
  bulkLimit?: number;
  /** How many recent requests `state.requests` keeps (default 1000). */
  requestLogLimit?: number;
}

/** Request counters, for tests and the benchmark. */
export interface AaiRequestCounts {
  /** Requests per HTTP method (bulk counts once as POST). */
  byMethod: {
    GET: number;
    PUT: number;
    PATCH: number;
    DELETE: number;
    POST: number;
  };
  /** Keyed `"<METHOD> <route>"`, e.g. `"PUT k8s-resource"`, `"GET nodes/vf-modules"`. */
  byRoute: Record<string, number>;
  /** All requests, faulted ones included. */
  total: number;
  /** Operations carried inside bulk requests. */
  bulkOperations: number;
  /**
   * The same, per client: keyed by X-FromAppId (or its accepted
   * alternatives; `""` when absent), so a test can tell one writer's
   * requests from another's (this tool's from SO's CNF adapter's).
   */
  byClient: Record<string, AaiClientCounts>;
}

/** Request counters of one client (one X-FromAppId). */
export interface AaiClientCounts {
  /** All its requests. */
  total: number;
  /** Keyed `"<METHOD> <route>"` like {@linkcode AaiRequestCounts.byRoute}. */
  byRoute: Record<string, number>;
  /** Operations it sent inside bulk requests. */
  bulkOperations: number;
}

/** One request as the simulator saw it (recent ones are kept in `state.requests`). */
export interface AaiRequestRecord {
  /** HTTP method as sent. */
  method: string;
  /** Path and query as received. */
  url: string;
  /** Route name as in `counts.byRoute` (without the method). */
  route: string;
  /** Status answered. */
  status: number;
  /** X-TransactionId (or an accepted alternative), null when absent. */
  transactionId: string | null;
  /** X-FromAppId (or an accepted alternative), null when absent. */
  fromAppId: string | null;
  /** The Accept header, null when absent. */
  accept: string | null;
  /** The Content-Type header, null when absent. */
  contentType: string | null;
  /** Whether an Authorization header was sent (its value is never kept). */
  authorization: boolean;
  /** When the answer was ready (epoch ms, sub-millisecond), e.g. for change → write delays. */
  at: number;
}

/** The mutable state of a running A&AI simulator. */
export interface AaiSimState {
  /**
   * Stored objects by canonical path (as `aaiPath()` builds it, without
   * `/aai/{v}`): properties only, edges live in `relationshipsOf()`. Tests may
   * `set`, `delete` (which cascades to children and edges) or edit entries in
   * place to simulate someone else's writes.
   */
  objects: AaiObjectStore;
  /** Request counters. */
  counts: AaiRequestCounts;
  /** Resets `counts` (and `requests`, `injectedLatency`) to zero. */
  resetCounts(): void;
  /** Latency injected by `faults.latencyMs`, as actually waited. */
  injectedLatency: InjectedLatency;
  /** The most recent requests, oldest first. */
  requests: AaiRequestRecord[];
  /** Faults to inject; change at any time. */
  faults: Faults | undefined;
  /** The object as a GET at depth 0 would answer it (with `relationship-list`), or undefined. */
  get(path: string): SimAaiObject | undefined;
  /**
   * A copy of the object exactly as stored (properties in stored order,
   * `resource-version` included, no `relationship-list`), or undefined.
   */
  stored(path: string): SimAaiObject | undefined;
  /** Canonical paths of every stored object of a type (e.g. `"k8s-resource"`). */
  pathsOf(type: string): string[];
  /** The edges of a stored object: the related object's path and the edge label. */
  edgesOf(path: string): { path: string; label: string }[];
  /**
   * Upserts an object like a PUT that skips the resource-version rules (for
   * seeding and drift); validates like a PUT and throws on a bad body.
   */
  put(path: string, body: SimAaiObject): SimAaiObject;
  /** Deletes an object with its children and edges; false when absent. */
  remove(path: string): boolean;
  /** Adds the edge between two stored objects (label from the edge rules); throws when not allowed. */
  relate(path: string, relatedPath: string): void;
}

/** A running A&AI simulator. */
export interface AaiSim {
  /** Base URL, e.g. `http://127.0.0.1:40123` (append `/aai/v24/...`). */
  url: string;
  /** Objects, counters and faults, mutable by tests. */
  state: AaiSimState;
  /** Stops serving. */
  close(): Promise<void>;
  /** Same as `close()` (`await using`). */
  [Symbol.asyncDispose](): Promise<void>;
}

// ---------------------------------------------------------------------------
// HTTP.

const DEFAULT_VERSIONS = Array.from({ length: 22 }, (_, i) => `v${i + 11}`);

function wantsJson(accept: string | null): boolean {
  return accept !== null && /application\/json|\+json/i.test(accept);
}

function firstHeader(headers: Headers, names: string[]): string | null {
  for (const name of names) {
    const value = headers.get(name);
    if (value) return value;
  }
  return null;
}

/** Route name for counters. */
function routeOf(segments: string[]): string {
  if (segments[0] === "bulk") return "bulk/" + (segments[1] ?? "");
  if (segments[0] === "bulkprocess" || segments[0] === "bulkadd") {
    return segments[0];
  }
  if (segments[0] === "nodes") return "nodes/" + (segments[1] ?? "");
  let parsed: ParsedPath | undefined;
  try {
    parsed = parseSegments(segments);
  } catch {
    parsed = undefined;
  }
  switch (parsed?.kind) {
    case "object":
      return parsed.ref.type.name;
    case "collection":
      return pluralOf(parsed.type.name);
    case "relationship-list":
      return `${parsed.ref.type.name}/relationship-list`;
    case "relationship":
      return `${parsed.ref.type.name}/relationship`;
    default:
      return "unknown";
  }
}

function newCounts(): AaiRequestCounts {
  return {
    byMethod: { GET: 0, PUT: 0, PATCH: 0, DELETE: 0, POST: 0 },
    byRoute: {},
    total: 0,
    bulkOperations: 0,
    byClient: {},
  };
}

/**
 * Starts an A&AI simulator on 127.0.0.1.
 *
 * Permissions: `--allow-net`.
 *
 * @example
 * ```ts ignore
 * await using aai = await startAai({ seed: { cloudRegions: [{ cloudOwner: "CloudOwner", cloudRegionId: "r1", tenants: [{ tenantId: "t1" }] }] } });
 * const response = await fetch(`${aai.url}/aai/v24/cloud-infrastructure/cloud-regions/cloud-region/CloudOwner/r1/tenants`, {
 *   headers: { Accept: "application/json", "X-FromAppId": "me", "X-TransactionId": crypto.randomUUID() },
 * });
 * ```
 */
export function startAai(options: AaiSimOptions = {}): Promise<AaiSim> {
  const engine = new Engine();
  const versions = new Set(options.apiVersions ?? DEFAULT_VERSIONS);
  const latest = [...versions].at(-1) ?? "v24";
  const bulkLimit = options.bulkLimit ?? 30;
  const logLimit = options.requestLogLimit ?? 1000;
  const auth = options.requireAuth === true
    ? { username: "AAI", password: "AAI" }
    : options.requireAuth || undefined;
  const expectedAuth = auth
    ? `Basic ${btoa(`${auth.username}:${auth.password}`)}`
    : undefined;

  const state: AaiSimState = {
    objects: engine.store,
    counts: newCounts(),
    requests: [],
    faults: options.faults,
    injectedLatency: { requests: 0, totalMs: 0 },
    resetCounts() {
      state.counts = newCounts();
      state.requests = [];
      resetInjectedLatency(state.injectedLatency);
    },
    get(path) {
      if (!engine.store.has(path)) return undefined;
      return engine.render(path, {
        depth: 0,
        nodesOnly: false,
        skipRelatedTo: false,
        version: latest,
      });
    },
    put(path, body) {
      const ref = parseObjectPath(path);
      try {
        engine.putObject(ref, body, "PUT", false);
      } catch (error) {
        if (error instanceof SimError) {
          throw new Error(
            `Cannot seed "${path}" in the A&AI simulator: ${error.message}`,
            {
              cause: error,
            },
          );
        }
        throw error;
      }
      return engine.store.get(ref.path) as SimAaiObject;
    },
    remove(path) {
      return engine.store.delete(path);
    },
    stored(path) {
      const object = engine.store.get(path);
      return object === undefined ? undefined : structuredClone(object);
    },
    pathsOf(type) {
      return [...engine.store.ofType(type)];
    },
    edgesOf(path) {
      return [...engine.store.edgesOf(path)].map(([other, label]) => ({
        path: other,
        label,
      }));
    },
    relate(path, relatedPath) {
      const ref = engine.store.ref(path);
      const target = engine.store.ref(relatedPath);
      if (!ref || !target) {
        throw new Error(
          `Cannot relate "${path}" to "${relatedPath}": both must exist`,
        );
      }
      try {
        const rule = engine.ruleFor(ref, target, undefined);
        engine.checkMultiplicity(ref, target, rule);
        engine.store.link(ref.path, target.path, rule.label);
      } catch (error) {
        throw new Error(
          `Cannot relate "${path}" to "${relatedPath}": ${
            (error as Error).message
          }`,
          {
            cause: error,
          },
        );
      }
    },
  };

  seed(state, options.seed);

  async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const accept = request.headers.get("accept");
    const json = wantsJson(accept);
    const raw = url.pathname.split("/").slice(1);
    let method = request.method.toUpperCase();
    const version = raw[1] ?? "";
    const shownPath = raw.slice(2).join("/");

    function reply(
      r: Reply,
      forVersion = version === "latest" ? latest : version,
    ): Response {
      const headers = new Headers(r.headers);
      const txid = firstHeader(request.headers, TXID_HEADERS);
      if (txid) headers.set("X-AAI-TXID", txid);
      if (r.status === 204 || r.body === undefined) {
        return new Response(null, { status: r.status, headers });
      }
      // ErrorLogHelper writes error bodies in JSON whatever Accept says;
      // success bodies follow Accept (XML by default).
      if (json || r.status >= 400) {
        headers.set("content-type", "application/json");
        return new Response(JSON.stringify(r.body), {
          status: r.status,
          headers,
        });
      }
      headers.set("content-type", "application/xml");
      return new Response(toXml(r.root ?? "response", r.body, forVersion), {
        status: r.status,
        headers,
      });
    }
    function fail(error: SimError, m = method, path = shownPath): Response {
      const e = errorReply(error, m, path);
      return reply({ status: e.status, body: e.body });
    }

    if (raw[0] !== "aai" || !/^(v[1-9][0-9]*|latest)$/.test(version)) {
      return new Response("Not Found\n", {
        status: 404,
        headers: { "content-type": "text/plain" },
      });
    }
    if (version !== "latest" && !versions.has(version)) {
      return fail(
        new SimError(
          "3016",
          `${version} is not one of ${[...versions].join(",")}`,
        ),
      );
    }
    if (expectedAuth && request.headers.get("authorization") !== expectedAuth) {
      return fail(new SimError("3300", "basic authentication failed"));
    }
    if (!firstHeader(request.headers, FROM_APP_HEADERS)) {
      return fail(new SimError("4009", "X-FromAppId is missing"));
    }
    if (!firstHeader(request.headers, TXID_HEADERS)) {
      return fail(new SimError("4010", "X-TransactionId is missing"));
    }
    const override = request.headers.get("x-http-method-override");
    if (method === "POST" && override?.toUpperCase() === "PATCH") {
      method = "PATCH";
    }
    const v = version === "latest" ? latest : version;

    try {
      validateEncoding(url);
      const segments = decodePath(raw.slice(2).join("/"));
      const text = await request.text();
      const contentType = request.headers.get("content-type") ?? "";
      if (
        segments.length === 1 &&
        (segments[0] === "bulkprocess" || segments[0] === "bulkadd")
      ) {
        if (method !== "PUT") {
          return new Response("Method Not Allowed\n", { status: 405 });
        }
        if (!/json/i.test(contentType)) return unsupported();
        return reply(
          legacyBulkReply(bulkContext(request), text, v, segments[0]),
          undefined,
        );
      }
      if (segments[0] === "bulk") {
        if (
          segments[1] !== "single-transaction" || segments.length !== 2 ||
          method !== "POST"
        ) {
          return new Response("Not Found\n", { status: 404 });
        }
        if (!/json/i.test(contentType)) return unsupported();
        return reply(bulkReply(bulkContext(request), parseBody(text), v));
      }
      if (segments[0] === "nodes") {
        if (method !== "GET") {
          return new Response("Method Not Allowed\n", { status: 405 });
        }
        return reply(
          nodesReply(engine, segments.slice(1), url.searchParams, v),
        );
      }
      const parsed = parseSegments(segments);
      if (!parsed) {
        throw new SimError(
          "6115",
          `the simulator does not model /${shownPath}`,
        );
      }
      if (method === "GET") {
        return reply(getReply(engine, parsed, url.searchParams, v));
      }
      if (method === "PUT" || method === "PATCH") {
        if (method === "PUT" && !/^application\/json\b/i.test(contentType)) {
          return unsupported();
        }
        if (
          method === "PATCH" &&
          !/^application\/merge-patch\+json\b/i.test(contentType)
        ) {
          return unsupported();
        }
      }
      const body = text === "" ? undefined : parseBody(text);
      return reply(
        writeReply(
          engine,
          method,
          parsed,
          body,
          url.searchParams.get("resource-version"),
        ),
      );
    } catch (error) {
      if (error instanceof SimError) return fail(error);
      throw error;
    }
  }

  function unsupported(): Response {
    return new Response("Unsupported Media Type\n", {
      status: 415,
      headers: { "content-type": "text/plain" },
    });
  }

  /** The bulk context of one request (its client's counters). */
  function bulkContext(request: Request): BulkContext {
    const client = clientCounts(clientOf(request));
    return {
      engine,
      bulkLimit,
      countOperations(n) {
        state.counts.bulkOperations += n;
        client.bulkOperations += n;
      },
    };
  }

  /** Counters of one client, created on first use. */
  function clientCounts(client: string): AaiClientCounts {
    return state.counts.byClient[client] ??= {
      total: 0,
      byRoute: {},
      bulkOperations: 0,
    };
  }

  const faulty = withFaults(
    handle,
    () => state.faults,
    state.injectedLatency,
  );

  async function counted(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const method = request.method.toUpperCase();
    let segments: string[];
    try {
      segments = decodePath(url.pathname).slice(2);
    } catch {
      segments = [];
    }
    const route = routeOf(segments);
    const counts = state.counts;
    counts.total++;
    if (method in counts.byMethod) {
      counts.byMethod[method as keyof AaiRequestCounts["byMethod"]]++;
    }
    const key = `${method} ${route}`;
    counts.byRoute[key] = (counts.byRoute[key] ?? 0) + 1;
    const client = clientCounts(clientOf(request));
    client.total++;
    client.byRoute[key] = (client.byRoute[key] ?? 0) + 1;
    const response = await faulty(request);
    if (logLimit > 0) {
      state.requests.push({
        method,
        url: url.pathname + url.search,
        route,
        status: response.status,
        transactionId: firstHeader(request.headers, TXID_HEADERS),
        fromAppId: firstHeader(request.headers, FROM_APP_HEADERS),
        accept: request.headers.get("accept"),
        contentType: request.headers.get("content-type"),
        authorization: request.headers.has("authorization"),
        at: performance.timeOrigin + performance.now(),
      });
      if (state.requests.length > logLimit) state.requests.shift();
    }
    return response;
  }

  return new Promise((resolve) => {
    const server = Deno.serve({
      port: options.port ?? 0,
      hostname: "127.0.0.1",
      onError: quietServerError(options.onError),
      onListen(addr) {
        const url = `http://127.0.0.1:${addr.port}`;
        async function close(): Promise<void> {
          await server.shutdown();
        }
        resolve({ url, state, close, [Symbol.asyncDispose]: close });
      },
    }, counted);
  });
}

const TXID_HEADERS = [
  "x-transactionid",
  "x-onap-requestid",
  "x-requestid",
  "x-ecomp-requestid",
];
const FROM_APP_HEADERS = [
  "x-fromappid",
  "x-onap-partnername",
  "x-sourceoftruth",
];

function parseBody(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SimError(
      "3102",
      `the body is not JSON: ${(error as Error).message}`,
    );
  }
}

/** Creates the seed's cloud regions, tenants, generic-vnfs and vf-modules. */
function seed(state: AaiSimState, data: AaiSimSeed | undefined): void {
  for (const region of data?.cloudRegions ?? []) {
    const regionPath = encodeSegments([
      "cloud-infrastructure",
      "cloud-regions",
      "cloud-region",
      region.cloudOwner,
      region.cloudRegionId,
    ]);
    state.put(regionPath, {
      "cloud-owner": region.cloudOwner,
      "cloud-region-id": region.cloudRegionId,
      "cloud-type": "k8s",
      "owner-defined-type": "k8s",
      "cloud-region-version": "1.0",
      "orchestration-disabled": false,
      "in-maint": false,
    });
    for (const tenant of region.tenants ?? []) {
      state.put(
        regionPath + encodeSegments(["tenants", "tenant", tenant.tenantId]),
        {
          "tenant-id": tenant.tenantId,
          "tenant-name": tenant.tenantName ?? tenant.tenantId,
        },
      );
    }
  }
  for (const module of data?.vfModules ?? []) {
    const vnfPath = encodeSegments([
      "network",
      "generic-vnfs",
      "generic-vnf",
      module.vnfId,
    ]);
    if (!state.objects.has(vnfPath)) {
      state.put(vnfPath, {
        "vnf-id": module.vnfId,
        "vnf-name": module.vnfName ?? module.vnfId,
        "vnf-type": "k8s-aai-sync/simulated",
        "in-maint": false,
        "is-closed-loop-disabled": false,
        "orchestration-status": "Active",
        "prov-status": "ACTIVE",
      });
    }
    state.put(
      vnfPath + encodeSegments(["vf-modules", "vf-module", module.vfModuleId]),
      {
        "vf-module-id": module.vfModuleId,
        "vf-module-name": module.vfModuleName ?? module.vfModuleId,
        "heat-stack-id": module.heatStackId,
        "is-base-vf-module": false,
        "automated-assignment": false,
        "orchestration-status": "Active",
      },
    );
    if (module.placement) {
      const { cloudOwner, cloudRegionId, tenantId } = module.placement;
      const regionPath = encodeSegments([
        "cloud-infrastructure",
        "cloud-regions",
        "cloud-region",
        cloudOwner,
        cloudRegionId,
      ]);
      state.relate(
        vnfPath,
        regionPath + encodeSegments(["tenants", "tenant", tenantId]),
      );
      state.relate(vnfPath, regionPath);
    }
  }
}

/** The client a request comes from: its X-FromAppId (or an accepted alternative), `""` when absent. */
function clientOf(request: Request): string {
  return firstHeader(request.headers, FROM_APP_HEADERS) ?? "";
}
