import assert from "node:assert/strict";
import { startK8splugin } from "../../sim/k8splugin.ts";
import {
  DEMO_SCENARIO_URL,
  loadScenario,
  parseScenario,
  type Scenario,
} from "../../sim/scenario.ts";

/** A recorded exchange from fixtures/peers/k8splugin/. */
interface Fixture {
  request: { method: string; url: string };
  response: { status: number; headers: Record<string, string>; body: string };
}

async function fixture(name: string): Promise<Fixture> {
  const url = new URL(
    `../../fixtures/peers/k8splugin/${name}.json`,
    import.meta.url,
  );
  return JSON.parse(await Deno.readTextFile(url));
}

/** GETs the fixture's path from the sim and asserts status, headers and body byte for byte. */
async function assertReplays(
  baseUrl: string,
  expected: Fixture,
  patchBody: (body: string) => string = (body) => body,
): Promise<void> {
  const path = new URL(expected.request.url);
  const response = await fetch(`${baseUrl}${path.pathname}${path.search}`);
  const body = await response.text();
  assert.equal(response.status, expected.response.status);
  for (const [name, value] of Object.entries(expected.response.headers)) {
    assert.equal(response.headers.get(name), value, `header ${name}`);
  }
  if (!("x-content-type-options" in expected.response.headers)) {
    assert.equal(response.headers.get("x-content-type-options"), null);
  }
  assert.equal(body, patchBody(expected.response.body));
}

const REQUEST = {
  "rb-name": "test-rbdef",
  "rb-version": "v1",
  "profile-name": "profile1",
  "cloud-region": "region1",
  labels: null,
  "override-values": null,
};

/** Reference §9 E1/E2: two instances in region1. */
function referenceScenario(): Scenario {
  return parseScenario({
    regions: [{ cloudRegion: "region1", cloudOwner: "CloudOwner" }],
    steps: [{
      name: "reference",
      now: "2026-11-25T10:00:00Z",
      instances: [
        {
          id: "HaKpys8e",
          request: {
            ...REQUEST,
            labels: { vf_module_id: "test-vf-module-id" },
          },
          namespace: "testnamespace",
          objects: [
            {
              apiVersion: "apps/v1",
              kind: "Deployment",
              metadata: { name: "deployment-1" },
            },
            {
              apiVersion: "v1",
              kind: "Service",
              metadata: { name: "service-1" },
            },
          ],
        },
        {
          id: "HaKpys8f",
          request: {
            ...REQUEST,
            "rb-name": "test-rbdef-two",
            "rb-version": "versionsomething",
            "profile-name": "profile3",
          },
          namespace: "testnamespace-two",
          objects: [],
        },
      ],
    }, { name: "empty", now: "2026-11-25T10:01:00Z", instances: [] }],
  }, "reference");
}

Deno.test("startK8splugin() lists instances exactly like reference E1", async () => {
  const scenario = referenceScenario();
  // E1 shows the instances' labels as null.
  scenario.steps[0]!.instances[0]!.request.labels = null;
  await using sim = startK8splugin({ scenario });
  await assertReplays(sim.url, await fixture("list-two-instances"));
});

Deno.test("startK8splugin() serves GET /v1/instance/{id} exactly like reference E2 (current encoding)", async () => {
  await using sim = startK8splugin({ scenario: referenceScenario() });
  await assertReplays(sim.url, await fixture("get-instance"));
});

Deno.test("startK8splugin() answers an empty database and an unmatched filter like k8splugin", async () => {
  await using sim = startK8splugin({ scenario: referenceScenario() });
  await assertReplays(sim.url, await fixture("list-filter-no-match"));
  const filtered = await fetch(`${sim.url}/v1/instance?profile-name=profile3`);
  const list = await filtered.json();
  assert.deepEqual(list.map((i: { id: string }) => i.id), ["HaKpys8f"]);
  sim.state.setStep(1);
  await assertReplays(sim.url, await fixture("list-empty-db"));
});

