/**
 * Issue 14, attack class "hostile names": keys that cannot form an A&AI path
 * (14.5), ids that collide under SO's plain-concatenation formula (14.11),
 * and path segments A&AI's ValidateEncoding refuses unless fully encoded.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  app,
  configMap,
  instance,
  instanceOf,
  k8sResources,
  messages,
  pathOf,
  requests,
  scenario,
  world,
} from "./_world.ts";

Deno.test({
  name:
    'runSync() fails only the instance whose cloud-region ".." cannot form an A&AI path and publishes the others',
  async fn() {
    await using w = await world(
      scenario([[
        app("app-1"),
        instance("dots", [configMap("dots-config")], ".."),
      ]], { unknownToAai: [".."] }),
      { regions: { "..": { cloudOwner: "CloudOwner", tenantId: "tenant-1" } } },
    );
    const report = await w.run();
    assert.equal(report.exitCode, 1);
    assert.deepEqual(report.instances.failed.map((f) => f.id), ["dots"]);
    assert.match(report.instances.failed[0]!.error, /"\.\."/);
    assert.deepEqual(
      [...k8sResources(w.aai).values()].map(instanceOf),
      ["app-1", "app-1"],
      "the other instance is published",
    );
  },
});

// "col" + "a" and "co" + "la" concatenate to the same text, so SO's formula
// gives both ConfigMaps one id, one A&AI object.
const COLLIDING = pathOf("col", "ConfigMap", "", "v1", "a");

Deno.test({
  name:
    "runSync() reports an id collision (col+a = co+la) and never overwrites the live object of the other instance",
  async fn() {
    assert.equal(COLLIDING, pathOf("co", "ConfigMap", "", "v1", "la"));
    await using w = await world(scenario([
      [instance("col", [configMap("a")])],
      [instance("col", [configMap("a")]), instance("co", [configMap("la")])],
    ]));
    assert.equal((await w.run()).exitCode, 0);
    w.k8s.state.setStep(1);
    const report = await w.run();
    const held = w.aai.state.get(COLLIDING)!;
    assert.equal(held.name, "a", "still col's ConfigMap");
    assert.equal(instanceOf(held), "col");
    assert.match(messages(report), /"co"/);
    assert.match(messages(report), /"col"/);
    assert.notEqual(report.exitCode, 0, "a collision is an error");
  },
});

Deno.test({
  name:
    "runSync() deleting instance co never deletes instance col's object that shares its id",
  async fn() {
    await using w = await world(scenario([
      [instance("col", [configMap("a")])],
      [instance("col", [configMap("a")]), instance("co", [configMap("la")])],
      [instance("col", [configMap("a")])],
    ]));
    await w.run();
    w.k8s.state.setStep(1);
    await w.run();
    w.k8s.state.setStep(2);
    for (let i = 0; i <= w.config.deleteAfterMisses; i++) await w.run();
    const held = w.aai.state.get(COLLIDING);
    assert.ok(held, "col's live ConfigMap is still in A&AI");
    assert.equal(held.name, "a");
    assert.equal(instanceOf(held), "col");
  },
});

Deno.test({
  name:
    "runSync() percent-encodes ! ' ( ) * in every A&AI path segment (ValidateEncoding, AAI_3008)",
  async fn() {
    const placement = {
      owner: "Cloud'Owner",
      region: "kud(lr)!",
      tenant: "tenant*1",
    };
    await using w = await world(
      scenario([[app("app(1)", "ready")].map((i) => ({
        ...i,
        request: { ...(i.request as object), "cloud-region": placement.region },
      }))], {
        regions: [{
          cloudRegion: placement.region,
          cloudOwner: placement.owner,
          tenant: placement.tenant,
        }],
      }),
    );
    const report = await w.run();
    assert.equal(report.exitCode, 0, report.errors.join("\n"));
    const writes = requests(w.aai).filter((r) => r.method !== "GET");
    assert.ok(writes.length >= 2, "published");
    for (const r of requests(w.aai)) {
      const path = r.url.split("?")[0]!;
      assert.doesNotMatch(path, /[!'()*]/, `${r.method} ${r.url}`);
    }
    const put = writes.find((r) => r.method === "PUT")!;
    assert.ok(
      put.url.includes(
        "/cloud-region/Cloud%27Owner/kud%28lr%29%21/tenants/tenant/tenant%2A1/",
      ),
      put.url,
    );
  },
});
