/**
 * A&AI (aai-resources) adapter: reads and writes inventory objects.
 *
 * CONTRACT (written first so sync/, sim/ and tasks/ can build against it):
 * the HTTP implementation `HttpAaiClient` follows below.
 *
 * Paths are A&AI object paths *without* the `/aai/{version}` prefix, with every
 * segment already percent-encoded, e.g.
 * `/cloud-infrastructure/cloud-regions/cloud-region/CloudOwner/r1/tenants/tenant/t1/k8s-resources/k8s-resource/ab12…`.
 * Build them with `aaiPath()`.
 *
 * @module
 */
import { z } from "zod";
import { type Exchange, HttpClient, HttpTransportError } from "./http.ts";

/** An A&AI object as JSON (`resource-version` and `relationship-list` included when present). */
export type AaiObject = Record<string, unknown>;

/** A relationship body for `…/relationship-list/relationship`. */
export interface AaiRelationship {
  /** Node type of the other end, e.g. `vf-module`. */
  "related-to"?: string;
  /** Edge label; A&AI defaults it from the edge rules. */
  "relationship-label"?: string;
  /** Full link, e.g. `/aai/v24/network/generic-vnfs/generic-vnf/{id}`. */
  "related-link": string;
}

/** One operation of `POST /aai/{v}/bulk/single-transaction`. */
export interface BulkOperation {
  /** Operation kind. */
  action: "put" | "patch" | "delete";
  /** Object path (as for the single calls); for delete include `?resource-version=`. */
  uri: string;
  /** Mandatory, `{}` for delete. */
  body: Record<string, unknown>;
}

/** A vf-module found by the nodes query, with its generic-vnf. */
export interface VfModuleRef {
  /** The parent generic-vnf's `vnf-id`. */
  vnfId: string;
  /** The vf-module's `vf-module-id`. */
  vfModuleId: string;
}

/** The seam between sync/ and A&AI; the HTTP client and fakes implement it. */
export interface AaiClient {
  /** GET an object; `undefined` when A&AI answers 404 (ERR.5.4.6114). */
  get(path: string): Promise<AaiObject | undefined>;
  /** PUT (create without rv → 201, replace with rv → 200). Throws AaiError on 412 etc. */
  put(path: string, body: AaiObject): Promise<{ status: number }>;
  /** Merge-PATCH (`application/merge-patch+json`): only the given fields. */
  patch(path: string, body: AaiObject): Promise<void>;
  /** DELETE with `?resource-version=`; resolves `false` when already gone (404). */
  delete(path: string, resourceVersion: string): Promise<boolean>;
  /** PUT `{path}/relationship-list/relationship` (idempotent). */
  putRelationship(path: string, relationship: AaiRelationship): Promise<void>;
  /** DELETE `{path}/relationship-list/relationship` with the relationship as body (idempotent). */
  deleteRelationship(
    path: string,
    relationship: AaiRelationship,
  ): Promise<void>;
  /** `GET /nodes/vf-modules?heat-stack-id=…`; `[]` on 404. */
  findVfModules(heatStackId: string): Promise<VfModuleRef[]>;
  /** Tenant ids of a cloud region; `[]` when the region has none (404). */
  listTenants(cloudOwner: string, cloudRegionId: string): Promise<string[]>;
  /** `POST /bulk/single-transaction` (≤ 30 operations, all-or-nothing); returns each operation's status code. */
  bulk(operations: BulkOperation[]): Promise<number[]>;
}

// ---------------------------------------------------------------------------
// Implementation.
//
// Permissions: `--allow-net` for A&AI; `--allow-read` for `caFile`;
// `--allow-write` for `recordDir`.

/** Operations A&AI accepts in one bulk single-transaction (OOM `config.bulk.limit`). */
export const AAI_BULK_LIMIT = 30;

