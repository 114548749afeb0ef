/**
 * A tiny loopback API server that speaks the watch protocol, until the kube
 * simulator serves watches: discovery for Pods and Deployments, LIST with
 * the list's resourceVersion, and WATCH as chunked JSON lines from a
 * resourceVersion (ADDED/MODIFIED/DELETED, BOOKMARK when asked and allowed,
 * a 410 `ERROR` event for a resourceVersion older than the compaction
 * point, then the stream ends, as kube-apiserver does). Label selectors
 * are not evaluated: every object served carries the instance label.
 *
 * @module
 */

type Obj = Record<string, unknown> & {
  metadata: Record<string, unknown> & { name: string; namespace: string };
};

interface Event {
  rv: number;
  type: "ADDED" | "MODIFIED" | "DELETED";
  object: Obj;
}

interface OpenWatch {
  resource: string;
  allowBookmarks: boolean;
  send(line: unknown): void;
  end(error?: boolean): void;
}

const RESOURCES: Record<string, { kind: string; prefix: string }> = {
  pods: { kind: "Pod", prefix: "/api/v1" },
  deployments: { kind: "Deployment", prefix: "/apis/apps/v1" },
};

export interface KubeWatchFake extends AsyncDisposable {
  url: string;
  kubeconfig: string;
  /** Requests: `path?query`. */
  requests: string[];
  /** Watches open now. */
  readonly watching: number;
  /** LISTs to fail with 500 before serving again. */
  failLists: number;
  /** Creates or changes an object; `silent` keeps it from open watches (a lost event). */
  put(
    resource: string,
    name: string,
    instanceId: string,
    options?: { silent?: boolean },
  ): void;
  remove(resource: string, name: string, options?: { silent?: boolean }): void;
  bookmark(): void;
  /** Forgets history up to now: watches from older resourceVersions get 410. */
  compact(): void;
  /** Ends every open watch: cleanly, or by breaking the connection. */
  drop(options?: { error?: boolean }): void;
  /** Sends a 410 ERROR event on every open watch and ends them. */
  expire(): void;
  /** Resolves once `n` watches are open. */
  waitForWatches(n: number): Promise<void>;
}

