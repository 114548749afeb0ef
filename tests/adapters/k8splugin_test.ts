import assert from "node:assert/strict";
import {
  HttpK8spluginClient,
  K8spluginError,
  type K8spluginErrorKind,
} from "../../adapters/k8splugin.ts";
import { startK8splugin } from "../../sim/k8splugin.ts";
import { parseScenario, type Scenario } from "../../sim/scenario.ts";

/** A client with fast retries, for tests. */
function client(
  baseUrl: string,
  extra: Partial<ConstructorParameters<typeof HttpK8spluginClient>[0]> = {},
): HttpK8spluginClient {
  return new HttpK8spluginClient({
    baseUrl,
    retries: 0,
    minBackoffMs: 1,
    maxBackoffMs: 2,
    timeoutMs: 2_000,
    ...extra,
  });
}

/** Awaits a rejection and checks it is a K8spluginError of the given kind. */
async function expectError(
  promise: Promise<unknown>,
  kind: K8spluginErrorKind,
): Promise<K8spluginError> {
  const error = await promise.then(
    () => assert.fail(`expected a ${kind} K8spluginError`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof K8spluginError, String(error));
  assert.equal(error.kind, kind, error.message);
  assert.equal(error.retryable, kind === "Transient");
  return error;
}

/** A loopback server answering every request with one fixed response. */
function replay(
  status: number,
  body: string,
  contentType = "application/json",
): { url: string; [Symbol.asyncDispose](): Promise<void> } {
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    () =>
      new Response(body, { status, headers: { "content-type": contentType } }),
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

async function fixtureBody(name: string): Promise<string> {
  const url = new URL(
    `../../fixtures/peers/k8splugin/${name}.json`,
    import.meta.url,
  );
  return JSON.parse(await Deno.readTextFile(url)).response.body;
}

const REQUEST = {
  "rb-name": "rb",
  "rb-version": "v1",
  "profile-name": "p",
  "cloud-region": "r1",
  labels: null,
  "override-values": null,
};

/** One instance per given id, each with one ConfigMap. */
function scenarioWith(
  instances: Record<string, unknown>[],
): Scenario {
  return parseScenario({
    regions: [{ cloudRegion: "r1", cloudOwner: "Owner" }],
    steps: [{ name: "s", now: "2026-11-25T10:00:00Z", instances }],
  }, "test");
}

Deno.test("HttpK8spluginClient.listInstances() normalises the demo instance", async () => {
  await using sim = startK8splugin();
  using k8s = client(sim.url);
  assert.deepEqual(await k8s.listInstances(), [{
    id: "edgex-1",
    rbName: "edgex",
    rbVersion: "v1",
    profileName: "profile2",
    releaseName: "edgex",
    cloudRegion: "k8sregionone",
    namespace: "testns2",
    labels: {},
  }]);
  const filtered = await k8s.listInstances({
    rbName: "edgex",
    rbVersion: "v1",
    profileName: "profile2",
  });
  assert.equal(filtered.length, 1);
  assert.equal(sim.state.requests.byRoute["GET /v1/instance"], 2);
});

Deno.test("HttpK8spluginClient.listInstances() reads a null body and the empty-database 500 as []", async () => {
  await using sim = startK8splugin();
  using k8s = client(sim.url, { retries: 3 });
  assert.deepEqual(await k8s.listInstances({ rbName: "nothing" }), []);
  sim.state.setStep(4);
  assert.deepEqual(await k8s.listInstances(), []);
  // The empty-database 500 is final: no retries.
  assert.equal(sim.state.requests.byRoute["GET /v1/instance"], 2);
});

Deno.test("HttpK8spluginClient.getInstance() returns the chart resources with their GVK", async () => {
  await using sim = startK8splugin();
  using k8s = client(sim.url);
  const instance = await k8s.getInstance("edgex-1");
  assert.equal(instance.namespace, "testns2");
  assert.deepEqual(instance.resources, [
    {
      gvk: { group: "", version: "v1", kind: "Service" },
      name: "edgex-core-data",
    },
    {
      gvk: { group: "apps", version: "v1", kind: "Deployment" },
      name: "edgex-core-data",
    },
    {
      gvk: { group: "apps", version: "v1", kind: "Deployment" },
      name: "edgex-ui",
    },
  ]);
});

Deno.test("HttpK8spluginClient.getStatus() returns whole objects, pods with a filled-in GVK", async () => {
  await using sim = startK8splugin({ step: 2 });
  using k8s = client(sim.url);
  const status = await k8s.getStatus("edgex-1");
  assert.equal(status.ready, false);
  assert.equal(status.resourceCount, 5);
  const pod = status.resources.find((r) =>
    r.name.startsWith("edgex-core-data-")
  );
  assert.deepEqual(pod?.gvk, { group: "", version: "v1", kind: "Pod" });
  const container = (pod?.object.status as {
    containerStatuses: { state: { waiting?: { reason: string } } }[];
  }).containerStatuses[0];
  assert.equal(container?.state.waiting?.reason, "CrashLoopBackOff");
  const deployment = status.resources[1];
  assert.equal(deployment?.object.kind, "Deployment");
  assert.equal(
    (deployment?.object.metadata as { name: string }).name,
    "edgex-core-data",
  );
});

Deno.test("HttpK8spluginClient tolerates the known variants: empty pod GVK, status-only entries, no release-name", async () => {
  await using sim = startK8splugin({
    step: 1,
    quirks: { emptyPodGvk: true, statusBlockOnly: true, omitReleaseName: true },
  });
  using k8s = client(sim.url);
  const status = await k8s.getStatus("edgex-1");
  const pods = status.resources.filter((r) => r.gvk.kind === "Pod");
  assert.equal(pods.length, 2);
  for (const pod of pods) {
    assert.deepEqual(pod.gvk, { group: "", version: "v1", kind: "Pod" });
    assert.deepEqual(Object.keys(pod.object), ["status"]);
  }
  // The release name falls back to the request's.
  const [summary] = await k8s.listInstances();
  assert.equal(summary?.releaseName, "edgex");
  assert.equal((await k8s.getInstance("edgex-1")).releaseName, "edgex");
});

Deno.test("HttpK8spluginClient reads the verbatim El Alto row and Guilin status documents", async () => {
  {
    await using server = replay(
      200,
      await fixtureBody("get-instance-elalto-row"),
    );
    using k8s = client(server.url);
    const instance = await k8s.getInstance("HaKpys8e");
    assert.equal(instance.releaseName, "");
    assert.deepEqual(instance.labels, { vf_module_id: "test-vf-module-id" });
    assert.equal(instance.resources.length, 2);
  }
  {
    await using server = replay(
      200,
      await fixtureBody("status-guilin-excerpt"),
    );
    using k8s = client(server.url);
    const status = await k8s.getStatus("practical_nobel");
    assert.equal(status.resourceCount, 12);
    assert.equal(status.resources.length, 3);
    assert.deepEqual(status.resources.map((r) => r.gvk.kind), [
      "ConfigMap",
      "Deployment",
      "Pod",
    ]);
  }
});

Deno.test("HttpK8spluginClient reports an unknown instance as NotFound (500 and 404 forms)", async () => {
  await using sim = startK8splugin();
  using k8s = client(sim.url, { retries: 3 });
  const error = await expectError(k8s.getStatus("ghost"), "NotFound");
  assert.equal(sim.state.requests.total, 1, "a NotFound is not retried");
  assert.equal(error.status, 500);
  assert.equal(error.instanceId, "ghost");
  assert.equal(
    error.message,
    'Cannot read status of instance "ghost" from k8splugin: HTTP 500 "Get Instance: Error finding master table: mongo: no documents in result"',
  );
  await expectError(k8s.getInstance("ghost"), "NotFound");
  sim.state.quirks.notFoundStatus = 404;
  assert.equal(
    (await expectError(k8s.getInstance("ghost"), "NotFound")).status,
    404,
  );
  // The query handler's 500-then-JSON body is still recognised.
  const query = await expectError(
    k8s.query("ghost", { apiVersion: "v1", kind: "Pod" }),
    "NotFound",
  );
  assert.ok(!query.message.includes('"request"'), query.message);
});

Deno.test("HttpK8spluginClient reports a resource deleted by hand as ResourceMissing and keeps the text", async () => {
  const scenario = scenarioWith([{
    id: "inst",
    request: REQUEST,
    namespace: "ns",
    objects: [{
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "x" },
    }],
    missing: [{ apiVersion: "apps/v1", kind: "Deployment", name: "x" }],
  }]);
  await using sim = startK8splugin({ scenario });
  using k8s = client(sim.url, { retries: 2 });
  const error = await expectError(k8s.getStatus("inst"), "ResourceMissing");
  assert.equal(
    sim.state.requests.total,
    1,
    "a missing resource is not retried",
  );
  assert.equal(
    error.body,
    'Getting Resources Status:\nGetting object status: deployments.apps "x" not found\n',
  );
  assert.equal(
    error.message,
    'Cannot read status of instance "inst" from k8splugin: HTTP 500 "Getting Resources Status:\\nGetting object status: deployments.apps \\"x\\" not found"',
  );
});

Deno.test("HttpK8spluginClient treats the Job-completions panic (dropped connection) as Transient after retrying", async () => {
  const scenario = scenarioWith([{
    id: "jobby",
    request: REQUEST,
    namespace: "ns",
    objects: [{
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "queue" },
      spec: { parallelism: 2 },
    }],
  }]);
  await using sim = startK8splugin({ scenario });
  using k8s = client(sim.url, { retries: 2 });
  const error = await expectError(k8s.getStatus("jobby"), "Transient");
  assert.match(
    error.message,
    /: GET http:\/\/127\.0\.0\.1:\d+\/v1\/instance\/jobby\/status: connection dropped without a complete response \(after 3 attempts\)$/,
  );
  assert.equal(sim.state.requests.byRoute["GET /v1/instance/{id}/status"], 3);
});

