/**
 * One measured pass of the benchmark: our `runSync` or the CNF adapter
 * baseline against already running simulators, with its wall time and peak
 * RSS. The harness runs it in a subprocess (`deno run bench/_pass.ts`, job as
 * JSON on stdin, result as JSON on stdout) so the memory figure is the sync
 * process's own, not the simulators' that serve it; tests call
 * {@linkcode runPass} in-process.
 *
 * Both algorithms are imported in either case, so the module footprint of
 * the process is the same for both.
 *
 * Permissions: `--allow-net` (loopback), `--allow-read`/`--allow-write`
 * (snapshot, subscriptions), `--allow-env`.
 *
 * @module
 */
import pLimit from "p-limit";
// From the adapter files, not adapters/mod.ts, like tasks/sync.ts: mod.ts
// re-exports the kube adapter, whose @kubernetes/client-node a sync process
// without cluster clients never loads.
import { HttpAaiClient, type VfModuleRef } from "../adapters/aai.ts";
import { HttpK8spluginClient } from "../adapters/k8splugin.ts";
import { makeConfig, runSync } from "../sync/mod.ts";
import { type BaselineWriteMode, runBaseline } from "./baseline.ts";

/** What one pass needs to know. */
export interface PassJob {
  /**
   * `floor` measures the transport floor: the k8splugin list plus every
   * instance's status read raw (body read, not parsed), at `concurrency`.
   */
  algorithm: "ours" | "baseline" | "floor";
  /** Which run this pass belongs to (names profiles). */
  label?: string;
  k8spluginUrl: string;
  aaiUrl: string;
  /** Where the pass keeps state between passes (our snapshot, the baseline's subscriptions). */
  stateDir: string;
  concurrency: number;
  /** The time of the scenario step (ISO), our clock for the rules. */
  now: string;
  cloudRegion: string;
  cloudOwner: string;
  tenantId: string;
  /** Baseline only: instance id → vnf/vf-module, as SO's requests carry them. */
  vfModules?: Record<string, VfModuleRef>;
  baselineWriteMode?: BaselineWriteMode;
  /** How often RSS is sampled (default 20 ms). */
  sampleIntervalMs?: number;
}

/** What one pass measured and did. */
export interface PassResult {
  wallMs: number;
  /**
   * Peak RSS of the pass: the sampled peak here; the harness replaces it with
   * the kernel's figure for the whole subprocess (`/usr/bin/time`) when it can.
   */
  peakRssBytes: number;
  /** Peak of `Deno.memoryUsage().rss` sampled every `sampleIntervalMs` during the pass. */
  sampledPeakRssBytes: number;
  /** Peak of the V8 heap in use (`heapUsed`), sampled likewise: tells retained objects from runtime overhead. */
  sampledPeakHeapBytes: number;
  /** `time`: the kernel's peak for the whole subprocess (`/usr/bin/time -f %M`); `sampled`: `Deno.memoryUsage().rss` every 20 ms. */
  rssSource: "time" | "sampled";
  /** Objects created, updated, adopted or deleted. */
  changedObjects: number;
  writes: Record<string, number>;
  deletesHeld: number;
  exitCode: number;
  errorCount: number;
  /** The first few errors. */
  errors: string[];
}

/** Samples `Deno.memoryUsage()` until stopped; returns the peaks of RSS and of the V8 heap in use. */
function sampleRss(
  intervalMs: number,
): { stop(): { rss: number; heap: number } } {
  let rss = 0;
  let heap = 0;
  function sample(): void {
    const usage = Deno.memoryUsage();
    rss = Math.max(rss, usage.rss);
    heap = Math.max(heap, usage.heapUsed);
  }
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { rss, heap };
    },
  };
}

/** Loads the baseline's subscriptions (instance ids handled before). */
async function loadSubscriptions(file: string): Promise<Set<string>> {
  try {
    return new Set(JSON.parse(await Deno.readTextFile(file)) as string[]);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return new Set();
    throw error;
  }
}

