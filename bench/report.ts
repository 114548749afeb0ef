/**
 * What the benchmark prints: the performance targets checked against the
 * figures, the JSON document (`--json`) and the table.
 *
 * @module
 */
import { formatSoVariant, type SoVariantResult } from "./so.ts";
import Table from "cli-table3";
import { styleText } from "node:util";
import {
  type AaiRequestsByMethod,
  type BenchResult,
  RUN_NAMES,
  type RunFigures,
  type RunName,
} from "./harness.ts";
import { DEFAULT_SCALE } from "./generate.ts";

/** One target of issue #7 and whether the measured figures meet it. */
export interface TargetResult {
  name: string;
  /** `undefined`: could not be checked at this setting (e.g. no baseline, one scale). */
  pass: boolean | undefined;
  /** The measured figures against the target. */
  detail: string;
}

/** The JSON document `deno task bench --json` prints. */
export interface BenchDocument {
  scale: { instances: number; resourcesPerInstance: number };
  runs: Record<RunName, RunFigures>;
  baseline?: Record<RunName, RunFigures>;
  settings: BenchResult["settings"];
  environment: BenchResult["environment"];
  /** What the generated scenario changes in each step. */
  scenario: BenchResult["stats"];
  /** The delete run: every pass and their sum, ours and the baseline's. */
  /** Steady run's transport floor measured on this machine (list + raw status reads). */
  transportFloor?: RunFigures;
  deleteRun: {
    ours: { passes: RunFigures[]; total: RunFigures };
    baseline?: { passes: RunFigures[]; total: RunFigures };
  };
  secondScale?: {
    scale: { instances: number; resourcesPerInstance: number };
    runs: { cold: RunFigures; steady: RunFigures };
  };
  targets: TargetResult[];
  /** The SO-managed variant (bench/so.ts). */
  soManaged?: SoVariantResult;
  /** The same with policy `skip`: SO alone. */
  soAlone?: SoVariantResult;
}

const MIB = 1024 * 1024;

/** All A&AI requests of a run. */
export function aaiTotal(r: AaiRequestsByMethod): number {
  return r.GET + r.PUT + r.PATCH + r.DELETE + r.POST;
}

/** A&AI write requests of a run. */
function aaiWrites(r: AaiRequestsByMethod): number {
  return r.PUT + r.PATCH + r.DELETE + r.POST;
}

/** Only the figures of the JSON shape (no pass details). */
function figures(f: RunFigures): RunFigures {
  return {
    wallMs: f.wallMs,
    k8spluginRequests: f.k8spluginRequests,
    aaiRequests: { ...f.aaiRequests },
    changedObjects: f.changedObjects,
    peakRssBytes: f.peakRssBytes,
  };
}

/** Whether a run was smaller than the scale the targets are set for. */
export function belowTargetScale(result: BenchResult): boolean {
  return result.scale.instances < DEFAULT_SCALE.instances ||
    result.scale.resourcesPerInstance < DEFAULT_SCALE.resourcesPerInstance;
}

/**
 * The stderr line for targets that failed: "MISSED" at the targets' scale,
 * "not met at this scale" below it (a small run's timings are mostly noise).
 */
export function missedLine(
  result: BenchResult,
  targets: TargetResult[],
): string | undefined {
  const missed = targets.filter((t) => t.pass === false);
  if (missed.length === 0) return undefined;
  const names = missed.map((t) => t.name).join("; ");
  return belowTargetScale(result)
    ? `bench: ${missed.length} target(s) not met at ${result.scale.instances} instances, below the ${DEFAULT_SCALE.instances} they are set for: ${names}`
    : `bench: ${missed.length} target(s) MISSED: ${names}`;
}

