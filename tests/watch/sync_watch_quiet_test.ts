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
import { type AaiSimSeed, startAai } from "../../sim/aai.ts";
import { simKubeconfig, startK8splugin } from "../../sim/k8splugin.ts";
import { startKube } from "../../sim/kube.ts";
import {
  deployment,
  expectedPath,
  instance,
  pod,
  readiness,
  scenario,
  service,
  VF,
} from "../sync/_scenario.ts";
import { baseEnv, spawn, until } from "./_proc.ts";

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
  await using kube = await startKube({ scenario: sc });
  await using k8s = startK8splugin({
    scenario: sc,
    kubeconfigFor: (region) => simKubeconfig(region, kube.url),
  });
  await using aai = await startAai({ seed: sc.aai as AaiSimSeed });
  const dir = await Deno.makeTempDir({ prefix: "sync-watch-" });
  try {
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
    const metrics = await proc.metrics();
    assert.deepEqual(
      samples(metrics, "k8s_aai_sync_watch_events_total")
        .filter((l) => !/ 0$/.test(l)),
      [],
    );
    assert.match(
      samples(metrics, "k8s_aai_sync_instance_runs_total").join("\n"),
      /outcome="ok"\} [1-9]/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
