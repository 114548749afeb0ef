/**
 * The SO-managed variant of the benchmark (issue 13): the same generated
 * scenario, but every instance was instantiated through SO, whose CNF
 * adapter (the SO simulator, in-process, against the same simulators) owns
 * the `k8s-resource` objects. This tool runs with its default policy
 * (`owners: {CnfAdapter: annotate}`) and its passes are timed on the
 * scenario clock: the pass that sees a change, then one `soRewriteDelay`
 * later. Reported side by side: SO's own A&AI requests for the change and
 * this tool's extra requests, per change and per changed instance.
 *
 * SO's rerun on a k8splugin notification is triggered directly, through its
 * notify endpoint, for exactly the instances whose status changed between
 * the steps (what k8splugin's notifier would send), so the figures do not
 * depend on notifier timing.
 *
 * @module
 */

import pLimit from "p-limit";
import { HttpAaiClient, HttpK8spluginClient } from "../adapters/mod.ts";
import { type AaiSimSeed, startAai } from "../sim/aai.ts";
import { startK8splugin } from "../sim/k8splugin.ts";
import { parseScenario } from "../sim/scenario.ts";
import { type SoAaiRequest, startSo } from "../sim/so.ts";
import { makeConfig, runSync } from "../sync/mod.ts";
import { BENCH_PLACEMENT, generateScenario } from "./generate.ts";

/** Requests one writer sent to A&AI in one phase. */
export interface WriterRequests {
  /** All requests. */
  total: number;
  /** Reads (GET). */
  reads: number;
  /** Writes (PUT, PATCH, DELETE, POST), a bulk request counting once. */
  writes: number;
  /** Operations inside bulk requests (SO's writes). */
  bulkOperations: number;
}

/** One phase of the SO-managed run. */
export interface SoPhase {
  /** `instantiate`, `steady` or `churn`. */
  name: string;
  /** Instances SO (re)ran its update for. */
  instances: number;
  /** SO's CNF adapter's requests. */
  so: WriterRequests;
  /** This tool's requests over the phase's passes. */
  ours: WriterRequests;
  /** This tool's requests on the pass that first saw the change (expected 0 after instantiation). */
  oursOnSight: number;
  /** Objects this tool annotated (PUTs back of our readiness labels). */
  annotated: number;
  /** Wall time of this tool's passes, ms. */
  oursWallMs: number;
}

/** The SO-managed variant's result. */
export interface SoVariantResult {
  /** Scale. */
  scale: { instances: number; resourcesPerInstance: number };
  /** `soRewriteDelay` used, ms. */
  soRewriteDelayMs: number;
  /** This tool's policy for `CnfAdapter` in this run. */
  policy: "annotate" | "skip";
  /** Phases, in order. */
  phases: SoPhase[];
}

/** Options of {@linkcode runSoVariant}. */
export interface SoVariantOptions {
  /** k8splugin instances. */
  instances: number;
  /** Resources per instance, pods included. */
  resourcesPerInstance: number;
  /** Our A&AI and k8splugin concurrency (default 8). */
  concurrency?: number;
  /**
   * This tool's policy for `CnfAdapter` (default `annotate`); `skip` makes
   * the run a measure of SO alone (what SO sends when nobody annotates).
   */
  policy?: "annotate" | "skip";
  /** Progress lines. */
  progress?: (message: string) => void;
}

const SO_APP = "MSO";
const OURS_APP = "k8s-aai-sync";
const DELAY_MS = 45_000;

