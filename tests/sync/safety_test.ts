/**
 * Issue 14's sync-level fixes beyond the campaign's own tests: one pass
 * with two resources behind one id, an installation's region scope (a
 * shard), the pass deadline in-process, and their settings.
 *
 * @module
 */

import assert from "node:assert/strict";
import { loadConfig, runSync } from "../../sync/mod.ts";
import {
  app,
  clients,
  configFrom,
  configMap,
  instance,
  instanceOf,
  k8sResources,
  messages,
  pathOf,
  requests,
  rewritingProxy,
  scenario,
  world,
} from "../faults/_world.ts";

const COLLIDING = pathOf("col", "ConfigMap", "", "v1", "a");

Deno.test("runSync() publishes one of two new resources that share an id in one pass and reports the other as a collision", async () => {
  await using w = await world(scenario([[
    instance("col", [configMap("a")]),
    instance("co", [configMap("la")]),
  ]]));
  const report = await w.run();
  assert.notEqual(report.exitCode, 0);
  assert.match(messages(report), /id collision/);
  assert.match(messages(report), /"co"/);
  assert.match(messages(report), /"col"/);
  const puts = requests(w.aai).filter((r) =>
    r.method === "PUT" && r.url.includes(COLLIDING.split("/").pop()!)
  );
  assert.equal(puts.length, 1, "one PUT to the shared id, never two");
  const held = w.aai.state.get(COLLIDING)!;
  assert.equal(
    `${instanceOf(held)}/${held.name}`,
    held.name === "a" ? "col/a" : "co/la",
    "A&AI holds one consistent resource",
  );
  // The next pass does not fight over it.
  w.aai.state.resetCounts();
  await w.run();
  assert.equal(w.aai.state.counts.byMethod.PUT, 0);
  assert.equal(w.aai.state.counts.byMethod.PATCH, 0);
});

/** A standard instance in `region`. */
function instanceIn(id: string, region: string) {
  const standard = app(id);
  return {
    ...standard,
    request: { ...standard.request as object, "cloud-region": region },
  };
}

Deno.test("runSync() with scope.regions syncs only its shard, and a shard's rebuild never takes the other shard's objects", async () => {
  const regions = [
    { cloudRegion: "region-a", cloudOwner: "CloudOwner", tenant: "tenant-a" },
    { cloudRegion: "region-b", cloudOwner: "CloudOwner", tenant: "tenant-b" },
  ];
  await using w = await world(
    scenario([[
      instanceIn("app-1", "region-a"),
      instanceIn("app-2", "region-b"),
    ], [instanceIn("app-2", "region-b")]], { regions }),
    { scope: { regions: ["region-a"] } },
  );
  assert.equal((await w.run()).exitCode, 0);
  assert.deepEqual(
    [...k8sResources(w.aai).values()].map(instanceOf),
    ["app-1", "app-1"],
  );
  // Shard b: same k8splugin, same A&AI, its own snapshot; a verify rebuild.
  const { config: shardB } = await configFrom(w.dir, {
    k8splugin: { url: w.k8s.url },
    aai: { url: w.aai.url },
    snapshot: `${w.dir}/shard-b/snapshot.json`,
    scope: { regions: ["region-b"] },
  });
  const b = await runSync(w.deps, { config: shardB, verify: true });
  assert.equal(b.exitCode, 0, b.errors.join("\n"));
  const snapshotB = JSON.parse(
    await Deno.readTextFile(`${w.dir}/shard-b/snapshot.json`),
  );
  assert.deepEqual(Object.keys(snapshotB.instances), ["app-2"]);
  // app-1 goes away: only shard a deletes its objects.
  w.k8s.state.setStep(1);
  for (let i = 0; i <= w.config.deleteAfterMisses; i++) {
    await runSync(w.deps, { config: shardB });
  }
  assert.equal(
    [...k8sResources(w.aai).values()].filter((o) => instanceOf(o) === "app-1")
      .length,
    2,
    "shard b leaves shard a's objects alone",
  );
  for (let i = 0; i <= w.config.deleteAfterMisses; i++) await w.run();
  assert.deepEqual(
    [...k8sResources(w.aai).values()].map(instanceOf),
    ["app-2", "app-2"],
  );
});