/**
 * Encodes one A&AI path segment or query value as Spring's
 * `UriUtils.encode(s, UTF-8)` does: UTF-8, every byte but the RFC 3986
 * unreserved characters (`A-Za-z0-9-._~`) as `%XX` with upper-case hex.
 * aai-resources' `ValidateEncoding` refuses (400 AAI_3008) any segment or
 * query part that is not in this form, so `! ' ( ) *`, which
 * `encodeURIComponent` leaves raw, are encoded too, and a space is `%20`,
 * never `+` (reference/aai.md §7). The one encoder of every A&AI path and
 * query this tool builds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { springEncode } from "./aai.ts";
 * assert.equal(springEncode("kud(lr)!"), "kud%28lr%29%21");
 * assert.equal(springEncode("Cloud'Owner *~"), "Cloud%27Owner%20%2A~");
 * ```
 */
export function springEncode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * A query string (`?k=v&…`, `""` for none) with keys and values in
 * {@linkcode springEncode} form (`URLSearchParams` would send `+` for a
 * space and `*` raw, which A&AI refuses).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { aaiQuery } from "./aai.ts";
 * assert.equal(aaiQuery({ "data-owner": "k8s aai", format: "count" }), "?data-owner=k8s%20aai&format=count");
 * ```
 */
export function aaiQuery(query: Record<string, string>): string {
  const pairs = Object.entries(query).map(([k, v]) =>
    `${springEncode(k)}=${springEncode(v)}`
  );
  return pairs.length ? `?${pairs.join("&")}` : "";
}

/**
 * Builds an A&AI object path from raw segments: each one is percent-encoded
 * ({@linkcode springEncode}),
 * so an id like `a/b` or `../x` stays one segment and cannot change the
 * URL's shape. Segments that no URL can carry (`""`, `.`, `..`: URL parsers
 * resolve even `%2E%2E` as a parent step) throw a RangeError.
 *
 * @example
 * ```ts
 * import { aaiPath } from "./aai.ts";
 * aaiPath("network", "generic-vnfs", "generic-vnf", "a/b");
 * // => "/network/generic-vnfs/generic-vnf/a%2Fb"
 * ```
 */
export function aaiPath(...segments: string[]): string {
  return segments.map((segment) => {
    if (segment === "" || segment === "." || segment === "..") {
      throw new RangeError(
        `Cannot build an A&AI path from segment "${segment}": no URL can carry it`,
      );
    }
    return "/" + springEncode(segment);
  }).join("");
}

/** How an A&AI call failed. */
export type AaiErrorKind =
  /** A&AI answered with an error status. */
  | "Http"
  /** No HTTP response (timeout, reset, refused, TLS) after the retries. */
  | "Transport"
  /** A&AI answered 2xx with a body we cannot use. */
  | "InvalidResponse";

/** An A&AI call failed; carries what callers decide on (`status`, `code`, `retryable`). */
export class AaiError extends Error {
  /** How the call failed: `Http`, `Transport` or `InvalidResponse`. */
  readonly kind: AaiErrorKind;
  /** HTTP status, when A&AI answered. */
  readonly status?: number;
  /** The `ERR.x.y.zzzz` code (last variable of the error body), e.g. `ERR.5.4.6131`. */
  readonly code?: string;
  /** The error body's `messageId`, e.g. `SVC3000`. */
  readonly messageId?: string;
  /** The HTTP method of the call. */
  readonly method: string;
  /** The object path (without `/aai/{v}`). */
  readonly path: string;
  /** True for 5xx, 408, 429, ERR.5.4.7406 and transport errors. */
  readonly retryable: boolean;
  /** The X-TransactionId sent, to find the request in A&AI's logs. */
  readonly transactionId?: string;
  /** Bulk: index (0-based) of the first failing operation. */
  readonly operationIndex?: number;

  /** Builds the error; the message is composed by the client. */
  constructor(
    message: string,
    init: {
      kind: AaiErrorKind;
      method: string;
      path: string;
      status?: number | undefined;
      code?: string | undefined;
      messageId?: string | undefined;
      transactionId?: string | undefined;
      operationIndex?: number | undefined;
      retryable?: boolean;
    },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "AaiError";
    this.kind = init.kind;
    this.method = init.method;
    this.path = init.path;
    if (init.status !== undefined) this.status = init.status;
    if (init.code !== undefined) this.code = init.code;
    if (init.messageId !== undefined) this.messageId = init.messageId;
    if (init.transactionId !== undefined) {
      this.transactionId = init.transactionId;
    }
    if (init.operationIndex !== undefined) {
      this.operationIndex = init.operationIndex;
    }
    this.retryable = init.retryable ?? isRetryable(init.status, init.code);
  }
}

function isRetryable(status: number | undefined, code: string | undefined) {
  if (status === undefined) return true;
  return status >= 500 || status === 408 || status === 429 ||
    code === "ERR.5.4.7406";
}

const exceptionSchema = z.object({
  messageId: z.string().optional(),
  text: z.string().optional(),
  variables: z.array(z.unknown()).optional(),
});

/** `{"requestError":{"serviceException"|"policyException":{messageId,text,variables}}}`. */
const errorBodySchema = z.object({
  requestError: z.object({
    serviceException: exceptionSchema.optional(),
    policyException: exceptionSchema.optional(),
  }),
});

/** What an A&AI error body says, read without parsing its text. */
export interface AaiErrorBody {
  /** The last variable when it looks like `ERR.x.y.zzzz`. */
  code?: string;
  /** e.g. `SVC3001`, `POL3300`. */
  messageId?: string;
  /** The variables as sent (A&AI's own words are in variables[2]). */
  variables: string[];
}

/**
 * Reads an A&AI error body (JSON `requestError`); undefined when the text is
 * not one (plain text, HTML from a proxy, XML).
 */
export function parseAaiErrorBody(text: string): AaiErrorBody | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = errorBodySchema.safeParse(data);
  if (!parsed.success) return undefined;
  const exception = parsed.data.requestError.serviceException ??
    parsed.data.requestError.policyException;
  if (!exception) return undefined;
  const variables = (exception.variables ?? []).map((v) => String(v));
  const last = variables.at(-1);
  return {
    ...(last && /^ERR\.\d+\.\d+\.\d+$/.test(last) ? { code: last } : {}),
    ...(exception.messageId !== undefined
      ? { messageId: exception.messageId }
      : {}),
    variables,
  };
}

/** Short meanings of the codes callers meet, for messages. */
const MEANINGS: Record<string, string> = {
  "ERR.5.4.6114": "not found",
  "ERR.5.4.6129": "related object not found",
  "ERR.5.4.6130": "resource-version not passed for an existing object",
  "ERR.5.4.6131": "resource-version mismatch",
  "ERR.5.4.6135": "resource-version given on create",
  "ERR.5.4.6140": "edge multiplicity violated",
  "ERR.5.4.6120": "no edge rule for this relationship",
  "ERR.5.4.6145": "containment edge through a relationship",
  "ERR.5.4.6110": "object cannot be deleted while others depend on it",
  "ERR.5.4.6147": "bulk payload limit reached",
  "ERR.4.0.4009": "X-FromAppId header missing",
  "ERR.4.0.4010": "X-TransactionId header missing",
  "ERR.5.1.3300": "unauthorized",
  "ERR.5.4.7406": "request timed out in A&AI",
};

/** Object types we name in messages, with how many key segments follow them. */
const KEY_COUNTS: Record<string, number> = {
  "cloud-region": 2,
  tenant: 1,
  "k8s-resource": 1,
  "generic-vnf": 1,
  "vf-module": 1,
  pserver: 1,
  vserver: 1,
};

/** `k8s-resource "abc"` for a path, or the path itself. */
function describePath(path: string): string {
  const segments = path.split("?")[0]!.split("/").slice(1).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  for (let i = segments.length - 1; i >= 0; i--) {
    const count = KEY_COUNTS[segments[i]!];
    if (count !== undefined && i + count < segments.length) {
      return `${segments[i]} "${
        segments.slice(i + 1, i + 1 + count).join("/")
      }"`;
    }
  }
  return `"${path}"`;
}

