/**
 * k8splugin status subscriptions (Jakarta and later; reference k8splugin.md
 * §5): the client of `/v1/instance/{id}/status/subscription[/{name}]`, and
 * the zod schema of the notification k8splugin POSTs to a callback (E5).
 *
 * Quirks handled here: the first subscription call for an instance (any
 * of them) blocks for about 5 s (the notifier's start-up sleep), so a create
 * has its own timeout and is never retried blindly (a retry after a slow success gives
 * 500 `Subscription already exists`, reported as {@linkcode
 * SubscriptionExistsError}); an unknown subscription is a 500 with `no
 * documents in result`, which {@linkcode K8spluginSubscriptions.get} turns
 * into `undefined`; Go's zero time (`0001-01-01T00:00:00Z`) becomes
 * `undefined` (k8splugin sets `last-notify-time` to the creation time until
 * the first notification, reference E6).
 *
 * Permissions: `--allow-net` (k8splugin's host).
 *
 * @module
 */
import { z } from "zod";
import { HttpClient, type HttpResponse, HttpTransportError } from "./http.ts";
import {
  fieldPath,
  gvkSchema,
  type HttpK8spluginClientOptions,
  K8spluginError,
  type K8spluginErrorKind,
  parseBody,
  type ResourceStatus,
} from "./k8splugin.ts";

/** A status subscription as k8splugin stores it (`StatusSubscription`). */
export interface StatusSubscription {
  /** Subscription name, unique per instance. */
  name: string;
  /** Seconds between notifier polls (k8splugin polls every `max(5, this)` s). */
  minNotifyInterval: number;
  /** Where k8splugin POSTs notifications. Holds the per-subscription secret: never log it. */
  callbackUrl: string;
  /** Free metadata echoed in every notification. */
  metadata: Record<string, unknown>;
  /** When the subscription was created or updated. */
  lastUpdateTime?: Date;
  /** When k8splugin last POSTed; the creation time before the first notification (E6). */
  lastNotifyTime?: Date;
  /** HTTP status of the last POST, 500 for a transport error, 0 before the first. */
  lastNotifyStatus: number;
}

/** What to create (`SubscriptionRequest`). */
export interface StatusSubscriptionRequest {
  /** Subscription name, e.g. `{instanceId}-k8s-aai-sync`. */
  name: string;
  /** Seconds between notifier polls (≥ 0; k8splugin uses at least 5). */
  minNotifyInterval: number;
  /** Where k8splugin should POST notifications. */
  callbackUrl: string;
  /** Echoed in every notification. */
  metadata?: Record<string, unknown>;
}

/** The seam to k8splugin's subscription endpoints; the HTTP client and fakes implement it. */
export interface K8spluginSubscriptions {
  /** Lists an instance's subscriptions (`[]` when it has none). */
  list(instanceId: string): Promise<StatusSubscription[]>;
  /** Reads one subscription; undefined when k8splugin has none of that name. */
  get(
    instanceId: string,
    name: string,
  ): Promise<StatusSubscription | undefined>;
  /**
   * Creates a subscription. The first one of an instance takes ~5 s.
   * @throws {SubscriptionExistsError} when the name is taken.
   */
  create(
    instanceId: string,
    request: StatusSubscriptionRequest,
  ): Promise<StatusSubscription>;
  /** Deletes a subscription; one already gone is not an error. */
  delete(instanceId: string, name: string): Promise<void>;
}

/** k8splugin refused to create a subscription whose name already exists. */
export class SubscriptionExistsError extends K8spluginError {
  /** The name that is taken. */
  readonly subscription: string;

  /** Builds the error for an instance and subscription name. */
  constructor(
    message: string,
    init: { instanceId: string; subscription: string; status: number },
  ) {
    super(message, {
      kind: "BadRequest",
      instanceId: init.instanceId,
      status: init.status,
    });
    this.name = "SubscriptionExistsError";
    this.subscription = init.subscription;
  }
}

