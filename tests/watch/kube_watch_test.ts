/**
 * KubeWatcher against the Kubernetes API simulator's watches (branch `sim`):
 * list then watch with bookmarks, a graceful end resumed from the last
 * bookmark, 410 Gone and the relist, dropped connections and failing lists
 * (client-node's informer stops on them, and keeps its cache across the
 * restart), discovery that cannot resolve, and the gaps no cache covers (a
 * target watched again, a late first list).
 *
 * @module
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeConfig } from "@kubernetes/client-node";
import {
  FetchWatch,
  KubeClient,
  KubeError,
  type KubeStream,
  kubeStreamFromKubeConfig,
  KubeWatcher,
  type KubeWatcherOptions,
  type KubeWatchEvent,
} from "../../adapters/mod.ts";
import { type KubeSim, startKube } from "../../sim/kube.ts";
import { plainKubeconfig, until, watchScenario } from "./_scenario.ts";

const DEPLOYMENT = { group: "apps", version: "v1", kind: "Deployment" };
const POD = { group: "", version: "v1", kind: "Pod" };
const LISTS = "list deployments.apps";

/** The stream, recording the query of every watch request. */
function recording(stream: KubeStream, watches: URLSearchParams[]): KubeStream {
  return {
    fetch(pathAndQuery, init) {
      const query = new URLSearchParams(pathAndQuery.split("?")[1] ?? "");
      if (query.get("watch") === "true") watches.push(query);
      return stream.fetch(pathAndQuery, init);
    },
    close: () => stream.close(),
  };
}

/** A watcher of the sim's namespace `ns`, recording events, errors and watch requests. */
function watcherOf(kube: KubeSim, extra: Partial<KubeWatcherOptions> = {}) {
  const events: KubeWatchEvent[] = [];
  const errors: unknown[] = [];
  const watches: URLSearchParams[] = [];
  const client = KubeClient.fromKubeconfig("kud", plainKubeconfig(kube.url), {
    retries: 0,
  });
  const kc = new KubeConfig();
  kc.loadFromString(plainKubeconfig(kube.url));
  const watcher = new KubeWatcher({
    region: "kud",
    source: client,
    stream: recording(kubeStreamFromKubeConfig(kc), watches),
    onEvent: (event) => void events.push(event),
    onError: (error) => void errors.push(error),
    minBackoffMs: 10,
    maxBackoffMs: 20,
    ...extra,
  });
  return {
    events,
    errors,
    watches,
    watcher,
    async [Symbol.asyncDispose]() {
      await watcher.close();
      await client.close();
    },
  };
}

function seen(events: KubeWatchEvent[]): string[] {
  return events.map((e) =>
    `${e.type} ${e.gvk.kind}/${e.name} → ${e.instanceId}`
  );
}

Deno.test("KubeWatcher lists, then watches from the list's resourceVersion with bookmarks, and maps events to instance ids", async () => {
  await using kube = await startKube({ scenario: watchScenario() });
  await using w = watcherOf(kube);
  await w.watcher.watch([{ gvk: DEPLOYMENT, namespace: "ns" }]);
  await until(() => kube.state.watches === 1, "the watch");
  assert.equal(w.watcher.synced, true);
  assert.equal(w.events.length, 0, "the first list is the full pass's job");
  const query = w.watches[0]!;
  assert.equal(query.get("allowWatchBookmarks"), "true");
  assert.equal(
    query.get("resourceVersion"),
    String(kube.state.resourceVersion),
  );
  assert.equal(query.get("labelSelector"), "k8splugin.io/rb-instance-id");
  assert.equal(query.get("timeoutSeconds"), "300");
  kube.state.advance(); // packetgen changes
  await until(() => w.events.length === 1, "an event");
  assert.deepEqual(w.events[0], {
    region: "kud",
    type: "update",
    gvk: DEPLOYMENT,
    namespace: "ns",
    name: "packetgen",
    instanceId: "practical_nobel",
  });
  kube.state.advance(); // packetgen deleted by hand
  await until(() => w.events.length === 2, "a delete");
  assert.deepEqual(
    seen(w.events).at(-1),
    "delete Deployment/packetgen → practical_nobel",
  );
  assert.deepEqual(w.errors, []);
});

Deno.test("KubeWatcher resumes from the last bookmark's resourceVersion when the server ends a watch, without relisting", async () => {
  await using kube = await startKube({ scenario: watchScenario() });
  await using w = watcherOf(kube);
  await w.watcher.watch([{ gvk: DEPLOYMENT, namespace: "ns" }]);
  await until(() => kube.state.watches === 1, "the watch");
  const listed = Number(w.watches[0]!.get("resourceVersion"));
  kube.state.setExtraObjects([]); // moves the resourceVersion, no Deployment event
  assert.ok(kube.state.resourceVersion > listed);
  kube.state.bookmark();
  await sleep(50);
  const lists = kube.state.requests.byResource[LISTS];
  kube.state.dropWatches({ graceful: true });
  await until(() => w.watches.length === 2, "a second watch");
  assert.equal(
    w.watches[1]!.get("resourceVersion"),
    String(kube.state.resourceVersion),
  );
  assert.equal(kube.state.requests.byResource[LISTS], lists, "no relist");
  assert.deepEqual(w.errors, []);
});