/**
 * Runs one pass and measures it. In-process (tests), the sampled RSS
 * includes the simulators'.
 */
export async function runPass(job: PassJob): Promise<PassResult> {
  const k8splugin = new HttpK8spluginClient({
    baseUrl: job.k8spluginUrl,
    peer: "k8splugin",
  });
  const aai = new HttpAaiClient({ baseUrl: job.aaiUrl, apiVersion: "v24" });
  const sampler = sampleRss(job.sampleIntervalMs ?? 20);
  const started = performance.now();
  let result: Omit<
    PassResult,
    | "wallMs"
    | "peakRssBytes"
    | "sampledPeakRssBytes"
    | "sampledPeakHeapBytes"
    | "rssSource"
  >;
  try {
    if (job.algorithm === "ours") {
      const config = makeConfig({
        k8splugin: { url: job.k8spluginUrl, concurrency: job.concurrency },
        aai: { url: job.aaiUrl, concurrency: job.concurrency },
        regions: {
          [job.cloudRegion]: {
            cloudOwner: job.cloudOwner,
            tenantId: job.tenantId,
          },
        },
        snapshot: `${job.stateDir}/snapshot.json`,
      });
      const now = new Date(job.now);
      const report = await runSync({ k8splugin, aai, now: () => now }, {
        config,
        recordOperations: false, // as `deno task sync` runs it
      });
      const w = report.writes;
      result = {
        changedObjects: w.create + w.update + w.delete + w.adopt,
        writes: { ...w },
        deletesHeld: report.deletesHeld,
        exitCode: report.exitCode,
        errorCount: report.errors.length,
        errors: report.errors.slice(0, 5),
      };
    } else if (job.algorithm === "floor") {
      const instances = await k8splugin.listInstances();
      const limit = pLimit(job.concurrency);
      await Promise.all(instances.map((instance) =>
        limit(async () => {
          const response = await fetch(
            `${job.k8spluginUrl}/v1/instance/${
              encodeURIComponent(instance.id)
            }/status`,
          );
          await response.arrayBuffer();
        })
      ));
      result = {
        changedObjects: 0,
        writes: {},
        deletesHeld: 0,
        exitCode: 0,
        errorCount: 0,
        errors: [],
      };
    } else {
      const file = `${job.stateDir}/subscriptions.json`;
      const report = await runBaseline({ k8splugin, aai }, {
        cloudOwner: job.cloudOwner,
        tenantId: job.tenantId,
        vfModules: new Map(Object.entries(job.vfModules ?? {})),
        subscriptions: await loadSubscriptions(file),
        concurrency: job.concurrency,
        writeMode: job.baselineWriteMode ?? "bulk",
      });
      await Deno.writeTextFile(
        file,
        JSON.stringify([...report.subscriptions]),
      );
      result = {
        changedObjects: report.changedObjects,
        writes: { ...report.writes, requests: report.writeRequests },
        deletesHeld: 0,
        exitCode: report.errors.length > 0 ? 1 : 0,
        errorCount: report.errors.length,
        errors: report.errors.slice(0, 5),
      };
    }
  } finally {
    k8splugin.close();
    aai.close();
  }
  const wallMs = performance.now() - started;
  const sampled = sampler.stop();
  return {
    wallMs: Math.round(wallMs),
    peakRssBytes: sampled.rss,
    sampledPeakRssBytes: sampled.rss,
    sampledPeakHeapBytes: sampled.heap,
    rssSource: "sampled",
    ...result,
  };
}

/** Subprocess entry: job JSON on stdin, result JSON on stdout. */
async function main(): Promise<void> {
  const text = await new Response(Deno.stdin.readable).text();
  const job = JSON.parse(text) as PassJob;
  const result = await runPass(job);
  console.log(JSON.stringify(result));
}

if (import.meta.main) await main();
