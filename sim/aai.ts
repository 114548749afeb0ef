/**
 * A&AI simulator: serves the part of aai-resources that k8s-aai-sync touches
 * (cloud-region, tenant, k8s-resource, generic-vnf, vf-module, their
 * relationships, the nodes query and bulk single-transaction) over real HTTP
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
 *   version; XML unless `Accept` asks for JSON; optional basic auth (403);
 * - GET `depth`, `nodes-only`, `skip-related-to`, property filters,
 *   `resultIndex`/`resultSize`, `format=count|pathed|resource_and_url`;
 * - `POST /aai/{v}/bulk/single-transaction` with the 30-operation limit
 *   (400 ERR.5.4.6147), all-or-nothing rollback and the failure body of the
 *   first failing operation.
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
import {
  type Faults,
  type InjectedLatency,
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
    }[]
    | undefined;
}

/** Options of {@linkcode startAai}. */
export interface AaiSimOptions {
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
// Schema: the objects and edge rules we model (reference/aai.md §2).

type PropType = "string" | "boolean" | "integer" | "strings";

interface TypeDef {
  name: string;
  parent: string | undefined;
  /** Segments between the parent object (or the root) and this type's singular name. */
  collection: string[];
  keys: string[];
  /** Required non-key properties (`required="true"` in the OXM). */
  required: string[];
  props: Record<string, PropType>;
  /** Child collection segment → child type. */
  children: Record<string, string>;
  /** Properties shown as `related-to-property` (the OXM's nameProps). */
  nameProps: string[];
}

function strings(
  names: string[],
  type: PropType = "string",
): Record<string, PropType> {
  return Object.fromEntries(names.map((name) => [name, type]));
}

const TYPES: Record<string, TypeDef> = {
  "cloud-region": {
    name: "cloud-region",
    parent: undefined,
    collection: ["cloud-infrastructure", "cloud-regions"],
    keys: ["cloud-owner", "cloud-region-id"],
    required: [],
    props: {
      ...strings([
        "cloud-owner",
        "cloud-region-id",
        "cloud-type",
        "owner-defined-type",
        "cloud-region-version",
        "identity-url",
        "cloud-zone",
        "complex-name",
        "cloud-extra-info",
        "upgrade-cycle",
        "resource-version",
      ]),
      ...strings(
        ["sriov-automation", "orchestration-disabled", "in-maint"],
        "boolean",
      ),
    },
    children: { tenants: "tenant" },
    nameProps: ["owner-defined-type"],
  },
  tenant: {
    name: "tenant",
    parent: "cloud-region",
    collection: ["tenants"],
    keys: ["tenant-id"],
    required: ["tenant-name"],
    props: strings([
      "tenant-id",
      "tenant-name",
      "tenant-context",
      "resource-version",
    ]),
    children: { "k8s-resources": "k8s-resource" },
    nameProps: ["tenant-name"],
  },
  "k8s-resource": {
    name: "k8s-resource",
    parent: "tenant",
    collection: ["k8s-resources"],
    keys: ["id"],
    required: ["name", "group", "version", "kind", "namespace", "selflink"],
    props: {
      ...strings([
        "id",
        "name",
        "group",
        "version",
        "kind",
        "namespace",
        "selflink",
        "data-owner",
        "data-source",
        "data-source-version",
        "resource-version",
      ]),
      labels: "strings",
    },
    children: {},
    nameProps: ["name"],
  },
  "generic-vnf": {
    name: "generic-vnf",
    parent: undefined,
    collection: ["network", "generic-vnfs"],
    keys: ["vnf-id"],
    required: ["vnf-type", "in-maint", "is-closed-loop-disabled"],
    props: {
      ...strings([
        "vnf-id",
        "vnf-name",
        "vnf-name2",
        "vnf-type",
        "service-id",
        "regional-resource-zone",
        "prov-status",
        "operational-status",
        "equipment-role",
        "orchestration-status",
        "vnf-package-name",
        "heat-stack-id",
        "ipv4-oam-address",
        "summary-status",
        "model-invariant-id",
        "model-version-id",
        "persona-model-version",
        "model-customization-id",
        "widget-model-id",
        "widget-model-version",
        "nf-type",
        "nf-function",
        "nf-role",
        "nf-naming-code",
        "selflink",
        "data-owner",
        "data-source",
        "data-source-version",
        "resource-version",
      ]),
      ...strings(["in-maint", "is-closed-loop-disabled"], "boolean"),
    },
    children: { "vf-modules": "vf-module" },
    nameProps: ["vnf-name"],
  },
  "vf-module": {
    name: "vf-module",
    parent: "generic-vnf",
    collection: ["vf-modules"],
    keys: ["vf-module-id"],
    required: ["is-base-vf-module", "automated-assignment"],
    props: {
      ...strings([
        "vf-module-id",
        "vf-module-name",
        "heat-stack-id",
        "orchestration-status",
        "operational-status",
        "model-invariant-id",
        "model-version-id",
        "persona-model-version",
        "model-customization-id",
        "widget-model-id",
        "widget-model-version",
        "contrail-service-instance-fqdn",
        "selflink",
        "data-owner",
        "data-source",
        "data-source-version",
        "resource-version",
      ]),
      ...strings(["is-base-vf-module", "automated-assignment"], "boolean"),
      "module-index": "integer",
    },
    children: {},
    nameProps: ["vf-module-name"],
  },
};

/** Plural name (as in `/nodes/{plural}`) → type. */
const PLURALS: Record<string, string> = {
  "cloud-regions": "cloud-region",
  tenants: "tenant",
  "k8s-resources": "k8s-resource",
  "generic-vnfs": "generic-vnf",
  "vf-modules": "vf-module",
};

interface EdgeRule {
  from: string;
  to: string;
  label: string;
  /** ONE2MANY: a `to` node has at most one `from` node through this rule. */
  multiplicity: "ONE2MANY" | "MANY2MANY";
}

/** dbedgerules v24…v32 for k8s-resource (reference/aai.md §2.2). */
const EDGE_RULES: EdgeRule[] = [
  {
    from: "vf-module",
    to: "k8s-resource",
    label: "org.onap.relationships.inventory.Uses",
    multiplicity: "ONE2MANY",
  },
  {
    from: "generic-vnf",
    to: "k8s-resource",
    label: "tosca.relationships.HostedOn",
    multiplicity: "ONE2MANY",
  },
];

function pluralOf(type: string): string {
  return Object.entries(PLURALS).find(([, t]) => t === type)?.[0] ?? `${type}s`;
}

function edgeRule(a: string, b: string): EdgeRule | undefined {
  return EDGE_RULES.find((rule) =>
    (rule.from === a && rule.to === b) || (rule.from === b && rule.to === a)
  );
}

function isContainment(a: string, b: string): boolean {
  return TYPES[a]?.parent === b || TYPES[b]?.parent === a;
}

// ---------------------------------------------------------------------------
// Errors (aai-aai-common error.properties; reference/aai.md §1.9).

/** `Disposition:Category:HTTP:RESTcode:Text` of the AAI_xxxx codes we answer. */
const ERRORS: Record<string, [number, number, number, number, string]> = {
  "3000": [5, 2, 400, 3000, "Invalid input performing %1 on %2"],
  "3008": [5, 6, 400, 3008, "URI is not encoded in UTF-8"],
  "3012": [5, 6, 400, 3012, "Method Not Allowed"],
  "3016": [5, 6, 400, 3016, "Request uses an unsupported version"],
  "3102": [5, 1, 400, 3102, "Error parsing input performing %1 on %2"],
  "3300": [5, 1, 403, 3300, "Unauthorized"],
  "4009": [4, 0, 400, 3000, "Invalid X-FromAppId in header"],
  "4010": [4, 0, 400, 3000, "Invalid X-TransactionId in header"],
  "4016": [
    4,
    0,
    400,
    3000,
    'The depth parameter must be a number or the string "all"',
  ],
  "6110": [5, 4, 400, 3100, "Node cannot be deleted"],
  "6111": [5, 4, 400, 3000, "Invalid input object"],
  "6114": [5, 4, 404, 3001, "Node Not Found"],
  "6115": [5, 4, 400, 3000, "Unrecognized NodeType"],
  "6118": [5, 4, 400, 3000, "Required Field not passed."],
  "6120": [5, 4, 400, 3000, "Bad Parameter Passed"],
  "6129": [5, 4, 404, 3003, "Error making edge to target node"],
  "6130": [5, 4, 412, 3000, "Precondition Required"],
  "6131": [5, 4, 412, 3000, "Precondition Failed"],
  "6135": [5, 4, 412, 3000, "Resource version specified on create"],
  "6140": [5, 4, 400, 3000, "Edge multiplicity violated"],
  "6145": [
    5,
    4,
    400,
    3000,
    "Cannot create a nested/containment edge via relationship",
  ],
  "6147": [5, 4, 400, 3000, "Payload Limit Reached"],
  "6149": [5, 4, 404, 3001, "No relationship was found"],
};

/** The REST message templates behind `messageId`. */
const REST_TEXT: Record<number, string> = {
  3000: "Invalid input performing %1 on %2",
  3001: "Resource not found for %1 using id %2",
  3003:
    "Failed to make edge to missing target node of type %3 with keys %4 performing %1 on %2",
  3008: "URI is not encoded in UTF-8",
  3012: "Method Not Allowed",
  3016: "Request uses an unsupported version",
  3100: "Unsupported operation %1",
  3102: "Error parsing input performing %1 on %2",
  3300: "Unauthorized",
};

/** A rule violation; rendered as an A&AI error body by the handler. */
class SimError extends Error {
  constructor(
    readonly aaiCode: string,
    readonly detail: string,
    /** Extra template variables before the message (AAI_6129: target type and keys). */
    readonly extra: string[] = [],
  ) {
    super(`AAI_${aaiCode} ${detail}`);
    this.name = "SimError";
  }
}

interface ErrorReply {
  status: number;
  code: string;
  body: Record<string, unknown>;
}

function errorReply(error: SimError, method: string, path: string): ErrorReply {
  const [disposition, category, status, rest, errText] =
    ERRORS[error.aaiCode] ??
      [5, 4, 500, 3002, "Internal Error"];
  const code = `ERR.${disposition}.${category}.${error.aaiCode}`;
  const variables = [
    method,
    path,
    ...error.extra,
    `${errText}:${error.detail}`,
    code,
  ];
  const template = REST_TEXT[rest] ?? "Internal Error";
  const text = `${template} (msg=%${
    variables.length - 1
  }) (ec=%${variables.length})`;
  const kind = category === 1 ? "policyException" : "serviceException";
  return {
    status,
    code,
    body: {
      requestError: {
        [kind]: {
          messageId: `${category === 1 ? "POL" : "SVC"}${rest}`,
          text,
          variables,
        },
      },
    },
  };
}

// ---------------------------------------------------------------------------
// Paths.

interface ObjectRef {
  type: TypeDef;
  /** Canonical path, e.g. `/network/generic-vnfs/generic-vnf/v1`. */
  path: string;
  /** This object's key values, in `type.keys` order. */
  keys: string[];
  /** Ancestors, root first. */
  ancestors: ObjectRef[];
  /** Path of the collection holding it. */
  collectionPath: string;
}

type ParsedPath =
  | { kind: "object"; ref: ObjectRef }
  | {
    kind: "collection";
    type: TypeDef;
    path: string;
    parent: ObjectRef | undefined;
  }
  | { kind: "relationship-list"; ref: ObjectRef }
  | { kind: "relationship"; ref: ObjectRef };

function encodeSegments(segments: string[]): string {
  return segments.map((s) => "/" + encodeURIComponent(s)).join("");
}

/** Parses decoded segments (without `/aai/{v}`); undefined when not a modelled path. */
function parseSegments(segments: string[]): ParsedPath | undefined {
  let type: TypeDef | undefined;
  let index: number;
  if (
    segments[0] === "cloud-infrastructure" && segments[1] === "cloud-regions"
  ) {
    type = TYPES["cloud-region"];
  } else if (segments[0] === "network" && segments[1] === "generic-vnfs") {
    type = TYPES["generic-vnf"];
  }
  if (!type) return undefined;
  index = 2;
  let parent: ObjectRef | undefined;
  let prefix = encodeSegments(segments.slice(0, 2));
  for (;;) {
    if (index === segments.length) {
      return { kind: "collection", type, path: prefix, parent };
    }
    if (segments[index] !== type.name) return undefined;
    const keys = segments.slice(index + 1, index + 1 + type.keys.length);
    if (keys.length < type.keys.length) return undefined;
    const path = prefix + encodeSegments([type.name, ...keys]);
    const ref: ObjectRef = {
      type,
      path,
      keys,
      ancestors: parent ? [...parent.ancestors, parent] : [],
      collectionPath: prefix,
    };
    index += 1 + type.keys.length;
    if (index === segments.length) return { kind: "object", ref };
    if (segments[index] === "relationship-list") {
      if (index + 1 === segments.length) {
        return { kind: "relationship-list", ref };
      }
      if (
        segments[index + 1] === "relationship" && index + 2 === segments.length
      ) {
        return { kind: "relationship", ref };
      }
      return undefined;
    }
    const childName = type.children[segments[index] as string];
    if (!childName) return undefined;
    parent = ref;
    prefix = path + encodeSegments([segments[index] as string]);
    type = TYPES[childName] as TypeDef;
    index += 1;
  }
}

/** Splits and percent-decodes a path (throws SimError 3008 on bad encoding). */
function decodePath(path: string): string[] {
  const trimmed = path.replace(/^\/+/, "").replace(/\/+$/, "");
  if (trimmed === "") return [];
  try {
    return trimmed.split("/").map((s) => decodeURIComponent(s));
  } catch {
    throw new SimError("3008", `cannot decode ${path}`);
  }
}

function parseObjectPath(path: string): ObjectRef {
  const parsed = parseSegments(decodePath(path));
  if (parsed?.kind !== "object") {
    throw new TypeError(
      `Cannot use "${path}" as an A&AI object path in the simulator`,
    );
  }
  return parsed.ref;
}

/** The object-relative URI A&AI puts in 412 messages (Introspector.getURI). */
function relativeUri(ref: ObjectRef): string {
  const own = encodeSegments([ref.type.name, ...ref.keys]);
  return ref.type.parent ? encodeSegments(ref.type.collection) + own : ref.path;
}

// ---------------------------------------------------------------------------
// The store.

/**
 * Objects by canonical path, with the indexes the simulator needs (children
 * of each collection, objects of each type, edges) kept up to date by `set`
 * and `delete`; writes can be journaled and rolled back (bulk).
 */
export class AaiObjectStore extends Map<string, SimAaiObject> {
  #refs = new Map<string, ObjectRef>();
  #members = new Map<string, Set<string>>();
  #byType = new Map<string, Set<string>>();
  #edges = new Map<string, Map<string, string>>();
  #journal: (() => void)[] | undefined;

