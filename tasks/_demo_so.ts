/**
 * The demo's second scenario (issue 13): the same `edgex-1` instance, but
 * instantiated through SO, whose CNF adapter (the SO simulator) writes the
 * `k8s-resource` objects with `data-owner: CnfAdapter`. This tool, with its
 * default policy (`owners: {CnfAdapter: annotate}`), adds its readiness
 * labels to SO's objects; a crash-loop makes SO rewrite them (dropping the
 * labels); the pass `soRewriteDelay` later puts them back. Every A&AI
 * request of both tools is printed, tagged `[SO]` or `[us]`.
 *
 * @module
 */

import type { AaiSimSeed } from "../sim/aai.ts";
import {
  type Scenario,
  type SoAaiRequest,
  startAai,
  startK8splugin,
  startSo,
} from "../sim/mod.ts";
import { makeConfig, runSync } from "../sync/mod.ts";
import { aaiClientFrom, k8spluginClientFrom } from "./_peers.ts";
import { shortPath } from "./_check_view.ts";

/** What the SO scenario prints through and returns. */
export interface SoDemoOptions {
  /** Receives each output line. */
  out: (line: string) => void;
  /** Bold text (the demo's painter). */
  bold: (text: string) => string;
  /** The demo scenario (its `rolled-out`, `crash-loop` and `recovered` steps). */
  scenario: Scenario;
}

const DELAY_MS = 45_000;

