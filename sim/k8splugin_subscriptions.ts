/**
 * k8splugin status subscriptions (Jakarta and later), as the k8splugin
 * simulator serves them: `internal/app/subscription.go` and
 * `api/statussubhandler.go` reproduced from reference/k8splugin.md §5.
 *
 * - `GET/POST /v1/instance/{id}/status/subscription`, `GET/PUT/DELETE
 *   …/subscription/{name}`; PUT takes the name from the body (the path's
 *   name is only logged by k8splugin).
 * - The first subscription call for an instance blocks about 5 s
 *   (`getSubscriptionData` starts the instance's notify goroutine and sleeps
 *   holding a global lock, so calls for other instances wait too: SO
 *   subscribing many instances at once is served 5 s apart).
 * - One notifier per subscription: it sleeps 5 s, then wakes every
 *   `max(5, min-notify-interval)` s; once something changed it computes the
 *   status (without the ready check), diffs it against the previous result
 *   keyed by name + GVK (`modified` = the whole object's JSON differs),
 *   sends nothing for the first (baseline) computation, and POSTs
 *   `{instance-id, subscription-name, metadata, resource-changes}` to the
 *   callback, no retry, recording `last-notify-time` / `last-notify-status`
 *   (500 on a transport error). It dies silently, for good, the first time the
 *   status fails; only a restart (`RestoreWatchers`, 10 s after boot) brings
 *   it back.
 * - Subscriptions are deleted with their instance.
 *
 * Permissions: `--allow-net` (callbacks).
 *
 * @module
 */
import { setTimeout as sleep } from "node:timers/promises";
import { goError, goJson, goMarshal, sortKeys } from "./_go_http.ts";

/** One `resourcesStatus` entry as k8splugin encodes it. */
export interface SimResourceStatus {
  /** The resource name. */
  name: string;
  /** `{"Group","Version","Kind"}`. */
  GVK: Record<string, string>;
  /** The whole Kubernetes object. */
  status: unknown;
}

/** What the subscriptions need from the simulator that owns them. */
export interface SubscriptionHost {
  /** Whether k8splugin's DB has this instance. */
  hasInstance(id: string): boolean;
  /** The ids `GET /v1/instance` would list. */
  instanceIds(): string[];
  /** `Status(id, checkReady=false)`: the entries, or the error text of a failure. */
  status(id: string): { entries: SimResourceStatus[] } | { error: string };
  /** Bumped whenever the cluster changes (what k8splugin's informers see). */
  generation(): number;
}

/** Timings of the subscription machinery, in ms; the defaults are k8splugin's. */
export interface SubscriptionTiming {
  /** Sleep of the first subscription call for an instance (default 5000). */
  firstCallDelayMs?: number;
  /** Sleep before a notifier's first poll (default 5000). */
  notifierStartMs?: number;
  /** Floor (and first value) of the poll interval, `max(5 s, min-notify-interval)` (default 5000; shorten only in tests). */
  intervalFloorMs?: number;
  /** Delay after a (simulated) restart before the notifiers are restored (default 10000). */
  restoreDelayMs?: number;
  /**
   * Dial timeout of a notification POST (default 5000, k8splugin's
   * `net.DialTimeout`): an unreachable callback is a 500 after it; once
   * connected, the answer is awaited without limit, as k8splugin does.
   */
  notifyTimeoutMs?: number;
}

/** A subscription as k8splugin stores and returns it (`StatusSubscription`). */
export interface SimStatusSubscription {
  /** Its name, unique per instance. */
  name: string;
  /** Seconds between polls, at least 5. */
  "min-notify-interval": number;
  /** Creation, then the last change sent (RFC 3339 with nanoseconds). */
  "last-update-time": string;
  /** Where notifications are POSTed. */
  "callback-url": string;
  /** Creation, then the last notification sent. */
  "last-notify-time": string;
  /** HTTP status of the last notification (0 before the first, 500 on a transport error). */
  "last-notify-status": number;
  /** Sent back in every notification (`{}` when none was given). */
  metadata: Record<string, unknown>;
}

/** A subscription to create before serving (as if k8splugin restarted with it in its DB). */
export interface SubscriptionSeed {
  /** The instance it watches. */
  instanceId: string;
  /** Its name. */
  name: string;
  /** Seconds between polls (default 0, i.e. the 5 s floor). */
  "min-notify-interval"?: number;
  /** Where notifications are POSTed. */
  "callback-url": string;
  /** Sent back in every notification. */
  metadata?: Record<string, unknown>;
}