/** Shortens a body for a message. */
function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

/** An A&AI exchange as reported to `onExchange`: the HTTP layer's, plus the transaction id. */
export interface AaiExchange extends Exchange {
  /** The X-TransactionId of the request. */
  transactionId: string;
}

/** Options of {@linkcode HttpAaiClient}. */
export interface HttpAaiClientOptions {
  /** Aborts every request, retries included (a pass deadline). */
  signal?: AbortSignal | undefined;
  /** e.g. `http://aai.onap:80` or `https://aai.onap:8443` (without `/aai/v24`). */
  baseUrl: string;
  /** Schema version in paths (default `v24`, the first with k8s-resource). */
  apiVersion?: string | undefined;
  /** Basic auth user (default `AAI`). */
  username?: string | undefined;
  /** Basic auth password (default `AAI`); never logged. */
  password?: string | undefined;
  /** X-FromAppId (default `k8s-aai-sync`). */
  appId?: string | undefined;
  /** PEM file of the CA of A&AI's certificate. */
  caFile?: string | undefined;
  /** Skip TLS verification (only when exactly `true`). */
  insecure?: boolean | undefined;
  /** Per-attempt timeout in ms (default 30 000). */
  timeoutMs?: number | undefined;
  /** Extra attempts for 5xx and transport errors (default 3; never 4xx, so never 412). */
  retries?: number | undefined;
  /** First backoff in ms (default 200). */
  minBackoffMs?: number | undefined;
  /** Backoff cap in ms (default 5 000). */
  maxBackoffMs?: number | undefined;
  /** Record every exchange as a JSON fixture in this directory (secrets redacted). */
  recordDir?: string | undefined;
  /** Called after each attempt (for logs and metrics), with the transaction id. */
  onExchange?: ((exchange: AaiExchange) => void) | undefined;
  /** Operations per bulk request (default {@linkcode AAI_BULK_LIMIT}). */
  bulkLimit?: number | undefined;
}