/** Go's `time.Time{}` as JSON: the zero value means "never". */
function goTime(value: string | null | undefined): Date | undefined {
  if (!value || value.startsWith("0001-01-01")) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

const subscriptionSchema = z.looseObject({
  name: z.string().min(1),
  "min-notify-interval": z.number().int().nullish(),
  "callback-url": z.string().nullish(),
  "last-update-time": z.string().nullish(),
  "last-notify-time": z.string().nullish(),
  "last-notify-status": z.number().int().nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
});

/** Turns k8splugin's document into the normalised form. */
function toSubscription(
  data: z.infer<typeof subscriptionSchema>,
): StatusSubscription {
  const lastUpdateTime = goTime(data["last-update-time"]);
  const lastNotifyTime = goTime(data["last-notify-time"]);
  return {
    name: data.name,
    minNotifyInterval: data["min-notify-interval"] ?? 0,
    callbackUrl: data["callback-url"] ?? "",
    metadata: data.metadata ?? {},
    ...(lastUpdateTime ? { lastUpdateTime } : {}),
    ...(lastNotifyTime ? { lastNotifyTime } : {}),
    lastNotifyStatus: data["last-notify-status"] ?? 0,
  };
}

const changedSchema = z.array(z.looseObject({
  name: z.string(),
  GVK: gvkSchema,
  status: z.record(z.string(), z.unknown()).nullish(),
})).nullish();

/** The body k8splugin POSTs to a callback (`notifyRequestPayload`, reference E5). */
const notificationSchema = z.looseObject({
  "instance-id": z.string().min(1),
  "subscription-name": z.string().min(1),
  metadata: z.record(z.string(), z.unknown()).nullish(),
  "resource-changes": z.looseObject({
    created: changedSchema,
    deleted: changedSchema,
    modified: changedSchema,
  }).nullish(),
});

/** A notification, normalised (Go's `null` slices become `[]`). */
export interface StatusNotification {
  /** The instance that changed. */
  instanceId: string;
  /** The subscription it was sent for. */
  subscription: string;
  /** The metadata registered with the subscription. */
  metadata: Record<string, unknown>;
  /** Resources that appeared since the last notification. */
  created: ResourceStatus[];
  /** Resources that disappeared. */
  deleted: ResourceStatus[];
  /** Resources whose object changed in any way (a resourceVersion bump counts). */
  modified: ResourceStatus[];
}

/** Parses a notification body; throws a `K8spluginError` of kind `Invalid` naming the field. */
export function parseNotification(json: unknown): StatusNotification {
  const result = notificationSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = fieldPath(issue?.path ?? []) || "(root)";
    throw new K8spluginError(
      `Cannot accept a k8splugin notification: invalid body at ${path}: ${
        issue?.message ?? "invalid"
      }`,
      { kind: "Invalid", path },
      { cause: result.error },
    );
  }
  const data = result.data;
  const changes = data["resource-changes"];
  const list = (items: z.infer<typeof changedSchema>): ResourceStatus[] =>
    (items ?? []).map((item) => ({
      name: item.name,
      gvk: {
        group: item.GVK.Group,
        version: item.GVK.Version,
        kind: item.GVK.Kind,
      },
      object: item.status ?? {},
    }));
  return {
    instanceId: data["instance-id"],
    subscription: data["subscription-name"],
    metadata: data.metadata ?? {},
    created: list(changes?.created),
    deleted: list(changes?.deleted),
    modified: list(changes?.modified),
  };
}

/** Options of {@linkcode HttpK8spluginSubscriptions}. */
export type HttpK8spluginSubscriptionsOptions = HttpK8spluginClientOptions & {
  /** Timeout of a create, default 30 000 ms (the first one of an instance blocks ~5 s). */
  createTimeoutMs?: number;
};

/** k8splugin 500s that mean "no such instance or subscription". */
const NOT_FOUND = /no documents in result/;
/** k8splugin's 500 for a duplicate subscription name. */
const EXISTS = /already exists/i;

/**
 * k8splugin's subscription endpoints over HTTP. Reads and deletes retry like
 * every k8splugin call; a create is sent once (see the module doc).
 */
export class HttpK8spluginSubscriptions implements K8spluginSubscriptions {
  readonly #http: HttpClient;
  readonly #create: HttpClient;

