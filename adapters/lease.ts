/**
 * Leader election through a `coordination.k8s.io/v1` Lease (issue 17): two
 * or more replicas of `sync --watch` run, one leads and only the leader
 * writes to A&AI. The algorithm is client-go's `leaderelection`:
 *
 * - a candidate reads the Lease every `retryPeriodMs`; it takes it when it
 *   does not exist, when its holder is empty (released), or when the record
 *   has not changed for `leaseDurationSeconds` **as observed on the local
 *   clock** (never comparing our clock with the holder's `renewTime`, so
 *   clock skew between nodes does not matter);
 * - writes carry the read `resourceVersion`, so two candidates racing for
 *   an expired Lease cannot both win: the loser gets 409 Conflict;
 * - the leader renews every `retryPeriodMs` and stops leading when no renew
 *   succeeded for `renewDeadlineMs` (< the lease duration, so it stops
 *   before anyone else may start);
 * - on close a leader releases the Lease (empty holder, 1 s duration), so
 *   the next leader starts at once instead of after the lease duration.
 *
 * Times are written as `V1MicroTime` (6 fractional digits), which the API
 * server requires for `renewTime`/`acquireTime`. Errors are reported by
 * HTTP code and reason only: client-node's `ApiException.message` carries
 * response headers and body.
 *
 * Permissions: those of the `LeaseApi` given (`--allow-net`, `--allow-env`
 * for client-node); RBAC `get`, `create`, `update` on `leases` in the
 * namespace (deploy/kubernetes/deployment.yaml).
 *
 * @module
 */
import {
  ApiException,
  CoordinationV1Api,
  createConfiguration,
  type RequestContext,
  ResponseContext,
  ServerConfiguration,
  type V1Lease,
  V1MicroTime,
  wrapHttpLibrary,
} from "@kubernetes/client-node";
import { Buffer } from "node:buffer";
import { type Clock, delay, SYSTEM_CLOCK } from "./clock.ts";
import type { KubeStream } from "./kube_stream.ts";

/** The part of client-node's `CoordinationV1Api` the elector uses (fakes implement it in tests). */
export type LeaseApi = Pick<
  CoordinationV1Api,
  "readNamespacedLease" | "createNamespacedLease" | "replaceNamespacedLease"
>;

/**
 * client-node's `CoordinationV1Api` sending its requests through a
 * {@linkcode KubeStream} (Deno's fetch) instead of client-node's undici,
 * whose HTTP/2 aborts the process on a GOAWAY under Deno (see
 * `adapters/kube.ts`). Same typed API, same `ApiException`s.
 *
 * @example
 * ```ts ignore
 * const kc = new KubeConfig();
 * kc.loadFromCluster();
 * const api = leaseApi(kubeStreamFromKubeConfig(kc));
 * ```
 */
export function leaseApi(stream: KubeStream): LeaseApi {
  async function send(request: RequestContext): Promise<ResponseContext> {
    const url = new URL(request.getUrl());
    const body = request.getBody();
    const signal = request.getSignal();
    const response = await stream.fetch(url.pathname + url.search, {
      method: request.getHttpMethod(),
      headers: request.getHeaders(),
      ...(body === undefined || body === null
        ? {}
        : { body: body as BodyInit }),
      ...(signal ? { signal } : {}),
    });
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => headers[name] = value);
    const bytes = new Uint8Array(await response.arrayBuffer());
    return new ResponseContext(response.status, headers, {
      text: () => Promise.resolve(new TextDecoder().decode(bytes)),
      binary: () => Promise.resolve(Buffer.from(bytes)),
      stream: () => null,
    });
  }
  return new CoordinationV1Api(createConfiguration({
    // Only the path and query of the URLs built from it are used.
    baseServer: new ServerConfiguration("http://kube-apiserver", {}),
    httpApi: wrapHttpLibrary({ send }),
    authMethods: {},
  }));
}

