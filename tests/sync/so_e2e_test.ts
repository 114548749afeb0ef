/**
 * Issue 13 end to end: the SO CNF adapter simulator, the k8splugin
 * simulator (status subscriptions) and the A&AI simulator together, with
 * real `deno task sync` passes across a timeline — instantiate, steady,
 * crash-loop, recovery, scale, delete.
 *
 * @module
 */

import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { startAai } from "../../sim/aai.ts";
import { startK8splugin } from "../../sim/k8splugin.ts";
import { parseScenario } from "../../sim/scenario.ts";
import { type SoAaiRequest, soK8sResource, startSo } from "../../sim/so.ts";
import { syncCli } from "../faults/_world.ts";
import {
  deployment,
  instance,
  NS,
  OWNER,
  pod,
  REGION,
  service,
  TENANT,
} from "./_scenario.ts";

const ID = "app-1";
const DELAY_MS = 400;
const REQUEST: SoAaiRequest = {
  instanceId: ID,
  cloudRegion: REGION,
  cloudOwner: OWNER,
  tenantId: TENANT,
  callbackUrl: null,
  genericVnfId: "vnf-1",
  vfModuleId: "vfm-1",
};
const ME = "k8s-aai-sync";

function timeline() {
  const web = `${ID}-web`;
  const steps = [
    // 0 instantiate
    [service(web), deployment(web), pod(ID, web, "aaaaa", "ready", "100")],
    // 1 crash-loop
    [
      service(web),
      deployment(web, 1, 0, "201"),
      pod(ID, web, "aaaaa", "crash", "101"),
    ],
    // 2 recovery
    [
      service(web),
      deployment(web, 1, 1, "202"),
      pod(ID, web, "aaaaa", "ready", "102"),
    ],
    // 3 scale to 2
    [
      service(web),
      deployment(web, 2, 2, "203"),
      pod(ID, web, "aaaaa", "ready", "102"),
      pod(ID, web, "bbbbb", "ready", "103"),
    ],
  ];
  return parseScenario({
    regions: [{ cloudRegion: REGION, cloudOwner: OWNER }],
    steps: [
      ...steps.map((objects, i) => ({
        name: `step-${i}`,
        now: new Date(Date.parse("2026-11-25T10:00:00Z") + i * 60_000)
          .toISOString(),
        instances: [instance(ID, objects)],
      })),
      { name: "deleted", now: "2026-11-25T10:05:00Z", instances: [] },
    ],
  }, "so e2e");
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error("timed out waiting");
    await sleep(10);
  }
}

