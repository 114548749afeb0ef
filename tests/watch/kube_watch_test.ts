import assert from "node:assert/strict";
import { KubeConfig } from "@kubernetes/client-node";
import {
  KubeClient,
  KubeError,
  kubeStreamFromKubeConfig,
  KubeWatcher,
  type KubeWatcherOptions,
  type KubeWatchEvent,
} from "../../adapters/mod.ts";
import { type KubeWatchFake, startKubeWatchFake } from "./_kube_watch_fake.ts";

const POD = { group: "", version: "v1", kind: "Pod" };
const DEPLOYMENT = { group: "apps", version: "v1", kind: "Deployment" };

/** Polls until `check` holds (real time; the fake is real HTTP). */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** A watcher of the fake's namespace, recording events and errors. */
function watcherOf(
  fake: KubeWatchFake,
  extra: Partial<KubeWatcherOptions> = {},
) {
  const events: KubeWatchEvent[] = [];
  const errors: unknown[] = [];
  const kube = KubeClient.fromKubeconfig("k8sregionone", fake.kubeconfig, {
    retries: 0,
  });
  const kc = new KubeConfig();
  kc.loadFromString(fake.kubeconfig);
  const watcher = new KubeWatcher({
    region: "k8sregionone",
    source: kube,
    stream: kubeStreamFromKubeConfig(kc),
    onEvent: (event) => void events.push(event),
    onError: (error) => void errors.push(error),
    minBackoffMs: 10,
    maxBackoffMs: 20,
    ...extra,
  });
  return {
    events,
    errors,
    watcher,
    async [Symbol.asyncDispose]() {
      await watcher.close();
      await kube.close();
    },
  };
}

/** `type name → instance` of the events. */
function seen(events: KubeWatchEvent[]): string[] {
  return events.map((e) =>
    `${e.type} ${e.gvk.kind}/${e.name} → ${e.instanceId}`
  );
}

Deno.test("KubeWatcher lists, then watches from the list's resourceVersion with bookmarks, and maps events to instance ids", async () => {
  await using fake = startKubeWatchFake();
  fake.put("pods", "web-1", "brave_brattain");
  await using w = watcherOf(fake);
  await w.watcher.watch([
    { gvk: POD, namespace: "testns" },
    { gvk: DEPLOYMENT, namespace: "testns" },
  ]);
  await fake.waitForWatches(2);
  assert.equal(w.watcher.synced, true);
  assert.equal(w.events.length, 0, "the first list is the full pass's job");
  const podWatch = fake.requests.find((r) =>
    r.startsWith("/api/v1/namespaces/testns/pods?") && r.includes("watch=true")
  )!;
  const query = new URLSearchParams(podWatch.split("?")[1]);
  assert.equal(query.get("allowWatchBookmarks"), "true");
  assert.equal(query.get("resourceVersion"), "1001");
  assert.equal(query.get("labelSelector"), "k8splugin.io/rb-instance-id");
  fake.put("deployments", "web", "brave_brattain");
  fake.put("pods", "web-1", "brave_brattain");
  fake.remove("pods", "web-1");
  await until(() => w.events.length === 3, "three events");
  // Two connections: order holds within a kind only.
  assert.deepEqual(seen(w.events.filter((e) => e.gvk.kind === "Pod")), [
    "update Pod/web-1 → brave_brattain",
    "delete Pod/web-1 → brave_brattain",
  ]);
  const deployment = w.events.find((e) => e.gvk.kind === "Deployment");
  assert.deepEqual(deployment, {
    region: "k8sregionone",
    type: "add",
    gvk: DEPLOYMENT,
    namespace: "testns",
    name: "web",
    instanceId: "brave_brattain",
  });
});