/** What a write returns besides the contract's fields: the X-TransactionId it was sent with. */
export interface AaiWriteResult {
  /** 201 for a create, 200 for a replace. */
  status: number;
  /** The X-TransactionId the write was sent with. */
  transactionId: string;
}

const objectSchema = z.record(z.string(), z.unknown());

const tenantsSchema = z.object({
  tenant: z.array(z.looseObject({ "tenant-id": z.string() })),
});

const vfModuleSchema = z.looseObject({
  "vf-module-id": z.string(),
  "relationship-list": z.looseObject({
    relationship: z.array(z.looseObject({
      "related-to": z.string().optional(),
      "related-link": z.string().optional(),
      "relationship-data": z.array(z.looseObject({
        "relationship-key": z.string(),
        "relationship-value": z.unknown(),
      })).optional(),
    })).optional(),
  }).optional(),
});

const vfModulesSchema = z.union([
  z.object({
    results: z.array(z.looseObject({
      "vf-module": vfModuleSchema.optional(),
      url: z.string().optional(),
      "resource-link": z.string().optional(),
    })),
  }),
  z.object({ "vf-module": z.array(vfModuleSchema) }),
]);

const bulkResponseSchema = z.object({
  "operation-responses": z.array(z.looseObject({
    "response-status-code": z.number(),
  })),
});

/** Where a request is going, for messages. */
interface Call {
  method: string;
  /** Object path (already encoded) without `/aai/{v}`. */
  path: string;
  /** Verb phrase for messages: `update k8s-resource "abc"`. */
  action: string;
}