/** Runs the SO-managed variant on a fresh world and measures each phase. */
export async function runSoVariant(
  options: SoVariantOptions,
): Promise<SoVariantResult> {
  const progress = options.progress ?? (() => {});
  const concurrency = options.concurrency ?? 8;
  const generated = generateScenario({
    instances: options.instances,
    resourcesPerInstance: options.resourcesPerInstance,
  }).scenario;
  // SO-managed: every vf-module's generic-vnf is placed in the bench tenant.
  const aaiSeed = structuredClone(generated.aai) as AaiSimSeed;
  for (const m of aaiSeed.vfModules ?? []) {
    m.placement = {
      cloudOwner: BENCH_PLACEMENT.cloudOwner,
      cloudRegionId: BENCH_PLACEMENT.cloudRegion,
      tenantId: BENCH_PLACEMENT.tenantId,
    };
  }
  const scenario = parseScenario(generated, "generated bench scenario");
  const requests = new Map<string, SoAaiRequest>();
  for (const m of aaiSeed.vfModules ?? []) {
    requests.set(m.heatStackId, {
      instanceId: m.heatStackId,
      cloudRegion: BENCH_PLACEMENT.cloudRegion,
      cloudOwner: BENCH_PLACEMENT.cloudOwner,
      tenantId: BENCH_PLACEMENT.tenantId,
      callbackUrl: null,
      genericVnfId: m.vnfId,
      vfModuleId: m.vfModuleId,
    });
  }
  const plugin = await startK8splugin({
    scenario,
    // Notifications are sent by the harness (see the module doc).
    subscriptionTiming: { firstCallDelayMs: 0, notifierStartMs: 86_400_000 },
  });
  const aai = await startAai({ seed: aaiSeed });
  const so = startSo({ aaiUrl: aai.url, k8spluginUrl: plugin.url });
  const stateDir = await Deno.makeTempDir({ prefix: "bench-so-" });
  const config = makeConfig({
    k8splugin: { url: plugin.url, concurrency },
    aai: { url: aai.url, concurrency },
    snapshot: `${stateDir}/snapshot.json`,
    soRewriteDelay: DELAY_MS,
    owners: { CnfAdapter: options.policy ?? "annotate" },
  });
  const k8splugin = new HttpK8spluginClient({ baseUrl: plugin.url });
  const aaiClient = new HttpAaiClient({ baseUrl: aai.url });
  const limit = pLimit(concurrency);
  const count = (app: string): WriterRequests => {
    const c = aai.state.counts.byClient[app];
    const byRoute = c?.byRoute ?? {};
    let reads = 0;
    for (const [route, n] of Object.entries(byRoute)) {
      if (route.startsWith("GET ")) reads += n;
    }
    return {
      total: c?.total ?? 0,
      reads,
      writes: (c?.total ?? 0) - reads,
      bulkOperations: c?.bulkOperations ?? 0,
    };
  };
  let annotatedSoFar = 0;
  async function pass(at: number): Promise<number> {
    const now = new Date(at);
    const started = performance.now();
    const report = await runSync(
      { k8splugin, aai: aaiClient, now: () => now },
      { config, recordOperations: false },
    );
    if (report.exitCode !== 0) {
      throw new Error(
        `SO variant: a pass failed: ${report.errors.slice(0, 3).join("; ")}`,
      );
    }
    annotatedSoFar += report.writes.annotate;
    return performance.now() - started;
  }
  async function phase(
    name: string,
    instances: string[],
    trigger: (id: string) => Promise<void>,
    at: number,
    laterPasses: number,
  ): Promise<SoPhase> {
    aai.state.resetCounts();
    await Promise.all(instances.map((id) => limit(() => trigger(id))));
    await so.state.idle();
    const soRequests = count(SO_APP);
    const annotatedBefore = annotatedSoFar;
    let wall = await pass(at);
    const onSight = count(OURS_APP).total;
    for (let i = 1; i <= laterPasses; i++) {
      wall += await pass(at + i * DELAY_MS);
    }
    const result: SoPhase = {
      name,
      instances: instances.length,
      so: soRequests,
      ours: count(OURS_APP),
      oursOnSight: onSight,
      annotated: annotatedSoFar - annotatedBefore,
      oursWallMs: Math.round(wall),
    };
    progress(
      `so-managed (${
        options.policy ?? "annotate"
      }) ${name}: ${result.instances} instances; SO ${result.so.total} requests (${result.so.bulkOperations} bulk operations); ours ${result.ours.total} (${result.ours.reads} GET, ${result.ours.writes} writes, ${result.oursOnSight} on sight), ${result.annotated} annotated, ${result.oursWallMs} ms`,
    );
    return result;
  }
  const post = async (url: string, body: unknown) => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    await response.body?.cancel();
  };
  try {
    const ids = [...requests.keys()];
    const t0 = Date.parse(scenario.steps[0]!.now);
    const phases: SoPhase[] = [];
    plugin.state.setStep(0);
    phases.push(
      await phase(
        "instantiate",
        ids,
        (id) =>
          post(`${so.url}/api/cnf-adapter/v1/aai-update/`, requests.get(id)),
        t0,
        1,
      ),
    );
    phases.push(
      await phase("steady", [], () => Promise.resolve(), t0 + 3 * DELAY_MS, 1),
    );
    // Churn: SO reruns for exactly the instances whose status changed.
    // (The generated steps share unchanged instances by reference.)
    const before = new Map(
      generated.steps[0]!.instances.map((i) => [i.id, i]),
    );
    const changed = generated.steps[1]!.instances.filter((i) =>
      before.get(i.id) !== i && requests.has(i.id)
    ).map((i) => i.id);
    plugin.state.setStep(1);
    const t1 = Math.max(Date.parse(scenario.steps[1]!.now), t0 + 5 * DELAY_MS);
    phases.push(
      await phase(
        "churn",
        changed,
        (id) =>
          post(
            `${so.url}/api/cnf-adapter/v1/instance/${
              encodeURIComponent(id)
            }/status/notify`,
            {
              "instance-id": id,
              "subscription-name": `${id}-cnf-adapter`,
              metadata: requests.get(id),
              "resource-changes": {},
            },
          ),
        t1,
        1,
      ),
    );
    return {
      scale: {
        instances: options.instances,
        resourcesPerInstance: options.resourcesPerInstance,
      },
      soRewriteDelayMs: DELAY_MS,
      policy: options.policy ?? "annotate",
      phases,
    };
  } finally {
    k8splugin.close();
    await so.close();
    await plugin.close();
    await aai.close();
    await Deno.remove(stateDir, { recursive: true }).catch(() => {});
  }
}