Deno.test("HttpK8spluginClient retries injected 503s and then reports them as Transient", async () => {
  await using sim = startK8splugin({ faults: { errorRates: { 503: 1 } } });
  using k8s = client(sim.url, { retries: 1 });
  const error = await expectError(k8s.getStatus("edgex-1"), "Transient");
  assert.equal(error.status, 503);
  assert.equal(sim.state.requests.total, 2);
  sim.state.faults = undefined;
  assert.equal((await k8s.getStatus("edgex-1")).resources.length, 5);
});

Deno.test("HttpK8spluginClient reports a hung k8splugin as a Transient timeout", async () => {
  await using sim = startK8splugin({ faults: { hangRate: 1 } });
  using k8s = client(sim.url, { timeoutMs: 50 });
  const error = await expectError(k8s.listInstances(), "Transient");
  assert.match(
    error.message,
    /^Cannot list instances from k8splugin: GET http:\/\/127\.0\.0\.1:\d+\/v1\/instance: timed out$/,
  );
});

Deno.test("HttpK8spluginClient reports a refused connection as Transient", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  using k8s = client(`http://127.0.0.1:${port}`);
  const error = await expectError(k8s.listInstances(), "Transient");
  // Said once, with the URL (issue 15).
  assert.equal(
    error.message.replace(/:\d+\//, ":PORT/"),
    "Cannot list instances from k8splugin: GET http://127.0.0.1:PORT/v1/instance: connection refused",
  );
});