/**
 * A&AI over HTTP(S): every request carries `Accept: application/json`,
 * `X-FromAppId`, a fresh `X-TransactionId` (a UUID) and basic auth; A&AI
 * error bodies become {@linkcode AaiError}s typed by status and code.
 *
 * Permissions: `--allow-net`; `--allow-read` with `caFile`; `--allow-write`
 * with `recordDir`.
 *
 * @example
 * ```ts ignore
 * using aai = new HttpAaiClient({ baseUrl: "http://aai.onap:80" });
 * const tenants = await aai.listTenants("CloudOwner", "k8sregionone");
 * ```
 */
export class HttpAaiClient implements AaiClient {
  readonly #http: HttpClient;
  readonly #version: string;
  readonly #bulkLimit: number;
  #lastTransactionId: string | undefined;

  /** Stores the options; nothing is sent until the first call. */
  constructor(options: HttpAaiClientOptions) {
    this.#version = options.apiVersion ?? "v24";
    this.#bulkLimit = options.bulkLimit ?? AAI_BULK_LIMIT;
    const appId = options.appId ?? "k8s-aai-sync";
    const onExchange = options.onExchange;
    this.#http = new HttpClient({
      baseUrl: options.baseUrl,
      peer: "A&AI",
      username: options.username ?? "AAI",
      password: options.password ?? "AAI",
      headers: () => ({ "Accept": "application/json", "X-FromAppId": appId }),
      ...(options.caFile !== undefined ? { caFile: options.caFile } : {}),
      ...(options.insecure !== undefined ? { insecure: options.insecure } : {}),
      ...(options.timeoutMs !== undefined
        ? { timeoutMs: options.timeoutMs }
        : {}),
      ...(options.retries !== undefined ? { retries: options.retries } : {}),
      ...(options.minBackoffMs !== undefined
        ? { minBackoffMs: options.minBackoffMs }
        : {}),
      ...(options.maxBackoffMs !== undefined
        ? { maxBackoffMs: options.maxBackoffMs }
        : {}),
      ...(options.recordDir !== undefined
        ? { recordDir: options.recordDir }
        : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(onExchange
        ? {
          onExchange(exchange: Exchange) {
            onExchange({
              ...exchange,
              transactionId: headerOf(
                exchange.requestHeaders,
                "x-transactionid",
              ) ?? "",
            });
          },
        }
        : {}),
    });
  }

  /** The schema version used in paths, e.g. `v24`. */
  get apiVersion(): string {
    return this.#version;
  }

  /** The X-TransactionId of the most recent request (for logs; with concurrency prefer `onExchange` or the write's result). */
  get lastTransactionId(): string | undefined {
    return this.#lastTransactionId;
  }

  /** GET an object at depth 0; `undefined` on 404 ERR.5.4.6114. */
  async get(path: string): Promise<AaiObject | undefined> {
    const call = { method: "GET", path, action: `read ${describePath(path)}` };
    const { response, transactionId } = await this.#send(call);
    if (response.status === 404 && this.#isNotFound(response.text)) {
      return undefined;
    }
    this.#expect(call, response, transactionId, [200]);
    return this.#parse(call, response.text, transactionId, objectSchema);
  }

  /** PUT: create (no `resource-version` → 201) or replace (with it → 200). */
  async put(path: string, body: AaiObject): Promise<AaiWriteResult> {
    const verb = body["resource-version"] === undefined ? "create" : "update";
    const call = {
      method: "PUT",
      path,
      action: `${verb} ${describePath(path)}`,
    };
    const { response, transactionId } = await this.#send(call, { body });
    this.#expect(call, response, transactionId, [200, 201]);
    return { status: response.status, transactionId };
  }

  /** Merge-PATCH (`application/merge-patch+json`): `null` deletes a field; no rv check. */
  async patch(path: string, body: AaiObject): Promise<void> {
    const call = {
      method: "PATCH",
      path,
      action: `update ${describePath(path)}`,
    };
    const { response, transactionId } = await this.#send(call, {
      body,
      contentType: "application/merge-patch+json",
    });
    this.#expect(call, response, transactionId, [200, 201, 204]);
  }

  /** DELETE `?resource-version=`; `false` when already gone (404 ERR.5.4.6114). */
  async delete(path: string, resourceVersion: string): Promise<boolean> {
    const call = {
      method: "DELETE",
      path,
      action: `delete ${describePath(path)}`,
    };
    const { response, transactionId } = await this.#send(call, {
      query: { "resource-version": resourceVersion },
    });
    if (response.status === 404 && this.#isNotFound(response.text)) {
      return false;
    }
    this.#expect(call, response, transactionId, [200, 204]);
    return true;
  }

  /** PUT `{path}/relationship-list/relationship` (idempotent; bumps the object's rv). */
  async putRelationship(
    path: string,
    relationship: AaiRelationship,
  ): Promise<void> {
    const call = {
      method: "PUT",
      path: `${path}/relationship-list/relationship`,
      action: `relate ${describePath(path)} to "${
        relationship["related-link"]
      }"`,
    };
    const { response, transactionId } = await this.#send(call, {
      body: relationship,
    });
    this.#expect(call, response, transactionId, [200, 201, 204]);
  }

  /** DELETE `{path}/relationship-list/relationship` with the relationship as body (idempotent). */
  async deleteRelationship(
    path: string,
    relationship: AaiRelationship,
  ): Promise<void> {
    const call = {
      method: "DELETE",
      path: `${path}/relationship-list/relationship`,
      action: `unrelate ${describePath(path)} from "${
        relationship["related-link"]
      }"`,
    };
    const { response, transactionId } = await this.#send(call, {
      body: relationship,
    });
    this.#expect(call, response, transactionId, [200, 204]);
  }

  /**
   * `GET /nodes/vf-modules?heat-stack-id=…&format=resource_and_url`: the
   * vf-modules whose heat-stack-id is the instance id, with their generic-vnf
   * (taken from each result's `url`; a server that ignores `format` and
   * answers `{"vf-module":[…]}` is understood too, the vnf id then coming
   * from a `generic-vnf.vnf-id` relationship-data). `[]` on 404.
   */
  async findVfModules(heatStackId: string): Promise<VfModuleRef[]> {
    const call = {
      method: "GET",
      path: "/nodes/vf-modules",
      action: `find vf-modules with heat-stack-id "${heatStackId}"`,
    };
    const { response, transactionId } = await this.#send(call, {
      query: { "heat-stack-id": heatStackId, format: "resource_and_url" },
    });
    if (response.status === 404 && this.#isNotFound(response.text)) return [];
    this.#expect(call, response, transactionId, [200]);
    const data = this.#parse(
      call,
      response.text,
      transactionId,
      vfModulesSchema,
    );
    const refs: VfModuleRef[] = [];
    if ("results" in data) {
      for (const result of data.results) {
        const link = result.url ?? result["resource-link"];
        const fromLink = link ? idsFromLink(link) : undefined;
        const vfModuleId = result["vf-module"]?.["vf-module-id"] ??
          fromLink?.vfModuleId;
        const vnfId = fromLink?.vnfId ??
          (result["vf-module"]
            ? vnfIdFromRelationships(result["vf-module"])
            : undefined);
        if (vfModuleId && vnfId) refs.push({ vnfId, vfModuleId });
      }
    } else {
      for (const module of data["vf-module"]) {
        const vnfId = vnfIdFromRelationships(module);
        if (vnfId) refs.push({ vnfId, vfModuleId: module["vf-module-id"] });
      }
    }
    return refs;
  }

  /** Tenant ids of a cloud region (`…/cloud-region/{o}/{r}/tenants`); `[]` on 404. */
  async listTenants(
    cloudOwner: string,
    cloudRegionId: string,
  ): Promise<string[]> {
    const path = aaiPath(
      "cloud-infrastructure",
      "cloud-regions",
      "cloud-region",
      cloudOwner,
      cloudRegionId,
      "tenants",
    );
    const call = {
      method: "GET",
      path,
      action: `list tenants of cloud-region "${cloudOwner}/${cloudRegionId}"`,
    };
    const { response, transactionId } = await this.#send(call, {
      query: { "nodes-only": "" },
    });
    if (response.status === 404 && this.#isNotFound(response.text)) return [];
    this.#expect(call, response, transactionId, [200]);
    const data = this.#parse(call, response.text, transactionId, tenantsSchema);
    return data.tenant.map((t) => t["tenant-id"]);
  }

  /**
   * `POST /bulk/single-transaction`: all operations or none. Resolves each
   * operation's status code; throws a RangeError before sending when there
   * are more than the limit (30), and an {@linkcode AaiError} carrying the
   * first failing operation's index, status and code otherwise.
   */
  async bulk(operations: BulkOperation[]): Promise<number[]> {
    if (operations.length > this.#bulkLimit) {
      throw new RangeError(
        `Cannot send ${operations.length} operations in one A&AI bulk transaction: the limit is ${this.#bulkLimit}`,
      );
    }
    if (operations.length === 0) return [];
    const call = {
      method: "POST",
      path: "/bulk/single-transaction",
      action: `apply a bulk transaction of ${operations.length} operations`,
    };
    const { response, transactionId } = await this.#send(call, {
      body: { operations },
    });
    if (response.status >= 300) {
      throw this.#bulkError(call, operations, response, transactionId);
    }
    const data = this.#parse(
      call,
      response.text,
      transactionId,
      bulkResponseSchema,
    );
    return data["operation-responses"].map((r) => r["response-status-code"]);
  }

  /** Releases the HTTP client (TLS). */
  close(): void {
    this.#http.close();
  }

  /** Same as `close()` (`using`). */
  [Symbol.dispose](): void {
    this.close();
  }

  async #send(
    call: Call,
    init: {
      query?: Record<string, string>;
      body?: unknown;
      contentType?: string;
    } = {},
  ) {
    if (!call.path.startsWith("/")) {
      throw new TypeError(
        `Cannot ${call.action} in A&AI: the path must start with "/" (build it with aaiPath())`,
      );
    }
    const transactionId = crypto.randomUUID();
    this.#lastTransactionId = transactionId;
    try {
      const response = await this.#http.request(
        call.method,
        `/aai/${this.#version}${call.path}${aaiQuery(init.query ?? {})}`,
        {
          headers: { "X-TransactionId": transactionId },
          ...(init.body !== undefined ? { body: init.body } : {}),
          ...(init.contentType ? { contentType: init.contentType } : {}),
        },
      );
      return { response, transactionId };
    } catch (error) {
      if (error instanceof HttpTransportError) {
        throw new AaiError(
          `Cannot ${call.action} in A&AI: ${
            error.message.replace(/^Cannot reach A&AI for /, "")
          }`,
          {
            kind: "Transport",
            method: call.method,
            path: call.path,
            transactionId,
          },
          { cause: error },
        );
      }
      throw error;
    }
  }

  /** True when a 404 body is A&AI's "not found" (ERR.5.4.6114), not a proxy's or a wrong URL's. */
  #isNotFound(text: string): boolean {
    return parseAaiErrorBody(text)?.code === "ERR.5.4.6114";
  }

  #expect(
    call: Call,
    response: { status: number; text: string },
    transactionId: string,
    ok: number[],
  ): void {
    if (ok.includes(response.status)) return;
    throw httpError(call, response, transactionId);
  }

  #parse<T>(
    call: Call,
    text: string,
    transactionId: string,
    schema: z.ZodType<T>,
  ): T {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new AaiError(
        `Cannot ${call.action} in A&AI: the response is not JSON: "${
          excerpt(text)
        }"`,
        {
          kind: "InvalidResponse",
          method: call.method,
          path: call.path,
          status: 200,
          transactionId,
          retryable: false,
        },
        { cause: error },
      );
    }
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? issue.path.join(".") : "(root)";
      throw new AaiError(
        `Cannot ${call.action} in A&AI: unexpected response at ${where}: ${
          issue?.message ?? "invalid"
        }`,
        {
          kind: "InvalidResponse",
          method: call.method,
          path: call.path,
          status: 200,
          transactionId,
          retryable: false,
        },
        { cause: parsed.error },
      );
    }
    return parsed.data;
  }

  #bulkError(
    call: Call,
    operations: BulkOperation[],
    response: { status: number; text: string },
    transactionId: string,
  ): AaiError {
    const body = parseAaiErrorBody(response.text);
    const detail = body?.variables[2] ?? "";
    const match = /Operation (\d+)/.exec(detail);
    if (!body || !match) return httpError(call, response, transactionId);
    const index = Number(match[1]);
    const operation = operations[index];
    const codes = detail.match(/ERR\.\d+\.\d+\.\d+/g) ?? [];
    const explicit = /error code \((ERR\.[\d.]+)\)/.exec(detail)?.[1];
    const code = explicit ?? codes.at(-1) ?? body.code;
    const status = Number(/status code \((\d+)\)/.exec(detail)?.[1] ?? "") ||
      response.status;
    const target = operation
      ? `${operation.action} ${describePath(operation.uri)}`
      : `operation ${index}`;
    return new AaiError(
      `Cannot ${call.action} in A&AI: operation ${index} (${target}) failed with HTTP ${status}${
        code ? ` ${code}` : ""
      }${
        code && MEANINGS[code] ? ` ${MEANINGS[code]}` : ""
      }; nothing was applied`,
      {
        kind: "Http",
        method: call.method,
        path: call.path,
        status,
        code,
        messageId: body.messageId,
        transactionId,
        operationIndex: index,
      },
    );
  }
}

