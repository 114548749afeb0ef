import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { startAai } from "../../sim/aai.ts";
import { startK8splugin } from "../../sim/k8splugin.ts";
import {
  type SoAaiRequest,
  soK8sResource,
  soK8sResourceId,
  startSo,
} from "../../sim/so.ts";
import { parseScenario, type Scenario } from "../../sim/scenario.ts";

const TENANT =
  "/cloud-infrastructure/cloud-regions/cloud-region/CloudOwner/kud/tenants/tenant/t1";
const VNF = "/network/generic-vnfs/generic-vnf/vnf-1";
const VFM = `${VNF}/vf-modules/vf-module/vfm-1`;
const SEED = {
  cloudRegions: [{
    cloudOwner: "CloudOwner",
    cloudRegionId: "kud",
    tenants: [{ tenantId: "t1" }],
  }],
  vfModules: [{
    vnfId: "vnf-1",
    vfModuleId: "vfm-1",
    heatStackId: "practical_nobel",
  }],
};
const FAST = {
  firstCallDelayMs: 0,
  notifierStartMs: 10,
  intervalFloorMs: 30,
  restoreDelayMs: 10,
};

function scenario(): Scenario {
  const deployment = (rv: string) => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: "packetgen",
      resourceVersion: rv,
      labels: { release: "r1", app: "packetgen" },
    },
    spec: { replicas: 1 },
  });
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "packetgen-abc", resourceVersion: "5" },
  };
  const instance = (objects: unknown[]) => ({
    id: "practical_nobel",
    request: {
      "rb-name": "vfw",
      "rb-version": "v1",
      "profile-name": "p",
      "cloud-region": "kud",
    },
    namespace: "ns",
    objects,
  });
  return parseScenario({
    regions: [{ cloudRegion: "kud", cloudOwner: "CloudOwner" }],
    steps: [
      {
        name: "installed",
        now: "2026-11-25T10:00:00Z",
        instances: [instance([deployment("1"), pod])],
      },
      {
        name: "pod gone, deployment bumped",
        now: "2026-11-25T10:01:00Z",
        instances: [instance([deployment("2")])],
      },
    ],
  }, "so");
}

function request(callbackUrl: string | null = null): SoAaiRequest {
  return {
    instanceId: "practical_nobel",
    cloudRegion: "kud",
    cloudOwner: "CloudOwner",
    tenantId: "t1",
    callbackUrl,
    genericVnfId: "vnf-1",
    vfModuleId: "vfm-1",
  };
}

async function until(check: () => boolean, ms = 4000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error("timed out waiting");
    await sleep(10);
  }
}

async function post(url: string, body: unknown): Promise<number> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  await response.body?.cancel();
  return response.status;
}

async function peers(minNotifyInterval = 0) {
  const aai = await startAai({ seed: SEED });
  const plugin = startK8splugin({
    scenario: scenario(),
    subscriptionTiming: FAST,
  });
  const so = startSo({
    aaiUrl: aai.url,
    k8spluginUrl: plugin.url,
    minNotifyInterval,
  });
  return {
    aai,
    plugin,
    so,
    async [Symbol.asyncDispose]() {
      await so.close();
      await plugin.close();
      await aai.close();
    },
  };
}

Deno.test("soK8sResourceId() reproduces an id SO wrote in a real A&AI (integration k8s-resources-response.json)", async () => {
  assert.equal(
    await soK8sResourceId({
      instanceId: "brave_brattain",
      name: "vfw-1-vfw",
      namespace: "vfirewall",
      kind: "Deployment",
      group: "apps",
      version: "v1",
      cloudOwner: "K8sCloudOwner",
      cloudRegion: "kud-lr",
      tenantId: "3444a566-2717-4d85-83bd-45c104657173",
    }),
    "e5a4eca381ade9439806cf426eb7a07237fe9a8c9088038bd0c8135f728fabe2",
  );
});

