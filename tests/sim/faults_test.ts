import assert from "node:assert/strict";
import { parseFaults, withFaults } from "../../sim/faults.ts";

Deno.test("parseFaults() reads every kind of fault", () => {
  assert.deepEqual(
    parseFaults(
      "latency=5ms,error=503:0.25,error=500,hang=0.1,reset=0.2,truncate=0.3,malformed=0.4,match=/v1,seed=7",
    ),
    {
      latencyMs: 5,
      errorRates: { 503: 0.25, 500: 1 },
      hangRate: 0.1,
      resetRate: 0.2,
      truncateRate: 0.3,
      malformedRate: 0.4,
      match: "/v1",
      seed: 7,
    },
  );
  assert.equal(parseFaults("latency=1.5s").latencyMs, 1500);
});

Deno.test("parseFaults() names the bad term", () => {
  assert.throws(() => parseFaults("error=200"), /"error=200"/);
  assert.throws(() => parseFaults("hang=2"), /"hang=2".*0 to 1/);
  assert.throws(() => parseFaults("jitter=1"), /unknown fault/);
});

Deno.test("withFaults() answers the injected status only on matching paths", async () => {
  const handler = withFaults(
    () => new Response("real"),
    () => ({ errorRates: { 503: 1 }, match: "/aai" }),
  );
  const hit = await handler(new Request("http://x/aai/v24/thing"));
  assert.equal(hit.status, 503);
  await hit.body?.cancel();
  const miss = await handler(new Request("http://x/v1/instance"));
  assert.equal(await miss.text(), "real");
});

Deno.test("withFaults() delays matching requests and adds up the latency it injected", async () => {
  const injected = { requests: 0, totalMs: 0 };
  const handler = withFaults(
    () => new Response("real"),
    () => ({ latencyMs: 20, match: "/slow" }),
    injected,
  );
  const started = performance.now();
  assert.equal(
    await (await handler(new Request("http://x/slow/a"))).text(),
    "real",
  );
  await (await handler(new Request("http://x/slow/b"))).text();
  const elapsed = performance.now() - started;
  await (await handler(new Request("http://x/fast"))).text();
  assert.equal(injected.requests, 2, "only the matching requests count");
  assert.ok(injected.totalMs > 0 && injected.totalMs <= elapsed + 1);
});

Deno.test("withFaults() keeps injecting latency after the event loop stalled", async () => {
  const injected = { requests: 0, totalMs: 0 };
  const handler = withFaults(
    () => new Response("real"),
    () => ({ latencyMs: 20 }),
    injected,
  );
  // A request whose timer fires far too late because the loop is busy.
  const stalled = handler(new Request("http://x/a"));
  const busyUntil = performance.now() + 300;
  while (performance.now() < busyUntil) { /* hold the event loop */ }
  await (await stalled).text();
  for (let i = 0; i < 5; i++) {
    const before = injected.totalMs;
    await (await handler(new Request("http://x/b"))).text();
    assert.ok(
      injected.totalMs - before >= 10,
      "a stall is load, not timer rounding: later requests still wait",
    );
  }
});

Deno.test("startAai(), startK8splugin(), startKube() and startSo() hand server errors (an injected reset) to onError instead of printing them", async () => {
  const { startAai } = await import("../../sim/aai.ts");
  const { startK8splugin } = await import("../../sim/k8splugin.ts");
  const { startKube } = await import("../../sim/kube.ts");
  const { startSo } = await import("../../sim/so.ts");
  const reset = { resetRate: 1 };
  const heard: Record<string, string[]> = {};
  const onError = (name: string) => (error: unknown) =>
    (heard[name] ??= []).push(String(error));
  await using aai = await startAai({ faults: reset, onError: onError("aai") });
  await using k8s = await startK8splugin({ onError: onError("k8splugin") });
  k8s.state.faults = reset;
  await using kube = await startKube({ onError: onError("kube") });
  kube.state.faults = reset;
  await using so = startSo({
    aaiUrl: aai.url,
    k8spluginUrl: k8s.url,
    onError: onError("so"),
  });
  for (
    const url of [
      `${aai.url}/aai/v24/cloud-infrastructure/cloud-regions`,
      `${k8s.url}/v1/instance`,
      `${kube.url}/api`,
    ]
  ) {
    await assert.rejects(fetch(url).then((r) => r.text()));
  }
  assert.deepEqual(Object.keys(heard).sort(), ["aai", "k8splugin", "kube"]);
  for (const errors of Object.values(heard)) {
    assert.match(errors[0]!, /injected connection reset/);
  }
  assert.ok(so.url.startsWith("http://"));
});