Deno.test("startK8splugin() reproduces the real Guilin status output of reference E3", async () => {
  const recorded = await fixture("status-guilin-excerpt");
  const document = JSON.parse(recorded.response.body);
  // Build the scenario from the recorded objects: pods get their type back.
  const objects = document.resourcesStatus.map(
    (entry: { GVK: { Kind: string }; status: Record<string, unknown> }) =>
      entry.GVK.Kind === ""
        ? { apiVersion: "v1", kind: "Pod", ...entry.status }
        : entry.status,
  );
  const scenario = parseScenario({
    regions: [{ cloudRegion: "kud", cloudOwner: "CloudOwner" }],
    steps: [{
      name: "guilin",
      now: "2020-09-29T13:40:00Z",
      instances: [{
        id: "practical_nobel",
        request: document.request,
        namespace: "plugin-tests-namespace",
        objects,
      }],
    }],
  }, "E3");
  await using sim = startK8splugin({
    scenario,
    quirks: { emptyPodGvk: true, readyAlwaysFalse: true },
  });
  // The excerpt kept resourceCount 12 although 9 of the 12 items were removed.
  await assertReplays(
    sim.url,
    recorded,
    (body) => body.replace('"resourceCount":12', '"resourceCount":3'),
  );
});

Deno.test("startK8splugin() fails status as a whole when a chart resource is missing (reference E4)", async () => {
  const scenario = parseScenario({
    regions: [{ cloudRegion: "kud", cloudOwner: "CloudOwner" }],
    steps: [{
      name: "sink deleted by hand",
      now: "2020-09-29T13:40:00Z",
      instances: [{
        id: "practical_nobel",
        request: { ...REQUEST, "cloud-region": "kud" },
        namespace: "plugin-tests-namespace",
        objects: [{
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: "sink-configmap" },
        }, {
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata: { name: "test-release-sink" },
        }],
        missing: [{
          apiVersion: "apps/v1",
          kind: "Deployment",
          name: "test-release-sink",
        }],
      }],
    }],
  }, "E4");
  await using sim = startK8splugin({ scenario });
  await assertReplays(sim.url, await fixture("status-missing-resource"));
  // k8splugin still remembers the resource.
  const instance = await (await fetch(`${sim.url}/v1/instance/practical_nobel`))
    .json();
  assert.deepEqual(
    instance.resources.map((r: { Name: string }) => r.Name),
    ["sink-configmap", "test-release-sink"],
  );
});

Deno.test("startK8splugin() answers an unknown instance with k8splugin's plain-text 500 (404 on master)", async () => {
  await using sim = startK8splugin({ scenario: referenceScenario() });
  await assertReplays(sim.url, await fixture("status-unknown-instance"));
  await assertReplays(sim.url, await fixture("get-unknown-instance"));
  sim.state.quirks.notFoundStatus = 404;
  const response = await fetch(`${sim.url}/v1/instance/no_such_id`);
  assert.equal(response.status, 404);
  assert.match(await response.text(), /no documents in result\n$/);
});

Deno.test("startK8splugin() query answers its 400s and the 500-then-JSON handler bug", async () => {
  await using sim = startK8splugin({ scenario: referenceScenario() });
  await assertReplays(sim.url, await fixture("query-missing-apiversion"));
  const noKind = await fetch(
    `${sim.url}/v1/instance/HaKpys8e/query?ApiVersion=v1`,
  );
  assert.equal(noKind.status, 400);
  assert.equal(await noKind.text(), "Missing Kind mandatory parameter\n");
  await assertReplays(sim.url, await fixture("query-unknown-instance"));
});

Deno.test("startK8splugin() walks the demo: Pending, Ready, Failed, Ready, deleted", async () => {
  await using sim = startK8splugin();
  const seen: (boolean | number)[] = [];
  for (let step = 0; step < 5; step++) {
    sim.state.setStep(step);
    const response = await fetch(`${sim.url}/v1/instance/edgex-1/status`);
    if (response.status === 200) seen.push((await response.json()).ready);
    else {
      seen.push(response.status);
      await response.body?.cancel();
    }
  }
  assert.deepEqual(seen, [false, true, false, true, 500]);
  const list = await fetch(`${sim.url}/v1/instance`);
  assert.equal(list.status, 500);
  assert.equal(
    await list.text(),
    "Listing Instances: Did not find any objects with tag: instance\n",
  );
});