/** Checks the performance targets against a benchmark result. */
export function checkTargets(result: BenchResult): TargetResult[] {
  const { ours, baseline, stats, settings, scale } = result;
  const steady = ours.runs.steady;
  const churn = ours.runs.churn;
  const targets: TargetResult[] = [];
  const steadyAai = aaiTotal(steady.aaiRequests);
  targets.push({
    name: "steady: 0 A&AI requests",
    pass: steadyAai === 0,
    detail: `${steadyAai} A&AI requests ${JSON.stringify(steady.aaiRequests)}`,
  });
  targets.push({
    name: "steady: k8splugin requests = 1 + instances",
    pass: steady.k8spluginRequests === 1 + scale.instances,
    detail: `${steady.k8spluginRequests} (floor ${1 + scale.instances})`,
  });
  const writes = aaiWrites(churn.aaiRequests);
  const expected = stats.churn.changedObjects;
  targets.push({
    name: "churn: A&AI writes = changed objects",
    pass: writes === expected && churn.changedObjects === expected,
    detail:
      `${writes} write requests, ${churn.changedObjects} objects changed; the scenario changes ${expected} (${stats.churn.verdictChanges} verdicts + ${stats.churn.podsReplaced} replaced pods × 2)`,
  });
  targets.push({
    // One GET per write to an existing object: the pre-write guard before a
    // PATCH or relationship PUT, the resource-version before a DELETE.
    name: "churn: GETs only for the pre-write guard and deletes",
    pass: churn.aaiRequests.GET <=
      churn.aaiRequests.DELETE + churn.aaiRequests.PATCH +
        churn.aaiRequests.PUT,
    detail:
      `${churn.aaiRequests.GET} GETs for ${churn.aaiRequests.PATCH} PATCHes, ${churn.aaiRequests.DELETE} DELETEs and ${churn.aaiRequests.PUT} PUTs`,
  });
  const floor = scale.instances * settings.k8spluginLatencyMs /
    settings.concurrency;
  const injected = steady.injectedLatencyMs?.k8splugin;
  const transport =
    (ours.floor
      ? `; measured transport floor on this machine ${ours.floor.wallMs} ms (list + raw status reads, nothing parsed)`
      : "") +
    (injected ? `; k8splugin latency as injected: mean ${injected} ms` : "");
  targets.push({
    name: "steady: wall time ≤ 1.5 × k8splugin floor",
    pass: floor > 0 ? steady.wallMs <= 1.5 * floor : undefined,
    detail: `${steady.wallMs} ms; floor ${
      Math.round(floor)
    } ms (${scale.instances} × ${settings.k8spluginLatencyMs} ms ÷ ${settings.concurrency}), limit ${
      Math.round(1.5 * floor)
    } ms${transport}`,
  });
  const peak = Math.max(...RUN_NAMES.map((n) => ours.runs[n].peakRssBytes));
  const isDefault = scale.instances >= DEFAULT_SCALE.instances &&
    scale.resourcesPerInstance >= DEFAULT_SCALE.resourcesPerInstance;
  targets.push({
    name: "peak RSS < 256 MiB at the default scale",
    pass: settings.isolation === "subprocess" && isDefault
      ? peak < 256 * MIB
      : undefined,
    detail: `${
      (peak / MIB).toFixed(1)
    } MiB at ${scale.instances} × ${scale.resourcesPerInstance}${
      settings.isolation === "subprocess"
        ? ""
        : " (in-process: includes the simulators)"
    }${isDefault ? "" : " (not the default scale: not checked)"}`,
  });
  if (result.second) {
    const n1 = result.second.scale.instances;
    const n2 = scale.instances;
    const ratio = n2 / n1;
    const parts: string[] = [];
    let ok = true;
    for (const run of ["cold", "steady"] as const) {
      const small = result.second.runs[run];
      const big = ours.runs[run];
      const t = big.wallMs / Math.max(1, small.wallMs);
      const m = big.peakRssBytes / Math.max(1, small.peakRssBytes);
      // Linear or better: growth no steeper than the scale ratio (+25 % noise).
      ok &&= t <= ratio * 1.25 && m <= ratio * 1.25;
      parts.push(
        `${run}: time ×${t.toFixed(2)}, RSS ×${m.toFixed(2)}`,
      );
    }
    targets.push({
      name: "time and memory grow linearly with instances",
      pass: ok,
      detail: `${n1} → ${n2} instances (×${ratio.toFixed(2)}): ${
        parts.join("; ")
      }`,
    });
  } else {
    targets.push({
      name: "time and memory grow linearly with instances",
      pass: undefined,
      detail: "one scale only (use --second-scale N)",
    });
  }
  if (baseline) {
    const theirs = aaiTotal(baseline.runs.steady.aaiRequests);
    targets.push({
      name: "steady: A&AI requests ≥ 30× below the baseline",
      pass: steadyAai * 30 <= theirs,
      detail: `ours ${steadyAai}, baseline ${theirs}${
        steadyAai > 0 ? ` (×${(theirs / steadyAai).toFixed(1)})` : ""
      }`,
    });
  } else {
    targets.push({
      name: "steady: A&AI requests ≥ 30× below the baseline",
      pass: undefined,
      detail: "baseline not run",
    });
  }
  // Not a target of the issue but a check on the bench itself: every
  // figure above assumes the simulators added the latency they were given.
  const off: string[] = [];
  for (
    const [who, algorithm] of [["ours", ours], ["baseline", baseline]] as const
  ) {
    for (const name of RUN_NAMES) {
      const injected = algorithm?.runs[name].injectedLatencyMs;
      if (!injected) continue;
      for (
        const [peer, asked] of [
          ["k8splugin", settings.k8spluginLatencyMs],
          ["aai", settings.aaiLatencyMs],
        ] as const
      ) {
        const mean = injected[peer];
        if (mean !== null && Math.abs(mean - asked) > 0.1 * asked) {
          off.push(`${who} ${name} ${peer} ${mean} ms`);
        }
      }
    }
  }
  targets.push({
    name: "bench: the simulators injected the asked latency (±10 %)",
    pass: off.length === 0,
    detail: off.length
      ? `asked ${settings.k8spluginLatencyMs}/${settings.aaiLatencyMs} ms, got ${
        off.join("; ")
      }`
      : `k8splugin ${settings.k8spluginLatencyMs} ms, A&AI ${settings.aaiLatencyMs} ms, every run`,
  });
  return targets;
}

