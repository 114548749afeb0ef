/**
 * Issue 14, attack class "mass deletion": reads that suddenly hold nothing
 * (14.3) and the documented way out of a held-back deletion (14.14).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  app,
  clients,
  instance,
  instanceOf,
  k8sResources,
  messages,
  rewritingProxy,
  scenario,
  world,
} from "./_world.ts";
import { runSync } from "../../sync/mod.ts";

Deno.test({
  name:
    "runSync() deletes nothing when an instance's /status suddenly answers 200 with an empty resource list",
  async fn() {
    await using w = await world(
      scenario([[app("app-1"), app("app-2")], [
        instance("app-1", []),
        app("app-2"),
      ]]),
    );
    assert.equal((await w.run()).exitCode, 0);
    assert.equal(k8sResources(w.aai).size, 4);
    w.k8s.state.setStep(1);
    w.aai.state.resetCounts();
    const report = await w.run();
    assert.equal(w.aai.state.counts.byMethod.DELETE, 0, "no DELETE sent");
    assert.deepEqual(
      [...k8sResources(w.aai).values()].map(instanceOf).sort(),
      ["app-1", "app-1", "app-2", "app-2"],
    );
    assert.match(messages(report), /app-1/, "the suspicious read is reported");
  },
});

Deno.test({
  name:
    "runSync() deletes nothing when an instance's /status answers 200 with resourcesStatus null",
  async fn() {
    await using w = await world(scenario([[app("app-1"), app("app-2")]]));
    assert.equal((await w.run()).exitCode, 0);
    await using proxy = rewritingProxy(
      w.k8s.url,
      (path, body) =>
        path === "/v1/instance/app-1/status"
          ? { ...body as object, resourceCount: 0, resourcesStatus: null }
          : undefined,
    );
    w.aai.state.resetCounts();
    const report = await runSync(
      { ...clients(proxy.url, w.aai.url), now: w.deps.now! },
      { config: w.config },
    );
    assert.equal(w.aai.state.counts.byMethod.DELETE, 0, "no DELETE sent");
    assert.equal(k8sResources(w.aai).size, 4);
    assert.match(messages(report), /app-1/, "the suspicious read is reported");
  },
});

Deno.test({
  name:
    "runSync({allowMassDelete}) run once after a held-back empty list deletes the vanished instances, as the README says",
  async fn() {
    await using w = await world(
      scenario([[app("app-1"), app("app-2"), app("app-3")], []]),
    );
    assert.equal((await w.run()).exitCode, 0);
    w.k8s.state.setStep(1);
    // The guard holds for as many passes as it takes to be noticed.
    for (let i = 0; i < w.config.deleteAfterMisses + 1; i++) {
      const held = await w.run();
      assert.equal(held.exitCode, 1);
      assert.equal(k8sResources(w.aai).size, 6);
    }
    // The operator checked: "re-run with --allow-mass-delete once".
    const forced = await w.run({ allowMassDelete: true });
    assert.equal(
      k8sResources(w.aai).size,
      0,
      `one forced run deletes them (exit ${forced.exitCode}, ${forced.writes.delete} deleted)`,
    );
    assert.equal(forced.exitCode, 0);
  },
});