Deno.test("HttpK8spluginClient reports other 4xx as BadRequest", async () => {
  await using sim = startK8splugin();
  using k8s = client(sim.url);
  const error = await expectError(
    k8s.query("edgex-1", { apiVersion: "", kind: "Deployment" }),
    "BadRequest",
  );
  assert.equal(error.status, 400);
  assert.match(
    error.message,
    /HTTP 400 "Missing ApiVersion mandatory parameter"$/,
  );
});

Deno.test("HttpK8spluginClient.query() returns the matched resources", async () => {
  await using sim = startK8splugin({ step: 1 });
  using k8s = client(sim.url);
  const result = await k8s.query("edgex-1", {
    apiVersion: "apps/v1",
    kind: "Deployment",
    name: "edgex-ui",
  });
  assert.equal(result.ready, false);
  assert.deepEqual(result.resources.map((r) => r.name), ["edgex-ui"]);
  const pods = await k8s.query("edgex-1", {
    apiVersion: "v1",
    kind: "Pod",
    labels: "app=edgex-core-data",
  });
  assert.equal(pods.resources.length, 1);
  assert.deepEqual(pods.resources[0]?.gvk, {
    group: "",
    version: "v1",
    kind: "Pod",
  });
});

Deno.test("HttpK8spluginClient.queryRegion() lists a kind across the region's instances by label; k8splugin's errors come back typed", async () => {
  const object = (kind: string, name: string, ns: string) => ({
    apiVersion: kind === "Pod" ? "v1" : "apps/v1",
    kind,
    metadata: {
      name,
      namespace: ns,
      resourceVersion: "1",
      labels: { app: name },
    },
    ...(kind === "Pod" ? { status: { phase: "Running" } } : {}),
  });
  await using sim = startK8splugin({
    scenario: scenarioWith([
      {
        id: "a",
        request: REQUEST,
        namespace: "ns-a",
        objects: [
          object("Deployment", "web", "ns-a"),
          object("Pod", "web-1", "ns-a"),
        ],
      },
      {
        id: "b",
        request: REQUEST,
        namespace: "ns-b",
        objects: [object("Pod", "db-1", "ns-b")],
      },
    ]),
  });
  using k8s = client(sim.url);
  const pods = await k8s.queryRegion("r1", {
    apiVersion: "v1",
    kind: "Pod",
    labels: "k8splugin.io/rb-instance-id",
  });
  // Every namespace, LIST order (namespace, then name), labels as served.
  assert.deepEqual(
    pods.map((p) => [
      p.name,
      (p.object.metadata as { labels: Record<string, string> }).labels[
        "k8splugin.io/rb-instance-id"
      ],
    ]),
    [["web-1", "a"], ["db-1", "b"]],
  );
  assert.deepEqual(pods[0]?.gvk, { group: "", version: "v1", kind: "Pod" });
  const ofB = await k8s.queryRegion("r1", {
    apiVersion: "v1",
    kind: "Pod",
    labels: "k8splugin.io/rb-instance-id in (b,c)",
  });
  assert.deepEqual(ofB.map((p) => p.name), ["db-1"]);
  // A selector the API server refuses: k8splugin's 500.
  const selector = await expectError(
    k8s.queryRegion("r1", { apiVersion: "v1", kind: "Pod", labels: "a in ()" }),
    "Transient",
  );
  assert.match(selector.message, /unable to parse requirement/);
  const inB = await k8s.queryRegion("r1", {
    apiVersion: "v1",
    kind: "Pod",
    namespace: "ns-b",
  });
  assert.deepEqual(inB.map((p) => p.name), ["db-1"]);
  assert.deepEqual(
    await k8s.queryRegion("r1", {
      apiVersion: "apps/v1",
      kind: "Deployment",
      labels: "app=nothing",
    }),
    [],
  );
  // An unknown region: the handler's 500 text, then its JSON.
  const region = await expectError(
    k8s.queryRegion("elsewhere", { apiVersion: "v1", kind: "Pod" }),
    "NotFound",
  );
  assert.match(region.message, /region "elsewhere"/);
  assert.ok(!region.message.includes("resourcesStatus"), region.message);
  // A kind the cluster does not serve.
  const kind = await expectError(
    k8s.queryRegion("r1", { apiVersion: "example.com/v1", kind: "Widget" }),
    "Transient",
  );
  assert.match(kind.message, /no matches for kind \\"Widget\\"/);
  await expectError(
    k8s.queryRegion("r1", { apiVersion: "", kind: "Pod" }),
    "BadRequest",
  );
});

