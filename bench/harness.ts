/**
 * The benchmark harness (issue #7): generates the scenario, starts a
 * k8splugin and an A&AI simulator per algorithm (ours and the CNF adapter
 * baseline, so the two never see each other's objects) with injected
 * per-request latency, and runs the passes cold → steady → churn → delete,
 * counting requests at the simulators.
 *
 * Memory: each pass runs in its own subprocess (`bench/_pass.ts`) while the
 * simulators stay in this process, so the peak RSS reported is the sync
 * process's own — the simulators hold the whole scenario and every A&AI
 * object, which would otherwise dwarf the figure. The subprocess runs under
 * GNU `time -f %M`: the kernel's peak RSS of that process, runtime start-up
 * and module loading included, as a real `deno task sync` process pays them
 * (without GNU time: the peak of `Deno.memoryUsage().rss` sampled every
 * 20 ms during the pass). Wall time is measured inside the child around the
 * pass alone (no process start-up).
 *
 * Permissions: `--allow-net`, `--allow-read`, `--allow-write` (temporary
 * state directories), `--allow-env`, `--allow-run` (subprocesses).
 *
 * @module
 */
import { runSoVariant, type SoVariantResult } from "./so.ts";
import {
  type InjectedLatency,
  parseScenario,
  resetInjectedLatency,
  type Scenario,
  startAai,
  startK8splugin,
} from "../sim/mod.ts";
import {
  BENCH_PLACEMENT,
  DEFAULT_SCALE,
  generateScenario,
  type ScenarioStats,
} from "./generate.ts";
import type { BaselineWriteMode } from "./baseline.ts";
import { type PassJob, type PassResult, runPass } from "./_pass.ts";
import denoJson from "../deno.json" with { type: "json" };

/** The four runs every algorithm goes through. */
export type RunName = "cold" | "steady" | "churn" | "delete";

/** The run names in order. */
export const RUN_NAMES: readonly RunName[] = [
  "cold",
  "steady",
  "churn",
  "delete",
];

/** A&AI requests by method. */
export interface AaiRequestsByMethod {
  GET: number;
  PUT: number;
  PATCH: number;
  DELETE: number;
  POST: number;
}

/** The figures of one run (the JSON document's `runs.<name>`). */
export interface RunFigures {
  wallMs: number;
  k8spluginRequests: number;
  aaiRequests: AaiRequestsByMethod;
  changedObjects: number;
  peakRssBytes: number;
  /**
   * Mean latency the simulators actually injected per request during the
   * pass, in ms (`null` without requests): shows the asked-for latency held.
   */
  injectedLatencyMs?: { k8splugin: number | null; aai: number | null };
}

/** Figures of one pass with what the pass reported. */
export interface PassFigures extends RunFigures {
  pass: PassResult;
}

/** The results of one algorithm at one scale. */
export interface AlgorithmResult {
  runs: Record<RunName, PassFigures>;
  /**
   * The transport floor of the steady run on this machine: the k8splugin
   * list and every status read raw at the same concurrency, nothing else
   * (ours only).
   */
  floor?: PassFigures;
  /** Every pass of the delete run (ours needs `deleteAfterMisses` passes). */
  deletePasses: PassFigures[];
  /** The delete run's passes summed (wall, requests, changes; peak RSS is the max). */
  deleteTotal: RunFigures;
}

/** Knobs of {@linkcode runBench}. */
export interface BenchOptions {
  instances?: number;
  resourcesPerInstance?: number;
  /** Latency added to every k8splugin request (default 5 ms). */
  k8spluginLatencyMs?: number;
  /** Latency added to every A&AI request (default 10 ms). */
  aaiLatencyMs?: number;
  /** Concurrency of k8splugin reads and A&AI writes, ours and the baseline's (default 8, the config default). */
  concurrency?: number;
  /** `subprocess` (default: honest RSS) or `in-process` (tests; RSS includes the simulators). */
  isolation?: "subprocess" | "in-process";
  /** Skip the baseline (its runs are then absent). */
  baseline?: boolean;
  baselineWriteMode?: BaselineWriteMode;
  /**
   * A second number of instances for our cold and steady runs, to show how
   * time and memory grow (default half of `instances`; 0 skips it).
   */
  secondScale?: number;
  /** Passes of the delete run before giving up (default 3: `deleteAfterMisses` 2 + 1). */
  maxDeletePasses?: number;
  /** Write a V8 CPU profile of every subprocess pass into this directory (`--cpu-prof`). */
  profileDir?: string;
  /**
   * More V8 flags for every subprocess pass, comma-separated, after those of
   * `deno task sync` (always applied: a pass runs as the sync task does),
   * e.g. `--max-old-space-size=160,--heap-snapshot-on-oom` to see whether a
   * pass fits a heap limit and what fills it.
   */
  v8Flags?: string;
  /**
   * Run the SO-managed variant too (issue 13: SO's CNF adapter owns the
   * objects, this tool annotates them; default true; see bench/so.ts).
   */
  so?: boolean;
  /** Progress messages (stderr in the CLI). */
  progress?: (message: string) => void;
}

