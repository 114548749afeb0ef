/**
 * End to end: `deno task sync --watch` as a real process against the
 * simulators while nothing happens. A verdict that changes with the clock
 * alone (a rule's recheck, `armRecheck()` in tasks/_watch.ts) reaches A&AI
 * with no event and no pass in between; a converged, quiet process sends no
 * k8splugin `/status` read and no A&AI request at all.
 *
 * @module
 */
import assert from "node:assert/strict";
import { simKubeconfig } from "../../sim/k8splugin.ts";
import { kubeWorld, subscriptionWorld } from "./_worlds.ts";
import {
  deployment,
  expectedPath,
  healthy,
  instance,
  pod,
  readiness,
  scenario,
  service,
  VF,
} from "../sync/_scenario.ts";
import { baseEnv, type Proc, spawn, until } from "./_proc.ts";

/** Requests to k8splugin's `/status` so far. */
function statusReads(
  k8s: { state: { requests: { byRoute: Record<string, number> } } },
): number {
  return k8s.state.requests.byRoute["GET /v1/instance/{id}/status"] ?? 0;
}

/** The samples of one metric family (`name{labels} value` lines). */
function samples(metrics: string, name: string): string[] {
  return metrics.split("\n").filter((l) => l.startsWith(name));
}

Deno.test("sync --watch: a rule's recheck (a Pod stuck in ContainerCreating past rules.stallTimeout) reaches A&AI with no event and no pass in between", async () => {
  // app-1's pod never leaves ContainerCreating: Pending, until the stall
  // timeout (counted from the first pass that saw it) makes it Failed.
  const sc = scenario([[
    instance("app-1", [
      service("app-1-web"),
      deployment("app-1-web", 1, 0),
      pod("app-1", "app-1-web", "aaaaa", "pending"),
    ]),
  ]], [VF]);
  await using world = await kubeWorld(sc);
  const { kube, k8s, aai, dir } = world;
  await Deno.writeTextFile(
    `${dir}/config.yaml`,
    "rules:\n  stallTimeout: 4s\n",
  );
  await using proc = spawn([
    "--source",
    "kube",
    "--debounce",
    "20ms",
    "--full-pass-interval",
    "10m",
  ], {
    ...baseEnv(k8s.url, aai.url, dir),
    K8S_AAI_SYNC_CONFIG: `${dir}/config.yaml`,
  });
  await until(proc.ready, "/readyz", 30_000);
  const podPath = expectedPath(
    "app-1",
    "Pod",
    "",
    "v1",
    "app-1-web-5d8f7c6b9-aaaaa",
  ).path;
  const podVerdict = () => readiness(aai.state.get(podPath)).verdict;
  // The first pass published it Pending (within the timeout).
  assert.equal(podVerdict(), "Pending", proc.stderr().slice(-2000));
  const lists = k8s.state.requests.byRoute["GET /v1/instance"];
  const kubeChanges = kube.state.changes.length;
  const watches = kube.state.requests.byResource["watch pods"];
  await until(
    () => podVerdict() === "Failed",
    `the recheck's write\n${proc.stderr().slice(-3000)}`,
    15_000,
  );
  assert.equal(readiness(aai.state.get(podPath)).reason, "NoProgress");
  // Nothing else woke it: no list or full pass (one GET /v1/instance
  // each), no change in the cluster, no watch event, no new watch.
  assert.equal(k8s.state.requests.byRoute["GET /v1/instance"], lists);
  assert.equal(kube.state.changes.length, kubeChanges);
  assert.equal(kube.state.requests.byResource["watch pods"], watches);
  // The run is counted once it returns, just after A&AI answered.
  const ranOk = /outcome="ok"\} [1-9]/;
  await until(
    async () =>
      ranOk.test(
        samples(await proc.metrics(), "k8s_aai_sync_instance_runs_total")
          .join("\n"),
      ),
    "the one-instance run counted",
  );
  assert.deepEqual(
    samples(await proc.metrics(), "k8s_aai_sync_watch_events_total")
      .filter((l) => !/ 0$/.test(l)),
    [],
  );
});

/**
 * Waits until `proc` is ready and has been idle (no A&AI request and no
 * `/status` read) for `idleMs`, then counts what it sends over `windowMs`.
 */