Deno.test("KubeWatcher reconnects from the last bookmark's resourceVersion when the server ends a watch", async () => {
  await using fake = startKubeWatchFake();
  await using w = watcherOf(fake);
  await w.watcher.watch([{ gvk: POD, namespace: "testns" }]);
  await fake.waitForWatches(1);
  fake.put("deployments", "elsewhere", "x"); // moves the resourceVersion only
  fake.bookmark();
  await new Promise((resolve) => setTimeout(resolve, 20));
  const lists = fake.requests.filter((r) => !r.includes("watch=true")).length;
  fake.drop();
  await until(
    () => fake.requests.filter((r) => r.includes("watch=true")).length === 2,
    "a second watch",
  );
  const last = fake.requests.filter((r) => r.includes("watch=true")).at(-1)!;
  assert.equal(
    new URLSearchParams(last.split("?")[1]).get("resourceVersion"),
    "1001",
  );
  assert.equal(
    fake.requests.filter((r) => !r.includes("watch=true")).length,
    lists,
    "no relist",
  );
  assert.deepEqual(w.errors, []);
});

Deno.test("KubeWatcher relists after 410 Gone and reports what changed while events were lost", async () => {
  await using fake = startKubeWatchFake();
  fake.put("pods", "stays", "a");
  fake.put("pods", "goes", "b");
  fake.put("pods", "changes", "c");
  await using w = watcherOf(fake);
  await w.watcher.watch([{ gvk: POD, namespace: "testns" }]);
  await fake.waitForWatches(1);
  fake.remove("pods", "goes", { silent: true });
  fake.put("pods", "changes", "c", { silent: true });
  fake.put("pods", "new", "d", { silent: true });
  fake.compact();
  fake.expire();
  await until(() => w.events.length === 3, "the relist's differences");
  assert.deepEqual(seen(w.events).sort(), [
    "add Pod/new → d",
    "delete Pod/goes → b",
    "update Pod/changes → c",
  ]);
  await fake.waitForWatches(1);
  assert.deepEqual(w.errors, [], "410 is not an error");
});

Deno.test("KubeWatcher restarts client-node's informer, which stops on errors, with backoff: failed lists and a broken watch", async () => {
  await using fake = startKubeWatchFake();
  fake.failLists = 2;
  await using w = watcherOf(fake);
  await w.watcher.watch([{ gvk: POD, namespace: "testns" }]);
  await fake.waitForWatches(1);
  assert.equal(w.errors.length, 2, "two failed lists, reported");
  assert.equal(w.watcher.synced, true);
  const lists = fake.requests.filter((r) => !r.includes("watch=true")).length;
  fake.drop({ error: true });
  await until(() => w.errors.length === 3, "the broken watch reported");
  await fake.waitForWatches(1);
  fake.put("pods", "after", "e");
  await until(() => w.events.length === 1, "an event after the restart");
  assert.equal(
    fake.requests.filter((r) => !r.includes("watch=true")).length,
    lists,
    "resumed from its resourceVersion without relisting",
  );
});

Deno.test("KubeWatcher.watch() stops informers of targets no longer given and close() ends every connection", async () => {
  await using fake = startKubeWatchFake();
  await using w = watcherOf(fake);
  await w.watcher.watch([
    { gvk: POD, namespace: "testns" },
    { gvk: DEPLOYMENT, namespace: "testns" },
  ]);
  await fake.waitForWatches(2);
  await w.watcher.watch([{ gvk: DEPLOYMENT, namespace: "testns" }]);
  await until(() => fake.watching === 1, "one watch left");
  assert.deepEqual(w.watcher.targets.map((t) => t.gvk.kind), ["Deployment"]);
  await w.watcher.close();
  await until(() => fake.watching === 0, "no watch left");
  await assert.rejects(w.watcher.watch([]), TypeError);
});

Deno.test("KubeWatcher retries a kind discovery does not resolve, is not synced meanwhile, and stops retrying once the target is dropped", async () => {
  await using fake = startKubeWatchFake();
  await using w = watcherOf(fake);
  const job = { group: "batch", version: "v1", kind: "Job" };
  await w.watcher.watch([{ gvk: job, namespace: "testns" }]);
  await until(() => w.errors.length >= 3, "three attempts");
  assert.equal(w.watcher.synced, false);
  assert.ok(
    w.errors.every((e) => e instanceof KubeError && e.reason === "UnknownKind"),
  );
  await w.watcher.watch([{ gvk: POD, namespace: "testns" }]);
  await fake.waitForWatches(1);
  const errors = w.errors.length;
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(w.errors.length, errors);
  assert.equal(w.watcher.synced, true);
});