/** Options of {@linkcode LeaseElector}. */
export interface LeaseElectorOptions {
  /** The Lease API of the cluster the replicas run in. */
  api: LeaseApi;
  /** Namespace of the Lease (the Deployment's). */
  namespace: string;
  /** Name of the Lease, default `k8s-aai-sync`. */
  name?: string;
  /** This replica's identity, see {@linkcode holderIdentity}. */
  identity: string;
  /** How long a Lease holds without renewal, default 15 000 ms (whole seconds on the wire). */
  leaseDurationMs?: number;
  /** A leader that could not renew for this long stops leading, default 10 000 ms. */
  renewDeadlineMs?: number;
  /** Time between attempts, default 2 000 ms. */
  retryPeriodMs?: number;
  /** Time source, default {@linkcode SYSTEM_CLOCK}. */
  clock?: Clock;
  /**
   * Called when this replica becomes leader; `signal` aborts when it stops
   * leading (lost renewal or close). Start with a full pass.
   */
  onStartedLeading?(signal: AbortSignal): void;
  /** Called when this replica stops leading; stop writing at once. */
  onStoppedLeading?(): void;
  /** Called when the observed holder changes (`""` when released). */
  onNewLeader?(identity: string): void;
  /** Called for a failed attempt (redacted, see the module doc). */
  onError?(error: LeaseError): void;
}

/** A Lease call failed; carries the HTTP code, never the response. */
export class LeaseError extends Error {
  /** HTTP status, when the API server answered. */
  readonly status?: number;
  /** Always true: the elector tries again. */
  readonly retryable = true;

  /** Builds the error. */
  constructor(message: string, status?: number, options?: ErrorOptions) {
    super(message, options);
    this.name = "LeaseError";
    if (status !== undefined) this.status = status;
  }
}

/**
 * An identity for this replica: the pod name (or host name) plus a random
 * suffix, so a restarted pod with the same name is a new holder.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { holderIdentity } from "./lease.ts";
 * assert.match(holderIdentity("k8s-aai-sync-7d9f-abcde"), /^k8s-aai-sync-7d9f-abcde_[0-9a-f]{8}$/);
 * ```
 */