/** The JSON document of a result (the issue's shape, plus details). */
export function toDocument(
  result: BenchResult,
  targets: TargetResult[],
): BenchDocument {
  const runsOf = (a: BenchResult["ours"]) =>
    Object.fromEntries(RUN_NAMES.map((n) => [n, figures(a.runs[n])])) as Record<
      RunName,
      RunFigures
    >;
  const doc: BenchDocument = {
    scale: { ...result.scale },
    runs: runsOf(result.ours),
    ...(result.baseline ? { baseline: runsOf(result.baseline) } : {}),
    settings: { ...result.settings },
    environment: { ...result.environment },
    scenario: result.stats,
    ...(result.ours.floor
      ? { transportFloor: figures(result.ours.floor) }
      : {}),
    deleteRun: {
      ours: {
        passes: result.ours.deletePasses.map(figures),
        total: figures(result.ours.deleteTotal),
      },
      ...(result.baseline
        ? {
          baseline: {
            passes: result.baseline.deletePasses.map(figures),
            total: figures(result.baseline.deleteTotal),
          },
        }
        : {}),
    },
    targets,
  };
  if (result.so) doc.soManaged = result.so;
  if (result.soAlone) doc.soAlone = result.soAlone;
  if (result.second) {
    doc.secondScale = {
      scale: result.second.scale,
      runs: {
        cold: figures(result.second.runs.cold),
        steady: figures(result.second.runs.steady),
      },
    };
  }
  return doc;
}

/** `n` with thousands separators. */
function num(n: number): string {
  return n.toLocaleString("en-US");
}

/** A ratio as text, `—` when undefined. */
function ratio(a: number, b: number): string {
  if (b === 0) return a === 0 ? "—" : "∞";
  return `${(a / b).toFixed(a / b < 0.1 ? 3 : 2)}`;
}

/** A table row of one run. */
function row(label: string, who: string, f: RunFigures): string[] {
  const total = aaiTotal(f.aaiRequests);
  return [
    label,
    who,
    num(f.wallMs),
    num(f.k8spluginRequests),
    num(f.aaiRequests.GET),
    num(f.aaiRequests.PUT),
    num(f.aaiRequests.PATCH),
    num(f.aaiRequests.DELETE),
    num(f.aaiRequests.POST),
    num(total),
    num(f.changedObjects),
    f.changedObjects > 0 ? (total / f.changedObjects).toFixed(2) : "—",
    (f.peakRssBytes / MIB).toFixed(1),
  ];
}