  /** Stores an object (its `relationship-list`, if any, is ignored). */
  override set(path: string, object: SimAaiObject): this {
    const ref = this.#refs.get(path) ?? parseObjectPath(path);
    if (ref.path !== path) {
      throw new TypeError(
        `Cannot store "${path}" in the A&AI simulator: use the canonical path "${ref.path}"`,
      );
    }
    const previous = super.get(path);
    this.#journal?.push(() => {
      if (previous === undefined) this.#removeOne(path);
      else this.set(path, previous);
    });
    const { "relationship-list": _ignored, ...properties } = object;
    super.set(path, properties);
    if (previous === undefined) {
      this.#refs.set(path, ref);
      setOf(this.#members, ref.collectionPath).add(path);
      setOf(this.#byType, ref.type.name).add(path);
    }
    return this;
  }

  /** Deletes an object, its descendants and their edges. */
  override delete(path: string): boolean {
    if (!super.has(path)) return false;
    const ref = this.#refs.get(path) as ObjectRef;
    for (const collection of Object.keys(ref.type.children)) {
      for (const child of [...this.members(`${path}/${collection}`)]) {
        this.delete(child);
      }
    }
    for (const other of [...this.edgesOf(path).keys()]) {
      this.unlink(path, other);
    }
    this.#removeOne(path);
    return true;
  }

  /** Removes everything (no journaling). */
  override clear(): void {
    super.clear();
    this.#refs.clear();
    this.#members.clear();
    this.#byType.clear();
    this.#edges.clear();
  }

  #removeOne(path: string): void {
    const previous = super.get(path);
    const ref = this.#refs.get(path);
    if (previous === undefined || !ref) return;
    this.#journal?.push(() => this.set(path, previous));
    super.delete(path);
    this.#refs.delete(path);
    this.#members.get(ref.collectionPath)?.delete(path);
    this.#byType.get(ref.type.name)?.delete(path);
  }

