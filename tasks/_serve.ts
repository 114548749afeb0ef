/**
 * The HTTP side of the long-running `sync --watch` (issue 17): `/metrics`
 * (Prometheus exposition of a `prom-client` registry), `/healthz` (the
 * process answers and its loop is not stuck), `/readyz` (it can do its job:
 * first pass done, peers reachable), plus mounted handlers such as the
 * k8splugin subscription receiver. Also the SIGTERM/SIGINT hook that starts
 * a graceful shutdown.
 *
 * Binds `127.0.0.1` unless told otherwise (the Deployment sets `0.0.0.0`).
 *
 * Permissions: `--allow-net` for the bind address.
 *
 * @module
 */
import type { Registry } from "prom-client";

/** A probe's answer: ok, and a short reason when not. */
export interface ProbeResult {
  /** True → 200, false → 503. */
  ok: boolean;
  /** One line for the body (no secrets). */
  detail?: string;
}

/** A handler for every path under `prefix` (e.g. the subscription receiver). */
export interface MountedHandler {
  /** Path prefix, e.g. `/k8splugin/`. */
  prefix: string;
  /** Answers a request whose path starts with `prefix`. */
  handle(request: Request): Response | Promise<Response>;
}

/** Options of {@linkcode serveOps}. */
export interface OpsServerOptions {
  /** Bind address, default `127.0.0.1`. */
  hostname?: string;
  /** Port, default 9464 (0 picks a free one). */
  port?: number;
  /** The registry `/metrics` exposes. */
  registry: Registry;
  /** `/healthz`; default: always ok. */
  live?(): ProbeResult;
  /** `/readyz`; default: always ok. */
  ready?(): ProbeResult;
  /** Further handlers, matched by path prefix in order. */
  mounts?: MountedHandler[];
  /** Told about a handler that threw (the client gets a bare 500). */
  onError?(error: unknown): void;
}

/** A running ops server; close it (`await using`) to stop listening. */
export interface OpsServer extends AsyncDisposable {
  /** `http://host:port`. */
  readonly url: string;
  /** Stops accepting and waits for requests in flight. */
  close(): Promise<void>;
}

/** Turns a probe result into a plain-text response. */
function probe(result: ProbeResult | undefined): Response {
  const ok = result?.ok ?? true;
  const text = ok
    ? "ok"
    : `not ok${result?.detail ? `: ${result.detail}` : ""}`;
  return new Response(`${text}\n`, {
    status: ok ? 200 : 503,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

/**
 * Serves `/metrics`, `/healthz`, `/readyz` and the mounted handlers.
 *
 * @example
 * ```ts ignore
 * const registry = new Registry();
 * await using ops = serveOps({ registry, port: 0 });
 * const response = await fetch(`${ops.url}/healthz`);
 * ```
 */
export function serveOps(options: OpsServerOptions): OpsServer {
  const { hostname = "127.0.0.1", port = 9464, registry, mounts = [] } =
    options;
  async function handler(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    const mount = mounts.find((m) => path.startsWith(m.prefix));
    if (mount) return await mount.handle(request);
    if (path !== "/metrics" && path !== "/healthz" && path !== "/readyz") {
      return new Response("not found\n", { status: 404 });
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("method not allowed\n", {
        status: 405,
        headers: { allow: "GET, HEAD" },
      });
    }
    if (path === "/healthz") return probe(options.live?.());
    if (path === "/readyz") return probe(options.ready?.());
    return new Response(await registry.metrics(), {
      headers: { "content-type": registry.contentType },
    });
  }
  const server = Deno.serve({
    hostname,
    port,
    onListen() {},
    onError(error) {
      options.onError?.(error);
      return new Response("internal error\n", { status: 500 });
    },
  }, handler);
  const addr = server.addr;
  const host = addr.hostname.includes(":")
    ? `[${addr.hostname}]`
    : addr.hostname;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${addr.port}`,
    close() {
      return closing ??= server.shutdown();
    },
    [Symbol.asyncDispose]() {
      return this.close();
    },
  };
}

/**
 * Aborts the returned controller's signal on the first SIGTERM or SIGINT
 * (a second one is left to Deno's default: the process ends at once).
 * Dispose it to remove the listeners.
 */
export function abortOnTermination(): AbortController & Disposable {
  const controller = new AbortController();
  const signals: Deno.Signal[] = ["SIGTERM", "SIGINT"];
  function remove(): void {
    for (const signal of signals) {
      try {
        Deno.removeSignalListener(signal, listeners[signal]!);
      } catch {
        // Already removed.
      }
    }
  }
  const listeners: Partial<Record<Deno.Signal, () => void>> = {};
  for (const signal of signals) {
    listeners[signal] = () => {
      remove();
      controller.abort(new DOMException(`Received ${signal}`, "AbortError"));
    };
    Deno.addSignalListener(signal, listeners[signal]);
  }
  return Object.assign(controller, { [Symbol.dispose]: remove });
}
