/**
 * `deno task sync --watch` as a real process for the end-to-end watch
 * tests: spawning it (with `--listen` for `/readyz` and `/metrics`),
 * polling, and the A&AI writes the simulator saw.
 *
 * @module
 */
import assert from "node:assert/strict";

/** The sync task's entry point. */
export const SYNC = new URL("../../tasks/sync.ts", import.meta.url).pathname;

/** A free TCP port on 127.0.0.1. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Polls `check` every 20 ms; the time it took, or an assertion failure after `timeoutMs`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** A running `sync --watch`, its stderr kept. */
export interface Proc extends AsyncDisposable {
  child: Deno.ChildProcess;
  port: number;
  stderr(): string;
  ready(): Promise<boolean>;
  leader(): Promise<boolean>;
  /** The `/metrics` text (empty when it does not answer). */
  metrics(): Promise<string>;
}

/** Spawns `sync --watch --listen 127.0.0.1:port --log-format json ...args` with only `env`. */
export function spawn(
  args: string[],
  env: Record<string, string>,
  port = freePort(),
): Proc {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      SYNC,
      "--watch",
      "--listen",
      `127.0.0.1:${port}`,
      "--log-format",
      "json",
      ...args,
    ],
    env: { NO_COLOR: "1", ...env },
    clearEnv: true,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let text = "";
  const reading = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void (text += chunk) }),
  ).catch(() => {});
  async function get(path: string): Promise<string | undefined> {
    try {
      const response = await fetch(`http://127.0.0.1:${port}${path}`);
      const body = await response.text();
      return response.ok ? body : undefined;
    } catch {
      return undefined;
    }
  }
  return {
    child,
    port,
    stderr: () => text,
    ready: async () => (await get("/readyz")) !== undefined,
    leader: async () =>
      /^k8s_aai_sync_leader 1$/m.test((await get("/metrics")) ?? ""),
    metrics: async () => (await get("/metrics")) ?? "",
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
      await child.status;
      await reading;
    },
  };
}

/** Writes to A&AI for k8s-resources after `from` (ms; PUT/PATCH/DELETE). */
export function writesSince(
  aai: { state: { requests: { method: string; url: string; at: number }[] } },
  from: number,
): { method: string; url: string; at: number }[] {
  return aai.state.requests.filter((r) =>
    // Strictly after: a write of the step before may share `from`'s
    // millisecond (the test saw it, then took the time at once).
    r.at > from && r.method !== "GET" && r.url.includes("/k8s-resources/")
  );
}

/** The environment every spawned sync needs: the two peers and the state folder. */
export function baseEnv(
  k8splugin: string,
  aai: string,
  dir: string,
): Record<string, string> {
  return {
    K8SPLUGIN_URL: k8splugin,
    AAI_URL: aai,
    K8S_AAI_SYNC_SNAPSHOT: `${dir}/state/snapshot.json`,
  };
}

/** One request a {@linkcode recordingProxy} forwarded. */
export interface ProxiedRequest {
  /** The host asked for (a key of the proxy's routes). */
  host: string;
  method: string;
  /** Path and query. */
  path: string;
  /** When it arrived (epoch ms). */
  at: number;
}

/** A loopback forward HTTP proxy, recording what it forwards. */
export interface RecordingProxy extends AsyncDisposable {
  /** The proxy's URL (a process's `HTTP_PROXY`). */
  url: string;
  /** Every request forwarded so far. */
  requests: ProxiedRequest[];
}

/**
 * A forward proxy (absolute-form requests, as `fetch` sends them through
 * `HTTP_PROXY`) that sends each host of `routes` to its simulator's base
 * URL and records the request. Giving each process its own proxy tells
 * their requests apart while the peer URLs they are configured with (and
 * so the selflinks they write) stay the same.
 */
export function recordingProxy(routes: Record<string, string>): RecordingProxy {
  const requests: ProxiedRequest[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const url = new URL(request.url);
      const target = routes[url.host];
      if (target === undefined) {
        return new Response(`No route to "${url.host}"`, { status: 502 });
      }
      requests.push({
        host: url.host,
        method: request.method,
        path: url.pathname + url.search,
        at: Date.now(),
      });
      const headers = new Headers(request.headers);
      headers.delete("host");
      const body = request.method === "GET" || request.method === "HEAD"
        ? undefined
        : await request.arrayBuffer();
      const response = await fetch(`${target}${url.pathname}${url.search}`, {
        method: request.method,
        headers,
        ...(body ? { body } : {}),
        redirect: "manual",
      });
      return new Response(response.body, {
        status: response.status,
        headers: response.headers,
      });
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    requests,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}
