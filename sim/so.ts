/**
 * SO CNF adapter simulator: the other writer of A&AI `k8s-resource` objects,
 * reproduced from reference/aai.md §3 and §7 and reference/k8splugin.md §5
 * (so-adapters-so-cnf-adapter `AaiService`, `AaiRepository`,
 * `AaiResponseParser`, `AaiIdGeneratorService`, `SynchronizationService`,
 * `SubscriptionNotifyController`), so tests can run this tool beside it.
 *
 * - `POST /api/cnf-adapter/v1/aai-update/` with an AaiRequest
 *   `{instanceId, cloudRegion, cloudOwner, tenantId, callbackUrl,
 *   genericVnfId, vfModuleId}` → 202, then asynchronously: GET k8splugin
 *   `/v1/instance/{id}/status`; for every entry (pods included) build the
 *   k8s-resource as SO does (id = sha256 hex of the plain concatenation
 *   instanceId+name+namespace+kind+group+version+cloudOwner+cloudRegion+tenantId,
 *   labels `key=value` sorted, `data-owner: CnfAdapter`, `data-source:
 *   K8sPlugin`, `data-source-version` = metadata.resourceVersion, the
 *   `http://so-cnf-adapter:8090/...` selflink); GET each from A&AI; compare
 *   id, name, version, kind, group, namespace, data-owner, data-source,
 *   data-source-version and labels (not selflink); missing → create, any
 *   difference → full PUT with the stored resource-version and no
 *   relationship-list (edges survive, extra labels are dropped); connect the
 *   vf-module (`Uses`) and generic-vnf (`HostedOn`) edges when new or missing;
 *   delete the k8s-resources linked to the vf-module that are no longer in
 *   the status. Every read comes first (per resource the k8s-resource, the
 *   vf-module and the generic-vnf, as AaiRepository.update does; then the
 *   vf-module and each stale k8s-resource), then the writes. Writes go
 *   through the legacy `PUT /aai/v24/bulkprocess`
 *   (what SO's `AAITransactionalClient` uses, aai.md §3), in three stores run
 *   one after the other — creates and connects, then updates, then deletes —
 *   each split into requests of at most 30 operations, one `put` or `delete`
 *   transaction object per request. Any non-2xx inside the 201 fails the run
 *   (SO scans `$..body`), including the latent 412 of an update queued
 *   behind a connect of the same object. The result is POSTed to
 *   `callbackUrl` as SO's `AaiCallbackResponse`:
 *   `{"status":"COMPLETED"|"FAILED","statusMessage":"…"}`.
 * - Then it registers the k8splugin status subscription
 *   `{instanceId}-cnf-adapter` (`min-notify-interval` 30, callback
 *   `{callbackBase}/api/cnf-adapter/v1/instance/{id}/status/notify`,
 *   metadata = the AaiRequest) unless it already has it.
 * - `POST /api/cnf-adapter/v1/instance/{id}/status/notify`
 *   (SubscriptionNotifyController): 400 `Cannot handle notification.
 *   Subscription {id}-cnf-adapter not exists` when it has no record of it;
 *   else, ignoring `resource-changes`, the whole update again with the
 *   notification's `metadata` as the AaiRequest, answered 202 once done (500
 *   if it failed).
 * - `POST /api/cnf-adapter/v1/aai-delete/` → 202, then deletes every
 *   k8s-resource linked to the vf-module and the subscription.
 * - At start it rebuilds its subscription records (names only) from k8splugin
 *   (`GET /v1/instance` and `GET …/subscription/{id}-cnf-adapter`).
 *
 * Every A&AI request carries `X-FromAppId: MSO` (the CNF adapter's
 * `AaiClientPropertiesImpl.getSystemName()`), so the A&AI simulator's
 * per-client counters tell SO's requests from this tool's.
 *
 * Permissions: `--allow-net`.
 *
 * @module
 */
import { springEncode } from "./_aai_paths.ts";

/** What SO's BPMN sends to `aai-update` / `aai-delete` (model/aai/AaiRequest.java). */
export interface SoAaiRequest {
  instanceId: string;
  cloudRegion: string;
  cloudOwner: string;
  tenantId: string;
  callbackUrl?: string | null;
  genericVnfId: string;
  vfModuleId: string;
}

