/**
 * Issue 14, attack class "peer faults": what A&AI answers must not leave it
 * with less than the snapshot says it holds (14.4).
 *
 * @module
 */

import assert from "node:assert/strict";
import { app, edgesOf, pathOf, scenario, verdictOf, world } from "./_world.ts";

const VF = { vnfId: "vnf-1", vfModuleId: "vfm-1", heatStackId: "app-1" };
const EDGES = [
  "/network/generic-vnfs/generic-vnf/vnf-1",
  "/network/generic-vnfs/generic-vnf/vnf-1/vf-modules/vf-module/vfm-1",
];

Deno.test({
  name:
    "runSync() re-creates an object whose PATCH was answered 404 with its relationships",
  async fn() {
    await using w = await world(
      scenario([[app("app-1")], [app("app-1", "crash")]], { vfModules: [VF] }),
    );
    assert.equal((await w.run()).exitCode, 0);
    const podPath = pathOf(
      "app-1",
      "Pod",
      "",
      "v1",
      "app-1-web-5d8f7c6b9-aaaaa",
    );
    assert.deepEqual(edgesOf(w.aai.state.get(podPath)), EDGES);
    // Someone deletes it in A&AI; our next change is a PATCH → 404.
    w.aai.state.remove(podPath);
    w.k8s.state.setStep(1);
    const report = await w.run();
    assert.equal(report.exitCode, 0, report.errors.join("\n"));
    assert.equal(verdictOf(w.aai.state.get(podPath)), "Failed");
    assert.deepEqual(
      edgesOf(w.aai.state.get(podPath)),
      EDGES,
      "re-created with its edges",
    );
    // And not only after --verify: a plain pass has nothing left to do.
    w.aai.state.resetCounts();
    await w.run();
    assert.equal(w.aai.state.counts.total, 0);
  },
});