/** Renders a result and its targets as the human-readable report. */
export function formatReport(
  result: BenchResult,
  targets: TargetResult[],
): string {
  const { scale, settings, stats } = result;
  const lines: string[] = [];
  lines.push(
    `k8s-aai-sync benchmark: ${
      num(scale.instances)
    } instances × ${scale.resourcesPerInstance} resources (${
      num(stats.resources)
    } resources, ${
      num(stats.pods)
    } pods); latency k8splugin ${settings.k8spluginLatencyMs} ms, A&AI ${settings.aaiLatencyMs} ms; concurrency ${settings.concurrency}`,
  );
  lines.push(
    `Scenario: churn changes ${stats.churn.verdictChanges} verdicts and replaces ${stats.churn.podsReplaced} pods (${stats.churn.heartbeats} owners get a new resourceVersion only); delete removes ${stats.delete.instancesRemoved} instances (${
      num(stats.delete.resourcesRemoved)
    } resources)`,
  );
  const table = new Table({
    head: [
      "run",
      "algorithm",
      "wall ms",
      "k8splugin",
      "GET",
      "PUT",
      "PATCH",
      "DELETE",
      "POST",
      "A&AI",
      "changed",
      "A&AI/changed",
      "peak RSS MiB",
    ],
    style: { head: [], border: [] },
    chars: { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" },
  });
  for (const name of RUN_NAMES) {
    const ours = result.ours.runs[name];
    const label = name === "delete"
      ? `delete (pass ${
        result.ours.deletePasses.indexOf(result.ours.runs.delete) + 1
      }/${result.ours.deletePasses.length})`
      : name;
    table.push(row(label, "ours", ours));
    if (result.baseline) {
      const theirs = result.baseline.runs[name];
      table.push(row("", "CNF adapter", theirs));
      table.push([
        "",
        "ours/baseline",
        ratio(ours.wallMs, theirs.wallMs),
        "",
        "",
        "",
        "",
        "",
        "",
        ratio(aaiTotal(ours.aaiRequests), aaiTotal(theirs.aaiRequests)),
        "",
        "",
        "",
      ]);
    }
  }
  table.push(row("delete total", "ours", result.ours.deleteTotal));
  if (result.baseline) {
    table.push(row("", "CNF adapter", result.baseline.deleteTotal));
  }
  if (result.ours.floor) {
    table.push(row("steady floor", "raw reads", result.ours.floor));
  }
  if (result.second) {
    const s = result.second;
    table.push(row(`cold @${num(s.scale.instances)}`, "ours", s.runs.cold));
    table.push(row(`steady @${num(s.scale.instances)}`, "ours", s.runs.steady));
  }
  lines.push(table.toString());
  lines.push("");
  lines.push("Targets:");
  let missed = 0;
  for (const t of targets) {
    const mark = t.pass === undefined
      ? styleText("yellow", "SKIP")
      : t.pass
      ? styleText("green", "PASS")
      : styleText(["red", "bold"], "FAIL");
    if (t.pass === false) missed++;
    lines.push(`  ${mark}  ${t.name}: ${t.detail}`);
  }
  if (missed > 0) {
    lines.push(
      belowTargetScale(result)
        ? styleText(
          "yellow",
          `${missed} target${
            missed === 1 ? "" : "s"
          } not met at ${result.scale.instances} × ${result.scale.resourcesPerInstance} (see FAIL above): the targets are set for ${DEFAULT_SCALE.instances} × ${DEFAULT_SCALE.resourcesPerInstance}, where start-up and timer noise no longer dominate; run \`deno task bench\` without --instances to check them`,
        )
        : styleText(
          ["red", "bold"],
          `!!! ${missed} target${
            missed === 1 ? "" : "s"
          } MISSED (see FAIL above) !!!`,
        ),
    );
  }
  lines.push("");
  const { cpus, loadStart, loadEnd } = result.environment;
  if (Math.max(loadStart, loadEnd) > cpus) {
    lines.push(
      styleText(
        ["yellow", "bold"],
        `Warning: the machine was busy (load ${
          loadStart.toFixed(1)
        } at start, ${
          loadEnd.toFixed(1)
        } at end, ${cpus} CPUs): wall times are inflated by other processes.`,
      ),
    );
  }
  lines.push(
    settings.isolation === "subprocess"
      ? "Peak RSS: each pass runs in its own `deno` subprocess (the simulators stay in the parent), figure = the kernel's peak RSS of that process from GNU time -f %M (start-up and module loading included; sampled Deno.memoryUsage().rss when GNU time is missing); wall time is measured inside it around the pass only."
      : "Peak RSS: in-process run; the figure includes the simulators and is not the sync's own.",
  );
  lines.push(
    `Baseline: the SO CNF adapter's algorithm (GET every object, PUT it when the Kubernetes resourceVersion moved) over the same interfaces; its legacy /bulkprocess is not in the A&AI simulator, so its writes go ${
      settings.baselineWriteMode === "bulk"
        ? "as POST /bulk/single-transaction chunks of ≤ 30 operations (same request count)"
        : "as single PUT/DELETE requests"
    }; its k8splugin count includes one list per pass (how the bench learns of removed instances).`,
  );
  if (result.so) {
    lines.push("", ...formatSoVariant(result.so, result.soAlone));
  }
  return lines.join("\n");
}