Deno.test("HttpK8spluginClient reports a schema mismatch as Invalid naming the instance and field", async () => {
  const body = JSON.stringify({
    request: REQUEST,
    ready: true,
    resourceCount: 2,
    resourcesStatus: [
      {
        name: "a",
        GVK: { Group: "", Version: "v1", Kind: "ConfigMap" },
        status: {},
      },
      { name: "b", GVK: { Group: "", Version: "v1", Kind: 7 }, status: {} },
    ],
  });
  await using server = replay(200, body);
  using k8s = client(server.url);
  const error = await expectError(k8s.getStatus("abc"), "Invalid");
  assert.equal(error.instanceId, "abc");
  assert.equal(error.path, "resourcesStatus[1].GVK.Kind");
  assert.match(
    error.message,
    /^Cannot read status of instance "abc" from k8splugin: invalid response at resourcesStatus\[1\]\.GVK\.Kind: .*expected string/,
  );
});

Deno.test("HttpK8spluginClient reports a malformed body as Invalid, not a crash", async () => {
  await using sim = startK8splugin({ faults: { malformedRate: 1 } });
  using k8s = client(sim.url);
  const error = await expectError(k8s.getStatus("edgex-1"), "Invalid");
  assert.match(error.message, /the body is not JSON/);
});

Deno.test("HttpK8spluginClient.getConnectivityInfo() decodes the kubeconfig and never leaks it", async () => {
  const kubeconfig =
    "apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user: {token: t0p-s3cret}\n";
  await using sim = startK8splugin({ kubeconfigFor: () => kubeconfig });
  using k8s = client(sim.url);
  assert.deepEqual(await k8s.getConnectivityInfo("k8sregionone"), {
    cloudRegion: "k8sregionone",
    cloudOwner: "CloudOwner",
    kubeconfig,
  });
  await expectError(k8s.getConnectivityInfo("elsewhere"), "NotFound");
  await using bad = replay(
    200,
    JSON.stringify({
      "cloud-region": "r",
      "cloud-owner": "o",
      kubeconfig: "t0p-s3cret!!",
    }),
  );
  using broken = client(bad.url);
  const error = await expectError(broken.getConnectivityInfo("r"), "Invalid");
  assert.equal(error.path, "kubeconfig");
  assert.ok(!error.message.includes("t0p-s3cret"));
});

Deno.test("HttpK8spluginClient percent-encodes ids and refuses dot segments", async () => {
  const scenario = scenarioWith([{
    id: "a/b c?d",
    request: REQUEST,
    namespace: "ns",
    objects: [{
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "cm" },
    }],
  }]);
  await using sim = startK8splugin({ scenario });
  using k8s = client(sim.url);
  const status = await k8s.getStatus("a/b c?d");
  assert.deepEqual(status.resources.map((r) => r.name), ["cm"]);
  assert.equal(sim.state.requests.byRoute["GET /v1/instance/{id}/status"], 1);
  await expectError(k8s.getStatus(".."), "BadRequest");
  assert.equal(sim.state.requests.total, 1);
});