/** One notification sent by a notifier. */
export interface SimNotification {
  /** The instance it was about. */
  instanceId: string;
  /** The subscription that sent it. */
  subscription: string;
  /** HTTP status of the callback, 500 on a transport error (what `last-notify-status` records). */
  status: number;
  /** When the POST finished (epoch ms). */
  at: number;
  /** The payload sent. */
  payload: Record<string, unknown>;
}

/** The notifier of one subscription. */
interface Notifier {
  controller: AbortController;
  done: Promise<void>;
  alive: boolean;
}

/** Text of the "no such subscription" error (mongo backend). */
export const NO_SUBSCRIPTION =
  "Error retrieving Subscription data: Error finding master table: mongo: no documents in result";

/** `time.Time` marshalled by Go: RFC 3339 with nanoseconds, trailing zeros trimmed, UTC. */
export function rfc3339Nano(epochMs: number): string {
  const whole = Math.floor(epochMs);
  const iso = new Date(whole).toISOString().slice(0, 19);
  const nanos = Math.round((epochMs - whole) * 1e6) + (whole % 1000) * 1e6;
  const fraction = String(Math.min(nanos, 999_999_999)).padStart(9, "0")
    .replace(/0+$/, "");
  return `${iso}${fraction ? `.${fraction}` : ""}Z`;
}

/** Wall-clock time with sub-millisecond digits. */
function now(): number {
  return performance.timeOrigin + performance.now();
}

/** The `SubscriptionRequest` a body decodes to, or the handler's error response. */
function decodeRequest(
  text: string,
):
  | { name: string; interval: number; callback: string; metadata: unknown }
  | Response {
  if (text.trim() === "") return goError(400, "Body empty");
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    const first = text.trim()[0] ?? "";
    return goError(
      422,
      `invalid character '${first}' looking for beginning of value`,
    );
  }
  const body = (data !== null && typeof data === "object" &&
      !Array.isArray(data))
    ? data as Record<string, unknown>
    : {};
  if (data !== null && (typeof data !== "object" || Array.isArray(data))) {
    return goError(
      422,
      `json: cannot unmarshal ${
        Array.isArray(data) ? "array" : typeof data
      } into Go value of type app.SubscriptionRequest`,
    );
  }
  const fields: [string, string, string][] = [
    ["name", "string", "string"],
    ["min-notify-interval", "number", "int32"],
    ["callback-url", "string", "string"],
  ];
  for (const [key, type, goType] of fields) {
    const value = body[key];
    if (value !== undefined && value !== null && typeof value !== type) {
      return goError(
        422,
        `json: cannot unmarshal ${typeof value} into Go struct field SubscriptionRequest.${key} of type ${goType}`,
      );
    }
  }
  const interval = body["min-notify-interval"];
  if (
    typeof interval === "number" &&
    (!Number.isInteger(interval) || Math.abs(interval) > 2 ** 31 - 1)
  ) {
    return goError(
      422,
      `json: cannot unmarshal number ${interval} into Go struct field SubscriptionRequest.min-notify-interval of type int32`,
    );
  }
  const metadata = body.metadata;
  if (
    metadata !== undefined && metadata !== null &&
    (typeof metadata !== "object" || Array.isArray(metadata))
  ) {
    return goError(
      422,
      `json: cannot unmarshal ${
        Array.isArray(metadata) ? "array" : typeof metadata
      } into Go struct field SubscriptionRequest.metadata of type map[string]interface {}`,
    );
  }
  return {
    name: typeof body.name === "string" ? body.name : "",
    interval: typeof interval === "number" ? interval : 0,
    callback: typeof body["callback-url"] === "string"
      ? body["callback-url"] as string
      : "",
    metadata,
  };
}

/**
 * The status subscriptions of one k8splugin simulator: the HTTP handlers, the
 * stored subscriptions and their notifiers.
 */
export class StatusSubscriptions {
  /** Every notification sent, oldest first. */
  readonly notifications: SimNotification[] = [];
  #host: SubscriptionHost;
  #timing: Required<SubscriptionTiming>;
  /** instance id → name → subscription, in creation order. */
  #stored = new Map<string, Map<string, SimStatusSubscription>>();
  /** `instance\0name` → its notifier. */
  #notifiers = new Map<string, Notifier>();
  /** Instances whose notify goroutine has started (getSubscriptionData). */
  #started = new Set<string>();
  /** getSubscriptionData's global lock, held during a first call's sleep. */
  #lock: Promise<void> = Promise.resolve();
  #closing = new AbortController();
  #pending = new Set<Promise<unknown>>();