Deno.test("startK8splugin() status lists chart resources in order, then pods without apiVersion/kind", async () => {
  await using sim = startK8splugin({ step: 1 });
  const status = await (await fetch(`${sim.url}/v1/instance/edgex-1/status`))
    .json();
  assert.deepEqual(
    status.resourcesStatus.map((
      e: {
        name: string;
        GVK: { Group: string; Version: string; Kind: string };
      },
    ) => `${e.GVK.Group}/${e.GVK.Version}/${e.GVK.Kind}/${e.name}`),
    [
      "/v1/Service/edgex-core-data",
      "apps/v1/Deployment/edgex-core-data",
      "apps/v1/Deployment/edgex-ui",
      "/v1/Pod/edgex-core-data-6c7b9d5f48-x7kq2",
      "/v1/Pod/edgex-ui-7f9d8b5c46-tz9wp",
    ],
  );
  assert.equal(status.resourceCount, 5);
  const pod = status.resourcesStatus[3].status;
  assert.equal(pod.apiVersion, undefined);
  assert.equal(pod.kind, undefined);
  assert.equal(pod.metadata.labels["k8splugin.io/rb-instance-id"], "edgex-1");
  const deployment = status.resourcesStatus[1].status;
  assert.equal(deployment.kind, "Deployment");
  // Go marshals unstructured objects with sorted keys.
  assert.deepEqual(Object.keys(deployment), [
    "apiVersion",
    "kind",
    "metadata",
    "spec",
    "status",
  ]);
});

Deno.test("startK8splugin() query filters by kind, name and labels within the instance", async () => {
  await using sim = startK8splugin({ step: 1 });
  const query = (params: string) =>
    fetch(`${sim.url}/v1/instance/edgex-1/query?${params}`).then((r) =>
      r.json()
    );
  const sets = await query("ApiVersion=apps/v1&Kind=ReplicaSet");
  assert.equal(sets.ready, false);
  assert.equal(sets.resourceCount, 2);
  const one = await query(
    "ApiVersion=apps/v1&Kind=Deployment&Name=edgex-ui",
  );
  assert.deepEqual(
    one.resourcesStatus.map((e: { name: string }) => e.name),
    ["edgex-ui"],
  );
  const labelled = await query("ApiVersion=v1&Kind=Pod&Labels=app=edgex-ui");
  assert.deepEqual(
    labelled.resourcesStatus.map((e: { name: string }) => e.name),
    ["edgex-ui-7f9d8b5c46-tz9wp"],
  );
  const none = await query("ApiVersion=batch/v1&Kind=Job");
  assert.deepEqual(none.resourcesStatus, []);
});

Deno.test("startK8splugin() drops the connection for a Job without spec.completions", async () => {
  const scenario = parseScenario({
    steps: [{
      name: "work queue job",
      now: "2026-11-25T10:00:00Z",
      instances: [{
        id: "jobby",
        request: { ...REQUEST },
        namespace: "ns",
        objects: [{
          apiVersion: "batch/v1",
          kind: "Job",
          metadata: { name: "queue" },
          spec: { parallelism: 2 },
          status: { active: 2 },
        }],
      }],
    }],
  }, "job");
  await using sim = startK8splugin({ scenario });
  await assert.rejects(
    fetch(`${sim.url}/v1/instance/jobby/status`).then((r) => r.text()),
  );
  // The instance itself still reads fine.
  const instance = await fetch(`${sim.url}/v1/instance/jobby`);
  assert.equal(instance.status, 200);
  await instance.body?.cancel();
});

