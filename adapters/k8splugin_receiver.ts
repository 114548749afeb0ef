/**
 * The receiver of k8splugin status notifications (issue 17): a request
 * handler for `POST {prefix}{subscription}/{secret}`, mounted in the ops
 * server (`tasks/_serve.ts`).
 *
 * k8splugin cannot send custom headers with a notification, so the callback
 * URL is the only place for a credential: its last segment is a
 * per-subscription secret, HMAC-SHA256(key, subscription name) in
 * base64url. Deriving it from one key keeps it stable across restarts (no
 * re-registration, which costs k8splugin ~5 s per instance) and lets
 * replicas sharing the key compute it; without a key a random one is drawn,
 * so every restart re-registers. Secrets are compared in constant time and
 * never logged: rejections are reported with the subscription name only.
 *
 * Answers: 202 accepted (what SO's CNF adapter answers); 404 for a path that
 * is not a callback or a subscription not registered here; 401 for a wrong
 * secret; 400 for a body that is not a notification of that subscription;
 * 413 above `maxBodyBytes`; 405 for anything but POST. k8splugin stores the
 * code in the subscription's `last-notify-status`.
 *
 * @module
 */
import { timingSafeEqual } from "node:crypto";
import { type Clock, SYSTEM_CLOCK } from "./clock.ts";
import {
  parseNotification,
  type StatusNotification,
} from "./k8splugin_subscriptions.ts";

/** Why a callback was refused (never with the secret). */
export interface RejectedNotification {
  /** The HTTP status answered. */
  status: number;
  /** Short reason, e.g. `unknown subscription`. */
  reason: string;
  /** The subscription named in the path, when there was one. */
  subscription?: string;
}

/** Options of {@linkcode SubscriptionReceiver}. */
export interface SubscriptionReceiverOptions {
  /** The base URL k8splugin reaches this process at, e.g. `http://k8s-aai-sync.onap:9464`. */
  publicUrl: string;
  /** Path prefix of callbacks, default `/k8splugin/notify/`. */
  prefix?: string;
  /** Secret key (≥ 32 bytes) the per-subscription secrets derive from; random when absent. */
  key?: Uint8Array;
  /** Called for each accepted notification. */
  onNotification(notification: StatusNotification): void;
  /** Called for each refused callback (for logs and metrics). */
  onRejected?(rejection: RejectedNotification): void;
  /** Largest body accepted, default 16 MiB (a notification carries whole objects). */
  maxBodyBytes?: number;
  /** Time source for {@linkcode SubscriptionReceiver.lastNotifiedAt}. */
  clock?: Clock;
}

/**
 * Validates k8splugin's callbacks and hands accepted notifications on.
 * Subscriptions must be {@linkcode SubscriptionReceiver.register}ed first;
 * registering returns the callback URL to give k8splugin.
 *
 * @example
 * ```ts ignore
 * const receiver = new SubscriptionReceiver({
 *   publicUrl: "http://k8s-aai-sync.onap:9464",
 *   onNotification: (n) => scheduler.mark(n.instanceId),
 * });
 * const url = await receiver.register("brave_brattain", "brave_brattain-k8s-aai-sync");
 * ```
 */
export class SubscriptionReceiver {
  readonly #options: SubscriptionReceiverOptions;
  readonly #prefix: string;
  readonly #clock: Clock;
  #key: Promise<CryptoKey> | undefined;
  /** subscription name → instance id and time of the last accepted notification. */
  readonly #registered = new Map<
    string,
    { instanceId: string; lastNotifiedAt?: number }
  >();

  /** Stores the options (the key is imported on first use). */
  constructor(options: SubscriptionReceiverOptions) {
    if (options.key !== undefined && options.key.length < 32) {
      throw new RangeError(
        `Cannot derive callback secrets from a key of ${options.key.length} bytes: give at least 32`,
      );
    }
    this.#options = options;
    this.#prefix = options.prefix ?? "/k8splugin/notify/";
    this.#clock = options.clock ?? SYSTEM_CLOCK;
  }

  /** The path prefix this receiver answers (for mounting). */
  get prefix(): string {
    return this.#prefix;
  }