Deno.test("KubeWatcher relists after 410 Gone and reports what changed while it was not watching", async () => {
  await using kube = await startKube({ scenario: watchScenario(), step: 1 });
  // A fixed 300 ms restart delay: the window in which events are lost.
  await using w = watcherOf(kube, {
    minBackoffMs: 300,
    maxBackoffMs: 300,
    random: () => 1,
  });
  await w.watcher.watch([{ gvk: DEPLOYMENT, namespace: "ns" }]);
  await until(() => kube.state.watches === 1, "the watch");
  kube.state.dropWatches(); // a dropped connection: the informer stops
  await until(() => w.errors.length === 1, "the drop reported");
  kube.state.advance(); // packetgen deleted by hand, unseen
  kube.state.compact();
  await until(() => w.events.length === 1, "the relist's difference");
  assert.deepEqual(seen(w.events), [
    "delete Deployment/packetgen → practical_nobel",
  ]);
  await until(() => kube.state.watches === 1, "watching again");
  assert.equal(kube.state.requests.byResource[LISTS], 2, "one relist");
  assert.equal(w.errors.length, 1, "410 is not an error");
});

Deno.test("KubeWatcher restarts client-node's informer, which stops on errors, with backoff: failing lists, then a dropped watch resumed without relisting", async () => {
  await using kube = await startKube({ scenario: watchScenario() });
  kube.state.faults = {
    errorRates: { 500: 1 },
    match: "/apis/apps/v1/namespaces/ns/deployments",
  };
  await using w = watcherOf(kube);
  await w.watcher.watch([{ gvk: DEPLOYMENT, namespace: "ns" }]);
  await until(() => w.errors.length >= 2, "two failed lists");
  assert.equal(w.watcher.synced, false);
  kube.state.faults = undefined;
  await until(() => kube.state.watches === 1, "the watch");
  assert.equal(w.watcher.synced, true);
  assert.equal(w.events.length, 2, "the late first list, as adds");
  const lists = kube.state.requests.byResource[LISTS];
  const errors = w.errors.length;
  kube.state.dropWatches();
  await until(() => w.errors.length === errors + 1, "the drop reported");
  await until(() => kube.state.watches === 1, "watching again");
  kube.state.advance();
  await until(() => w.events.length === 3, "an event after the restart");
  assert.equal(
    kube.state.requests.byResource[LISTS],
    lists,
    "resumed from its resourceVersion",
  );
});

Deno.test("KubeWatcher retries a kind discovery does not resolve, is not synced meanwhile, and stops retrying once the target is dropped", async () => {
  await using kube = await startKube({ scenario: watchScenario() });
  await using w = watcherOf(kube);
  const widget = { group: "example.com", version: "v1", kind: "Widget" };
  await w.watcher.watch([{ gvk: widget, namespace: "ns" }]);
  await until(() => w.errors.length >= 3, "three attempts");
  assert.equal(w.watcher.synced, false);
  assert.ok(
    w.errors.every((e) => e instanceof KubeError && e.reason === "UnknownKind"),
  );
  await w.watcher.watch([{ gvk: DEPLOYMENT, namespace: "ns" }]);
  await until(() => kube.state.watches === 1, "the watch");
  const errors = w.errors.length;
  await sleep(100);
  assert.equal(w.errors.length, errors);
  assert.equal(w.watcher.synced, true);
});

Deno.test("KubeWatcher.watch() stops informers of targets no longer given and close() ends every connection", async () => {
  await using kube = await startKube({ scenario: watchScenario() });
  await using w = watcherOf(kube);
  await w.watcher.watch([
    { gvk: POD, namespace: "ns" },
    { gvk: DEPLOYMENT, namespace: "ns" },
  ]);
  await until(() => kube.state.watches === 2, "two watches");
  await w.watcher.watch([{ gvk: DEPLOYMENT, namespace: "ns" }]);
  await until(() => kube.state.watches === 1, "one watch left");
  assert.deepEqual(w.watcher.targets.map((t) => t.gvk.kind), ["Deployment"]);
  await w.watcher.close();
  await until(() => kube.state.watches === 0, "no watch left");
  await assert.rejects(w.watcher.watch([]), TypeError);
});

