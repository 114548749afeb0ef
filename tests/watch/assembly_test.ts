/**
 * The blocks of issue 17 put together the way `sync --watch` is meant to
 * wire them (a reference for the integrator, not the wiring itself): two
 * replicas elect a leader through the kube sim's Lease; the leader watches
 * the region's Deployments and marks instances dirty; the dirty scheduler
 * runs the one-instance path (here a recording stand-in); SIGTERM on the
 * leader runs the graceful shutdown, which releases the Lease, and the
 * other replica takes over, starting with a full pass.
 *
 * @module
 */
import assert from "node:assert/strict";
import { KubeConfig } from "@kubernetes/client-node";
import { Registry } from "prom-client";
import {
  KubeClient,
  kubeStreamFromKubeConfig,
  KubeWatcher,
  leaseApi,
  LeaseElector,
} from "../../adapters/mod.ts";
import { type KubeSim, startKube } from "../../sim/kube.ts";
import {
  createWatchMetrics,
  DirtyScheduler,
  Shutdown,
} from "../../sync/watch/mod.ts";
import { serveOps } from "../../tasks/_serve.ts";
import { plainKubeconfig, until, watchScenario } from "./_scenario.ts";

/** One replica of `sync --watch`; `log` records what it did, in order. */
function replica(name: string, kube: KubeSim, log: string[]) {
  const termination = new AbortController(); // stands for abortOnTermination()
  const shutdown = new Shutdown({
    signal: termination.signal,
    graceMs: 1_000,
    cleanupMs: 1_000,
  });
  const registry = new Registry();
  const metrics = createWatchMetrics(registry);
  const kc = new KubeConfig();
  kc.loadFromString(plainKubeconfig(kube.url));
  const stream = kubeStreamFromKubeConfig(kc);
  const client = KubeClient.fromKubeconfig("kud", plainKubeconfig(kube.url));
  let leading = false;
  const scheduler = new DirtyScheduler({
    debounceMs: 20,
    maxWaitMs: 100,
    async onDirty(ids, signal) {
      if (!leading || signal.aborted) return; // only the leader writes
      metrics.instanceRuns.inc({ outcome: "ok" }, ids.length);
      log.push(`${name} syncs ${ids.join(",")}`); // the one-instance path
      await Promise.resolve();
    },
  });
  const ops = serveOps({
    registry,
    port: 0,
    ready: () => ({ ok: !shutdown.stopping }),
  });
  let watcher: KubeWatcher | undefined;
  const elector = new LeaseElector({
    api: leaseApi(stream),
    namespace: "ns",
    identity: name,
    leaseDurationMs: 2_000,
    renewDeadlineMs: 1_000,
    retryPeriodMs: 50,
    onStartedLeading(signal) {
      leading = true;
      metrics.leader.set(1);
      log.push(`${name} leads: full pass`);
      watcher = new KubeWatcher({
        region: "kud",
        source: client,
        stream,
        onEvent(event) {
          metrics.events.inc({ region: event.region, source: "kube" });
          scheduler.mark(event.instanceId);
        },
      });
      const started = watcher;
      shutdown.track(
        started.watch([{
          gvk: { group: "apps", version: "v1", kind: "Deployment" },
          namespace: "ns",
        }]),
      );
      signal.addEventListener("abort", () => void started.close(), {
        once: true,
      });
    },
    onStoppedLeading() {
      leading = false;
      metrics.leader.set(0);
      scheduler.forget();
      log.push(`${name} stops leading`);
    },
  });
  // Cleanups run last registered first: the ops server closes last.
  shutdown.defer("ops server", () => ops.close());
  shutdown.defer("kube client", () => client.close());
  shutdown.defer("stream", () => stream.close());
  shutdown.defer("scheduler", () => scheduler.close());
  shutdown.defer("lease", () => elector.close());
  shutdown.defer("watcher", () => watcher?.close());
  elector.start();
  return {
    elector,
    ops,
    registry,
    sigterm: () => termination.abort("SIGTERM"),
    done: () => shutdown.done,
  };
}

Deno.test("sync --watch blocks together: the leader's watch events become one-instance runs; SIGTERM hands over to the other replica", async () => {
  await using kube = await startKube({ scenario: watchScenario() });
  const log: string[] = [];
  const a = replica("a", kube, log);
  await until(() => a.elector.isLeader, "a to lead");
  const b = replica("b", kube, log);
  await until(() => kube.state.watches === 1, "a's watch");
  kube.state.advance(); // practical_nobel's Deployment changes
  await until(() => log.includes("a syncs practical_nobel"), "a's run");
  assert.equal(b.elector.isLeader, false);
  const metrics = await (await fetch(`${a.ops.url}/metrics`)).text();
  assert.match(metrics, /^k8s_aai_sync_leader 1$/m);
  assert.match(
    metrics,
    /^k8s_aai_sync_watch_events_total\{region="kud",source="kube"\} 1$/m,
  );

  a.sigterm();
  const report = await a.done();
  assert.deepEqual(report.failed, []);
  assert.equal(report.abandoned, 0);
  await until(() => b.elector.isLeader, "b to take over");
  await until(() => kube.state.watches === 1, "b's watch");
  kube.state.advance(); // packetgen deleted by hand
  await until(() => log.includes("b syncs practical_nobel"), "b's run");
  assert.deepEqual(log, [
    "a leads: full pass",
    "a syncs practical_nobel",
    "a stops leading",
    "b leads: full pass",
    "b syncs practical_nobel",
  ]);
  b.sigterm();
  await b.done();
});