  /** Stores the options (nothing is opened until the first call). */
  constructor(options: HttpK8spluginSubscriptionsOptions) {
    // Never recorded: a create's body and answer carry the callback URL,
    // whose last segment is the subscription's secret.
    const { createTimeoutMs = 30_000, recordDir: _, ...rest } = options;
    const base = { ...rest, peer: rest.peer ?? "k8splugin" };
    this.#http = new HttpClient(base);
    this.#create = new HttpClient({
      ...base,
      retries: 0,
      timeoutMs: createTimeoutMs,
    });
  }

  /** Lists an instance's subscriptions (`[]` when it has none). */
  async list(instanceId: string): Promise<StatusSubscription[]> {
    const what =
      `Cannot list status subscriptions of instance "${instanceId}" from k8splugin`;
    const response = await this.#send(
      this.#http,
      what,
      "GET",
      collection(instanceId),
      instanceId,
    );
    return (parseBody(
      what,
      instanceId,
      z.array(subscriptionSchema).nullable(),
      response,
    ) ?? []).map(toSubscription);
  }

  /** Reads one subscription; undefined when it does not exist. */
  async get(
    instanceId: string,
    name: string,
  ): Promise<StatusSubscription | undefined> {
    const what =
      `Cannot read status subscription "${name}" of instance "${instanceId}" from k8splugin`;
    try {
      const response = await this.#send(
        this.#http,
        what,
        "GET",
        `${collection(instanceId)}/${encodeURIComponent(name)}`,
        instanceId,
      );
      return toSubscription(
        parseBody(what, instanceId, subscriptionSchema, response),
      );
    } catch (error) {
      if (error instanceof K8spluginError && error.kind === "NotFound") {
        return undefined;
      }
      throw error;
    }
  }

  /** Creates a subscription (sent once; the first of an instance takes ~5 s). */
  async create(
    instanceId: string,
    request: StatusSubscriptionRequest,
  ): Promise<StatusSubscription> {
    const what =
      `Cannot create status subscription "${request.name}" of instance "${instanceId}" in k8splugin`;
    const body = {
      name: request.name,
      "min-notify-interval": request.minNotifyInterval,
      "callback-url": request.callbackUrl,
      metadata: request.metadata ?? {},
    };
    try {
      const response = await this.#send(
        this.#create,
        what,
        "POST",
        collection(instanceId),
        instanceId,
        body,
      );
      return toSubscription(
        parseBody(what, instanceId, subscriptionSchema, response),
      );
    } catch (error) {
      if (
        error instanceof K8spluginError && error.body !== undefined &&
        EXISTS.test(error.body)
      ) {
        throw new SubscriptionExistsError(
          `${what}: a subscription of that name already exists`,
          {
            instanceId,
            subscription: request.name,
            status: error.status ?? 500,
          },
        );
      }
      throw error;
    }
  }

  /** Deletes a subscription; one already gone is not an error. */
  async delete(instanceId: string, name: string): Promise<void> {
    const what =
      `Cannot delete status subscription "${name}" of instance "${instanceId}" in k8splugin`;
    try {
      await this.#send(
        this.#http,
        what,
        "DELETE",
        `${collection(instanceId)}/${encodeURIComponent(name)}`,
        instanceId,
      );
    } catch (error) {
      if (error instanceof K8spluginError && error.kind === "NotFound") return;
      throw error;
    }
  }

  /** Releases the HTTP clients. */
  close(): void {
    this.#http.close();
    this.#create.close();
  }

  /** Releases the HTTP clients (`using`). */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Sends a request and classifies a failure like `HttpK8spluginClient` does. */
  async #send(
    http: HttpClient,
    what: string,
    method: string,
    path: string,
    instanceId: string,
    body?: unknown,
  ): Promise<HttpResponse> {
    const request = `${method} ${path}`;
    let response: HttpResponse;
    try {
      response = await http.request(method, path, {
        headers: { Accept: "application/json" },
        ...(body !== undefined ? { body } : {}),
        retryStatus: ({ text }) => !NOT_FOUND.test(text) && !EXISTS.test(text),
      });
    } catch (error) {
      if (error instanceof HttpTransportError) {
        throw new K8spluginError(
          `${what}: ${error.message}`,
          { kind: "Transient", instanceId, request },
          { cause: error },
        );
      }
      throw error;
    }
    const { status, text } = response;
    if (status >= 200 && status < 300) return response;
    const kind: K8spluginErrorKind = status === 404 || NOT_FOUND.test(text)
      ? "NotFound"
      : status >= 500 && !EXISTS.test(text)
      ? "Transient"
      : "BadRequest";
    throw new K8spluginError(
      `${what}: HTTP ${status} ${
        JSON.stringify(http.redact(text).trimEnd().slice(0, 500))
      }`,
      { kind, status, instanceId, request, body: text },
    );
  }
}

/** `/v1/instance/{id}/status/subscription`, the id percent-encoded. */
function collection(instanceId: string): string {
  if (instanceId === "" || instanceId === "." || instanceId === "..") {
    throw new K8spluginError(
      `Cannot use instance id "${instanceId}" in a k8splugin URL: it would change the request path`,
      { kind: "BadRequest" },
    );
  }
  return `/v1/instance/${encodeURIComponent(instanceId)}/status/subscription`;
}