/** Everything the benchmark measured. */
export interface BenchResult {
  scale: { instances: number; resourcesPerInstance: number };
  settings: {
    k8spluginLatencyMs: number;
    aaiLatencyMs: number;
    concurrency: number;
    isolation: "subprocess" | "in-process";
    baselineWriteMode: BaselineWriteMode;
  };
  stats: ScenarioStats;
  /** The machine: CPUs and load averages (1 min) when the bench started and ended; timings are only comparable on a quiet machine. */
  environment: { cpus: number; loadStart: number; loadEnd: number };
  ours: AlgorithmResult;
  baseline?: AlgorithmResult;
  /** Our cold and steady runs at the second scale. */
  second?: {
    scale: { instances: number; resourcesPerInstance: number };
    runs: Pick<Record<RunName, PassFigures>, "cold" | "steady">;
  };
  /** The SO-managed variant: SO's requests per change next to ours. */
  so?: SoVariantResult;
  /** The same with policy `skip`: SO's requests when nobody annotates. */
  soAlone?: SoVariantResult;
}

/** The A&AI simulator's seed type (the scenario's `aai` block). */
type AaiSimSeed = NonNullable<
  NonNullable<Parameters<typeof startAai>[0]>["seed"]
>;

/** The simulators one algorithm runs against. */
interface World {
  k8splugin: Awaited<ReturnType<typeof startK8splugin>>;
  aai: Awaited<ReturnType<typeof startAai>>;
  stateDir: string;
}

/** Total requests the k8splugin simulator has counted (tolerant of its counter's shape). */
function k8spluginCount(world: World): number {
  const requests = (world.k8splugin.state as { requests?: unknown }).requests;
  if (typeof requests === "number") return requests;
  if (requests && typeof requests === "object") {
    const total = (requests as { total?: unknown }).total;
    if (typeof total === "number") return total;
    return Object.values(requests as Record<string, unknown>)
      .filter((v): v is number => typeof v === "number")
      .reduce((a, b) => a + b, 0);
  }
  return 0;
}

/** A copy of the A&AI simulator's counts by method. */
function aaiCounts(world: World): AaiRequestsByMethod {
  const m = world.aai.state.counts.byMethod;
  return {
    GET: m.GET,
    PUT: m.PUT,
    PATCH: m.PATCH,
    DELETE: m.DELETE,
    POST: m.POST,
  };
}

/** Starts a k8splugin and an A&AI simulator on the scenario, with latency. */
async function startWorld(
  scenario: Scenario,
  k8spluginLatencyMs: number,
  aaiLatencyMs: number,
): Promise<World> {
  const k8splugin = await startK8splugin({
    scenario,
    faults: { latencyMs: k8spluginLatencyMs },
  });
  const aai = await startAai({
    ...(scenario.aai ? { seed: scenario.aai as AaiSimSeed } : {}),
    faults: { latencyMs: aaiLatencyMs },
  });
  const stateDir = await Deno.makeTempDir({ prefix: "k8s-aai-sync-bench-" });
  return { k8splugin, aai, stateDir };
}

/** Stops a world's simulators and removes its state. */
async function stopWorld(world: World): Promise<void> {
  await world.k8splugin.close();
  await world.aai.close();
  await Deno.remove(world.stateDir, { recursive: true }).catch(() => {});
}

/**
 * The V8 flags `deno task sync` runs with (deno.json), so a measured pass
 * runs the way operators run the sync.
 */
const SYNC_TASK_V8_FLAGS: readonly string[] =
  /--v8-flags=(\S+)/.exec(denoJson.tasks.sync)?.[1]?.split(",") ?? [];

/** `/usr/bin/time` (GNU time), when installed. */
const GNU_TIME = "/usr/bin/time";

/** Whether GNU time is available to measure a subprocess's peak RSS. */
async function hasGnuTime(): Promise<boolean> {
  try {
    return (await Deno.stat(GNU_TIME)).isFile;
  } catch {
    return false;
  }
}