/**
 * The SO-managed variant as text lines for the bench report; with `alone`
 * (the same run with policy `skip`), SO's own requests when nobody
 * annotates, so the extra rewrites our labels cause SO are shown too.
 */
export function formatSoVariant(
  result: SoVariantResult,
  alone?: SoVariantResult,
): string[] {
  const lines = [
    `SO-managed variant (${result.scale.instances} instances × ${result.scale.resourcesPerInstance} resources, owners CnfAdapter: annotate, soRewriteDelay ${
      result.soRewriteDelayMs / 1000
    } s)`,
    "  phase        instances  SO requests (bulk ops)  our requests (GET/write)  on sight  annotated  per instance: SO / ours",
  ];
  for (const p of result.phases) {
    const per = (n: number) => p.instances ? (n / p.instances).toFixed(1) : "-";
    lines.push(
      `  ${p.name.padEnd(12)} ${String(p.instances).padStart(9)}  ${
        `${p.so.total} (${p.so.bulkOperations})`.padStart(22)
      }  ${
        `${p.ours.total} (${p.ours.reads}/${p.ours.writes})`.padStart(24)
      }  ${String(p.oursOnSight).padStart(8)}  ${
        String(p.annotated).padStart(9)
      }  ${per(p.so.total)} / ${per(p.ours.total)}`,
    );
  }
  const churn = result.phases.find((p) => p.name === "churn");
  const soAlone = alone?.phases.find((p) => p.name === "churn");
  if (churn && soAlone) {
    lines.push(
      `  SO alone (policy skip) for the same churn: ${soAlone.so.total} requests (${soAlone.so.bulkOperations} bulk operations); with our labels SO sends ${churn.so.total} (${churn.so.bulkOperations}): it rewrites every object of a changed instance`,
    );
  }
  return lines;
}