Deno.test("KubeWatcher diffs a target watched again against what it knew: an object deleted while it was not watched is a delete of its instance", async () => {
  await using kube = await startKube({ scenario: watchScenario(), step: 1 });
  await using w = watcherOf(kube);
  await w.watcher.watch([{ gvk: DEPLOYMENT, namespace: "ns" }]);
  await until(() => kube.state.watches === 1, "the watch");
  // The kind is no longer watched (a new informer, with an empty cache,
  // will watch it again): packetgen is deleted by hand meanwhile.
  await w.watcher.watch([{ gvk: POD, namespace: "ns" }]);
  await until(() => w.watches.length === 2, "the Pod watch");
  kube.state.advance();
  await w.watcher.watch([
    { gvk: POD, namespace: "ns" },
    { gvk: DEPLOYMENT, namespace: "ns" },
  ]);
  await until(() => w.events.length === 1, "the gap's difference");
  await until(() => kube.state.watches === 2, "both watches");
  assert.deepEqual(seen(w.events), [
    "delete Deployment/packetgen → practical_nobel",
  ]);
});

Deno.test("KubeWatcher reports a change made while a target was not watched as an update, and an unchanged object not at all", async () => {
  await using kube = await startKube({ scenario: watchScenario() });
  await using w = watcherOf(kube);
  await w.watcher.watch([{ gvk: DEPLOYMENT, namespace: "ns" }]);
  await until(() => kube.state.watches === 1, "the watch");
  await w.watcher.watch([]);
  await until(() => kube.state.watches === 0, "no watch");
  kube.state.advance(); // packetgen changes; web does not
  await w.watcher.watch([{ gvk: DEPLOYMENT, namespace: "ns" }]);
  await until(() => kube.state.watches === 1, "watching again");
  await until(() => w.events.length === 1, "the gap's difference");
  await sleep(50);
  assert.deepEqual(seen(w.events), [
    "update Deployment/packetgen → practical_nobel",
  ]);
});

Deno.test("KubeWatcher reports the first list as adds when it came late (after failures): the full pass read the objects before", async () => {
  await using kube = await startKube({ scenario: watchScenario() });
  kube.state.faults = {
    errorRates: { 500: 1 },
    match: "/apis/apps/v1/namespaces/ns/deployments",
  };
  await using w = watcherOf(kube);
  await w.watcher.watch([{ gvk: DEPLOYMENT, namespace: "ns" }]);
  await until(() => w.errors.length >= 1, "a failed list");
  kube.state.faults = undefined;
  await until(() => kube.state.watches === 1, "the watch");
  assert.deepEqual(seen(w.events).sort(), [
    "add Deployment/packetgen → practical_nobel",
    "add Deployment/web → brave_brattain",
  ]);
});

Deno.test("KubeWatcher keeps client-node's cache across a restart: 410 Gone whose relist fails, then succeeds, still reports the deletion", async () => {
  await using kube = await startKube({ scenario: watchScenario(), step: 1 });
  await using w = watcherOf(kube);
  await w.watcher.watch([{ gvk: DEPLOYMENT, namespace: "ns" }]);
  await until(() => kube.state.watches === 1, "the watch");
  kube.state.faults = {
    errorRates: { 500: 1 },
    match: "/apis/apps/v1/namespaces/ns/deployments",
  };
  kube.state.dropWatches();
  kube.state.advance(); // packetgen deleted by hand, unseen
  kube.state.compact();
  await until(() => w.errors.length >= 2, "the drop, then a failed relist");
  assert.equal(w.events.length, 0);
  kube.state.faults = undefined;
  await until(() => w.events.length === 1, "the relist's difference");
  assert.deepEqual(seen(w.events), [
    "delete Deployment/packetgen → practical_nobel",
  ]);
});

Deno.test("FetchWatch hands the informer slim objects (type, name, namespace, resourceVersion, labels): its cache never holds a cluster's specs and statuses", async () => {
  await using kube = await startKube({ scenario: watchScenario() });
  const kc = new KubeConfig();
  kc.loadFromString(plainKubeconfig(kube.url));
  const stream = kubeStreamFromKubeConfig(kc);
  const seen: { type: string; object: Record<string, unknown> }[] = [];
  const ended = Promise.withResolvers<void>();
  const transport = new FetchWatch(stream);
  const controller = await transport.watch(
    "/apis/apps/v1/namespaces/ns/deployments",
    {
      labelSelector: "k8splugin.io/rb-instance-id",
      resourceVersion: String(kube.state.resourceVersion),
    },
    (type, object) =>
      seen.push({ type, object: object as Record<string, unknown> }),
    () => ended.resolve(),
  );
  await until(() => kube.state.watches === 1, "the watch");
  kube.state.advance(); // packetgen changes
  await until(() => seen.some((e) => e.type === "MODIFIED"), "an event");
  controller.abort();
  await ended.promise;
  await transport.settled();
  stream.close();
  const modified = seen.find((e) => e.type === "MODIFIED")!.object;
  assert.deepEqual(Object.keys(modified).sort(), [
    "apiVersion",
    "kind",
    "metadata",
  ]);
  const metadata = modified.metadata as Record<string, unknown>;
  assert.equal(metadata.name, "packetgen");
  assert.equal(metadata.namespace, "ns");
  assert.equal(typeof metadata.resourceVersion, "string");
  assert.deepEqual(metadata.labels, {
    "k8splugin.io/rb-instance-id": "practical_nobel",
  });
});