Deno.test("sync next to SO's CNF adapter: SO's objects get readiness after every rewrite, SO's fields stay SO's, steady passes send nothing", async () => {
  // A region with two tenants: only the generic-vnf's tenant places the
  // instance where SO does.
  await using aai = await startAai({
    seed: {
      cloudRegions: [{
        cloudOwner: OWNER,
        cloudRegionId: REGION,
        tenants: [{ tenantId: "other-tenant" }, { tenantId: TENANT }],
      }],
      vfModules: [{
        vnfId: "vnf-1",
        vfModuleId: "vfm-1",
        heatStackId: ID,
        placement: {
          cloudOwner: OWNER,
          cloudRegionId: REGION,
          tenantId: TENANT,
        },
      }],
    },
  });
  await using plugin = startK8splugin({
    scenario: timeline(),
    subscriptionTiming: {
      firstCallDelayMs: 0,
      notifierStartMs: 10,
      intervalFloorMs: 30,
      restoreDelayMs: 10,
    },
  });
  await using so = startSo({
    aaiUrl: aai.url,
    k8spluginUrl: plugin.url,
    minNotifyInterval: 0,
  });
  const dir = await Deno.makeTempDir({ prefix: "so-e2e-" });
  const configFile = `${dir}/config.json`;
  await Deno.writeTextFile(
    configFile,
    JSON.stringify({ soRewriteDelay: DELAY_MS }),
  );
  const env = {
    K8SPLUGIN_URL: plugin.url,
    AAI_URL: aai.url,
    K8S_AAI_SYNC_SNAPSHOT: `${dir}/state/snapshot.json`,
  };
  const mine = () => aai.state.counts.byClient[ME]?.byRoute ?? {};
  const total = () => aai.state.counts.byClient[ME]?.total ?? 0;
  async function pass(): Promise<void> {
    const result = await syncCli(["--once", "--config", configFile], env);
    assert.equal(result.code, 0, result.stderr);
  }
  /** What SO wrote for every current status entry, keyed by path. */
  async function soObjects(): Promise<Map<string, Record<string, unknown>>> {
    const entries = JSON.parse(
      await (await fetch(`${plugin.url}/v1/instance/${ID}/status`)).text(),
    ).resourcesStatus;
    const out = new Map<string, Record<string, unknown>>();
    for (const entry of entries) {
      const o = await soK8sResource(REQUEST, entry);
      out.set(
        `/cloud-infrastructure/cloud-regions/cloud-region/${OWNER}/${REGION}/tenants/tenant/${TENANT}/k8s-resources/k8s-resource/${o.id}`,
        o as unknown as Record<string, unknown>,
      );
    }
    return out;
  }
  /** Every SO object carries SO's fields exactly and our readiness labels. */
  async function assertAnnotated(expected: Record<string, string>) {
    const wanted = await soObjects();
    const paths = aai.state.pathsOf("k8s-resource").sort();
    assert.deepEqual(paths, [...wanted.keys()].sort(), "ids equal SO's");
    for (const [path, so] of wanted) {
      const { "resource-version": _rv, labels, ...held } = aai.state.stored(
        path,
      )!;
      const { labels: soLabels, ...soFields } = so;
      assert.deepEqual(held, soFields, `${path}: SO's fields as SO wrote them`);
      const all = labels as string[];
      assert.deepEqual(
        all.filter((l) => !l.startsWith("k8s-aai-sync/")),
        soLabels,
        "SO's labels untouched",
      );
      const name = `${so.kind}/${so.name}`;
      const verdict = all.find((l) => l.startsWith("k8s-aai-sync/readiness="));
      assert.ok(verdict, `${name} has readiness`);
      if (expected[name] !== "*") {
        assert.equal(
          verdict,
          `k8s-aai-sync/readiness=${expected[name] ?? "Ready"}`,
          `${name} readiness`,
        );
      }
      assert.equal(
        aai.state.edgesOf(path).length,
        2,
        `${path}: SO's edges stay`,
      );
    }
  }
  /** One change: SO rewrites, a pass sees it, a pass after the delay annotates. */
  async function change(step: number): Promise<number> {
    const runs = so.state.runs.length;
    plugin.state.setStep(step);
    await until(() => so.state.runs.length > runs);
    await so.state.idle();
    const before = total();
    await pass(); // sees the change: waits for SO
    assert.equal(total() - before, 0, "nothing while SO may still rewrite");
    await sleep(DELAY_MS + 50);
    await pass(); // reads and annotates
    const sent = total() - before;
    return sent;
  }

  try {
    // Instantiate: SO creates its objects and subscribes.
    const status = await fetch(`${so.url}/api/cnf-adapter/v1/aai-update/`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(REQUEST),
    });
    await status.body?.cancel();
    await so.state.idle();
    assert.equal(aai.state.pathsOf("k8s-resource").length, 3);
    await pass(); // places the instance (vf-module, generic-vnf), then waits
    assert.equal(mine()["PUT k8s-resource"] ?? 0, 0);
    await sleep(DELAY_MS + 50);
    await pass();
    await assertAnnotated({});
    assert.equal(mine()["PUT k8s-resource"], 3, "one annotate PUT per object");

    // Steady: zero requests.
    let before = total();
    await pass();
    await pass();
    assert.equal(total() - before, 0, "steady passes send nothing");

    // --verify reads A&AI: SO's objects already carry our labels, no write;
    // and the normal pass after it is steady again.
    const putsBefore = mine()["PUT k8s-resource"];
    const verify = await syncCli(
      ["--once", "--verify", "--config", configFile],
      env,
    );
    assert.equal(verify.code, 0, verify.stderr);
    assert.equal(mine()["PUT k8s-resource"], putsBefore, "verify: no PUT");
    before = total();
    await pass();
    assert.equal(total() - before, 0, "steady after --verify");

    // Crash-loop: SO rewrites all three (it compares labels), we put ours back.
    let sent = await change(1);
    await assertAnnotated({
      [`Pod/${ID}-web-5d8f7c6b9-aaaaa`]: "Failed",
      [`Deployment/${ID}-web`]: "*",
    });
    assert.equal(sent, 2 * 3, "one GET and one PUT per object SO rewrote");
    before = total();
    await pass();
    assert.equal(total() - before, 0, "steady after the crash-loop");

    // Recovery.
    sent = await change(2);
    await assertAnnotated({});
    assert.equal(sent, 2 * 3, "recovery: one GET and one PUT per object");

    // Scale: SO creates the new pod's object, we annotate it with the rest.
    sent = await change(3);
    await assertAnnotated({});
    assert.equal(sent, 2 * 4, "scale: one GET and one PUT per object");
    assert.equal(mine()["PUT k8s-resource"] !== undefined, true);
    assert.equal(
      Object.keys(mine()).filter((r) =>
        r.startsWith("PATCH") || r.startsWith("DELETE")
      ).length,
      0,
      "no PATCH or DELETE ever",
    );
    // SO's runs all succeeded: we never made its rewrite fail.
    assert.equal(so.state.counts.failedRuns, 0);

    // Delete: SO deletes its objects; our passes delete nothing SO owns.
    plugin.state.setStep(4);
    const del = await fetch(`${so.url}/api/cnf-adapter/v1/aai-delete/`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(REQUEST),
    });
    await del.body?.cancel();
    await so.state.idle();
    await pass();
    await pass();
    await pass();
    assert.equal(
      Object.keys(mine()).filter((r) => r.startsWith("DELETE")).length,
      0,
      "this tool deleted nothing",
    );
    const snapshot = JSON.parse(
      await Deno.readTextFile(`${dir}/state/snapshot.json`),
    );
    assert.equal(snapshot.instances[ID], undefined, "instance forgotten");
    void NS;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
