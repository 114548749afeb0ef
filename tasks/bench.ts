/**
 * `deno task bench`: the cost of a sync run at ONAP scale, side by side with
 * SO's CNF adapter algorithm (issue #7). Prints a table with the targets
 * (PASS/FAIL) by default, or only the JSON document with `--json`; progress
 * goes to stderr.
 *
 * Exit codes: 0 the benchmark ran (missed targets are printed, not an exit
 * code), 1 a pass or the harness failed, 2 usage error.
 *
 * Permissions: `--allow-net`, `--allow-read`, `--allow-write`, `--allow-env`,
 * `--allow-sys`, `--allow-run` (each pass runs in a subprocess).
 *
 * @module
 */
import {
  Command,
  CommanderError,
  InvalidArgumentError,
} from "@commander-js/extra-typings";
import {
  checkTargets,
  DEFAULT_SCALE,
  formatFreshness,
  formatReport,
  FRESHNESS_MODES,
  type FreshnessMode,
  missedLine,
  runBench,
  runFreshness,
  toDocument,
} from "../bench/mod.ts";
import { EXIT } from "./_exit.ts";
import { versionText } from "./_version.ts";

/** Parses a non-negative integer option. */
function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new InvalidArgumentError(`expected a whole number, got "${value}"`);
  }
  return n;
}

/** Parses a non-negative number of milliseconds. */
function milliseconds(value: string): number {
  const n = Number(value.replace(/ms$/, ""));
  if (!Number.isFinite(n) || n < 0) {
    throw new InvalidArgumentError(
      `expected a number of milliseconds, got "${value}"`,
    );
  }
  return n;
}

/** Builds the command line. */
function program() {
  return new Command()
    .name("bench")
    .description(
      "Measure sync runs (cold, steady, churn, delete) against the simulators, side by side with the SO CNF adapter's algorithm",
    )
    .option(
      "--instances <n>",
      "k8splugin instances",
      integer,
      DEFAULT_SCALE.instances,
    )
    .option(
      "--resources <n>",
      "resources per instance, pods included",
      integer,
      DEFAULT_SCALE.resourcesPerInstance,
    )
    .option(
      "--k8splugin-latency <ms>",
      "latency added to every k8splugin request",
      milliseconds,
      5,
    )
    .option(
      "--aai-latency <ms>",
      "latency added to every A&AI request",
      milliseconds,
      10,
    )
    .option(
      "--concurrency <n>",
      "concurrent requests (k8splugin reads, A&AI writes; baseline instances)",
      integer,
      8,
    )
    .option(
      "--second-scale <n>",
      "also run our cold and steady passes at this many instances (default: half; 0: skip)",
      integer,
    )
    .option("--no-baseline", "skip the CNF adapter baseline")
    .option(
      "--no-so",
      "skip the SO-managed variant (SO's CNF adapter owns the objects, we annotate them)",
    )
    .option(
      "--baseline-writes <mode>",
      "baseline writes: bulk (≤ 30 per request) or single",
      "bulk",
    )
    .option(
      "--in-process",
      "run passes in this process (RSS then includes the simulators)",
    )
    .option("--json", "print only the JSON document on stdout")
    .option(
      "--freshness",
      "run the freshness scenario instead (issue 17): change → A&AI delay and upstream load of cron, kube watches, k8splugin subscriptions and SO's notification design",
    )
    .option(
      "--change-rate <fraction>",
      "freshness: fraction of the instances changing per minute",
      Number,
      0.01,
    )
    .option(
      "--duration <seconds>",
      "freshness: length of the change phase per mode",
      Number,
      300,
    )
    .option(
      "--quiet <seconds>",
      "freshness: length of the quiet window (no change) per mode",
      Number,
      60,
    )
    .option(
      "--rss-every <seconds>",
      "freshness: RSS sampling period of the tool during the change phase",
      Number,
      30,
    )
    .option(
      "--modes <list>",
      "freshness: comma-separated modes among cron,kube,subscriptions,so",
      "cron,kube,subscriptions,so",
    )
    .option(
      "--pass-v8-flags <flags>",
      "V8 flags for every pass subprocess, comma-separated, e.g. --max-old-space-size=160,--heap-snapshot-on-oom",
    )
    .option(
      "--profile <dir>",
      "write a V8 CPU profile of every pass (subprocess mode) into this directory",
    )
    .addHelpText(
      "after",
      "\nExit codes:\n  0   the benchmark ran (missed targets are printed as FAIL)\n  1   a pass or the harness failed\n  2   usage error",
    )
    .version(versionText(), "--version", "print the version and exit")
    .exitOverride();
}