/** The AaiError of an unexpected status, typed by the error body's code. */
function httpError(
  call: Call,
  response: { status: number; text: string },
  transactionId: string,
): AaiError {
  const body = parseAaiErrorBody(response.text);
  let detail: string;
  if (body?.code) {
    const meaning = MEANINGS[body.code] ??
      (body.variables[2] ? `"${excerpt(body.variables[2])}"` : "");
    detail = `HTTP ${response.status} ${body.code}${
      meaning ? ` ${meaning}` : ""
    }`;
  } else {
    detail = `HTTP ${response.status}${
      response.text.trim() ? ` "${excerpt(response.text)}"` : ""
    }`;
  }
  return new AaiError(`Cannot ${call.action} in A&AI: ${detail}`, {
    kind: "Http",
    method: call.method,
    path: call.path,
    status: response.status,
    code: body?.code,
    messageId: body?.messageId,
    transactionId,
  });
}

/** Case-insensitive header lookup. */
function headerOf(
  headers: Record<string, string>,
  name: string,
): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}

/** `{vnfId, vfModuleId}` from `…/generic-vnf/{v}/vf-modules/vf-module/{m}`. */
function idsFromLink(
  link: string,
): { vnfId: string; vfModuleId?: string } | undefined {
  const match =
    /\/generic-vnfs\/generic-vnf\/([^/?]+)(?:\/vf-modules\/vf-module\/([^/?]+))?/
      .exec(link);
  if (!match) return undefined;
  try {
    const vnfId = decodeURIComponent(match[1]!);
    return match[2] !== undefined
      ? { vnfId, vfModuleId: decodeURIComponent(match[2]) }
      : { vnfId };
  } catch {
    return undefined;
  }
}

/** The vnf id in a `generic-vnf.vnf-id` relationship-data of a vf-module, if any. */
function vnfIdFromRelationships(
  module: z.infer<typeof vfModuleSchema>,
): string | undefined {
  for (const relationship of module["relationship-list"]?.relationship ?? []) {
    for (const data of relationship["relationship-data"] ?? []) {
      if (data["relationship-key"] === "generic-vnf.vnf-id") {
        return String(data["relationship-value"]);
      }
    }
  }
  return undefined;
}