export function startKubeWatchFake(namespace = "testns"): KubeWatchFake {
  let rv = 1_000;
  let compactedAt = 0;
  const objects = new Map<string, Map<string, Obj>>();
  const history = new Map<string, Event[]>();
  const watches = new Set<OpenWatch>();
  const waiters: (() => void)[] = [];
  const requests: string[] = [];
  const fake = {
    failLists: 0,
  };
  function notifyWaiters(): void {
    for (const w of waiters.splice(0)) w();
  }
  function record(
    resource: string,
    type: Event["type"],
    object: Obj,
    silent = false,
  ): void {
    const event = { rv, type, object };
    const list = history.get(resource) ?? [];
    list.push(event);
    history.set(resource, list);
    if (silent) return;
    for (const w of watches) {
      if (w.resource === resource) w.send({ type, object });
    }
  }
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => {
      const url = new URL(request.url);
      requests.push(`${url.pathname}${url.search}`);
      if (url.pathname === "/api/v1" || url.pathname === "/apis/apps/v1") {
        return Response.json({
          kind: "APIResourceList",
          groupVersion: url.pathname === "/api/v1" ? "v1" : "apps/v1",
          resources: Object.entries(RESOURCES)
            .filter(([, r]) => r.prefix === url.pathname)
            .map(([name, r]) => ({
              name,
              kind: r.kind,
              namespaced: true,
              verbs: ["get", "list", "watch"],
            })),
        });
      }
      const match = url.pathname.match(
        /^(\/api\/v1|\/apis\/apps\/v1)\/namespaces\/([^/]+)\/([^/]+)$/,
      );
      const resource = match?.[3];
      if (!resource || !RESOURCES[resource]) {
        return Response.json(
          { kind: "Status", code: 404, reason: "NotFound" },
          {
            status: 404,
          },
        );
      }
      if (url.searchParams.get("watch") !== "true") {
        if (fake.failLists > 0) {
          fake.failLists--;
          return Response.json({ kind: "Status", code: 500 }, { status: 500 });
        }
        return Response.json({
          kind: `${RESOURCES[resource].kind}List`,
          apiVersion: "v1",
          metadata: { resourceVersion: String(rv) },
          items: [...(objects.get(resource)?.values() ?? [])],
        });
      }
      const from = Number(url.searchParams.get("resourceVersion") ?? "0");
      const allowBookmarks =
        url.searchParams.get("allowWatchBookmarks") === "true";
      const encoder = new TextEncoder();
      let controller!: ReadableStreamDefaultController<Uint8Array>;
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          controller = c;
        },
        cancel() {
          watches.delete(watch);
        },
      });
      const watch: OpenWatch = {
        resource,
        allowBookmarks,
        send(line) {
          try {
            controller.enqueue(encoder.encode(JSON.stringify(line) + "\n"));
          } catch {
            watches.delete(watch);
          }
        },
        end(error) {
          watches.delete(watch);
          try {
            if (error) controller.error(new Error("connection reset"));
            else controller.close();
          } catch {
            // Already closed.
          }
        },
      };
      if (from < compactedAt) {
        watch.send({
          type: "ERROR",
          object: {
            kind: "Status",
            apiVersion: "v1",
            status: "Failure",
            message: `too old resource version: ${from} (${compactedAt})`,
            reason: "Expired",
            code: 410,
          },
        });
        queueMicrotask(() => watch.end());
      } else {
        watches.add(watch);
        for (const event of history.get(resource) ?? []) {
          if (event.rv > from) {
            watch.send({ type: event.type, object: event.object });
          }
        }
        notifyWaiters();
      }
      return new Response(body, {
        headers: { "content-type": "application/json" },
      });
    },
  );
  const url = `http://127.0.0.1:${server.addr.port}`;
  return {
    url,
    kubeconfig: [
      "apiVersion: v1",
      "kind: Config",
      "clusters: [{name: fake, cluster: {server: '" + url + "'}}]",
      "users: [{name: u, user: {token: secret-token}}]",
      "contexts: [{name: c, context: {cluster: fake, user: u}}]",
      "current-context: c",
    ].join("\n"),
    requests,
    get watching() {
      return watches.size;
    },
    get failLists() {
      return fake.failLists;
    },
    set failLists(n: number) {
      fake.failLists = n;
    },
    put(resource, name, instanceId, options = {}) {
      const map = objects.get(resource) ?? new Map<string, Obj>();
      objects.set(resource, map);
      const type = map.has(name) ? "MODIFIED" : "ADDED";
      rv++;
      const object: Obj = {
        metadata: {
          name,
          namespace,
          resourceVersion: String(rv),
          labels: { "k8splugin.io/rb-instance-id": instanceId },
        },
      };
      map.set(name, object);
      record(resource, type, object, options.silent);
    },
    remove(resource, name, options = {}) {
      const object = objects.get(resource)?.get(name);
      if (!object) return;
      objects.get(resource)!.delete(name);
      rv++;
      record(resource, "DELETED", {
        ...object,
        metadata: { ...object.metadata, resourceVersion: String(rv) },
      }, options.silent);
    },
    bookmark() {
      for (const w of watches) {
        if (w.allowBookmarks) {
          w.send({
            type: "BOOKMARK",
            object: { metadata: { resourceVersion: String(rv) } },
          });
        }
      }
    },
    compact() {
      compactedAt = rv;
      history.clear();
    },
    drop(options = {}) {
      for (const w of [...watches]) w.end(options.error);
    },
    expire() {
      for (const w of [...watches]) {
        w.send({
          type: "ERROR",
          object: { kind: "Status", code: 410, reason: "Expired" },
        });
        w.end();
      }
    },
    waitForWatches(n) {
      if (watches.size >= n) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const check = () => {
          if (watches.size >= n) resolve();
          else waiters.push(check);
        };
        waiters.push(check);
      });
    },
    async [Symbol.asyncDispose]() {
      for (const w of [...watches]) w.end();
      await server.shutdown();
    },
  };
}
