/**
 * The watch blocks against the kube simulator (branch `sim`): its Leases
 * and its watches. The subscription blocks run against the k8splugin
 * simulator in their own tests.
 *
 * @module
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeConfig } from "@kubernetes/client-node";
import {
  KubeClient,
  kubeStreamFromKubeConfig,
  KubeWatcher,
  type KubeWatchEvent,
  leaseApi,
  LeaseElector,
} from "../../adapters/mod.ts";
import { startKube } from "../../sim/kube.ts";
import { watchScenario } from "./_scenario.ts";

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await sleep(10);
  }
  assert.fail(`timed out waiting for ${what}`);
}

function kubeconfig(url: string): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    `clusters: [{name: sim, cluster: {server: '${url}'}}]`,
    "users: [{name: u, user: {token: t}}]",
    "contexts: [{name: c, context: {cluster: sim, user: u}}]",
    "current-context: c",
  ].join("\n");
}

Deno.test("LeaseElector elects one leader through the kube sim's Leases and hands over on close", async () => {
  await using kube = await startKube({ scenario: watchScenario() });
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfig(kube.url));
  const log: string[] = [];
  const electors = ["a", "b"].map((identity) => {
    const stream = kubeStreamFromKubeConfig(kc);
    const elector = new LeaseElector({
      api: leaseApi(stream),
      namespace: "ns",
      identity,
      leaseDurationMs: 1_000,
      renewDeadlineMs: 600,
      retryPeriodMs: 50,
      onStartedLeading: () => void log.push(`${identity} leads`),
      onStoppedLeading: () => void log.push(`${identity} stops`),
    });
    return { elector, stream };
  });
  const [a, b] = electors as [typeof electors[0], typeof electors[0]];
  a.elector.start();
  await until(() => a.elector.isLeader, "a to lead");
  b.elector.start();
  await sleep(200);
  assert.equal(b.elector.isLeader, false);
  assert.equal(b.elector.leader, "a");
  const lease = await (await fetch(
    `${kube.url}/apis/coordination.k8s.io/v1/namespaces/ns/leases/k8s-aai-sync`,
  )).json();
  assert.equal(lease.spec.holderIdentity, "a");
  assert.match(lease.spec.renewTime, /\.\d{6}Z$/, "MicroTime on the wire");
  await a.elector.close();
  await until(() => b.elector.isLeader, "b to take over");
  await b.elector.close();
  assert.deepEqual(log, ["a leads", "a stops", "b leads", "b stops"]);
  for (const { stream } of electors) stream.close();
});

Deno.test("KubeWatcher follows the kube sim's step changes as instance events", async () => {
  await using kube = await startKube({ scenario: watchScenario() });
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfig(kube.url));
  await using client = KubeClient.fromKubeconfig("kud", kubeconfig(kube.url));
  const events: KubeWatchEvent[] = [];
  const errors: unknown[] = [];
  await using watcher = new KubeWatcher({
    region: "kud",
    source: client,
    stream: kubeStreamFromKubeConfig(kc),
    onEvent: (e) => void events.push(e),
    onError: (e) => void errors.push(e),
    minBackoffMs: 10,
    maxBackoffMs: 20,
  });
  await watcher.watch([{
    gvk: { group: "apps", version: "v1", kind: "Deployment" },
    namespace: "ns",
  }]);
  await until(() => watcher.synced, "the first list");
  kube.state.advance();
  await until(() => events.length > 0, "an event");
  assert.deepEqual(events[0], {
    region: "kud",
    type: "update",
    gvk: { group: "apps", version: "v1", kind: "Deployment" },
    namespace: "ns",
    name: "packetgen",
    instanceId: "practical_nobel",
  });
  kube.state.advance(); // broken: the Deployment is gone
  await until(() => events.some((e) => e.type === "delete"), "a delete");
  assert.deepEqual(errors, []);
});