/**
 * Runs a job in a fresh `deno` subprocess and parses its result. Under GNU
 * `time -f %M` the peak RSS is the kernel's figure for that process alone:
 * `getrusage`'s `ru_maxrss` read inside a child spawned directly by this
 * (large) process would include this process's RSS, because Linux carries
 * the high-water mark over `fork` + `exec`; GNU time's own small fork does
 * not.
 */
async function runPassInSubprocess(
  job: PassJob,
  profileDir: string | undefined,
  v8Flags: string | undefined,
): Promise<PassResult> {
  const root = new URL("../", import.meta.url);
  const timeFile = `${job.stateDir}/maxrss-${job.label ?? "pass"}.txt`;
  const timed = await hasGnuTime();
  const flags = [...SYNC_TASK_V8_FLAGS, ...(v8Flags ? [v8Flags] : [])];
  const denoArgs = [
    "run",
    "--quiet",
    "--config",
    new URL("deno.json", root).pathname,
    "--allow-net",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-sys",
    ...(flags.length ? [`--v8-flags=${flags.join(",")}`] : []),
    ...(profileDir
      ? [
        "--cpu-prof",
        `--cpu-prof-dir=${profileDir}`,
        `--cpu-prof-name=${job.algorithm}-${job.label ?? "pass"}.cpuprofile`,
      ]
      : []),
    new URL("bench/_pass.ts", root).pathname,
  ];
  const command = new Deno.Command(timed ? GNU_TIME : Deno.execPath(), {
    args: timed
      ? ["-f", "%M", "-o", timeFile, Deno.execPath(), ...denoArgs]
      : denoArgs,
    cwd: root.pathname,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const child = command.spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(job)));
  await writer.close();
  const output = await child.output();
  const stdout = new TextDecoder().decode(output.stdout).trim();
  const last = stdout.split("\n").pop() ?? "";
  if (!output.success || !last.startsWith("{")) {
    const stderr = new TextDecoder().decode(output.stderr).trim();
    throw new Error(
      `Cannot run a ${job.algorithm} pass in a subprocess: exit code ${output.code}: ${
        stderr.slice(-2000) || stdout.slice(-2000)
      }`,
    );
  }
  const result = JSON.parse(last) as PassResult;
  if (timed) {
    const kib = Number(
      (await Deno.readTextFile(timeFile)).trim().split("\n").pop(),
    );
    if (Number.isFinite(kib) && kib > 0) {
      // The kernel's per-thread RSS counters lag by a few pages: never report
      // less than what the process saw itself.
      result.peakRssBytes = Math.max(kib * 1024, result.sampledPeakRssBytes);
      result.rssSource = "time";
    }
  }
  return result;
}

/** Everything a pass needs besides the world. */
interface PassContext {
  algorithm: "ours" | "baseline" | "floor";
  options: Required<
    Pick<
      BenchOptions,
      "concurrency" | "isolation" | "baselineWriteMode"
    >
  >;
  profileDir?: string;
  v8Flags?: string;
  vfModules: Record<string, { vnfId: string; vfModuleId: string }>;
}

/** Runs one pass against a world at a scenario step and counts its requests. */
async function measure(
  world: World,
  scenario: Scenario,
  step: number,
  context: PassContext,
  label: string,
): Promise<PassFigures> {
  (world.k8splugin.state as unknown as { setStep(n: number): void }).setStep(
    step,
  );
  const k8sBefore = k8spluginCount(world);
  const k8sLatency = world.k8splugin.state.injectedLatency;
  resetInjectedLatency(k8sLatency);
  world.aai.state.resetCounts();
  const job: PassJob = {
    algorithm: context.algorithm,
    label,
    k8spluginUrl: world.k8splugin.url,
    aaiUrl: world.aai.url,
    stateDir: world.stateDir,
    concurrency: context.options.concurrency,
    now: scenario.steps[step]!.now,
    cloudRegion: BENCH_PLACEMENT.cloudRegion,
    cloudOwner: BENCH_PLACEMENT.cloudOwner,
    tenantId: BENCH_PLACEMENT.tenantId,
    baselineWriteMode: context.options.baselineWriteMode,
    ...(context.algorithm === "baseline"
      ? { vfModules: context.vfModules }
      : {}),
  };
  const pass = context.options.isolation === "subprocess"
    ? await runPassInSubprocess(job, context.profileDir, context.v8Flags)
    : await runPass(job);
  return {
    wallMs: pass.wallMs,
    k8spluginRequests: k8spluginCount(world) - k8sBefore,
    aaiRequests: aaiCounts(world),
    changedObjects: pass.changedObjects,
    peakRssBytes: pass.peakRssBytes,
    injectedLatencyMs: {
      k8splugin: meanLatency(k8sLatency),
      aai: meanLatency(world.aai.state.injectedLatency),
    },
    pass,
  };
}