  /** Stores what it is given; `seeds` are restored like after a restart. */
  constructor(
    host: SubscriptionHost,
    timing: SubscriptionTiming = {},
    seeds: SubscriptionSeed[] = [],
  ) {
    this.#host = host;
    this.#timing = {
      firstCallDelayMs: timing.firstCallDelayMs ?? 5000,
      notifierStartMs: timing.notifierStartMs ?? 5000,
      intervalFloorMs: timing.intervalFloorMs ?? 5000,
      restoreDelayMs: timing.restoreDelayMs ?? 10000,
      notifyTimeoutMs: timing.notifyTimeoutMs ?? 5000,
    };
    const at = rfc3339Nano(now());
    for (const seed of seeds) {
      this.#table(seed.instanceId).set(seed.name, {
        name: seed.name,
        "min-notify-interval": seed["min-notify-interval"] ?? 0,
        "last-update-time": at,
        "callback-url": seed["callback-url"],
        "last-notify-time": at,
        "last-notify-status": 0,
        metadata: seed.metadata ?? {},
      });
    }
    if (seeds.length > 0) this.restart();
  }

  /** The stored subscriptions of an instance (copies), in creation order. */
  list(instanceId: string): SimStatusSubscription[] {
    return [...(this.#stored.get(instanceId)?.values() ?? [])].map((s) =>
      structuredClone(s)
    );
  }

  /** Whether the notifier of a subscription is running (false once it died, or before a restart restored it). */
  notifierRunning(instanceId: string, name: string): boolean {
    return this.#notifiers.get(`${instanceId}\0${name}`)?.alive ?? false;
  }

  /**
   * Ends a notifier the way k8splugin's poller ends after a failed
   * `Status()` call: silently, the subscription left stored as it was.
   */
  killNotifier(instanceId: string, name: string): void {
    const notifier = this.#notifiers.get(`${instanceId}\0${name}`);
    if (!notifier) return;
    notifier.controller.abort();
    notifier.alive = false;
  }

  /**
   * Simulates a k8splugin restart: every notifier stops (the dead ones
   * included), the per-instance start-up sleep applies again, and after
   * `restoreDelayMs` every subscription of a listed instance gets a new
   * notifier (`RestoreWatchers`). Subscriptions themselves are kept (DB).
   */
  restart(): void {
    for (const notifier of this.#notifiers.values()) {
      notifier.controller.abort();
      notifier.alive = false;
    }
    this.#notifiers.clear();
    this.#started.clear();
    this.#track((async () => {
      await this.#sleep(this.#timing.restoreDelayMs);
      for (const id of this.#host.instanceIds()) {
        for (const name of [...(this.#stored.get(id)?.keys() ?? [])]) {
          if (!this.#host.hasInstance(id)) continue;
          await this.#firstCall(id);
          this.#startNotifier(id, name);
        }
      }
    })());
  }

  /**
   * Call after the cluster or the instance set changed: the informers see it,
   * and the subscriptions of instances that are gone are deleted with them.
   */
  instancesChanged(): void {
    for (const id of [...this.#stored.keys()]) {
      if (this.#host.hasInstance(id)) continue;
      for (const name of this.#stored.get(id)!.keys()) this.#stop(id, name);
      this.#stored.delete(id);
      this.#started.delete(id);
    }
  }

  /** Serves a subscription route; `name` is the path's `{subID}` (undefined for the collection). */
  async handle(
    method: string,
    instanceId: string,
    name: string | undefined,
    request: Request,
  ): Promise<Response> {
    const text = method === "POST" || method === "PUT"
      ? await request.text()
      : "";
    if (name === undefined) {
      if (method === "GET") return await this.#list(instanceId);
      if (method === "POST") return await this.#create(instanceId, text);
    } else {
      if (method === "GET") return await this.#get(instanceId, name);
      if (method === "PUT") return await this.#update(instanceId, text);
      if (method === "DELETE") return await this.#delete(instanceId, name);
    }
    // gorilla/mux: the path matches, the method does not.
    return new Response(null, { status: 405 });
  }

  /** Stops every notifier and pending timer, and waits for them. */
  async close(): Promise<void> {
    this.#closing.abort();
    for (const notifier of this.#notifiers.values()) {
      notifier.controller.abort();
    }
    while (this.#pending.size > 0) {
      await Promise.allSettled([...this.#pending]);
    }
  }

  #table(instanceId: string): Map<string, SimStatusSubscription> {
    let table = this.#stored.get(instanceId);
    if (!table) {
      table = new Map();
      this.#stored.set(instanceId, table);
    }
    return table;
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#pending.add(promise);
    promise.then(
      () => this.#pending.delete(promise),
      () => this.#pending.delete(promise),
    );
    return promise;
  }

  /** Sleeps unless the simulator closes (then resolves at once). */
  async #sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const signals = signal
      ? AbortSignal.any([signal, this.#closing.signal])
      : this.#closing.signal;
    if (signals.aborted) return;
    try {
      await sleep(ms, undefined, { signal: signals });
    } catch {
      // aborted
    }
  }

  /**
   * getSubscriptionData: the first call for an instance sleeps while holding
   * a global lock, so every subscription call, for any instance, waits for
   * the sleeps already under way.
   */
  #firstCall(instanceId: string): Promise<void> {
    const call = this.#lock.then(async () => {
      if (this.#started.has(instanceId)) return;
      this.#started.add(instanceId);
      await this.#sleep(this.#timing.firstCallDelayMs);
    });
    this.#lock = call;
    return this.#track(call);
  }

  #find(instanceId: string, name: string): SimStatusSubscription | undefined {
    return this.#stored.get(instanceId)?.get(name);
  }

  async #list(instanceId: string): Promise<Response> {
    await this.#firstCall(instanceId);
    // An unknown instance simply has none: 200 [].
    return goJson(this.list(instanceId).map((s) => sortMetadata(s)), 200);
  }

  async #get(instanceId: string, name: string): Promise<Response> {
    await this.#firstCall(instanceId);
    const found = this.#find(instanceId, name);
    if (!found) return goError(500, NO_SUBSCRIPTION);
    return goJson(sortMetadata(found), 200);
  }

  async #create(instanceId: string, text: string): Promise<Response> {
    const request = decodeRequest(text);
    if (request instanceof Response) return request;
    if (request.name === "") {
      return goError(400, "Missing name in POST request");
    }
    if (request.interval < 0) {
      return goError(400, "Min Notify Interval has invalid value");
    }
    if (request.callback === "") {
      return goError(400, "CallbackUrl has invalid value");
    }
    await this.#firstCall(instanceId);
    if (this.#find(instanceId, request.name)) {
      return goError(500, "Subscription already exists");
    }
    if (!this.#host.hasInstance(instanceId)) {
      return goError(
        500,
        "Creating Status Subscription DB Entry: Cannot get instance for notify thread: Get Instance: Error finding master table: mongo: no documents in result",
      );
    }
    const at = rfc3339Nano(now());
    const subscription: SimStatusSubscription = {
      name: request.name,
      "min-notify-interval": request.interval,
      "last-update-time": at,
      "callback-url": request.callback,
      "last-notify-time": at,
      "last-notify-status": 0,
      metadata: (request.metadata ?? {}) as Record<string, unknown>,
    };
    this.#table(instanceId).set(request.name, subscription);
    this.#startNotifier(instanceId, request.name);
    return goJson(sortMetadata(subscription), 201);
  }

  async #update(instanceId: string, text: string): Promise<Response> {
    const request = decodeRequest(text);
    if (request instanceof Response) return request;
    if (request.interval < 0) {
      return goError(400, "Min Notify Interval has invalid value");
    }
    if (request.callback === "") {
      return goError(400, "CallbackUrl has invalid value");
    }
    await this.#firstCall(instanceId);
    // Update reads the name from the body, not from the path.
    const found = this.#find(instanceId, request.name);
    if (!found) {
      return goError(500, `Subscription does not exist: ${NO_SUBSCRIPTION}`);
    }
    found["min-notify-interval"] = request.interval;
    found["callback-url"] = request.callback;
    found.metadata = (request.metadata ?? {}) as Record<string, unknown>;
    return goJson(sortMetadata(found), 200);
  }

  async #delete(instanceId: string, name: string): Promise<Response> {
    await this.#firstCall(instanceId);
    if (!this.#find(instanceId, name)) {
      return goError(500, `Subscription does not exist: ${NO_SUBSCRIPTION}`);
    }
    this.#stop(instanceId, name);
    this.#stored.get(instanceId)?.delete(name);
    return new Response(null, { status: 202 });
  }

  #stop(instanceId: string, name: string): void {
    const key = `${instanceId}\0${name}`;
    const notifier = this.#notifiers.get(key);
    if (!notifier) return;
    notifier.controller.abort();
    notifier.alive = false;
    this.#notifiers.delete(key);
  }

  #startNotifier(instanceId: string, name: string): void {
    const key = `${instanceId}\0${name}`;
    this.#notifiers.get(key)?.controller.abort();
    const notifier: Notifier = {
      controller: new AbortController(),
      done: Promise.resolve(),
      alive: true,
    };
    this.#notifiers.set(key, notifier);
    notifier.done = this.#track(this.#runNotifier(instanceId, name, notifier));
  }

  /** runNotifyThread. */
  async #runNotifier(
    instanceId: string,
    name: string,
    notifier: Notifier,
  ): Promise<void> {
    const signal = notifier.controller.signal;
    try {
      await this.#sleep(this.#timing.notifierStartMs, signal);
      let previous: SimResourceStatus[] | undefined;
      let lastChange = this.#host.generation();
      let interval = this.#timing.intervalFloorMs;
      for (;;) {
        await this.#sleep(interval, signal);
        if (signal.aborted || this.#closing.signal.aborted) return;
        const seen = this.#host.generation();
        if (seen === lastChange && previous !== undefined) continue;
        const subscription = this.#find(instanceId, name);
        if (!subscription) return;
        interval = Math.max(
          this.#timing.intervalFloorMs,
          subscription["min-notify-interval"] * 1000,
        );
        const result = this.#host.status(instanceId);
        if ("error" in result) return; // dies silently, for good
        if (previous !== undefined) {
          const delta = statusDelta(previous, result.entries);
          if (
            delta.created.length + delta.deleted.length +
                delta.modified.length > 0
          ) {
            lastChange = seen;
            subscription["last-update-time"] = rfc3339Nano(now());
            await this.#notify(instanceId, subscription, delta, signal);
          }
        }
        previous = result.entries;
      }
    } finally {
      notifier.alive = false;
    }
  }

  /**
   * Dials the callback's host within the dial timeout (throws when it cannot
   * connect); answers the signal the POST itself runs under (no timeout).
   */
  async #dial(callback: string, signal: AbortSignal): Promise<AbortSignal> {
    const url = new URL(callback);
    const running = AbortSignal.any([signal, this.#closing.signal]);
    const connection = await Deno.connect({
      hostname: url.hostname.replace(/^\[|\]$/g, ""),
      port: Number(url.port || (url.protocol === "https:" ? 443 : 80)),
      signal: AbortSignal.any([
        running,
        AbortSignal.timeout(this.#timing.notifyTimeoutMs),
      ]),
    });
    connection.close();
    return running;
  }

  async #notify(
    instanceId: string,
    subscription: SimStatusSubscription,
    delta: Record<string, SimResourceStatus[]>,
    signal: AbortSignal,
  ): Promise<void> {
    const payload = {
      "instance-id": instanceId,
      "subscription-name": subscription.name,
      metadata: sortKeys(subscription.metadata),
      "resource-changes": delta,
    };
    let status: number;
    try {
      const response = await fetch(subscription["callback-url"], {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "Go-http-client/1.1",
        },
        body: goMarshal(payload),
        signal: await this.#dial(subscription["callback-url"], signal),
      });
      status = response.status;
      await response.body?.cancel();
    } catch {
      status = 500;
    }
    const at = now();
    subscription["last-notify-status"] = status;
    subscription["last-notify-time"] = rfc3339Nano(at);
    this.notifications.push({
      instanceId,
      subscription: subscription.name,
      status,
      at,
      payload,
    });
  }
}

/** A subscription with its metadata keys sorted, as Go encodes the map. */
function sortMetadata(
  subscription: SimStatusSubscription,
): SimStatusSubscription {
  return {
    ...subscription,
    metadata: sortKeys(subscription.metadata) as Record<string, unknown>,
  };
}

/** statusDelta: entries keyed by name + GVK; modified = the object's JSON differs. */
function statusDelta(
  before: SimResourceStatus[],
  after: SimResourceStatus[],
): Record<"created" | "deleted" | "modified", SimResourceStatus[]> {
  const key = (entry: SimResourceStatus): string =>
    `${entry.name}\0${entry.GVK.Group}\0${entry.GVK.Version}\0${entry.GVK.Kind}`;
  const previous = new Map(before.map((entry) => [key(entry), entry]));
  const created: SimResourceStatus[] = [];
  const modified: SimResourceStatus[] = [];
  for (const entry of after) {
    const old = previous.get(key(entry));
    if (!old) {
      created.push(entry);
      continue;
    }
    if (JSON.stringify(old.status) !== JSON.stringify(entry.status)) {
      modified.push(entry);
    }
    previous.delete(key(entry));
  }
  return { created, deleted: [...previous.values()], modified };
}