async function quietWindow(
  proc: Proc,
  k8s: { state: { requests: { byRoute: Record<string, number> } } },
  aai: { state: { requests: { method: string; url: string; at: number }[] } },
  windowMs: number,
): Promise<{ status: number; aai: string[] }> {
  await until(proc.ready, "/readyz", 30_000);
  // Converged: the first pass's writes are answered and nothing follows.
  let last = -1;
  let stableSince = Date.now();
  await until(() => {
    const now = aai.state.requests.length + statusReads(k8s);
    if (now !== last) [last, stableSince] = [now, Date.now()];
    return Date.now() - stableSince >= 1_000;
  }, "the process to settle");
  const status = statusReads(k8s);
  const from = Date.now();
  await new Promise((r) => setTimeout(r, windowMs));
  return {
    status: statusReads(k8s) - status,
    aai: aai.state.requests.filter((r) => r.at >= from).map((r) =>
      `${r.method} ${r.url}`
    ),
  };
}

Deno.test("sync --watch via Kubernetes watches, reading /status from k8splugin: once converged, a quiet cluster (bookmarks only) gets no /status read and no A&AI request", async () => {
  const sc = scenario([[healthy("app-1"), healthy("app-2", "bbbbb")]], [VF]);
  await using world = await kubeWorld(sc, { bookmarkIntervalMs: 100 });
  const { kube, k8s, aai, dir } = world;
  // The region's kubeconfig in the config: watches, while reads stay
  // k8splugin's /status (--source k8splugin).
  await Deno.writeTextFile(
    `${dir}/kubeconfig`,
    simKubeconfig("k8sregionone", kube.url),
  );
  await Deno.writeTextFile(
    `${dir}/config.yaml`,
    `regions:\n  k8sregionone:\n    kubeconfig: ${dir}/kubeconfig\n`,
  );
  await using proc = spawn([
    "--debounce",
    "20ms",
    "--full-pass-interval",
    "1h",
  ], {
    ...baseEnv(k8s.url, aai.url, dir),
    K8S_AAI_SYNC_CONFIG: `${dir}/config.yaml`,
  });
  const quiet = await quietWindow(proc, k8s, aai, 3_000);
  assert.ok(statusReads(k8s) >= 2, "the first pass read both instances");
  assert.ok(kube.state.watches > 0, "watching");
  assert.deepEqual(quiet, { status: 0, aai: [] }, proc.stderr().slice(-2000));
});

Deno.test("sync --watch via k8splugin subscriptions: once converged and subscribed, a quiet k8splugin (notifiers polling, nothing changing) gets no /status read and no A&AI request", async () => {
  await using world = await subscriptionWorld(
    scenario([[healthy("app-1"), healthy("app-2", "bbbbb")]], [VF]),
  );
  const { k8s, aai } = world;
  await using proc = await world.start([
    "--debounce",
    "20ms",
    "--full-pass-interval",
    "1h",
  ]);
  const running = (id: string) =>
    k8s.state.subscriptions.notifierRunning(id, `${id}-k8s-aai-sync`);
  await until(
    () => running("app-1") && running("app-2"),
    `both notifiers\n${proc.stderr().slice(-2000)}`,
  );
  const quiet = await quietWindow(proc, k8s, aai, 3_000);
  assert.ok(running("app-1") && running("app-2"), "still subscribed");
  assert.deepEqual(quiet, { status: 0, aai: [] }, proc.stderr().slice(-2000));
});

Deno.test("sync --watch via Kubernetes watches: an instance created after the last list is synced on its first watch event (one relist), not at the next list pass", async () => {
  const sc = scenario([
    [healthy("app-1")],
    [healthy("app-1"), healthy("app-3", "ccccc")],
  ], [VF]);
  await using world = await kubeWorld(sc);
  const { kube, k8s, aai, dir } = world;
  await using proc = spawn([
    "--source",
    "kube",
    "--debounce",
    "20ms",
    "--full-pass-interval",
    "10m",
  ], baseEnv(k8s.url, aai.url, dir));
  await until(proc.ready, "/readyz", 30_000);
  const objectsOf = (id: string) =>
    [...aai.state.objects.values()].filter((o) =>
      JSON.stringify(o).includes(`k8splugin.io/rb-instance-id=${id}`)
    ).length;
  assert.equal(objectsOf("app-3"), 0);
  const lists = k8s.state.requests.byRoute["GET /v1/instance"];
  kube.state.advance();
  k8s.state.advance();
  await until(
    () => objectsOf("app-3") === 3,
    `app-3's three objects in A&AI\n${proc.stderr().slice(-2000)}`,
  );
  assert.equal(
    k8s.state.requests.byRoute["GET /v1/instance"],
    (lists ?? 0) + 1,
    "one relist",
  );
});