Deno.test("runSync() whose deadline has passed plans nothing more, sends nothing and exits 75", async () => {
  await using w = await world(scenario([[app("app-1"), app("app-2")]]));
  const report = await runSync(
    { ...w.deps, deadline: AbortSignal.abort() },
    { config: w.config },
  );
  assert.equal(report.exitCode, 75);
  assert.equal(report.deadlineExceeded, true);
  assert.match(report.errors.join("\n"), /Pass deadline of 10m reached/);
  assert.deepEqual(report.instances.unknown.sort(), ["app-1", "app-2"]);
  assert.equal(w.aai.state.counts.byMethod.PUT, 0);
  // The next pass, in time, does the work.
  assert.equal((await w.run()).exitCode, 0);
  assert.equal(k8sResources(w.aai).size, 4);
});

Deno.test("loadConfig() reads passDeadline and scope.regions from the environment", async () => {
  const config = await loadConfig(undefined, {
    K8SPLUGIN_URL: "http://k8splugin:9015",
    AAI_URL: "http://aai:8080",
    K8S_AAI_SYNC_PASS_DEADLINE: "3s",
    K8S_AAI_SYNC_SCOPE_REGIONS: "region-a, region-b",
  });
  assert.equal(config.passDeadline, 3_000);
  assert.deepEqual(config.scope, {
    regions: ["region-a", "region-b"],
    formerK8spluginUrls: [],
  });
  const defaults = await loadConfig(undefined, {
    K8SPLUGIN_URL: "http://k8splugin:9015",
    AAI_URL: "http://aai:8080",
  });
  assert.equal(defaults.passDeadline, 600_000);
  assert.equal(defaults.scope.regions, undefined);
});

Deno.test("runSync({allowMassDelete}) deletes the objects of an instance whose /status lists no resources (the guard lifted)", async () => {
  await using w = await world(
    scenario([[app("app-1"), app("app-2")], [
      instance("app-1", []),
      app("app-2"),
    ]]),
  );
  assert.equal((await w.run()).exitCode, 0);
  w.k8s.state.setStep(1);
  const held = await w.run();
  assert.equal(held.exitCode, 1);
  assert.equal(k8sResources(w.aai).size, 4);
  const forced = await w.run({ allowMassDelete: true });
  assert.equal(forced.exitCode, 0, forced.errors.join("\n"));
  assert.deepEqual(
    [...k8sResources(w.aai).values()].map(instanceOf),
    ["app-2", "app-2"],
  );
});

Deno.test("runSync() after k8splugin moved leaves the old URL's objects alone unless scope.formerK8spluginUrls names it", async () => {
  await using w = await world(scenario([[app("app-1")]]));
  assert.equal((await w.run()).exitCode, 0);
  // The same k8splugin, reached under another URL.
  await using moved = rewritingProxy(w.k8s.url, () => undefined);
  const settings = {
    k8splugin: { url: moved.url },
    aai: { url: w.aai.url },
    snapshot: w.snapshot,
  };
  const { config: strict } = await configFrom(w.dir, settings);
  const refused = await runSync(
    { ...clients(moved.url, w.aai.url), now: w.deps.now! },
    { config: strict },
  );
  assert.notEqual(refused.exitCode, 0);
  assert.match(messages(refused), /outside this installation's scope/);
  assert.equal(w.aai.state.counts.byMethod.PATCH, 0);
  const { config: migrated } = await configFrom(w.dir, {
    ...settings,
    snapshot: `${w.dir}/migrated/snapshot.json`,
    scope: { formerK8spluginUrls: [w.k8s.url] },
  });
  const report = await runSync(
    { ...clients(moved.url, w.aai.url), now: w.deps.now! },
    { config: migrated, verify: true },
  );
  assert.equal(report.exitCode, 0, report.errors.join("\n"));
  for (const object of k8sResources(w.aai).values()) {
    assert.ok(String(object.selflink).startsWith(`${moved.url}/v1/instance/`));
  }
});