  /**
   * The parsed path of a stored object (simulator-internal).
   *
   * @internal
   */
  ref(path: string): ObjectRef | undefined {
    return this.#refs.get(path);
  }

  /** Paths of the objects in a collection (e.g. `…/tenant/t1/k8s-resources`). */
  members(collectionPath: string): ReadonlySet<string> {
    return this.#members.get(collectionPath) ?? EMPTY;
  }

  /** Paths of all objects of a type. */
  ofType(type: string): ReadonlySet<string> {
    return this.#byType.get(type) ?? EMPTY;
  }

  /** Edges of an object: other path → label. */
  edgesOf(path: string): ReadonlyMap<string, string> {
    return this.#edges.get(path) ?? EMPTY_EDGES;
  }

  /** Adds an edge (both directions). */
  link(a: string, b: string, label: string): void {
    if (this.edgesOf(a).get(b) === label) return;
    this.#journal?.push(() => this.unlink(a, b));
    mapOf(this.#edges, a).set(b, label);
    mapOf(this.#edges, b).set(a, label);
  }

  /** Removes an edge (both directions). */
  unlink(a: string, b: string): void {
    const label = this.edgesOf(a).get(b);
    if (label === undefined) return;
    this.#journal?.push(() => this.link(a, b, label));
    this.#edges.get(a)?.delete(b);
    this.#edges.get(b)?.delete(a);
  }

  /** Starts journaling writes, for {@linkcode AaiObjectStore.rollback}. */
  begin(): void {
    this.#journal = [];
  }

  /** Keeps the journaled writes. */
  commit(): void {
    this.#journal = undefined;
  }

  /** Undoes every write since `begin()`. */
  rollback(): void {
    const journal = this.#journal ?? [];
    this.#journal = undefined;
    for (let i = journal.length - 1; i >= 0; i--) (journal[i] as () => void)();
  }
}

const EMPTY: ReadonlySet<string> = new Set();
const EMPTY_EDGES: ReadonlyMap<string, string> = new Map();

function setOf<K, V>(map: Map<K, Set<V>>, key: K): Set<V> {
  let set = map.get(key);
  if (!set) map.set(key, set = new Set());
  return set;
}

function mapOf<K, K2, V>(map: Map<K, Map<K2, V>>, key: K): Map<K2, V> {
  let inner = map.get(key);
  if (!inner) map.set(key, inner = new Map());
  return inner;
}

// ---------------------------------------------------------------------------
// The engine: every rule, shared by single requests and bulk operations.

const RESERVED_QUERY = new Set([
  "depth",
  "nodes-only",
  "nodesOnly",
  "skip-related-to",
  "format",
  "resultIndex",
  "resultSize",
  "resource-version",
  "cleanup",
]);

/** The bypass value of `aai.resourceversion.disabled.uuid` (DELETE only). */
const RV_BYPASS = "38cf3090-6a0c-4e9d-8142-4332a7352846";

interface Reply {
  status: number;
  body?: unknown;
  /** XML root element name. */
  root?: string;
  headers?: Record<string, string>;
}

class Engine {
  readonly store = new AaiObjectStore();
  #lastRv = 0;
  #vertex = 0;

  nextRv(): string {
    const now = Date.now();
    this.#lastRv = now > this.#lastRv ? now : this.#lastRv + 1;
    return String(this.#lastRv);
  }

  vertexId(): string {
    return String(4096 + (++this.#vertex) * 8);
  }

  /** Validates a PUT body against the schema; returns the properties to store. */
  validateBody(ref: ObjectRef, body: unknown, method: string): SimAaiObject {
    if (!isRecord(body)) {
      throw new SimError(
        "3000",
        `the body of a ${method} must be a JSON object`,
      );
    }
    const out: SimAaiObject = {};
    ref.type.keys.forEach((key, i) => {
      const given = body[key];
      const fromUri = ref.keys[i] as string;
      if (given !== undefined && given !== null && String(given) !== fromUri) {
        throw new SimError("3000", "uri and payload keys don't match");
      }
      out[key] = fromUri;
    });
    for (const [name, value] of Object.entries(body)) {
      const type = ref.type.props[name];
      if (!type || ref.type.keys.includes(name) || value === null) continue;
      if (!matchesType(value, type)) {
        throw new SimError(
          "3000",
          `property ${name} of ${ref.type.name} must be ${typeWord(type)}`,
        );
      }
      out[name] = Array.isArray(value) ? [...value] : value;
    }
    return out;
  }

  /** Resolves the target of a relationship body; throws 404 6129 when missing. */
  relatedTarget(
    body: unknown,
    method: string,
  ): { ref: ObjectRef; label: string | undefined } {
    if (!isRecord(body)) {
      throw new SimError("3000", "a relationship must be a JSON object");
    }
    const label = typeof body["relationship-label"] === "string"
      ? body["relationship-label"]
      : undefined;
    let segments: string[] | undefined;
    const link = body["related-link"];
    if (typeof link === "string" && link !== "") {
      const path = link.replace(/^[a-z]+:\/\/[^/]+/i, "").replace(/\?.*$/, "")
        .replace(/^\/aai\/(v[0-9]+|latest)(?=\/)/, "");
      segments = decodePath(path);
    } else if (typeof body["related-to"] === "string") {
      segments = segmentsFromData(
        body["related-to"],
        body["relationship-data"],
      );
    }
    const parsed = segments ? parseSegments(segments) : undefined;
    if (!parsed || parsed.kind !== "object") {
      throw new SimError(
        "3000",
        `cannot find the object of relationship ${
          JSON.stringify(link ?? body["related-to"] ?? null)
        }`,
      );
    }
    if (!this.store.has(parsed.ref.path)) {
      throw new SimError(
        "6129",
        `Node of type ${parsed.ref.type.name} not found at ${parsed.ref.path} (${method})`,
        [parsed.ref.type.name, describeKeys(parsed.ref)],
      );
    }
    return { ref: parsed.ref, label };
  }

  /** The rule for an edge between `ref` and `target`; throws the A&AI error when none. */
  ruleFor(
    ref: ObjectRef,
    target: ObjectRef,
    label: string | undefined,
  ): EdgeRule {
    if (isContainment(ref.type.name, target.type.name)) {
      throw new SimError(
        "6145",
        `${ref.type.name} and ${target.type.name} are related by containment`,
      );
    }
    const rule = edgeRule(ref.type.name, target.type.name);
    if (!rule || (label !== undefined && label !== rule.label)) {
      throw new SimError(
        "6120",
        `No EdgeRule found for passed nodeTypes: ${ref.type.name}, ${target.type.name}${
          label ? ` with label ${label}` : ""
        }.`,
      );
    }
    return rule;
  }

  /** Throws 6140 when linking `a`–`b` breaks the rule's multiplicity (ignoring edges of `replacing`). */
  checkMultiplicity(
    a: ObjectRef,
    b: ObjectRef,
    rule: EdgeRule,
    replacing?: string,
    planned: string[] = [],
  ): void {
    if (rule.multiplicity !== "ONE2MANY") return;
    const [from, to] = a.type.name === rule.from ? [a, b] : [b, a];
    // When `to` itself is being given a new relationship-list, its current
    // edges are about to go and do not count.
    const existing = replacing === to.path
      ? []
      : [...this.store.edgesOf(to.path)].filter(([other, label]) =>
        label === rule.label && other !== from.path &&
        this.store.ref(other)?.type.name === rule.from
      ).map(([other]) => other);
    const others = [...existing, ...planned.filter((p) => p !== from.path)];
    if (others.length > 0) {
      throw new SimError(
        "6140",
        `multiplicity rule breaks with this edge creation: ${to.type.name} ${to.path} already has a ${rule.label} edge from ${rule.from} ${
          others[0]
        }`,
      );
    }
  }

  /** PUT an object (create 201 / replace 200) with every rule. */
  putObject(
    ref: ObjectRef,
    body: unknown,
    method: string,
    checkRv = true,
  ): Reply {
    const properties = this.validateBody(ref, body, method);
    for (const name of ref.type.required) {
      if (properties[name] === undefined) {
        throw new SimError("3000", `Missing required property: ${name}`);
      }
    }
    const existing = this.store.get(ref.path);
    const rv = isRecord(body) ? body["resource-version"] : undefined;
    if (checkRv) {
      if (existing && (rv === undefined || rv === null || rv === "")) {
        throw new SimError(
          "6130",
          `resource-version not passed for update of ${relativeUri(ref)}`,
        );
      }
      if (existing && String(rv) !== existing["resource-version"]) {
        throw new SimError(
          "6131",
          `resource-version MISMATCH for update of ${relativeUri(ref)}`,
        );
      }
      if (!existing && rv !== undefined && rv !== null && rv !== "") {
        throw new SimError(
          "6135",
          `resource-version passed for create of ${relativeUri(ref)}`,
        );
      }
    }
    const parent = ref.ancestors.at(-1);
    if (parent && !this.store.has(parent.path)) {
      throw new SimError(
        "6114",
        `No Node of type ${parent.type.name} found at: ${parent.path.slice(1)}`,
      );
    }
    // A present relationship-list replaces the edges: validate all first.
    let edges: { ref: ObjectRef; rule: EdgeRule }[] | undefined;
    const list = isRecord(body) ? body["relationship-list"] : undefined;
    if (isRecord(list)) {
      const items = Array.isArray(list.relationship) ? list.relationship : [];
      edges = [];
      for (const item of items) {
        const { ref: target, label } = this.relatedTarget(item, method);
        const rule = this.ruleFor(ref, target, label);
        const planned = edges.filter((e) =>
          e.rule === rule && ref.type.name === rule.to
        )
          .map((e) => e.ref.path);
        this.checkMultiplicity(ref, target, rule, ref.path, planned);
        edges.push({ ref: target, rule });
      }
    }
    properties["resource-version"] = this.nextRv();
    this.store.set(ref.path, properties);
    if (edges) {
      for (const other of [...this.store.edgesOf(ref.path).keys()]) {
        this.store.unlink(ref.path, other);
      }
      for (const edge of edges) {
        this.store.link(ref.path, edge.ref.path, edge.rule.label);
      }
    }
    return {
      status: existing ? 200 : 201,
      headers: { "vertex-id": this.vertexId() },
    };
  }

  /** Merge-PATCH (RFC 7386): no rv check, rv bumped, 404 when missing. */
  patchObject(ref: ObjectRef, body: unknown, method: string): Reply {
    const existing = this.store.get(ref.path);
    if (!existing) throw notFound(ref.path);
    if (!isRecord(body)) {
      throw new SimError(
        "3000",
        `the body of a ${method} must be a JSON object`,
      );
    }
    const next: SimAaiObject = { ...existing };
    ref.type.keys.forEach((key, i) => {
      const given = body[key];
      if (
        given !== undefined && given !== null && String(given) !== ref.keys[i]
      ) {
        throw new SimError("3000", "uri and payload keys don't match");
      }
    });
    for (const [name, value] of Object.entries(body)) {
      const type = ref.type.props[name];
      if (
        !type || ref.type.keys.includes(name) || name === "resource-version"
      ) continue;
      if (value === null) {
        delete next[name];
        continue;
      }
      if (!matchesType(value, type)) {
        throw new SimError(
          "3000",
          `property ${name} of ${ref.type.name} must be ${typeWord(type)}`,
        );
      }
      next[name] = Array.isArray(value) ? [...value] : value;
    }
    next["resource-version"] = this.nextRv();
    this.store.set(ref.path, next);
    return { status: 200, headers: { "vertex-id": this.vertexId() } };
  }

  /** DELETE with `?resource-version=`. */
  deleteObject(ref: ObjectRef, rv: string | null): Reply {
    const existing = this.store.get(ref.path);
    if (!existing) throw notFound(ref.path);
    if (rv !== RV_BYPASS) {
      if (rv === null || rv === "") {
        throw new SimError(
          "6130",
          `resource-version not passed for delete of ${ref.type.name}`,
        );
      }
      if (rv !== existing["resource-version"]) {
        throw new SimError(
          "6131",
          `resource-version MISMATCH for delete of ${ref.type.name}`,
        );
      }
    }
    this.#checkPreventDelete(ref.path);
    this.store.delete(ref.path);
    return { status: 204 };
  }

  /** Prevent-delete: a tenant with k8s-resources (also when reached by cascade). */
  #checkPreventDelete(path: string): void {
    const ref = this.store.ref(path);
    if (!ref) return;
    if (
      ref.type.name === "tenant" &&
      this.store.members(`${path}/k8s-resources`).size > 0
    ) {
      throw new SimError(
        "6110",
        `Object is being reference by additional objects preventing it from being deleted. Please clean up references from the following types [k8s-resource]`,
      );
    }
    for (const collection of Object.keys(ref.type.children)) {
      for (const child of this.store.members(`${path}/${collection}`)) {
        this.#checkPreventDelete(child);
      }
    }
  }

  /** PUT `…/relationship-list/relationship` (idempotent, bumps the rv). */
  putEdge(ref: ObjectRef, body: unknown, method: string): Reply {
    const existing = this.store.get(ref.path);
    if (!existing) throw notFound(ref.path);
    const { ref: target, label } = this.relatedTarget(body, method);
    const rule = this.ruleFor(ref, target, label);
    this.checkMultiplicity(ref, target, rule);
    this.store.link(ref.path, target.path, rule.label);
    this.store.set(ref.path, {
      ...existing,
      "resource-version": this.nextRv(),
    });
    return { status: 200 };
  }

  /** DELETE `…/relationship-list/relationship` with the relationship as body (idempotent, bumps the rv). */
  deleteEdge(ref: ObjectRef, body: unknown, method: string): Reply {
    const existing = this.store.get(ref.path);
    if (!existing) throw notFound(ref.path);
    if (body === undefined) {
      throw new SimError(
        "3102",
        "a relationship body is required to delete an edge",
      );
    }
    const { ref: target } = this.relatedTarget(body, method);
    this.store.unlink(ref.path, target.path);
    this.store.set(ref.path, {
      ...existing,
      "resource-version": this.nextRv(),
    });
    return { status: 204 };
  }

  /** The relationships of an object, as a GET shows them. */
  relationships(
    path: string,
    version: string,
    skipRelatedTo: boolean,
  ): unknown[] {
    const out: unknown[] = [];
    for (const [other, label] of this.store.edgesOf(path)) {
      const ref = this.store.ref(other);
      const object = this.store.get(other);
      if (!ref || !object) continue;
      const relationship: Record<string, unknown> = {
        "related-to": ref.type.name,
        "relationship-label": label,
        "related-link": `/aai/${version}${ref.path}`,
        "relationship-data": [...ref.ancestors, ref].flatMap((r) =>
          r.type.keys.map((key, i) => ({
            "relationship-key": `${r.type.name}.${key}`,
            "relationship-value": r.keys[i],
          }))
        ),
      };
      if (!skipRelatedTo) {
        const properties = ref.type.nameProps.filter((p) =>
          object[p] !== undefined
        )
          .map((p) => ({
            "property-key": `${ref.type.name}.${p}`,
            "property-value": String(object[p]),
          }));
        if (properties.length > 0) {
          relationship["related-to-property"] = properties;
        }
      }
      out.push(relationship);
    }
    return out;
  }

  /** An object as a GET renders it. */
  render(path: string, options: RenderOptions): SimAaiObject {
    const object: SimAaiObject = { ...this.store.get(path) };
    if (!options.nodesOnly) {
      const relationships = this.relationships(
        path,
        options.version,
        options.skipRelatedTo,
      );
      if (relationships.length > 0) {
        object["relationship-list"] = { relationship: relationships };
      }
    }
    const ref = this.store.ref(path);
    if (ref && options.depth > 0) {
      for (const [collection, childType] of Object.entries(ref.type.children)) {
        const members = this.store.members(`${path}/${collection}`);
        if (members.size === 0) continue;
        object[collection] = {
          [childType]: [...members].map((child) =>
            this.render(child, { ...options, depth: options.depth - 1 })
          ),
        };
      }
    }
    return object;
  }
}

interface RenderOptions {
  depth: number;
  nodesOnly: boolean;
  skipRelatedTo: boolean;
  version: string;
}

function notFound(path: string, type?: string): SimError {
  const shown = path.replace(/^\//, "");
  const typeName = type ?? decodePath(path).at(-2) ?? "object";
  return new SimError("6114", `No Node of type ${typeName} found at: ${shown}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function matchesType(value: unknown, type: PropType): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "boolean":
      return typeof value === "boolean";
    case "integer":
      return Number.isInteger(value);
    case "strings":
      return Array.isArray(value) && value.every((v) => typeof v === "string");
  }
}

function typeWord(type: PropType): string {
  return type === "strings" ? "a list of strings" : `a ${type}`;
}

function describeKeys(ref: ObjectRef): string {
  return [...ref.ancestors, ref].flatMap((r) =>
    r.type.keys.map((key, i) => `${r.type.name}.${key}:${r.keys[i]}`)
  ).join(",");
}

/** Segments of an object from `related-to` + `relationship-data` (no `related-link`). */
function segmentsFromData(
  relatedTo: string,
  data: unknown,
): string[] | undefined {
  const type = TYPES[relatedTo];
  if (!type || !Array.isArray(data)) return undefined;
  const values = new Map<string, string>();
  for (const item of data) {
    if (isRecord(item) && typeof item["relationship-key"] === "string") {
      values.set(item["relationship-key"], String(item["relationship-value"]));
    }
  }
  const chain: TypeDef[] = [];
  for (
    let t: TypeDef | undefined = type;
    t;
    t = t.parent ? TYPES[t.parent] : undefined
  ) {
    chain.unshift(t);
  }
  const segments: string[] = [];
  for (const t of chain) {
    segments.push(...t.collection, t.name);
    for (const key of t.keys) {
      const value = values.get(`${t.name}.${key}`);
      if (value === undefined) return undefined;
      segments.push(value);
    }
  }
  return segments;
}

// ---------------------------------------------------------------------------
// XML (what aai-resources answers when Accept does not ask for JSON).

function xmlEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

function xmlElement(name: string, value: unknown): string {
  if (Array.isArray(value)) {
    return value.map((v) => xmlElement(name, v)).join("");
  }
  if (value === null || value === undefined) return "";
  if (isRecord(value)) {
    const inner = Object.entries(value).map(([key, v]) =>
      key === "variables" && Array.isArray(v)
        ? `<variables>${xmlElement("variable", v)}</variables>`
        : xmlElement(key, v)
    ).join("");
    return `<${name}>${inner}</${name}>`;
  }
  return `<${name}>${xmlEscape(String(value))}</${name}>`;
}

function toXml(root: string, body: unknown, version: string): string {
  const head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>';
  if (isRecord(body) && "requestError" in body) {
    return `${head}<Fault>${
      xmlElement("requestError", body.requestError)
    }</Fault>`;
  }
  const ns = ` xmlns="http://org.onap.aai.inventory/${version}"`;
  if (isRecord(body)) {
    const singleList = Object.keys(body).length === 1 &&
      Array.isArray(Object.values(body)[0]);
    const inner = singleList
      ? xmlElement(Object.keys(body)[0] as string, Object.values(body)[0])
      : Object.entries(body).map(([k, v]) => xmlElement(k, v)).join("");
    return `${head}<${root}${ns}>${inner}</${root}>`;
  }
  return `${head}<${root}${ns}>${xmlEscape(String(body))}</${root}>`;
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
          legacyBulk(text, v, segments[0], clientOf(request)),
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
        return reply(bulk(parseBody(text), v, clientOf(request)));
      }
      if (segments[0] === "nodes") {
        if (method !== "GET") {
          return new Response("Method Not Allowed\n", { status: 405 });
        }
        return reply(nodes(segments.slice(1), url.searchParams, v));
      }
      const parsed = parseSegments(segments);
      if (!parsed) {
        throw new SimError(
          "6115",
          `the simulator does not model /${shownPath}`,
        );
      }
      if (method === "GET") return reply(get(parsed, url.searchParams, v));
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
        write(
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

  function get(
    parsed: ParsedPath,
    query: URLSearchParams,
    version: string,
  ): Reply {
    const depthText = query.get("depth");
    let depth = 0;
    if (depthText === "all") depth = Infinity;
    else if (depthText !== null) {
      depth = Number(depthText);
      if (!/^\d+$/.test(depthText)) {
        throw new SimError("4016", `depth=${depthText}`);
      }
    }
    const options: RenderOptions = {
      depth,
      nodesOnly: query.has("nodes-only") || query.get("nodesOnly") === "true",
      skipRelatedTo: query.get("skip-related-to") === "true",
      version,
    };
    switch (parsed.kind) {
      case "object": {
        if (!engine.store.has(parsed.ref.path)) {
          throw notFound(parsed.ref.path, parsed.ref.type.name);
        }
        return {
          status: 200,
          body: engine.render(parsed.ref.path, options),
          root: parsed.ref.type.name,
          headers: { "vertex-id": engine.vertexId() },
        };
      }
      case "collection":
        return list(
          parsed.type,
          engine.store.members(parsed.path),
          query,
          options,
          parsed.path,
        );
      case "relationship-list": {
        if (!engine.store.has(parsed.ref.path)) {
          throw notFound(parsed.ref.path, parsed.ref.type.name);
        }
        const relationships = engine.relationships(
          parsed.ref.path,
          version,
          options.skipRelatedTo,
        );
        if (relationships.length === 0) {
          throw new SimError(
            "6149",
            `No relationships found for ${parsed.ref.path}`,
          );
        }
        return {
          status: 200,
          body: { relationship: relationships },
          root: "relationship-list",
        };
      }
      case "relationship":
        throw new SimError("3012", "GET is not allowed on a relationship");
    }
  }

  /** A plural answer: filters, pagination, format; 404 when empty. */
  function list(
    type: TypeDef,
    paths: Iterable<string>,
    query: URLSearchParams,
    options: RenderOptions,
    shownPath: string,
  ): Reply {
    const filters = [...query].filter(([key]) => !RESERVED_QUERY.has(key));
    let matches: string[] = [];
    for (const path of paths) {
      const object = engine.store.get(path);
      if (
        object &&
        filters.every(([key, value]) => propertyMatches(object[key], value))
      ) {
        matches.push(path);
      }
    }
    if (matches.length === 0) throw notFound(shownPath, type.name);
    const headers: Record<string, string> = {};
    const index = Number(query.get("resultIndex") ?? "");
    const size = Number(query.get("resultSize") ?? "");
    if (index > 0 && size > 0) {
      headers["total-results"] = String(matches.length);
      headers["total-pages"] = String(Math.ceil(matches.length / size));
      matches = matches.slice((index - 1) * size, index * size);
      if (matches.length === 0) throw notFound(shownPath, type.name);
    }
    const format = query.get("format");
    const plural = pluralOf(type.name);
    if (format === "count") {
      return {
        status: 200,
        body: { results: [{ [type.name]: matches.length }] },
        root: "results",
        headers,
      };
    }
    if (format === "pathed") {
      return {
        status: 200,
        body: {
          results: matches.map((path) => ({
            "resource-type": type.name,
            "resource-link": `/aai/${options.version}${path}`,
          })),
        },
        root: "results",
        headers,
      };
    }
    if (format === "resource_and_url" || format === "resource") {
      return {
        status: 200,
        body: {
          results: matches.map((path) => ({
            [type.name]: engine.render(path, options),
            ...(format === "resource_and_url"
              ? { url: `/aai/${options.version}${path}` }
              : {}),
          })),
        },
        root: "results",
        headers,
      };
    }
    return {
      status: 200,
      body: {
        [type.name]: matches.map((path) => engine.render(path, options)),
      },
      root: plural,
      headers,
    };
  }

  function nodes(
    segments: string[],
    query: URLSearchParams,
    version: string,
  ): Reply {
    const options: RenderOptions = {
      depth: query.get("depth") === "all"
        ? Infinity
        : Number(query.get("depth") ?? 0) || 0,
      nodesOnly: query.has("nodes-only") || query.get("nodesOnly") === "true",
      skipRelatedTo: query.get("skip-related-to") === "true",
      version,
    };
    const shown = "nodes/" + segments.map(encodeURIComponent).join("/");
    const pluralType = segments.length === 1
      ? PLURALS[segments[0] as string]
      : undefined;
    if (pluralType) {
      return list(
        TYPES[pluralType] as TypeDef,
        engine.store.ofType(pluralType),
        query,
        options,
        shown,
      );
    }
    const type = TYPES[segments[0] ?? ""];
    if (type && segments.length === 1 + type.keys.length) {
      const keys = segments.slice(1);
      const found = [...engine.store.ofType(type.name)].filter((path) => {
        const ref = engine.store.ref(path);
        return ref !== undefined && ref.keys.every((k, i) => k === keys[i]);
      });
      if (found.length === 0) throw notFound(shown, type.name);
      return {
        status: 200,
        body: engine.render(found[0] as string, options),
        root: type.name,
      };
    }
    throw new SimError("6115", `the simulator does not model /${shown}`);
  }

  function write(
    method: string,
    parsed: ParsedPath,
    body: unknown,
    rv: string | null,
  ): Reply {
    if (parsed.kind === "object") {
      if (method === "PUT") {
        if (body === undefined) throw new SimError("3102", "the body is empty");
        return engine.putObject(parsed.ref, body, method);
      }
      if (method === "PATCH") {
        if (body === undefined) throw new SimError("3102", "the body is empty");
        return engine.patchObject(parsed.ref, body, method);
      }
      if (method === "DELETE") return engine.deleteObject(parsed.ref, rv);
    }
    if (parsed.kind === "relationship") {
      if (method === "PUT") {
        if (body === undefined) throw new SimError("3102", "the body is empty");
        return engine.putEdge(parsed.ref, body, method);
      }
      if (method === "DELETE") {
        return engine.deleteEdge(parsed.ref, body, method);
      }
    }
    throw new SimError("3000", `${method} is not supported on this path`);
  }

  function bulk(body: unknown, version: string, client: string): Reply {
    const operations = isRecord(body) ? body.operations : undefined;
    if (!Array.isArray(operations)) {
      throw new SimError("3000", 'the body must be {"operations":[…]}');
    }
    if (operations.length > bulkLimit) {
      throw new SimError(
        "6147",
        `Payload Limit Reached: ${operations.length} operations, the limit is ${bulkLimit}`,
      );
    }
    state.counts.bulkOperations += operations.length;
    clientCounts(client).bulkOperations += operations.length;
    const responses: unknown[] = [];
    engine.store.begin();
    for (const [index, operation] of operations.entries()) {
      const action = isRecord(operation) && typeof operation.action === "string"
        ? operation.action.toLowerCase()
        : "";
      const uri = isRecord(operation) && typeof operation.uri === "string"
        ? operation.uri
        : "";
      const method = action === "put"
        ? "PUT"
        : action === "patch"
        ? "PATCH"
        : action === "delete"
        ? "DELETE"
        : action.toUpperCase();
      try {
        if (!["put", "patch", "delete"].includes(action)) {
          throw new SimError(
            "3000",
            `action (${action}) is not one of put, patch, delete`,
          );
        }
        if (!isRecord(operation) || !isRecord(operation.body)) {
          throw new SimError(
            "3000",
            "body is mandatory for every operation (use {} for delete)",
          );
        }
        const [pathPart = "", queryPart = ""] = uri.split("?", 2);
        const path = pathPart.replace(/^\/aai\/(v[0-9]+|latest)(?=\/)/, "");
        const parsed = parseSegments(decodePath(path));
        if (!parsed) {
          throw new SimError("6115", `the simulator does not model ${path}`);
        }
        const rv = new URLSearchParams(queryPart).get("resource-version");
        const result = write(method, parsed, operation.body, rv);
        responses.push({
          action,
          uri,
          "response-status-code": result.status,
          "response-body": null,
        });
      } catch (error) {
        engine.store.rollback();
        if (!(error instanceof SimError)) throw error;
        const inner = errorReply(error, method, uri.replace(/^\//, ""));
        const message =
          `Operation ${index} with action (${method}) on uri (${uri}) failed with status code (${inner.status}), error code (${inner.code}) and msg (${
            JSON.stringify(inner.body)
          })`;
        const outer = errorReply(
          new SimError("3000", message),
          "POST",
          `/aai/${version}/bulk/single-transaction`,
        );
        return { status: inner.status, body: outer.body };
      }
    }
    engine.store.commit();
    return {
      status: 201,
      body: { "operation-responses": responses },
      root: "operation-responses",
    };
  }

  /**
   * `PUT /aai/{v}/bulkprocess` and `/bulkadd` (BulkProcessConsumer,
   * BulkAddConsumer): each transaction object is committed or rolled back
   * on its own; its operations are all tried and each reports its status in
   * the body, which is 201 whatever happened. A transaction object holds one
   * action kind: the parser takes `put`, else `delete`, else `patch`, and
   * ignores any other kind beside it (SO-3845). bulkadd takes `put` only.
   */
  function legacyBulk(
    text: string,
    version: string,
    which: "bulkprocess" | "bulkadd",
    client: string,
  ): Reply {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new SimError(
        "6111",
        `the body is not JSON: ${(error as Error).message}`,
      );
    }
    const transactions = isRecord(body) ? body.transactions : undefined;
    if (!Array.isArray(transactions) || transactions.length === 0) {
      throw new SimError(
        "6118",
        "at least one transaction is required in transactions",
      );
    }
    const kinds = which === "bulkadd" ? ["put"] : ["put", "delete", "patch"];
    const picked = transactions.map((transaction) => {
      const kind = isRecord(transaction)
        ? ["put", "delete", "patch"].find((k) => Array.isArray(transaction[k]))
        : undefined;
      const operations = kind && isRecord(transaction)
        ? transaction[kind] as unknown[]
        : [];
      return { kind, operations };
    });
    const total = picked.reduce((n, t) => n + t.operations.length, 0);
    if (total > bulkLimit) {
      throw new SimError(
        "6147",
        `Payload Limit Reached: ${total} operations, the limit is ${bulkLimit}`,
      );
    }
    state.counts.bulkOperations += total;
    clientCounts(client).bulkOperations += total;
    const results: unknown[] = [];
    for (const { kind, operations } of picked) {
      if (kind === undefined || !kinds.includes(kind)) {
        const error = errorReply(
          new SimError(
            "6118",
            `a transaction must hold one of ${kinds.join(", ")}`,
          ),
          "PUT",
          `/aai/${version}/${which}`,
        );
        results.push({
          [kind ?? "put"]: [{
            uri: null,
            body: { [error.status]: JSON.stringify(error.body) },
          }],
        });
        continue;
      }
      const method = kind.toUpperCase();
      const outcomes: unknown[] = [];
      let failed = false;
      engine.store.begin();
      for (const operation of operations) {
        const uri = isRecord(operation) && typeof operation.uri === "string"
          ? operation.uri
          : "";
        try {
          const [pathPart = "", queryPart = ""] = uri.split("?", 2);
          const path = pathPart.replace(
            /^\/aai\/(v[0-9]+|latest)(?=\/)/,
            "",
          );
          if (uri === "") throw new SimError("6118", "uri is missing");
          const parsed = parseSegments(decodePath(path));
          if (!parsed) {
            throw new SimError("6115", `the simulator does not model ${path}`);
          }
          const operationBody = isRecord(operation)
            ? operation.body
            : undefined;
          if (method !== "DELETE" && !isRecord(operationBody)) {
            throw new SimError("3102", "body is missing");
          }
          const rv = new URLSearchParams(queryPart).get("resource-version");
          const result = write(method, parsed, operationBody, rv);
          outcomes.push({ uri, body: { [result.status]: null } });
        } catch (error) {
          if (!(error instanceof SimError)) {
            engine.store.rollback();
            throw error;
          }
          failed = true;
          const e = errorReply(error, method, uri.replace(/^\//, ""));
          outcomes.push({ uri, body: { [e.status]: JSON.stringify(e.body) } });
        }
      }
      if (failed) engine.store.rollback();
      else engine.store.commit();
      results.push({ [kind]: outcomes });
    }
    return { status: 201, body: { transaction: results }, root: "transaction" };
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
      });
      if (state.requests.length > logLimit) state.requests.shift();
    }
    return response;
  }

  return new Promise((resolve) => {
    const server = Deno.serve({
      port: options.port ?? 0,
      hostname: "127.0.0.1",
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

function propertyMatches(value: unknown, wanted: string): boolean {
  if (Array.isArray(value)) return value.some((v) => String(v) === wanted);
  return value !== undefined && String(value) === wanted;
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
  }
}

/** The client a request comes from: its X-FromAppId (or an accepted alternative), `""` when absent. */
function clientOf(request: Request): string {
  return firstHeader(request.headers, FROM_APP_HEADERS) ?? "";
}

/** Spring's `UriUtils.encode(s, UTF-8)`: everything but RFC 3986 unreserved characters, upper-case hex. */
export function springEncode(text: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(text)) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c)
      ? c
      : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** Spring's `UriUtils.decode`: percent-decoding (no `+` → space), throwing on a bad escape. */
function springDecode(text: string): string {
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "%") {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) {
        throw new SimError(
          "3008",
          `invalid encoded sequence "${text.slice(i)}"`,
        );
      }
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(...encoder.encode(c));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/**
 * aai-resources' `ValidateEncoding`: every raw path segment, query key and
 * query value must equal `UriUtils.encode(UriUtils.decode(it))`, else 400
 * AAI_3008 (so `! ' ( ) *` left raw by `encodeURIComponent`, `+` for a
 * space, or lower-case hex are refused).
 */
function validateEncoding(url: URL): void {
  const raw = [...url.pathname.split("/")];
  const query = url.search.replace(/^\?/, "");
  if (query !== "") {
    for (const pair of query.split("&")) {
      const equals = pair.indexOf("=");
      if (equals < 0) raw.push(pair);
      else raw.push(pair.slice(0, equals), pair.slice(equals + 1));
    }
  }
  for (const segment of raw) {
    if (springEncode(springDecode(segment)) !== segment) {
      throw new SimError("3008", `uri=${url.pathname.replace(/^\//, "")}`);
    }
  }
}