Deno.test("startSo() aai-update answers 202, writes every status entry as SO does through bulkprocess, links it and subscribes", async () => {
  await using p = await peers(30);
  const callbacks: unknown[] = [];
  await using receiver = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    async (r) => {
      callbacks.push(await r.json());
      return new Response(null, { status: 200 });
    },
  );
  const callbackUrl = `http://127.0.0.1:${receiver.addr.port}/mso/cb`;
  const status = await post(
    `${p.so.url}/api/cnf-adapter/v1/aai-update/`,
    request(callbackUrl),
  );
  assert.equal(status, 202);
  await p.so.state.idle();
  assert.deepEqual(p.so.state.runs.map((r) => r.result), ["COMPLETED"]);
  assert.deepEqual(callbacks, [{ status: "COMPLETED", statusMessage: "" }]);

  const paths = p.aai.state.pathsOf("k8s-resource").sort();
  assert.equal(paths.length, 2);
  const entries = JSON.parse(
    await (await fetch(`${p.plugin.url}/v1/instance/practical_nobel/status`))
      .text(),
  ).resourcesStatus;
  for (const entry of entries) {
    const wanted = await soK8sResource(request(), entry);
    const path = `${TENANT}/k8s-resources/k8s-resource/${wanted.id}`;
    const stored = p.aai.state.stored(path)!;
    const { "resource-version": _rv, ...fields } = stored;
    assert.deepEqual(fields, wanted);
    assert.deepEqual(
      p.aai.state.edgesOf(path).map((e) => e.label).sort(),
      ["org.onap.relationships.inventory.Uses", "tosca.relationships.HostedOn"],
    );
  }
  const deployment = await soK8sResource(request(), entries[0]);
  assert.deepEqual(deployment.labels, [
    "app=packetgen",
    "k8splugin.io/rb-instance-id=practical_nobel",
    "release=r1",
  ]);
  assert.equal(deployment["data-source-version"], "1");
  assert.equal(
    deployment.selflink,
    "http://so-cnf-adapter:8090/api/cnf-adapter/v1/instance/practical_nobel/query?ApiVersion=v1&Kind=Deployment&Name=packetgen&Namespace=ns",
  );

  // Only bulkprocess writes, all from SO (X-FromAppId: MSO).
  const so = p.aai.state.counts.byClient["MSO"]!;
  assert.equal(so.byRoute["PUT bulkprocess"], 1);
  assert.equal(so.bulkOperations, 6); // 2 creates + 4 connects
  assert.equal(so.byRoute["PUT k8s-resource"], undefined);
  assert.deepEqual(p.so.state.counts.operations, {
    create: 2,
    update: 0,
    connect: 4,
    delete: 0,
  });
  // Every read first: per resource the k8s-resource, the vf-module and the
  // generic-vnf; then the vf-module once more for stale ones; then one write.
  assert.deepEqual(p.so.state.counts.aaiRequests, {
    "GET k8s-resource": 2,
    "GET vf-module": 3,
    "GET generic-vnf": 2,
    "PUT bulkprocess": 1,
  });

  const subscription = p.plugin.state.subscriptions.list("practical_nobel")[0]!;
  assert.equal(subscription.name, "practical_nobel-cnf-adapter");
  assert.equal(subscription["min-notify-interval"], 30);
  assert.equal(
    subscription["callback-url"],
    `${p.so.url}/api/cnf-adapter/v1/instance/practical_nobel/status/notify`,
  );
  assert.deepEqual(subscription.metadata, request(callbackUrl));

  // The same update again writes nothing.
  await post(`${p.so.url}/api/cnf-adapter/v1/aai-update/`, request());
  await p.so.state.idle();
  assert.equal(
    p.aai.state.counts.byClient["MSO"]!.byRoute["PUT bulkprocess"],
    1,
  );
});

Deno.test("startSo() reverts another writer's labels with a full PUT that keeps the edges", async () => {
  await using p = await peers();
  await post(`${p.so.url}/api/cnf-adapter/v1/aai-update/`, request());
  await p.so.state.idle();
  const path = p.aai.state.pathsOf("k8s-resource")[0]!;
  const before = p.aai.state.stored(path)!;
  p.aai.state.put(path, {
    ...before,
    labels: [...(before.labels as string[]), "k8s-aai-sync/readiness=Ready"],
  });
  await post(`${p.so.url}/api/cnf-adapter/v1/aai-update/`, request());
  await p.so.state.idle();
  assert.deepEqual(p.so.state.runs.map((r) => r.result), [
    "COMPLETED",
    "COMPLETED",
  ]);
  assert.deepEqual(p.aai.state.stored(path)!.labels, before.labels);
  assert.equal(p.aai.state.edgesOf(path).length, 2);
  assert.equal(p.so.state.counts.operations.update, 1);
});

Deno.test("startSo() re-runs the whole update on a k8splugin notification: bumped objects PUT, stale ones deleted", async () => {
  await using p = await peers(0);
  await post(`${p.so.url}/api/cnf-adapter/v1/aai-update/`, request());
  await p.so.state.idle();
  assert.equal(p.aai.state.pathsOf("k8s-resource").length, 2);
  await sleep(80); // the notifier's baseline
  p.plugin.state.advance();
  await until(() => p.so.state.counts.updates.notification === 1);
  await p.so.state.idle();
  assert.equal(p.so.state.runs.at(-1)!.result, "COMPLETED");
  const paths = p.aai.state.pathsOf("k8s-resource");
  assert.equal(paths.length, 1);
  assert.equal(p.aai.state.stored(paths[0]!)!["data-source-version"], "2");
  assert.deepEqual(p.so.state.counts.operations, {
    create: 2,
    update: 1,
    connect: 4,
    delete: 1,
  });
  assert.equal(p.so.state.counts.notifications.accepted, 1);
});