/** Runs the SO scenario; returns false when a pass failed. */
export async function runSoDemo(options: SoDemoOptions): Promise<boolean> {
  const { out, bold, scenario } = options;
  const stepOf = (name: string) => {
    const i = scenario.steps.findIndex((s) => s.name === name);
    if (i < 0) throw new Error(`The demo scenario has no step "${name}"`);
    return i;
  };
  const seed = structuredClone(scenario.aai ?? {}) as AaiSimSeed;
  const region = seed.cloudRegions?.[0];
  const tenant = region?.tenants?.[0];
  const vf = seed.vfModules?.[0];
  if (!region || !tenant || !vf) {
    out("(The SO scenario needs a region, a tenant and a vf-module.)");
    return true;
  }
  // SO instantiated it: the generic-vnf is placed in the tenant SO hashes.
  vf.placement = {
    cloudOwner: region.cloudOwner,
    cloudRegionId: region.cloudRegionId,
    tenantId: tenant.tenantId,
  };
  const request: SoAaiRequest = {
    instanceId: vf.heatStackId,
    cloudRegion: region.cloudRegionId,
    cloudOwner: region.cloudOwner,
    tenantId: tenant.tenantId,
    callbackUrl: null,
    genericVnfId: vf.vnfId,
    vfModuleId: vf.vfModuleId,
  };
  await using plugin = startK8splugin({
    scenario,
    // SO's notifications are sent by the demo when the cluster changes.
    subscriptionTiming: { firstCallDelayMs: 0, notifierStartMs: 86_400_000 },
  });
  await using aaiSim = await startAai({ seed });
  await using so = startSo({ aaiUrl: aaiSim.url, k8spluginUrl: plugin.url });
  const stateDir = await Deno.makeTempDir({ prefix: "k8s-aai-sync-demo-so-" });
  const config = makeConfig({
    k8splugin: { url: plugin.url },
    aai: { url: aaiSim.url },
    snapshot: `${stateDir}/snapshot.json`,
    soRewriteDelay: DELAY_MS,
  });
  const k8splugin = k8spluginClientFrom(config);
  const aai = aaiClientFrom(config);
  let ok = true;
  let seen = 0;
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${so.url}${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    await response.body?.cancel();
    await so.state.idle();
  };
  /** Prints the A&AI requests since the last call, both tools'. */
  function requests(): void {
    const log = aaiSim.state.requests.slice(seen);
    seen = aaiSim.state.requests.length;
    const mine = log.filter((r) => r.fromAppId === config.aai.appId).length;
    const theirs = log.filter((r) => r.fromAppId === "MSO").length;
    out(bold(`A&AI: ${theirs} request(s) from SO, ${mine} from us`));
    for (const r of log) {
      const who = r.fromAppId === "MSO" ? "[SO]" : "[us]";
      const path = shortPath(
        decodeURIComponent(r.url.replace(/^\/aai\/[^/]+/, "")),
      ).replace(/^\/network\/generic-vnfs/, "…").replace(
        /\/([0-9a-f]{8})-[0-9a-f-]{27}/g,
        "/$1…",
      );
      out(`  ${who} ${r.method.padEnd(6)} ${path}  ${r.status}`);
    }
  }
  /** The readiness labels A&AI holds on SO's objects. */
  function labels(): void {
    for (const path of aaiSim.state.pathsOf("k8s-resource").sort()) {
      const held = aaiSim.state.stored(path)!;
      const ours = (held.labels as string[] ?? []).filter((l) =>
        l.startsWith(config.labelPrefix)
      ).map((l) => l.slice(config.labelPrefix.length));
      out(
        `  ${String(held.kind)}/${String(held.name)} (data-owner ${
          String(held["data-owner"])
        }, data-source-version ${String(held["data-source-version"])}): ${
          ours.length ? ours.join(" ") : "no readiness labels"
        }`,
      );
    }
  }
  async function pass(title: string, at: number): Promise<void> {
    const now = new Date(at);
    out("");
    out(bold(`── SO · ${now.toISOString().replace(".000Z", "Z")} · ${title}`));
    const report = await runSync({ k8splugin, aai, now: () => now }, {
      config,
    });
    if (report.exitCode !== 0) {
      ok = false;
      for (const e of report.errors) out(`sync says: ${e}`);
    }
    requests();
  }
  try {
    out("");
    out(bold("Scenario 2: next to SO's CNF adapter"));
    out(
      `SO instantiated ${request.instanceId}: its CNF adapter writes the k8s-resource objects (data-owner CnfAdapter, data-source K8sPlugin) and rewrites them after every change.`,
    );
    out(
      `This tool's policy for CnfAdapter is "annotate": it adds only its readiness labels, ${
        DELAY_MS / 1000
      } s (soRewriteDelay) after a change, when SO has rewritten.`,
    );
    const rolledOut = stepOf("rolled-out");
    const t0 = Date.parse(scenario.steps[rolledOut]!.now);
    plugin.state.setStep(rolledOut);
    out("");
    out(bold("── SO · aai-update: SO creates its objects and subscribes"));
    await post("/api/cnf-adapter/v1/aai-update/", request);
    requests();
    await pass(
      "First pass: places the instance as SO does (vf-module → generic-vnf → tenant), waits for SO",
      t0,
    );
    await pass(
      `${DELAY_MS / 1000} s later: reads SO's objects once, merges readiness`,
      t0 + DELAY_MS,
    );
    labels();
    await pass("Nothing changed: no request", t0 + 2 * DELAY_MS);
    for (
      const [name, story] of [
        ["crash-loop", "A pod starts crash-looping"],
        ["recovered", "The pod recovered"],
      ] as const
    ) {
      const step = stepOf(name);
      const t = Date.parse(scenario.steps[step]!.now);
      plugin.state.setStep(step);
      out("");
      out(
        bold(
          `── SO · ${story}: k8splugin notifies SO, SO rewrites its objects`,
        ),
      );
      await post(
        `/api/cnf-adapter/v1/instance/${
          encodeURIComponent(request.instanceId)
        }/status/notify`,
        {
          "instance-id": request.instanceId,
          "subscription-name": `${request.instanceId}-cnf-adapter`,
          metadata: request,
          "resource-changes": {},
        },
      );
      requests();
      labels();
      await pass("The pass that sees the change: waits for SO", t);
      await pass(
        `${DELAY_MS / 1000} s later: one GET and one PUT per object SO rewrote`,
        t + DELAY_MS,
      );
      labels();
    }
    out("");
    out(
      "SO's fields (labels, data-source-version, selflink, edges) stay exactly as SO wrote them; this tool sends nothing while the instance does not change.",
    );
  } finally {
    k8splugin.close();
    aai.close();
    await Deno.remove(stateDir, { recursive: true }).catch(() => {});
  }
  return ok;
}