/** Runs the task. */
async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = program().parse(args, { from: "user" });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (
      error.code === "commander.helpDisplayed" ||
      error.code === "commander.version"
    ) {
      return EXIT.OK;
    }
    return EXIT.USAGE;
  }
  const o = parsed.opts();
  if (o.baselineWrites !== "bulk" && o.baselineWrites !== "single") {
    console.error(
      `Cannot run the benchmark: --baseline-writes must be "bulk" or "single", got "${o.baselineWrites}"`,
    );
    return EXIT.USAGE;
  }
  if (o.instances < 1 || o.resources < 1 || o.concurrency < 1) {
    console.error(
      "Cannot run the benchmark: --instances, --resources and --concurrency must be at least 1",
    );
    return EXIT.USAGE;
  }
  if (o.freshness) {
    const modes = o.modes.split(",").map((m) => m.trim());
    const unknown = modes.filter((m) =>
      !(FRESHNESS_MODES as readonly string[]).includes(m)
    );
    if (
      unknown.length > 0 || !(o.changeRate > 0) || !(o.duration > 0) ||
      !(o.quiet >= 0) || !(o.rssEvery > 0)
    ) {
      console.error(
        `Cannot run the freshness benchmark: check --modes (${
          unknown.join(", ") || "ok"
        }), --change-rate (> 0), --duration (> 0), --quiet (>= 0) and --rss-every (> 0)`,
      );
      return EXIT.USAGE;
    }
    const results = await runFreshness({
      instances: o.instances,
      resourcesPerInstance: o.resources,
      changeRatePerMinute: o.changeRate,
      durationMs: o.duration * 1000,
      quietMs: o.quiet * 1000,
      rssEveryMs: o.rssEvery * 1000,
      modes: modes as FreshnessMode[],
      progress: (message) => console.error(message),
    });
    console.log(
      o.json ? JSON.stringify(results, null, 2) : formatFreshness(results),
    );
    return EXIT.OK;
  }
  const result = await runBench({
    instances: o.instances,
    resourcesPerInstance: o.resources,
    k8spluginLatencyMs: o.k8spluginLatency,
    aaiLatencyMs: o.aaiLatency,
    concurrency: o.concurrency,
    baseline: o.baseline,
    so: o.so,
    baselineWriteMode: o.baselineWrites,
    isolation: o.inProcess ? "in-process" : "subprocess",
    ...(o.secondScale === undefined ? {} : { secondScale: o.secondScale }),
    ...(o.profile ? { profileDir: o.profile } : {}),
    ...(o.passV8Flags ? { v8Flags: o.passV8Flags } : {}),
    progress: (message) => console.error(message),
  });
  const targets = checkTargets(result);
  if (o.json) {
    console.log(JSON.stringify(toDocument(result, targets), null, 2));
  } else {
    console.log(formatReport(result, targets));
  }
  const missed = missedLine(result, targets);
  if (missed) console.error(missed);
  const failedPasses = [result.ours, result.baseline].flatMap((a) =>
    a ? [...Object.values(a.runs), ...a.deletePasses] : []
  ).filter((p) => p.pass.errorCount > 0);
  if (failedPasses.length > 0) {
    console.error(
      `bench: ${failedPasses.length} pass(es) reported errors, e.g. ${
        failedPasses[0]!.pass.errors[0]
      }`,
    );
    return EXIT.FAILED;
  }
  return EXIT.OK;
}

if (import.meta.main) {
  try {
    Deno.exitCode = await main(Deno.args);
  } catch (error) {
    console.error(
      `bench: ${error instanceof Error ? error.message : String(error)}`,
    );
    Deno.exitCode = EXIT.FAILED;
  }
}
