import assert from "node:assert/strict";
import { KubeConfig } from "@kubernetes/client-node";
import {
  FetchWatch,
  type KubeStream,
  kubeStreamFromKubeConfig,
  WatchStatusError,
} from "../../adapters/mod.ts";
import { testClock } from "./_clock.ts";

function config(server: string, skipTLSVerify = false): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server, skipTLSVerify }],
    users: [{ name: "u", token: "the-token" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  return kc;
}

Deno.test("kubeStreamFromKubeConfig() sends the kubeconfig's credentials to a plain http:// server", async () => {
  const seen: (string | null)[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => {
      seen.push(request.headers.get("authorization"));
      seen.push(request.headers.get("accept"));
      return Response.json({});
    },
  );
  const stream = kubeStreamFromKubeConfig(
    config(`http://127.0.0.1:${server.addr.port}/`),
  );
  try {
    const response = await stream.fetch("/api/v1");
    await response.body?.cancel();
    assert.equal(response.status, 200);
  } finally {
    stream.close();
    await server.shutdown();
  }
  assert.deepEqual(seen, ["Bearer the-token", "application/json"]);
});

Deno.test("kubeStreamFromKubeConfig() refuses insecure-skip-tls-verify over https, as the kube adapter does", () => {
  assert.throws(
    () => kubeStreamFromKubeConfig(config("https://127.0.0.1:6443", true)),
    /insecure-skip-tls-verify is not supported over https/,
  );
  assert.throws(
    () => kubeStreamFromKubeConfig(new KubeConfig()),
    /no current cluster/,
  );
});

/** A stream whose watch body stays open and silent until aborted. */
function silentStream(status = 200): KubeStream & { paths: string[] } {
  const paths: string[] = [];
  return {
    paths,
    fetch(pathAndQuery, init) {
      paths.push(pathAndQuery);
      const signal = init?.signal ?? undefined;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          signal?.addEventListener(
            "abort",
            () => controller.error(signal.reason),
            { once: true },
          );
        },
      });
      return Promise.resolve(new Response(body, { status }));
    },
    close() {},
  };
}

Deno.test("FetchWatch ends a silent watch as timed out after inactivityMs (client-node's ListWatch reconnects at once on it)", async () => {
  const clock = testClock(0);
  const stream = silentStream();
  const watch = new FetchWatch(stream, {
    timeoutSeconds: 60,
    inactivityMs: 90_000,
    clock,
  });
  const done: unknown[] = [];
  await watch.watch(
    "/api/v1/pods",
    { resourceVersion: "7" },
    () => {},
    (e) => done.push(e),
  );
  await clock.tick(89_999);
  assert.equal(done.length, 0);
  await clock.tick(1);
  await watch.settled();
  assert.equal((done[0] as DOMException).name, "TimeoutError");
  const query = new URLSearchParams(stream.paths[0]!.split("?")[1]);
  assert.equal(query.get("timeoutSeconds"), "60");
  assert.equal(query.get("resourceVersion"), "7");
});

Deno.test("FetchWatch reports a refused watch with its status, and a stopped one as done", async () => {
  const done: unknown[] = [];
  const refused = new FetchWatch(silentStream(410));
  await refused.watch("/api/v1/pods", {}, () => {}, (e) => done.push(e));
  await refused.settled();
  assert.ok(done[0] instanceof WatchStatusError);
  assert.equal((done[0] as WatchStatusError).statusCode, 410);
  const open = new FetchWatch(silentStream());
  const controller = await open.watch(
    "/api/v1/pods",
    {},
    () => {},
    (e) => done.push(e),
  );
  controller.abort();
  await open.settled();
  assert.equal(done[1], null);
});
