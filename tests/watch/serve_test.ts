import assert from "node:assert/strict";
import { Counter, Registry } from "prom-client";
import { abortOnTermination, serveOps } from "../../tasks/_serve.ts";

Deno.test("serveOps() exposes the registry at /metrics in Prometheus text format", async () => {
  const registry = new Registry();
  const events = new Counter({
    name: "k8s_aai_sync_events_total",
    help: "Events received.",
    labelNames: ["source"],
    registers: [registry],
  });
  events.inc({ source: "kube" }, 3);
  await using ops = serveOps({ registry, port: 0 });
  assert.match(ops.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const response = await fetch(`${ops.url}/metrics`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), registry.contentType);
  assert.match(
    await response.text(),
    /^k8s_aai_sync_events_total\{source="kube"\} 3$/m,
  );
});

Deno.test("serveOps() answers /healthz and /readyz from its probes, 503 with the reason when not ok", async () => {
  let ready = false;
  await using ops = serveOps({
    registry: new Registry(),
    port: 0,
    ready: () =>
      ready ? { ok: true } : { ok: false, detail: "first pass running" },
  });
  const health = await fetch(`${ops.url}/healthz`);
  assert.equal(health.status, 200);
  assert.equal(await health.text(), "ok\n");
  const notReady = await fetch(`${ops.url}/readyz`);
  assert.equal(notReady.status, 503);
  assert.equal(await notReady.text(), "not ok: first pass running\n");
  ready = true;
  const nowReady = await fetch(`${ops.url}/readyz`);
  assert.equal(nowReady.status, 200);
  await nowReady.body?.cancel();
});

Deno.test("serveOps() routes mounted prefixes, 404s unknown paths and 405s writes to probes", async () => {
  await using ops = serveOps({
    registry: new Registry(),
    port: 0,
    mounts: [{
      prefix: "/k8splugin/",
      handle: (request) =>
        new Response(new URL(request.url).pathname, { status: 202 }),
    }],
  });
  const mounted = await fetch(`${ops.url}/k8splugin/notify/x`, {
    method: "POST",
    body: "{}",
  });
  assert.equal(mounted.status, 202);
  assert.equal(await mounted.text(), "/k8splugin/notify/x");
  const unknown = await fetch(`${ops.url}/nope`);
  assert.equal(unknown.status, 404);
  await unknown.body?.cancel();
  const post = await fetch(`${ops.url}/healthz`, { method: "POST" });
  assert.equal(post.status, 405);
  await post.body?.cancel();
});

Deno.test("abortOnTermination() aborts its signal on SIGTERM and removes its listeners when disposed", async () => {
  using termination = abortOnTermination();
  const aborted = new Promise((resolve) =>
    termination.signal.addEventListener("abort", resolve, { once: true })
  );
  // A signal listener does not keep the event loop alive: a timer does.
  const keepAlive = setTimeout(() => {}, 5_000);
  Deno.kill(Deno.pid, "SIGTERM");
  await aborted;
  clearTimeout(keepAlive);
  assert.equal(termination.signal.aborted, true);
  assert.match(String(termination.signal.reason), /SIGTERM/);
});
