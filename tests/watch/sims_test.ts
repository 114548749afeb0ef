/**
 * The watch blocks against the project's simulators (branch `sim`): Leases
 * and watches of the kube sim, status subscriptions of the k8splugin sim.
 *
 * @module
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeConfig } from "@kubernetes/client-node";
import { Registry } from "prom-client";
import {
  HttpK8spluginSubscriptions,
  KubeClient,
  kubeStreamFromKubeConfig,
  KubeWatcher,
  type KubeWatchEvent,
  leaseApi,
  LeaseElector,
  SubscriptionReceiver,
} from "../../adapters/mod.ts";
import { startK8splugin } from "../../sim/k8splugin.ts";
import { startKube } from "../../sim/kube.ts";
import { parseScenario, type Scenario } from "../../sim/scenario.ts";
import { DirtyScheduler, SubscriptionKeeper } from "../../sync/watch/mod.ts";
import { type MountedHandler, serveOps } from "../../tasks/_serve.ts";

const REQUEST = {
  "rb-name": "vfw",
  "rb-version": "v1",
  "profile-name": "p1",
  "cloud-region": "kud",
};

function deployment(resourceVersion: string, ready: number) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "packetgen", resourceVersion },
    spec: { replicas: 1 },
    status: { readyReplicas: ready },
  };
}

/** Steps: baseline; changed; a resource deleted by hand (status fails); repaired; changed again. */
function scenario(): Scenario {
  const instance = (objects: unknown[], missing?: unknown[]) => ({
    id: "practical_nobel",
    request: REQUEST,
    namespace: "ns",
    objects,
    ...(missing ? { missing } : {}),
  });
  const step = (name: string, minute: number, ...rest: unknown[]) => ({
    name,
    now: `2026-11-25T10:0${minute}:00Z`,
    instances: [instance(...rest as [unknown[], unknown[]?])],
  });
  return parseScenario({
    regions: [{ cloudRegion: "kud", cloudOwner: "CloudOwner" }],
    steps: [
      step("baseline", 0, [deployment("1", 0)]),
      step("changed", 1, [deployment("2", 1)]),
      step("broken", 2, [deployment("2", 1)], [{
        apiVersion: "apps/v1",
        kind: "Deployment",
        name: "packetgen",
      }]),
      step("repaired", 3, [deployment("3", 1)]),
      step("changed again", 4, [deployment("4", 0)]),
    ],
  }, "watch-sims");
}

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
  await using kube = await startKube({ scenario: scenario() });
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
  await using kube = await startKube({ scenario: scenario() });
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

Deno.test("SubscriptionKeeper with the k8splugin sim: notifications mark the instance dirty; after a failed /status the dead notifier is replaced", async () => {
  await using sim = startK8splugin({
    scenario: scenario(),
    subscriptionTiming: {
      firstCallDelayMs: 0,
      notifierStartMs: 10,
      intervalFloorMs: 40,
      restoreDelayMs: 30,
    },
  });
  const dirty: string[] = [];
  await using scheduler = new DirtyScheduler({
    onDirty: (ids) => void dirty.push(...ids),
    debounceMs: 0,
    maxWaitMs: 0,
  });
  const mounts: MountedHandler[] = [];
  await using ops = serveOps({ registry: new Registry(), port: 0, mounts });
  const receiver = new SubscriptionReceiver({
    publicUrl: ops.url,
    key: new Uint8Array(32).fill(3),
    onNotification: (n) => scheduler.mark(n.instanceId),
  });
  mounts.push({ prefix: receiver.prefix, handle: (r) => receiver.handle(r) });
  using client = new HttpK8spluginSubscriptions({
    baseUrl: sim.url,
    retries: 0,
    timeoutMs: 2_000,
  });
  // 0 s: the sim's notifier then polls at its (shortened) floor, not 5 s.
  const keeper = new SubscriptionKeeper({
    client,
    receiver,
    minNotifyIntervalS: 0,
  });
  assert.deepEqual(
    await keeper.ensure("practical_nobel"),
    { action: "created" },
  );
  await sleep(100); // the notifier's baseline
  sim.state.advance(); // changed
  await until(() => dirty.length === 1, "a notification");
  assert.deepEqual(dirty, ["practical_nobel"]);

  sim.state.advance(); // broken: /status fails, the notifier dies
  await sleep(150);
  keeper.noteStatusRead("practical_nobel", false);
  sim.state.advance(); // repaired
  keeper.noteStatusRead("practical_nobel", true);
  await sleep(150);
  assert.equal(dirty.length, 1, "the dead notifier sent nothing");
  const result = await keeper.ensure("practical_nobel");
  assert.equal(result.action, "replaced");
  await sleep(100); // the new notifier's baseline
  sim.state.advance(); // changed again
  await until(() => dirty.length === 2, "a notification from the new notifier");
  await keeper.forget("practical_nobel");
  await scheduler.idle();
});