/** Mean injected latency in ms, rounded to 0.01 (`null` without requests). */
function meanLatency(injected: InjectedLatency): number | null {
  return injected.requests
    ? Math.round(injected.totalMs / injected.requests * 100) / 100
    : null;
}

/** Sums the figures of several passes (peak RSS: the maximum). */
function total(passes: readonly RunFigures[]): RunFigures {
  const sum: RunFigures = {
    wallMs: 0,
    k8spluginRequests: 0,
    aaiRequests: { GET: 0, PUT: 0, PATCH: 0, DELETE: 0, POST: 0 },
    changedObjects: 0,
    peakRssBytes: 0,
  };
  for (const p of passes) {
    sum.wallMs += p.wallMs;
    sum.k8spluginRequests += p.k8spluginRequests;
    for (
      const m of Object.keys(sum.aaiRequests) as (keyof AaiRequestsByMethod)[]
    ) {
      sum.aaiRequests[m] += p.aaiRequests[m];
    }
    sum.changedObjects += p.changedObjects;
    sum.peakRssBytes = Math.max(sum.peakRssBytes, p.peakRssBytes);
  }
  return sum;
}

/** Runs cold, steady, churn and delete for one algorithm on a fresh world. */
async function runAlgorithm(
  scenario: Scenario,
  latency: { k8splugin: number; aai: number },
  context: PassContext,
  maxDeletePasses: number,
  progress: (message: string) => void,
): Promise<AlgorithmResult> {
  const world = await startWorld(scenario, latency.k8splugin, latency.aai);
  try {
    const say = (run: string, f: PassFigures) =>
      progress(
        `${context.algorithm} ${run}: ${f.wallMs} ms, k8splugin ${f.k8spluginRequests}, A&AI ${
          JSON.stringify(f.aaiRequests)
        }, changed ${f.changedObjects}, injected latency ${f.injectedLatencyMs?.k8splugin}/${f.injectedLatencyMs?.aai} ms, peak RSS ${
          (f.peakRssBytes / 1048576).toFixed(0)
        } MiB (heap ${(f.pass.sampledPeakHeapBytes / 1048576).toFixed(0)} MiB)${
          f.pass.errorCount
            ? `, ${f.pass.errorCount} errors: ${f.pass.errors[0]}`
            : ""
        }`,
      );
    const cold = await measure(world, scenario, 0, context, "cold");
    say("cold", cold);
    const steady = await measure(world, scenario, 0, context, "steady");
    say("steady", steady);
    const floor = context.algorithm === "ours"
      ? await measure(
        world,
        scenario,
        0,
        { ...context, algorithm: "floor" },
        "floor",
      )
      : undefined;
    if (floor) say("transport floor (steady)", floor);
    const churn = await measure(world, scenario, 1, context, "churn");
    say("churn", churn);
    const deletePasses: PassFigures[] = [];
    let deleting: PassFigures | undefined;
    for (let i = 0; i < maxDeletePasses; i++) {
      const pass = await measure(
        world,
        scenario,
        2,
        context,
        `delete-${i + 1}`,
      );
      deletePasses.push(pass);
      say(`delete pass ${i + 1}`, pass);
      if (pass.aaiRequests.DELETE > 0 || pass.pass.writes.delete! > 0) {
        deleting = pass;
        break;
      }
      if (pass.pass.deletesHeld > 0) break;
    }
    return {
      runs: {
        cold,
        steady,
        churn,
        delete: deleting ?? deletePasses[deletePasses.length - 1]!,
      },
      ...(floor ? { floor } : {}),
      deletePasses,
      deleteTotal: total(deletePasses),
    };
  } finally {
    await stopWorld(world);
  }
}

/** The vf-modules of a scenario keyed by instance id (what SO's requests carry). */
function vfModulesOf(
  scenario: Scenario,
): Record<string, { vnfId: string; vfModuleId: string }> {
  const out: Record<string, { vnfId: string; vfModuleId: string }> = {};
  for (const m of scenario.aai?.vfModules ?? []) {
    out[m.heatStackId] = { vnfId: m.vnfId, vfModuleId: m.vfModuleId };
  }
  return out;
}