export function holderIdentity(podOrHostName: string): string {
  const suffix = Array.from(
    crypto.getRandomValues(new Uint8Array(4)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  return `${podOrHostName}_${suffix}`;
}

/**
 * A Lease time in ms. client-node types them as `Date` but its deserialiser
 * does not know `V1MicroTime` and leaves the API server's string as it is.
 */
function timeOf(value: Date | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The HTTP code of a client-node error, if it has one. */
function codeOf(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

/**
 * Elects a leader among replicas through a Lease. `start()` runs the loop
 * until `close()`, which releases the Lease when leading.
 *
 * @example
 * ```ts ignore
 * const kc = new KubeConfig();
 * kc.loadFromCluster();
 * await using elector = new LeaseElector({
 *   api: kc.makeApiClient(CoordinationV1Api),
 *   namespace: "onap",
 *   identity: holderIdentity(Deno.hostname()),
 *   onStartedLeading: (signal) => runWatch(signal),
 * });
 * elector.start();
 * ```
 */
export class LeaseElector implements AsyncDisposable {
  readonly #api: LeaseApi;
  readonly #namespace: string;
  readonly #name: string;
  readonly #identity: string;
  readonly #durationS: number;
  readonly #renewDeadlineMs: number;
  readonly #retryPeriodMs: number;
  readonly #clock: Clock;
  readonly #options: LeaseElectorOptions;
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;
  #leading: AbortController | undefined;
  #lastRenew = 0;
  /** The last record seen and when (local clock) it last changed. */
  #observed: { key: string; at: number; holder: string } | undefined;

  /** Stores the options; nothing happens until {@linkcode start}. */
  constructor(options: LeaseElectorOptions) {
    const {
      leaseDurationMs = 15_000,
      renewDeadlineMs = 10_000,
      retryPeriodMs = 2_000,
    } = options;
    if (
      !(retryPeriodMs > 0 && renewDeadlineMs > retryPeriodMs &&
        leaseDurationMs > renewDeadlineMs)
    ) {
      throw new RangeError(
        `Cannot elect with leaseDurationMs ${leaseDurationMs}, renewDeadlineMs ${renewDeadlineMs}, retryPeriodMs ${retryPeriodMs}: need lease > renew deadline > retry period > 0`,
      );
    }
    if (!options.identity) throw new TypeError("A Lease identity is required");
    this.#api = options.api;
    this.#namespace = options.namespace;
    this.#name = options.name ?? "k8s-aai-sync";
    this.#identity = options.identity;
    this.#durationS = Math.ceil(leaseDurationMs / 1_000);
    this.#renewDeadlineMs = renewDeadlineMs;
    this.#retryPeriodMs = retryPeriodMs;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#options = options;
  }

  /** This replica's identity. */
  get identity(): string {
    return this.#identity;
  }

  /** True while this replica leads. */
  get isLeader(): boolean {
    return this.#leading !== undefined;
  }

  /** The holder last observed (`""` when released, undefined before the first read). */
  get leader(): string | undefined {
    return this.#observed?.holder;
  }

  /** Starts the election loop (once). */
  start(): void {
    this.#loop ??= this.#run();
  }

  /**
   * One attempt: acquires the Lease when free or expired, renews it when
   * held. Resolves true when this replica holds it afterwards. Failed calls
   * resolve false (and go to `onError`).
   */
  async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.#clock.now();
    let lease: V1Lease;
    try {
      lease = await this.#api.readNamespacedLease({
        name: this.#name,
        namespace: this.#namespace,
      });
    } catch (error) {
      if (codeOf(error) !== 404) return this.#failed("read", error);
      try {
        const created = await this.#api.createNamespacedLease({
          namespace: this.#namespace,
          body: {
            apiVersion: "coordination.k8s.io/v1",
            kind: "Lease",
            metadata: { name: this.#name, namespace: this.#namespace },
            spec: {
              holderIdentity: this.#identity,
              leaseDurationSeconds: this.#durationS,
              acquireTime: new V1MicroTime(now),
              renewTime: new V1MicroTime(now),
              leaseTransitions: 0,
            },
          },
        });
        this.#observe(created);
        return true;
      } catch (error) {
        return this.#failed("create", error);
      }
    }
    this.#observe(lease);
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? "";
    const mine = holder === this.#identity;
    const expiresAt = this.#observed!.at +
      (spec.leaseDurationSeconds ?? this.#durationS) * 1_000;
    if (holder !== "" && !mine && expiresAt > now) return false;
    try {
      const replaced = await this.#api.replaceNamespacedLease({
        name: this.#name,
        namespace: this.#namespace,
        body: {
          ...lease,
          spec: {
            ...spec,
            holderIdentity: this.#identity,
            leaseDurationSeconds: this.#durationS,
            acquireTime: new V1MicroTime(
              (mine ? timeOf(spec.acquireTime) : undefined) ?? now,
            ),
            renewTime: new V1MicroTime(now),
            leaseTransitions: (spec.leaseTransitions ?? 0) + (mine ? 0 : 1),
          },
        },
      });
      this.#observe(replaced);
      return true;
    } catch (error) {
      return this.#failed(mine ? "renew" : "acquire", error);
    }
  }

  /**
   * Stops the loop; a leader stops leading (`onStoppedLeading`) and releases
   * the Lease so another replica can take over at once.
   */
  async close(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
    if (this.#leading) {
      this.#stopLeading();
      await this.#release();
    }
  }

  /** Same as {@linkcode close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      const ok = await this.#attempt();
      if (signal.aborted) break;
      const now = this.#clock.now();
      if (ok) {
        this.#lastRenew = now;
        if (!this.#leading) this.#startLeading();
      } else if (
        this.#leading &&
        (now - this.#lastRenew >= this.#renewDeadlineMs ||
          // Someone else holds it (an operator edited it, or our renewals
          // were lost long enough): stop at once, not at the deadline.
          (this.leader !== undefined && this.leader !== "" &&
            this.leader !== this.#identity))
      ) {
        this.#stopLeading();
      }
      try {
        await delay(this.#retryPeriodMs, { clock: this.#clock, signal });
      } catch {
        break;
      }
    }
  }

  /**
   * One attempt, bounded for a leader by the time left before its renew
   * deadline (a hung call must not keep it leading).
   */
  async #attempt(): Promise<boolean> {
    const attempt = this.tryAcquireOrRenew();
    if (!this.#leading) return await attempt;
    const left = this.#lastRenew + this.#renewDeadlineMs - this.#clock.now();
    const timer = new AbortController();
    try {
      return await Promise.race([
        attempt,
        delay(left, { clock: this.#clock, signal: timer.signal }).then(
          () => false,
        ),
      ]);
    } finally {
      timer.abort();
    }
  }

  #startLeading(): void {
    this.#leading = new AbortController();
    this.#options.onStartedLeading?.(this.#leading.signal);
  }

  #stopLeading(): void {
    const leading = this.#leading;
    this.#leading = undefined;
    leading?.abort(new DOMException("Leadership lost", "AbortError"));
    this.#options.onStoppedLeading?.();
  }

  async #release(): Promise<void> {
    try {
      const lease = await this.#api.readNamespacedLease({
        name: this.#name,
        namespace: this.#namespace,
      });
      if (lease.spec?.holderIdentity !== this.#identity) return;
      const now = new V1MicroTime(this.#clock.now());
      const released = await this.#api.replaceNamespacedLease({
        name: this.#name,
        namespace: this.#namespace,
        body: {
          ...lease,
          spec: {
            ...lease.spec,
            holderIdentity: "",
            leaseDurationSeconds: 1,
            acquireTime: now,
            renewTime: now,
          },
        },
      });
      this.#observe(released);
    } catch (error) {
      this.#failed("release", error);
    }
  }

  /** Notes the record read or written; a change restarts the local expiry clock. */
  #observe(lease: V1Lease): void {
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? "";
    const key = JSON.stringify([
      holder,
      timeOf(spec.renewTime),
      timeOf(spec.acquireTime),
      spec.leaseTransitions,
      spec.leaseDurationSeconds,
    ]);
    if (this.#observed?.key === key) return;
    const previous = this.#observed?.holder;
    this.#observed = { key, at: this.#clock.now(), holder };
    if (previous !== holder) this.#options.onNewLeader?.(holder);
  }

  #failed(action: string, error: unknown): false {
    const code = codeOf(error);
    const reason = code === 409
      ? "HTTP 409 Conflict: another replica wrote it first"
      : code !== undefined
      ? `HTTP ${code}`
      : error instanceof Error
      ? error.name
      : "error";
    this.#options.onError?.(
      new LeaseError(
        `Cannot ${action} Lease "${this.#namespace}/${this.#name}": ${reason}`,
        code,
        // The cause is kept for debugging; never log its message.
        { cause: error },
      ),
    );
    return false;
  }
}