  /**
   * Accepts callbacks for a subscription of an instance from now on and
   * returns the callback URL (with its secret) to register in k8splugin.
   */
  async register(instanceId: string, subscription: string): Promise<string> {
    const previous = this.#registered.get(subscription);
    this.#registered.set(subscription, {
      instanceId,
      ...(previous?.instanceId === instanceId &&
          previous.lastNotifiedAt !== undefined
        ? { lastNotifiedAt: previous.lastNotifiedAt }
        : {}),
    });
    const base = this.#options.publicUrl.replace(/\/+$/, "");
    return `${base}${this.#prefix}${
      encodeURIComponent(subscription)
    }/${await this
      .#secret(subscription)}`;
  }

  /** Refuses callbacks of a subscription from now on. */
  unregister(subscription: string): void {
    this.#registered.delete(subscription);
  }

  /** Names of the subscriptions accepted. */
  get subscriptions(): string[] {
    return [...this.#registered.keys()];
  }

  /** When a notification of this subscription was last accepted (ms since the epoch). */
  lastNotifiedAt(subscription: string): number | undefined {
    return this.#registered.get(subscription)?.lastNotifiedAt;
  }

  /** Answers one callback request (see the module doc for the codes). */
  async handle(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (!path.startsWith(this.#prefix)) {
      return this.#reject(request, 404, "not a callback path");
    }
    const parts = path.slice(this.#prefix.length).split("/");
    if (parts.length !== 2 || !parts[0] || !parts[1]) {
      return this.#reject(request, 404, "not a callback path");
    }
    let subscription: string;
    try {
      subscription = decodeURIComponent(parts[0]);
    } catch {
      return this.#reject(request, 404, "not a callback path");
    }
    const entry = this.#registered.get(subscription);
    if (!entry) {
      return this.#reject(request, 404, "unknown subscription", subscription);
    }
    const expected = new TextEncoder().encode(await this.#secret(subscription));
    const given = new TextEncoder().encode(parts[1]);
    if (
      given.length !== expected.length || !timingSafeEqual(given, expected)
    ) {
      return this.#reject(request, 401, "wrong secret", subscription);
    }
    if (request.method !== "POST") {
      return this.#reject(request, 405, "method not allowed", subscription);
    }
    const max = this.#options.maxBodyBytes ?? 16 * 1024 * 1024;
    const text = await readText(request, max);
    if (text === undefined) {
      return this.#reject(request, 413, "body too large", subscription);
    }
    let notification: StatusNotification;
    try {
      notification = parseNotification(JSON.parse(text));
    } catch (error) {
      return this.#reject(
        request,
        400,
        error instanceof SyntaxError
          ? "body is not JSON"
          : error instanceof Error
          ? error.message
          : "invalid body",
        subscription,
        true,
      );
    }
    if (
      notification.subscription !== subscription ||
      notification.instanceId !== entry.instanceId
    ) {
      return this.#reject(
        request,
        400,
        "body names another subscription or instance",
        subscription,
        true,
      );
    }
    entry.lastNotifiedAt = this.#clock.now();
    this.#options.onNotification(notification);
    return new Response(null, { status: 202 });
  }

  async #reject(
    request: Request,
    status: number,
    reason: string,
    subscription?: string,
    bodyRead = false,
  ): Promise<Response> {
    if (!bodyRead) await request.body?.cancel();
    this.#options.onRejected?.({
      status,
      reason,
      ...(subscription !== undefined ? { subscription } : {}),
    });
    return new Response(`${reason}\n`, {
      status,
      headers: {
        "content-type": "text/plain; charset=utf-8",
        ...(status === 405 ? { allow: "POST" } : {}),
      },
    });
  }

  /** HMAC-SHA256(key, subscription) in base64url. */
  async #secret(subscription: string): Promise<string> {
    this.#key ??= crypto.subtle.importKey(
      "raw",
      this.#options.key
        ? new Uint8Array(this.#options.key)
        : crypto.getRandomValues(new Uint8Array(32)),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const mac = await crypto.subtle.sign(
      "HMAC",
      await this.#key,
      new TextEncoder().encode(subscription),
    );
    return btoa(String.fromCharCode(...new Uint8Array(mac)))
      .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
}

/** Reads a body as text, or undefined once it exceeds `max` bytes (the rest is not read). */
async function readText(
  request: Request,
  max: number,
): Promise<string | undefined> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > max) {
    await request.body?.cancel();
    return undefined;
  }
  if (!request.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body) {
    size += chunk.length;
    if (size > max) return undefined;
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return new TextDecoder().decode(bytes);
}