/** The 1-minute load average (0 when the platform does not tell). */
function loadAverage(): number {
  try {
    return Deno.loadavg()[0] ?? 0;
  } catch {
    return 0;
  }
}

/** Generates and validates a scenario at a scale. */
function scenarioAt(
  instances: number,
  resourcesPerInstance: number,
): { scenario: Scenario; stats: ScenarioStats } {
  const generated = generateScenario({ instances, resourcesPerInstance });
  return {
    scenario: parseScenario(generated.scenario, "generated bench scenario"),
    stats: generated.stats,
  };
}

/**
 * Runs the whole benchmark: ours and (unless disabled) the baseline through
 * cold, steady, churn and delete, plus our cold and steady runs at a second
 * scale.
 *
 * @example
 * ```ts ignore
 * const result = await runBench({ instances: 100, resourcesPerInstance: 15 });
 * console.log(result.ours.runs.steady.aaiRequests);
 * ```
 */
export async function runBench(
  options: BenchOptions = {},
): Promise<BenchResult> {
  const instances = options.instances ?? DEFAULT_SCALE.instances;
  const resourcesPerInstance = options.resourcesPerInstance ??
    DEFAULT_SCALE.resourcesPerInstance;
  const latency = {
    k8splugin: options.k8spluginLatencyMs ?? 5,
    aai: options.aaiLatencyMs ?? 10,
  };
  const settings: BenchResult["settings"] = {
    k8spluginLatencyMs: latency.k8splugin,
    aaiLatencyMs: latency.aai,
    concurrency: options.concurrency ?? 8,
    isolation: options.isolation ?? "subprocess",
    baselineWriteMode: options.baselineWriteMode ?? "bulk",
  };
  const progress = options.progress ?? (() => {});
  const loadStart = loadAverage();
  const maxDeletePasses = options.maxDeletePasses ?? 3;
  progress(
    `Generating ${instances} instances × ${resourcesPerInstance} resources`,
  );
  const { scenario, stats } = scenarioAt(instances, resourcesPerInstance);
  const base: Omit<PassContext, "algorithm"> = {
    options: settings,
    ...(options.profileDir ? { profileDir: options.profileDir } : {}),
    ...(options.v8Flags ? { v8Flags: options.v8Flags } : {}),
    vfModules: vfModulesOf(scenario),
  };
  const ours = await runAlgorithm(
    scenario,
    latency,
    { ...base, algorithm: "ours" },
    maxDeletePasses,
    progress,
  );
  const baseline = options.baseline === false ? undefined : await runAlgorithm(
    scenario,
    latency,
    { ...base, algorithm: "baseline" },
    maxDeletePasses,
    progress,
  );
  const result: BenchResult = {
    scale: { instances, resourcesPerInstance },
    settings,
    stats,
    environment: {
      cpus: navigator.hardwareConcurrency,
      loadStart,
      loadEnd: loadStart,
    },
    ours,
    ...(baseline ? { baseline } : {}),
  };
  const secondInstances = options.secondScale ?? Math.floor(instances / 2);
  if (secondInstances > 0 && secondInstances !== instances) {
    progress(
      `Second scale: ${secondInstances} instances (ours, cold and steady)`,
    );
    const second = scenarioAt(secondInstances, resourcesPerInstance);
    const world = await startWorld(
      second.scenario,
      latency.k8splugin,
      latency.aai,
    );
    try {
      const context: PassContext = {
        ...base,
        vfModules: {},
        algorithm: "ours",
      };
      const cold = await measure(
        world,
        second.scenario,
        0,
        context,
        "second-cold",
      );
      const steady = await measure(
        world,
        second.scenario,
        0,
        context,
        "second-steady",
      );
      progress(
        `ours at ${secondInstances}: cold ${cold.wallMs} ms, steady ${steady.wallMs} ms`,
      );
      result.second = {
        scale: { instances: secondInstances, resourcesPerInstance },
        runs: { cold, steady },
      };
    } finally {
      await stopWorld(world);
    }
  }
  if (options.so !== false) {
    progress("SO-managed variant: SO's CNF adapter owns the objects");
    const so = {
      instances,
      resourcesPerInstance,
      concurrency: settings.concurrency,
      progress,
    };
    result.so = await runSoVariant(so);
    result.soAlone = await runSoVariant({ ...so, policy: "skip" });
  }
  result.environment.loadEnd = loadAverage();
  return result;
}