Deno.test("startK8splugin() answers statusError as a plain-text 500", async () => {
  const scenario = parseScenario({
    steps: [{
      name: "no kubeconfig",
      now: "2026-11-25T10:00:00Z",
      instances: [{
        id: "x",
        request: { ...REQUEST },
        namespace: "ns",
        objects: [],
        statusError:
          "Getting CloudRegion Information: Get kubeconfig file: Downloading kubeconfig: not found",
      }],
    }],
  }, "err");
  await using sim = startK8splugin({ scenario });
  const response = await fetch(`${sim.url}/v1/instance/x/status`);
  assert.equal(response.status, 500);
  assert.equal(
    response.headers.get("content-type"),
    "text/plain; charset=utf-8",
  );
  assert.equal(
    await response.text(),
    "Getting CloudRegion Information: Get kubeconfig file: Downloading kubeconfig: not found\n",
  );
});

Deno.test("startK8splugin() serves connectivity-info with a base64 kubeconfig from kubeconfigFor", async () => {
  await using sim = startK8splugin({
    kubeconfigFor: (region) => `server: http://kube.sim/${region}\n`,
  });
  const info =
    await (await fetch(`${sim.url}/v1/connectivity-info/k8sregionone`))
      .json();
  assert.equal(info["cloud-region"], "k8sregionone");
  assert.equal(info["cloud-owner"], "CloudOwner");
  assert.equal(atob(info.kubeconfig), "server: http://kube.sim/k8sregionone\n");
  const unknown = await fetch(`${sim.url}/v1/connectivity-info/nowhere`);
  assert.equal(unknown.status, 404);
  assert.match(await unknown.text(), /no documents in result\n$/);
});

Deno.test("startK8splugin() counts requests by route and injects faults from state", async () => {
  await using sim = startK8splugin();
  const health = await fetch(`${sim.url}/v1/healthcheck`);
  assert.equal(health.status, 200);
  assert.equal(await health.text(), "");
  const missing = await fetch(`${sim.url}/nope`);
  assert.equal(missing.status, 404);
  assert.equal(await missing.text(), "404 page not found\n");
  sim.state.faults = { errorRates: { 503: 1 }, match: "/v1/instance" };
  const faulty = await fetch(`${sim.url}/v1/instance/edgex-1/status`);
  assert.equal(faulty.status, 503);
  await faulty.body?.cancel();
  sim.state.faults = undefined;
  const fine = await fetch(`${sim.url}/v1/instance/edgex-1/status`);
  assert.equal(fine.status, 200);
  await fine.body?.cancel();
  assert.equal(sim.state.requests.total, 4);
  assert.deepEqual(sim.state.requests.byRoute, {
    "GET /v1/healthcheck": 1,
    "GET (unknown)": 1,
    "GET /v1/instance/{id}/status": 2,
  });
  sim.state.resetRequests();
  assert.equal(sim.state.requests.total, 0);
});

Deno.test("startK8splugin() state steps through the timeline and swaps scenarios", async () => {
  await using sim = startK8splugin();
  assert.equal(sim.state.current.name, "rollout-started");
  sim.state.advance();
  assert.equal(sim.state.step, 1);
  for (let i = 0; i < 10; i++) sim.state.advance();
  assert.equal(sim.state.step, 4);
  assert.throws(() => sim.state.setStep(5), RangeError);
  sim.state.setScenario(referenceScenario());
  assert.equal(sim.state.step, 0);
  const list = await (await fetch(`${sim.url}/v1/instance`)).json();
  assert.equal(list.length, 2);
  const demo = await loadScenario(DEMO_SCENARIO_URL);
  sim.state.setScenario(demo, 2);
  assert.equal(sim.state.current.name, "crash-loop");
});

Deno.test("startK8splugin() full=true adds the lifecycle fields", async () => {
  await using sim = startK8splugin();
  const full = await (await fetch(`${sim.url}/v1/instance/edgex-1?full=true`))
    .json();
  assert.equal(full.status, "DONE");
  assert.deepEqual(full.hooks, []);
  assert.equal(full.resources.length, 3);
});