Deno.test("startSo() refuses a notification for an instance it has no subscription for with 400", async () => {
  await using p = await peers();
  const response = await fetch(
    `${p.so.url}/api/cnf-adapter/v1/instance/x/status/notify`,
    {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        "instance-id": "x",
        "subscription-name": "x-cnf-adapter",
        metadata: {},
        "resource-changes": { created: [], deleted: [], modified: [] },
      }),
    },
  );
  assert.equal(response.status, 400);
  assert.equal(
    await response.text(),
    "Cannot handle notification. Subscription x-cnf-adapter not exists",
  );
  assert.equal(p.so.state.counts.notifications.refused, 1);
});

Deno.test("startSo() answers a notification only once the update it triggers is done, with the notification's metadata as the request", async () => {
  await using p = await peers(30);
  await post(`${p.so.url}/api/cnf-adapter/v1/aai-update/`, request());
  await p.so.state.idle();
  p.plugin.state.advance();
  const status = await post(
    `${p.so.url}/api/cnf-adapter/v1/instance/practical_nobel/status/notify`,
    {
      "instance-id": "practical_nobel",
      "subscription-name": "practical_nobel-cnf-adapter",
      metadata: request(),
      "resource-changes": { created: [], deleted: [], modified: [] },
    },
  );
  assert.equal(status, 202);
  assert.equal(p.so.state.counts.updates.notification, 1);
  assert.equal(p.aai.state.pathsOf("k8s-resource").length, 1);
  const broken = await post(
    `${p.so.url}/api/cnf-adapter/v1/instance/practical_nobel/status/notify`,
    { metadata: { instanceId: "practical_nobel" } },
  );
  assert.equal(broken, 500);
});

Deno.test("startSo() aai-delete removes the vf-module's k8s-resources and the subscription", async () => {
  await using p = await peers(30);
  await post(`${p.so.url}/api/cnf-adapter/v1/aai-update/`, request());
  await p.so.state.idle();
  assert.equal(p.so.state.subscriptions.size, 1);
  const status = await post(
    `${p.so.url}/api/cnf-adapter/v1/aai-delete/`,
    request(),
  );
  assert.equal(status, 202);
  await p.so.state.idle();
  assert.deepEqual(p.aai.state.pathsOf("k8s-resource"), []);
  assert.equal(p.so.state.subscriptions.size, 0);
  assert.deepEqual(p.plugin.state.subscriptions.list("practical_nobel"), []);
  assert.ok(p.aai.state.stored(VFM), "the vf-module itself stays");
});

Deno.test("startSo() fails the run when an update is queued behind a connect of the same object (412 inside the 201)", async () => {
  await using p = await peers(30);
  // A k8s-resource SO would own, stale and without edges.
  const entries = JSON.parse(
    await (await fetch(`${p.plugin.url}/v1/instance/practical_nobel/status`))
      .text(),
  ).resourcesStatus;
  const wanted = await soK8sResource(request(), entries[0]);
  const path = `${TENANT}/k8s-resources/k8s-resource/${wanted.id}`;
  p.aai.state.put(path, { ...wanted, "data-source-version": "0" });
  await post(`${p.so.url}/api/cnf-adapter/v1/aai-update/`, request());
  await p.so.state.idle();
  const run = p.so.state.runs[0]!;
  assert.equal(run.result, "FAILED");
  assert.match(run.error ?? "", /412/);
  assert.equal(p.aai.state.stored(path)!["data-source-version"], "0");
});

Deno.test("startSo() rebuilds its subscription records from k8splugin at start", async () => {
  await using aai = await startAai({ seed: SEED });
  await using plugin = startK8splugin({
    scenario: scenario(),
    subscriptionTiming: FAST,
    subscriptions: [{
      instanceId: "practical_nobel",
      name: "practical_nobel-cnf-adapter",
      "callback-url": "http://127.0.0.1:9/notify",
      metadata: { ...request() },
    }],
  });
  await using so = startSo({ aaiUrl: aai.url, k8spluginUrl: plugin.url });
  await so.state.idle();
  assert.deepEqual([...so.state.subscriptions], [
    "practical_nobel-cnf-adapter",
  ]);
});