/** Options of {@linkcode startSo}. */
export interface SoSimOptions {
  /** TCP port; 0 or absent picks a free one. */
  port?: number;
  /** Default `127.0.0.1`. */
  hostname?: string;
  /** A&AI base URL (e.g. the A&AI simulator's). */
  aaiUrl: string;
  /** k8splugin base URL (the API under `/v1`). */
  k8spluginUrl: string;
  /** A&AI API version (default `v24`, SO's `AAIVersion.LATEST`). */
  aaiVersion?: string;
  /** X-FromAppId sent to A&AI (default `MSO`, the CNF adapter's system name). */
  fromAppId?: string;
  /** Basic auth sent to A&AI (default SO's `aai@aai.onap.org:demo123456!`; `false` for none). */
  aaiAuth?: { username: string; password: string } | false;
  /** `min-notify-interval` of the subscriptions it registers (default 30). */
  minNotifyInterval?: number;
  /** Base of the notify callback it registers (default its own URL; SO's is `http://so-cnf-adapter:8090`). */
  callbackBase?: string;
  /** Rebuild the subscription records from k8splugin at start (default true). */
  recoverSubscriptions?: boolean;
  /** Operations per bulk request (default 30). */
  bulkLimit?: number;
}

/** Counters of what the simulator did and sent. */
export interface SoSimCounts {
  /** `aai-update` runs finished, by trigger. */
  updates: { request: number; notification: number };
  /** `aai-delete` runs finished. */
  deletes: number;
  /** Runs that ended FAILED. */
  failedRuns: number;
  /** Requests sent to A&AI, keyed `"<METHOD> <kind>"` (`GET k8s-resource`, `PUT bulkprocess`, …). */
  aaiRequests: Record<string, number>;
  /** Operations sent inside bulkprocess requests, by kind. */
  operations: {
    create: number;
    update: number;
    connect: number;
    delete: number;
  };
  /** Requests sent to k8splugin, keyed like `GET status`. */
  k8spluginRequests: Record<string, number>;
  /** Notifications received: accepted (202) and refused (400). */
  notifications: { accepted: number; refused: number };
}

/** One finished run. */
export interface SoRun {
  kind: "update" | "delete";
  trigger: "request" | "notification";
  instanceId: string;
  /** Epoch ms. */
  startedAt: number;
  finishedAt: number;
  result: "COMPLETED" | "FAILED";
  /** Why it failed. */
  error?: string;
}

/** The simulator's state, for tests. */
export interface SoSimState {
  /** Counters of what it sent and received. */
  counts: SoSimCounts;
  /** Finished runs, oldest first. */
  runs: SoRun[];
  /** Names of the subscriptions it knows (SynchronizationService keeps only names). */
  subscriptions: Set<string>;
  /** Resolves when no run is in flight or queued (and the start-up recovery is done). */
  idle(): Promise<void>;
}

/** A running SO CNF adapter simulator. */
export interface SoSim {
  /** Base URL, e.g. `http://127.0.0.1:40123` (the API is under `/api/cnf-adapter/v1`). */
  url: string;
  state: SoSimState;
  /** Stops serving and waits for the runs in flight. */
  close(): Promise<void>;
  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** The host SO's selflinks name. */
export const SO_SELFLINK_BASE = "http://so-cnf-adapter:8090";

/** The k8s-resource fields SO compares (`KubernetesResource.compare`). */
const COMPARED = [
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
interface StatusEntry {
  name?: string;
  GVK?: { Group?: string; Version?: string; Kind?: string };
  status?: {
    metadata?: {
      namespace?: string;
      labels?: Record<string, string>;
      resourceVersion?: string;
    };
  };
}

/** SO's `AaiIdGeneratorService`: sha256 hex of the plain concatenation. */
export async function soK8sResourceId(
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
  const text = parts.instanceId + parts.name + parts.namespace + parts.kind +
    parts.group + parts.version + parts.cloudOwner + parts.cloudRegion +
    parts.tenantId;
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(text),
  );
  return Array.from(
    new Uint8Array(digest),
    (byte) => byte.toString(16).padStart(2, "0"),
  ).join("");
}

function path(...parts: string[]): string {
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
function sameAs(
  wanted: Record<string, unknown>,
  stored: Record<string, unknown>,
): boolean {
  return COMPARED.every((field) =>
    JSON.stringify(wanted[field] ?? null) ===
      JSON.stringify(stored[field] ?? null)
  );
}

/** A failed run's reason. */
class RunFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RunFailed";
  }
}

