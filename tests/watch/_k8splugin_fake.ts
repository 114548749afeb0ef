/**
 * A loopback fake of k8splugin's status-subscription endpoints (reference
 * k8splugin.md §5), until the k8splugin simulator serves them: the exact
 * JSON shapes, the 500s (`no documents in result`, `Subscription already
 * exists`, the 400 validation texts), a configurable first-create delay
 * (~5 s in k8splugin), `notify()` to POST an E5 notification to a callback
 * (recording `last-notify-status`, 500 on a transport error), and
 * `killNotifier()` for the silent death after a failed `/status`.
 *
 * @module
 */

/** A stored subscription, in k8splugin's JSON. */
export type FakeSubscription = {
  name: string;
  "min-notify-interval": number;
  "last-update-time": string;
  "callback-url": string;
  "last-notify-time": string;
  "last-notify-status": number;
  metadata: Record<string, unknown>;
};

/** The fake's state and controls. */
export interface K8spluginSubscriptionsFake extends AsyncDisposable {
  url: string;
  /** instance id → name → subscription. */
  subscriptions: Map<string, Map<string, FakeSubscription>>;
  /** Instances that exist (others get the unknown-instance 500). */
  instances: Set<string>;
  /** Subscriptions whose notifier died (notify() sends nothing for them). */
  dead: Set<string>;
  /** Requests received, `METHOD path`. */
  requests: string[];
  /** POSTs a notification for every live subscription of the instance. */
  notify(instanceId: string, modified?: string[]): Promise<number[]>;
}

function text(body: string, status: number): Response {
  return new Response(`${body}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

/** Starts the fake; `firstCreateDelayMs` stands for k8splugin's ~5 s notifier start-up. */
export function startK8spluginSubscriptionsFake(
  options: { instances?: string[]; firstCreateDelayMs?: number } = {},
): K8spluginSubscriptionsFake {
  const subscriptions = new Map<string, Map<string, FakeSubscription>>();
  const instances = new Set(options.instances ?? []);
  const dead = new Set<string>();
  const requests: string[] = [];
  const notFound = () =>
    text(
      "Error retrieving Subscription data: Error finding master table: mongo: no documents in result",
      500,
    );
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const path = new URL(request.url).pathname;
      requests.push(`${request.method} ${path}`);
      const match = path.match(
        /^\/v1\/instance\/([^/]+)\/status\/subscription(?:\/([^/]+))?$/,
      );
      if (!match) return text("404 page not found", 404);
      const id = decodeURIComponent(match[1]!);
      const name = match[2] === undefined
        ? undefined
        : decodeURIComponent(match[2]);
      if (!instances.has(id)) {
        await request.body?.cancel();
        return text(
          "Get Instance: Error finding master table: mongo: no documents in result",
          500,
        );
      }
      const mine = subscriptions.get(id) ?? new Map();
      subscriptions.set(id, mine);
      if (request.method === "GET" && name === undefined) {
        return Response.json([...mine.values()]);
      }
      if (request.method === "POST" && name === undefined) {
        const body = await request.json();
        if (!body.name) return text("Missing name in POST request", 400);
        if (!body["callback-url"]) {
          return text("CallbackUrl has invalid value", 400);
        }
        if (mine.has(body.name)) {
          return text("Subscription already exists", 500);
        }
        if (mine.size === 0 && options.firstCreateDelayMs) {
          await new Promise((r) => setTimeout(r, options.firstCreateDelayMs));
        }
        const now = new Date().toISOString();
        const created: FakeSubscription = {
          name: body.name,
          "min-notify-interval": body["min-notify-interval"] ?? 0,
          "last-update-time": now,
          "callback-url": body["callback-url"],
          // Reference E6: k8splugin sets it to the creation time.
          "last-notify-time": now,
          "last-notify-status": 0,
          metadata: body.metadata ?? {},
        };
        mine.set(body.name, created);
        return Response.json(created, { status: 201 });
      }
      const found = name === undefined ? undefined : mine.get(name);
      if (request.method === "GET") {
        return found ? Response.json(found) : notFound();
      }
      if (request.method === "DELETE") {
        if (!found) return notFound();
        mine.delete(name!);
        dead.delete(name!);
        return new Response(null, { status: 202 });
      }
      return text("405 method not allowed", 405);
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    subscriptions,
    instances,
    dead,
    requests,
    async notify(instanceId, modified = ["web"]) {
      const codes: number[] = [];
      for (const sub of subscriptions.get(instanceId)?.values() ?? []) {
        if (dead.has(sub.name)) continue;
        let status: number;
        try {
          const response = await fetch(sub["callback-url"], {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
              "instance-id": instanceId,
              "subscription-name": sub.name,
              metadata: sub.metadata,
              "resource-changes": {
                created: null,
                deleted: [],
                modified: modified.map((name) => ({
                  name,
                  GVK: { Group: "apps", Version: "v1", Kind: "Deployment" },
                  status: {
                    apiVersion: "apps/v1",
                    kind: "Deployment",
                    metadata: { name, resourceVersion: "10720999" },
                    status: { readyReplicas: 1 },
                  },
                })),
              },
            }),
          });
          await response.body?.cancel();
          status = response.status;
        } catch {
          status = 500;
        }
        sub["last-notify-status"] = status;
        sub["last-notify-time"] = new Date().toISOString();
        codes.push(status);
      }
      return codes;
    },
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}
