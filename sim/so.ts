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
import {
  isAaiRequest,
  RunFailed,
  SO_SELFLINK_BASE,
  soK8sResource,
  soK8sResourceId,
  type StatusEntry,
} from "./_so_resource.ts";
import { soAaiRepository } from "./_so_repository.ts";
import { quietServerError } from "./faults.ts";

export { SO_SELFLINK_BASE, soK8sResource, soK8sResourceId, type StatusEntry };

/** What SO's BPMN sends to `aai-update` / `aai-delete` (model/aai/AaiRequest.java). */
export interface SoAaiRequest {
  /** The k8splugin instance id (the vf-module's heat-stack-id). */
  instanceId: string;
  /** The A&AI cloud-region-id (= k8splugin's cloud-region). */
  cloudRegion: string;
  /** The A&AI cloud-owner. */
  cloudOwner: string;
  /** The A&AI tenant-id. */
  tenantId: string;
  /** Where the result goes (SO's BPMN), if anywhere. */
  callbackUrl?: string | null;
  /** The generic-vnf to link to. */
  genericVnfId: string;
  /** The vf-module to link to. */
  vfModuleId: string;
}

/** Options of {@linkcode startSo}. */
export interface SoSimOptions {
  /**
   * Hears about errors of the server (a handler that threw, a response body
   * that broke, as injected resets do); by default they are answered with a
   * quiet 500 and not printed.
   */
  onError?: ((error: unknown) => void) | undefined;
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
  /** `aai-update` or `aai-delete`. */
  kind: "update" | "delete";
  /** An `aai-update`/`aai-delete` request, or a k8splugin notification. */
  trigger: "request" | "notification";
  /** The instance it was about. */
  instanceId: string;
  /** Epoch ms. */
  startedAt: number;
  /** Epoch ms. */
  finishedAt: number;
  /** What the callback said. */
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
  /** Counters, runs and subscription records, for tests. */
  state: SoSimState;
  /** Stops serving and waits for the runs in flight. */
  close(): Promise<void>;
  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void>;
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

  const repository = soAaiRepository({
    aaiUrl: aai,
    version,
    fromAppId,
    auth,
    bulkLimit,
    counts: state.counts,
    signal: closing.signal,
  });

  /** AaiService.aaiUpdate: the status read, then the repository. */
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
    await repository.update(request, entries);
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
          await repository.remove(request);
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
    onError: quietServerError(options.onError),
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