function isAaiRequest(value: unknown): value is SoAaiRequest {
  if (value === null || typeof value !== "object") return false;
  const v = value as Record<string, unknown>;
  return ["instanceId", "cloudRegion", "cloudOwner", "tenantId"].every((k) =>
    typeof v[k] === "string" && v[k] !== ""
  ) && typeof v.genericVnfId === "string" && typeof v.vfModuleId === "string";
}

/**
 * Starts an SO CNF adapter simulator on loopback (synchronous; `await` is optional).
 *
 * @example
 * ```ts ignore
 * await using so = startSo({ aaiUrl: aai.url, k8spluginUrl: plugin.url });
 * await fetch(`${so.url}/api/cnf-adapter/v1/aai-update/`, { method: "POST", body: JSON.stringify(request) });
 * await so.state.idle();
 * ```
 */
export function startSo(options: SoSimOptions): SoSim {
  const version = options.aaiVersion ?? "v24";
  const fromAppId = options.fromAppId ?? "MSO";
  const auth = options.aaiAuth === false ? undefined : options.aaiAuth ??
    { username: "aai@aai.onap.org", password: "demo123456!" };
  const bulkLimit = options.bulkLimit ?? 30;
  const interval = options.minNotifyInterval ?? 30;
  const k8splugin = options.k8spluginUrl.replace(/\/+$/, "");
  const aai = options.aaiUrl.replace(/\/+$/, "");
  const closing = new AbortController();
  const pending = new Set<Promise<unknown>>();
  /** instance id → the tail of its run queue. */
  const queues = new Map<string, Promise<void>>();

  const state: SoSimState = {
    counts: {
      updates: { request: 0, notification: 0 },
      deletes: 0,
      failedRuns: 0,
      aaiRequests: {},
      operations: { create: 0, update: 0, connect: 0, delete: 0 },
      k8spluginRequests: {},
      notifications: { accepted: 0, refused: 0 },
    },
    runs: [],
    subscriptions: new Set(),
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };

  function track<T>(promise: Promise<T>): Promise<T> {
    pending.add(promise);
    const forget = () => pending.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  function count(table: Record<string, number>, key: string): void {
    table[key] = (table[key] ?? 0) + 1;
  }

  /** One A&AI call; answers status and parsed JSON body (undefined when empty). */
  async function aaiCall(
    method: string,
    uri: string,
    kind: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown }> {
    count(state.counts.aaiRequests, `${method} ${kind}`);
    const headers: Record<string, string> = {
      "Accept": "application/json",
      "X-FromAppId": fromAppId,
      "X-TransactionId": crypto.randomUUID(),
    };
    if (auth) {
      headers.Authorization = `Basic ${
        btoa(`${auth.username}:${auth.password}`)
      }`;
    }
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(`${aai}/aai/${version}${uri}`, {
      method,
      headers,
      signal: closing.signal,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: response.status, json };
  }

  async function pluginCall(
    method: string,
    uri: string,
    kind: string,
    body?: unknown,
  ): Promise<{ status: number; text: string }> {
    count(state.counts.k8spluginRequests, `${method} ${kind}`);
    const response = await fetch(`${k8splugin}${uri}`, {
      method,
      signal: closing.signal,
      ...(body === undefined ? {} : {
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      }),
    });
    return { status: response.status, text: await response.text() };
  }

  function tenantPath(request: SoAaiRequest): string {
    return path(
      "cloud-infrastructure",
      "cloud-regions",
      "cloud-region",
      request.cloudOwner,
      request.cloudRegion,
      "tenants",
      "tenant",
      request.tenantId,
    );
  }

  function vnfPath(request: SoAaiRequest): string {
    return path("network", "generic-vnfs", "generic-vnf", request.genericVnfId);
  }

  function vfModulePath(request: SoAaiRequest): string {
    return vnfPath(request) +
      path("vf-modules", "vf-module", request.vfModuleId);
  }

  /** Sends one store: requests of ≤ bulkLimit operations, one transaction object each. */
  async function sendStore(
    kind: "put" | "delete",
    operations: { uri: string; body?: unknown }[],
  ): Promise<void> {
    for (let i = 0; i < operations.length; i += bulkLimit) {
      const chunk = operations.slice(i, i + bulkLimit);
      const answer = await aaiCall("PUT", "/bulkprocess", "bulkprocess", {
        transactions: [{ [kind]: chunk }],
      });
      if (answer.status !== 201) {
        throw new RunFailed(
          `A&AI bulkprocess answered ${answer.status}: ${
            JSON.stringify(answer.json)
          }`,
        );
      }
      // AAITransactionalClient scans $..body for keys that are not 2xx.
      const failures: string[] = [];
      const transactions =
        (answer.json as { transaction?: unknown[] })?.transaction ?? [];
      for (const transaction of transactions) {
        for (
          const result of Object.values(transaction as object).flat() as {
            uri?: string;
            body?: Record<string, unknown>;
          }[]
        ) {
          for (const [code, detail] of Object.entries(result.body ?? {})) {
            if (!/^2\d\d$/.test(code)) {
              failures.push(`${code} on ${result.uri}: ${detail}`);
            }
          }
        }
      }
      if (failures.length > 0) {
        throw new RunFailed(`A&AI bulkprocess failed: ${failures.join("; ")}`);
      }
    }
  }

  /** The three stores of AaiRepository.AAITransactionHelper, executed in this order. */
  interface Stores {
    /** Creates and connects, interleaved as queued. */
    create: { uri: string; body: unknown }[];
    update: { uri: string; body: unknown }[];
    delete: { uri: string }[];
  }

  function k8sResourcePath(request: SoAaiRequest, id: string): string {
    return `${tenantPath(request)}${path("k8s-resources", "k8s-resource", id)}`;
  }

  /** AaiRepository.update for one resource: GETs now, writes queued. */
  async function queueUpdate(
    request: SoAaiRequest,
    wanted: Record<string, unknown>,
    stores: Stores,
  ): Promise<void> {
    const uri = k8sResourcePath(request, wanted.id as string);
    const found = await aaiCall("GET", uri, "k8s-resource");
    if (found.status !== 200 && found.status !== 404) {
      throw new RunFailed(`A&AI GET k8s-resource answered ${found.status}`);
    }
    const stored = found.status === 200
      ? found.json as Record<string, unknown>
      : undefined;
    if (!stored) {
      stores.create.push({ uri, body: wanted });
      state.counts.operations.create++;
    } else if (!sameAs(wanted, stored)) {
      stores.update.push({
        uri,
        body: { ...wanted, "resource-version": stored["resource-version"] },
      });
      state.counts.operations.update++;
    }
    const related = ((stored?.["relationship-list"] as {
      relationship?: { "related-to"?: string }[];
    })?.relationship ?? []).map((r) => r["related-to"]);
    const edge = `${uri}/relationship-list/relationship`;
    // The vf-module and the generic-vnf are read again for every resource.
    const module = await aaiCall("GET", vfModulePath(request), "vf-module");
    if (module.status === 200 && !related.includes("vf-module")) {
      stores.create.push({
        uri: edge,
        body: { "related-link": vfModulePath(request) },
      });
      state.counts.operations.connect++;
    }
    const vnf = await aaiCall("GET", vnfPath(request), "generic-vnf");
    if (vnf.status === 200 && !related.includes("generic-vnf")) {
      stores.create.push({
        uri: edge,
        body: { "related-link": vnfPath(request) },
      });
      state.counts.operations.connect++;
    }
  }

  /**
   * AaiRepository.delete: the k8s-resources linked to the vf-module whose ids
   * are not kept, each read (asBean), checked (exists) and read again for its
   * resource-version when queued.
   */
  async function queueDeletes(
    request: SoAaiRequest,
    keep: Set<string>,
    stores: Stores,
  ): Promise<void> {
    const answer = await aaiCall("GET", vfModulePath(request), "vf-module");
    if (answer.status !== 200) return;
    const relationships = ((answer.json as {
      "relationship-list"?: { relationship?: unknown[] };
    })?.["relationship-list"]?.relationship ?? []) as {
      "related-to"?: string;
      "related-link"?: string;
    }[];
    for (const relationship of relationships) {
      if (relationship["related-to"] !== "k8s-resource") continue;
      const link = relationship["related-link"]?.replace(
        /^\/aai\/v[0-9]+/,
        "",
      );
      if (!link) continue;
      const bean = await aaiCall("GET", link, "k8s-resource");
      const id = (bean.json as Record<string, unknown> | undefined)?.id;
      if (bean.status !== 200 || typeof id !== "string" || keep.has(id)) {
        continue;
      }
      const uri = k8sResourcePath(request, id);
      const exists = await aaiCall(
        "GET",
        `${uri}?format=count&resultIndex=0&resultSize=1`,
        "k8s-resource",
      );
      if (exists.status !== 200) continue;
      const current = await aaiCall("GET", uri, "k8s-resource");
      if (current.status !== 200) continue;
      const rv = (current.json as Record<string, unknown>)["resource-version"];
      stores.delete.push({
        uri: `${uri}?resource-version=${springEncode(String(rv))}`,
      });
      state.counts.operations.delete++;
    }
  }

  /** AAITransactionHelper.execute: the create, update and delete stores in turn. */
  async function commit(stores: Stores): Promise<void> {
    await sendStore("put", stores.create);
    await sendStore("put", stores.update);
    await sendStore("delete", stores.delete);
  }

  /** AaiService.aaiUpdate: every GET first, then the writes. */
  async function aaiUpdate(request: SoAaiRequest): Promise<void> {
    const status = await pluginCall(
      "GET",
      `/v1/instance/${encodeURIComponent(request.instanceId)}/status`,
      "status",
    );
    if (status.status !== 200) {
      throw new RunFailed(
        `k8splugin status answered ${status.status}: ${status.text.trim()}`,
      );
    }
    const entries =
      (JSON.parse(status.text).resourcesStatus ?? []) as StatusEntry[];
    const stores: Stores = { create: [], update: [], delete: [] };
    const keep = new Set<string>();
    for (const entry of entries) {
      const wanted = await soK8sResource(request, entry);
      keep.add(wanted.id as string);
      await queueUpdate(request, wanted, stores);
    }
    await queueDeletes(request, keep, stores);
    await commit(stores);
  }

  /** AaiService.aaiDelete: every k8s-resource linked to the vf-module. */
  async function aaiDelete(request: SoAaiRequest): Promise<void> {
    const stores: Stores = { create: [], update: [], delete: [] };
    await queueDeletes(request, new Set(), stores);
    await commit(stores);
  }

  /** Registers `{id}-cnf-adapter` unless it is already known. */
  async function subscribe(request: SoAaiRequest): Promise<void> {
    const name = `${request.instanceId}-cnf-adapter`;
    if (state.subscriptions.has(name)) return;
    const base = options.callbackBase ?? url;
    const answer = await pluginCall(
      "POST",
      `/v1/instance/${
        encodeURIComponent(request.instanceId)
      }/status/subscription`,
      "subscription",
      {
        name,
        "min-notify-interval": interval,
        "callback-url": `${base}/api/cnf-adapter/v1/instance/${
          encodeURIComponent(request.instanceId)
        }/status/notify`,
        metadata: request,
      },
    );
    if (
      answer.status === 201 ||
      (answer.status === 500 && answer.text.includes("already exists"))
    ) {
      state.subscriptions.add(name);
      return;
    }
    throw new RunFailed(
      `k8splugin subscription answered ${answer.status}: ${answer.text.trim()}`,
    );
  }

  async function unsubscribe(request: SoAaiRequest): Promise<void> {
    const name = `${request.instanceId}-cnf-adapter`;
    if (!state.subscriptions.delete(name)) return;
    await pluginCall(
      "DELETE",
      `/v1/instance/${
        encodeURIComponent(request.instanceId)
      }/status/subscription/${encodeURIComponent(name)}`,
      "subscription",
    );
  }

  async function callback(
    request: SoAaiRequest,
    result: "COMPLETED" | "FAILED",
    message: string,
  ): Promise<void> {
    if (!request.callbackUrl || closing.signal.aborted) return;
    try {
      const response = await fetch(request.callbackUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ status: result, statusMessage: message }),
        signal: AbortSignal.any([closing.signal, AbortSignal.timeout(5000)]),
      });
      await response.body?.cancel();
    } catch {
      // SO logs and goes on.
    }
  }

  /** Queues a run for an instance (runs of one instance never overlap). */
  function run(
    kind: "update" | "delete",
    trigger: "request" | "notification",
    request: SoAaiRequest,
  ): Promise<SoRun | undefined> {
    const previous = queues.get(request.instanceId) ?? Promise.resolve();
    const next = previous.then(async (): Promise<SoRun | undefined> => {
      if (closing.signal.aborted) return undefined;
      const startedAt = Date.now();
      let error: string | undefined;
      try {
        if (kind === "update") {
          await aaiUpdate(request);
          // AaiController subscribes; SubscriptionNotifyController does not.
          if (trigger === "request") await subscribe(request);
        } else {
          await unsubscribe(request);
          await aaiDelete(request);
        }
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
      }
      if (closing.signal.aborted) return undefined;
      const result = error === undefined ? "COMPLETED" : "FAILED";
      if (kind === "update") state.counts.updates[trigger]++;
      else state.counts.deletes++;
      if (error !== undefined) state.counts.failedRuns++;
      const done: SoRun = {
        kind,
        trigger,
        instanceId: request.instanceId,
        startedAt,
        finishedAt: Date.now(),
        result,
        ...(error === undefined ? {} : { error }),
      };
      state.runs.push(done);
      if (trigger === "request") await callback(request, result, error ?? "");
      return done;
    });
    const tail = next.then(() => {});
    queues.set(request.instanceId, tail);
    track(tail).then(() => {
      if (queues.get(request.instanceId) === tail) {
        queues.delete(request.instanceId);
      }
    });
    return next;
  }

  /** Rebuilds the subscription records from k8splugin (SynchronizationService at start). */
  async function recover(): Promise<void> {
    try {
      const list = await pluginCall("GET", "/v1/instance", "instances");
      if (list.status !== 200) return;
      const instances = (JSON.parse(list.text) ?? []) as { id?: string }[];
      for (const instance of instances) {
        if (!instance.id) continue;
        const name = `${instance.id}-cnf-adapter`;
        const answer = await pluginCall(
          "GET",
          `/v1/instance/${
            encodeURIComponent(instance.id)
          }/status/subscription/${encodeURIComponent(name)}`,
          "subscription",
        );
        if (answer.status === 200) state.subscriptions.add(name);
      }
    } catch {
      // k8splugin unreachable: nothing recovered.
    }
  }

  async function readRequest(request: Request): Promise<SoAaiRequest | null> {
    try {
      const body = await request.json();
      return isAaiRequest(body) ? body : null;
    } catch {
      return null;
    }
  }

  /** Spring Boot's default error body. */
  function springError(status: number, path: string): Response {
    return Response.json({
      timestamp: new Date().toISOString().replace("Z", "+00:00"),
      status,
      error: status === 500 ? "Internal Server Error" : "Bad Request",
      path,
    }, { status });
  }

  async function handle(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    const parts = pathname.replace(/\/+$/, "").split("/").slice(1);
    const prefix = parts.slice(0, 3).join("/");
    if (prefix !== "api/cnf-adapter/v1" || request.method !== "POST") {
      return new Response(null, { status: 404 });
    }
    const rest = parts.slice(3);
    if (
      rest.length === 1 &&
      (rest[0] === "aai-update" || rest[0] === "aai-delete")
    ) {
      const body = await readRequest(request);
      if (!body) return new Response(null, { status: 400 });
      run(rest[0] === "aai-update" ? "update" : "delete", "request", body);
      return new Response(null, { status: 202 });
    }
    if (
      rest.length === 4 && rest[0] === "instance" && rest[2] === "status" &&
      rest[3] === "notify"
    ) {
      // SubscriptionNotifyController: the subscription is named after the
      // path's instance id; the AaiRequest is the notification's metadata;
      // resource-changes are ignored and the whole update runs again, before
      // the answer (k8splugin's notifier waits for it).
      const name = `${decodeURIComponent(rest[1]!)}-cnf-adapter`;
      if (!state.subscriptions.has(name)) {
        await request.body?.cancel();
        state.counts.notifications.refused++;
        return new Response(
          `Cannot handle notification. Subscription ${name} not exists`,
          {
            status: 400,
            headers: { "content-type": "text/plain;charset=UTF-8" },
          },
        );
      }
      let metadata: unknown;
      try {
        metadata = (await request.json())?.metadata;
      } catch {
        metadata = undefined;
      }
      if (!isAaiRequest(metadata)) return springError(500, pathname);
      state.counts.notifications.accepted++;
      const done = await run("update", "notification", metadata);
      if (done?.result !== "COMPLETED") return springError(500, pathname);
      return new Response(null, { status: 202 });
    }
    return new Response(null, { status: 404 });
  }

  const server = Deno.serve({
    port: options.port ?? 0,
    hostname: options.hostname ?? "127.0.0.1",
    onListen() {},
  }, handle);
  const url = `http://${server.addr.hostname}:${server.addr.port}`;
  if (options.recoverSubscriptions ?? true) track(recover());

  let closed: Promise<void> | undefined;
  function close(): Promise<void> {
    closed ??= (async () => {
      closing.abort();
      await state.idle();
      await server.shutdown();
    })();
    return closed;
  }
  return { url, state, close, [Symbol.asyncDispose]: close };
}
