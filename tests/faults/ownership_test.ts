/**
 * Issue 14, attack class "ownership": the owner policy must apply to the
 * `data-owner` A&AI holds now, not the one the snapshot remembers (14.1).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  addVfModule,
  app,
  edgesOf,
  k8sResources,
  messages,
  pathOf,
  requests,
  scenario,
  verdictOf,
  world,
} from "./_world.ts";

Deno.test({
  name:
    "runSync() leaves alone an object switched to data-owner CnfAdapter between passes, with a warning naming the owner",
  async fn() {
    await using w = await world(
      scenario([[app("app-1")], [app("app-1", "crash")]]),
    );
    assert.equal((await w.run()).exitCode, 0);
    const podPath = pathOf(
      "app-1",
      "Pod",
      "",
      "v1",
      "app-1-web-5d8f7c6b9-aaaaa",
    );
    // SO's CNF adapter takes the pod over (it PUTs with its own owner).
    w.aai.state.put(podPath, {
      ...w.aai.state.get(podPath)!,
      "data-owner": "CnfAdapter",
    });
    const theirs = structuredClone(w.aai.state.get(podPath));
    w.k8s.state.setStep(1);
    w.aai.state.resetCounts();
    const report = await w.run();
    assert.deepEqual(
      requests(w.aai).filter((r) =>
        r.method !== "GET" && r.url.includes(podPath.split("/").pop()!)
      ),
      [],
      "no write to CnfAdapter's object",
    );
    assert.deepEqual(w.aai.state.get(podPath), theirs);
    assert.match(messages(report), /CnfAdapter/);
  },
});

Deno.test({
  name:
    "runSync() adds no edges to an object switched to another data-owner when the vf-module shows up later",
  async fn() {
    await using w = await world(scenario([[app("app-1")]]), {
      vfModuleRetry: 0,
    });
    assert.equal((await w.run()).exitCode, 0);
    const svcPath = pathOf("app-1", "Service", "", "v1", "app-1-web");
    w.aai.state.put(svcPath, {
      ...w.aai.state.get(svcPath)!,
      "data-owner": "CnfAdapter",
    });
    addVfModule(w.aai, {
      vnfId: "vnf-1",
      vfModuleId: "vfm-1",
      heatStackId: "app-1",
    });
    const report = await w.run();
    assert.deepEqual(
      edgesOf(w.aai.state.get(svcPath)),
      [],
      "CnfAdapter's object untouched",
    );
    // Our own object does get its edges.
    const podPath = pathOf(
      "app-1",
      "Pod",
      "",
      "v1",
      "app-1-web-5d8f7c6b9-aaaaa",
    );
    assert.equal(edgesOf(w.aai.state.get(podPath)).length, 2);
    assert.match(messages(report), /CnfAdapter/);
  },
});

Deno.test({
  name:
    "runSync() with a changed owner setting rewrites no data-owner and names the old owner (a rename is an explicit migration)",
  async fn() {
    await using w = await world(
      scenario([[app("app-1")], [app("app-1", "crash")]]),
    );
    assert.equal((await w.run()).exitCode, 0);
    const renamed = { ...w.config, owner: "k8s-aai-sync-2" };
    w.k8s.state.setStep(1);
    w.aai.state.resetCounts();
    const report = await w.run({ config: renamed });
    for (const [path, body] of k8sResources(w.aai)) {
      assert.equal(
        body["data-owner"],
        "k8s-aai-sync",
        `${path} keeps its owner`,
      );
      assert.equal(
        verdictOf(body),
        "Ready",
        `${path} not written under a new owner`,
      );
    }
    assert.equal(w.aai.state.counts.byMethod.PATCH, 0);
    assert.equal(w.aai.state.counts.byMethod.PUT, 0);
    assert.match(messages(report), /"k8s-aai-sync"/);
    assert.notEqual(report.exitCode, 0, "objects it cannot write are an error");
  },
});
