import assert from "node:assert/strict";
import {
  gvkOf,
  INSTANCE_LABEL as ADAPTER_INSTANCE_LABEL,
} from "../../adapters/k8splugin.ts";
import {
  chartResources,
  DEMO_SCENARIO_URL,
  INSTANCE_LABEL,
  loadScenario,
  parseScenario,
  podsOf,
  ScenarioSyntaxError,
} from "../../sim/scenario.ts";

/** The smallest valid scenario, for mutation by tests. */
function minimal(): Record<string, unknown> {
  return {
    regions: [{ cloudRegion: "r1", cloudOwner: "CloudOwner" }],
    steps: [{
      name: "one",
      now: "2026-11-25T10:00:00Z",
      instances: [{
        id: "abc",
        request: {
          "rb-name": "rb",
          "rb-version": "v1",
          "profile-name": "p",
          "cloud-region": "r1",
          labels: null,
          "override-values": null,
        },
        namespace: "ns",
        objects: [
          {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: "cm" },
            data: { a: "b" },
          },
        ],
      }],
    }],
  };
}

Deno.test("loadScenario() reads the demo: edgex rolls out, crash-loops, recovers and is deleted", async () => {
  const scenario = await loadScenario(DEMO_SCENARIO_URL);
  assert.deepEqual(scenario.steps.map((s) => s.name), [
    "rollout-started",
    "rolled-out",
    "crash-loop",
    "recovered",
    "deleted",
  ]);
  const first = scenario.steps[0]?.instances[0];
  assert.ok(first);
  assert.equal(first.id, "edgex-1");
  assert.equal(first.namespace, "testns2");
  assert.deepEqual(first.request["rb-name"], "edgex");
  assert.deepEqual(first.request["profile-name"], "profile2");
  assert.deepEqual(first.request["cloud-region"], "k8sregionone");
  assert.deepEqual(
    chartResources(first).map((o) => `${o.kind}/${o.metadata.name}`),
    [
      "Service/edgex-core-data",
      "Deployment/edgex-core-data",
      "Deployment/edgex-ui",
    ],
  );
  assert.equal(podsOf(first).length, 2);
  for (const object of first.objects) {
    assert.equal(object.metadata.labels?.[INSTANCE_LABEL], "edgex-1");
  }
  assert.deepEqual(scenario.steps[4]?.instances, []);
  assert.equal(scenario.aai?.vfModules[0]?.heatStackId, "edgex-1");
  assert.equal(scenario.aai?.cloudRegions[0]?.tenants.length, 1);
});

Deno.test("the demo's crash-loop step has a pod in CrashLoopBackOff with restarts and a terminated last state", async () => {
  const scenario = await loadScenario(DEMO_SCENARIO_URL);
  const step = scenario.steps[2];
  const pod = step?.instances[0]?.objects.find((o) =>
    o.kind === "Pod" && o.metadata.name.startsWith("edgex-core-data-")
  ) as
    | { status: { containerStatuses: Record<string, never>[] } }
    | undefined;
  const container = pod?.status.containerStatuses[0] as unknown as {
    restartCount: number;
    state: { waiting: { reason: string } };
    lastState: { terminated: { finishedAt: string } };
  };
  assert.equal(container.state.waiting.reason, "CrashLoopBackOff");
  assert.ok(container.restartCount >= 2);
  assert.ok(
    Date.parse(container.lastState.terminated.finishedAt) <=
      Date.parse(step?.now ?? ""),
  );
});

Deno.test("the demo's recovered step has been running for more than 60 s", async () => {
  const scenario = await loadScenario(DEMO_SCENARIO_URL);
  const step = scenario.steps[3];
  for (const pod of podsOf(step!.instances[0]!)) {
    const started = (pod as unknown as {
      status: {
        containerStatuses: { state: { running: { startedAt: string } } }[];
      };
    }).status.containerStatuses[0]!.state.running.startedAt;
    assert.ok(Date.parse(step!.now) - Date.parse(started) > 60_000);
  }
});

Deno.test("parseScenario() adds the instance label and the namespace", () => {
  const scenario = parseScenario(minimal(), "mem");
  const object = scenario.steps[0]?.instances[0]?.objects[0];
  assert.equal(object?.metadata.labels?.[INSTANCE_LABEL], "abc");
  assert.equal(object?.metadata.namespace, "ns");
  assert.deepEqual((object as { data?: unknown }).data, { a: "b" });
});

Deno.test("parseScenario() names the source and the field path of a problem", () => {
  const data = minimal() as {
    steps: { instances: { objects: { metadata: { name?: string } }[] }[] }[];
  };
  delete data.steps[0]!.instances[0]!.objects[0]!.metadata.name;
  assert.throws(
    () => parseScenario(data, "fixtures/x.yaml"),
    (error: unknown) => {
      assert.ok(error instanceof ScenarioSyntaxError);
      assert.equal(error.path, "fixtures/x.yaml");
      assert.equal(
        error.field,
        "steps[0].instances[0].objects[0].metadata.name",
      );
      assert.match(
        error.message,
        /^Cannot load scenario "fixtures\/x\.yaml": steps\[0\]\.instances\[0\]\.objects\[0\]\.metadata\.name: /,
      );
      return true;
    },
  );
});

Deno.test("parseScenario() rejects an unknown region, a duplicate instance and unknown keys", () => {
  const wrongRegion = minimal() as {
    steps: { instances: { request: Record<string, unknown> }[] }[];
  };
  wrongRegion.steps[0]!.instances[0]!.request["cloud-region"] = "elsewhere";
  assert.throws(
    () => parseScenario(wrongRegion, "s"),
    /steps\[0\]\.instances\[0\]\.request\["cloud-region"\]: region "elsewhere" is not listed/,
  );
  const twice = minimal() as { steps: { instances: unknown[] }[] };
  twice.steps[0]!.instances.push(structuredClone(twice.steps[0]!.instances[0]));
  assert.throws(
    () => parseScenario(twice, "s"),
    /steps\[0\]\.instances\[1\]\.id: instance "abc" appears twice/,
  );
  assert.throws(
    () => parseScenario({ ...minimal(), stepz: [] }, "s"),
    /Cannot load scenario "s": .*stepz/,
  );
});

Deno.test("loadScenario() names the file when it is missing or not YAML", async () => {
  await assert.rejects(
    loadScenario("/nonexistent/scenario.yaml"),
    /Cannot load scenario "\/nonexistent\/scenario\.yaml": /,
  );
  const file = await Deno.makeTempFile({ suffix: ".yaml" });
  try {
    await Deno.writeTextFile(file, "steps: [\n  - {name: x");
    await assert.rejects(loadScenario(file), /not valid YAML or JSON/);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("the sims split an apiVersion with the adapter's gvkOf() (one home for k8splugin's vocabulary)", () => {
  assert.deepEqual(gvkOf("apps/v1", "Deployment"), {
    group: "apps",
    version: "v1",
    kind: "Deployment",
  });
  assert.deepEqual(gvkOf("v1", "Pod"), {
    group: "",
    version: "v1",
    kind: "Pod",
  });
  assert.equal(INSTANCE_LABEL, ADAPTER_INSTANCE_LABEL);
});