/** The label the leader sets on its own pod; the callback Service selects on it (deploy/kubernetes/deployment.yaml). */
export const LEADER_LABEL = "k8s-aai-sync.onap.org/leader";

/**
 * Sets (`leading: true` → `"true"`) or removes the {@linkcode LEADER_LABEL}
 * of this replica's pod with a JSON merge patch, so that the Service k8splugin
 * calls back reaches the leader only. Call it from `onStartedLeading` and
 * `onStoppedLeading` (and with `false` on shutdown).
 *
 * @throws {LeaseError} with the HTTP status when the API server refuses it
 */
export async function markLeaderPod(
  stream: KubeStream,
  pod: { namespace: string; name: string },
  leading: boolean,
): Promise<void> {
  const path = `/api/v1/namespaces/${encodeURIComponent(pod.namespace)}/pods/${
    encodeURIComponent(pod.name)
  }`;
  const response = await stream.fetch(path, {
    method: "PATCH",
    headers: { "content-type": "application/merge-patch+json" },
    body: JSON.stringify({
      metadata: { labels: { [LEADER_LABEL]: leading ? "true" : null } },
    }),
  });
  await response.body?.cancel();
  if (!response.ok) {
    throw new LeaseError(
      `Cannot ${
        leading ? "label" : "unlabel"
      } pod "${pod.namespace}/${pod.name}" as leader: HTTP ${response.status}`,
      response.status,
    );
  }
}
