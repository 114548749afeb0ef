/**
 * Metrics of a pass through `prom-client`'s registry (its exposition format):
 * a Prometheus textfile-collector file (cron, systemd) and/or a push to a
 * Pushgateway (Kubernetes CronJobs, which no scraper sees live), and the
 * one-line human summary printed after each pass.
 *
 * @module
 */

import { Gauge, Pushgateway, Registry } from "prom-client";
import { atomicWriteTextFile } from "./atomic_write.ts";
import type { RunReport } from "./pass.ts";

/** What a pass's metrics carry besides its report. */
export interface MetricsContext {
  /** Start of the last pass that exited 0 (this one or an earlier one). */
  lastSuccess?: Date | undefined;
  /** Start of the last `--verify` pass that exited 0. */
  lastVerifySuccess?: Date | undefined;
  /** The tool's version (label of `k8s_aai_sync_build_info`). */
  version?: string;
  /** Whether this pass was a `--verify` pass. */
  verify?: boolean;
}

/** A registry holding the metrics of one pass. */
export function metricsRegistry(
  report: RunReport,
  context: MetricsContext = {},
): Registry {
  const registry = new Registry();
  function gauge(
    name: string,
    help: string,
    labelNames: string[],
    samples: [Record<string, string>, number][],
  ): void {
    const metric = new Gauge({ name, help, labelNames, registers: [registry] });
    for (const [labels, value] of samples) metric.set(labels, value);
  }
  gauge(
    "k8s_aai_sync_build_info",
    "Version of k8s-aai-sync that ran the last pass (always 1).",
    ["version"],
    [[{ version: context.version ?? "unknown" }, 1]],
  );
  gauge(
    "k8s_aai_sync_resources",
    "Resources evaluated in the last pass, by verdict.",
    ["verdict"],
    (["Ready", "Pending", "Failed"] as const).map((v) => [
      { verdict: v },
      report.resources[v],
    ]),
  );
  gauge("k8s_aai_sync_instances", "Instances in the last pass, by state.", [
    "state",
  ], [
    [{ state: "listed" }, report.instances.listed],
    [{ state: "synced" }, report.instances.synced],
    [{ state: "unchanged" }, report.instances.unchanged],
    [{ state: "unknown" }, report.instances.unknown.length],
  ]);
  gauge(
    "k8s_aai_sync_writes",
    "A&AI writes of the last pass, by operation.",
    ["op"],
    Object.entries(report.writes).map(([op, n]) => [{ op }, n]),
  );
  gauge("k8s_aai_sync_errors", "Errors in the last pass.", [], [[
    {},
    report.errors.length,
  ]]);
  gauge(
    "k8s_aai_sync_deletes_held",
    "Deletes held back by the deletion safety rules in the last pass.",
    [],
    [[{}, report.deletesHeld]],
  );
  gauge(
    "k8s_aai_sync_duration_seconds",
    "Duration of the last pass.",
    [],
    [[{}, report.durationMs / 1000]],
  );
  gauge("k8s_aai_sync_exit_code", "Exit code of the last pass.", [], [[
    {},
    report.exitCode,
  ]]);
  gauge(
    "k8s_aai_sync_last_run_timestamp_seconds",
    "Start of the last pass (Unix time).",
    [],
    [[{}, Date.parse(report.startedAt) / 1000]],
  );
  if (context.lastSuccess) {
    gauge(
      "k8s_aai_sync_last_success_timestamp_seconds",
      "Start of the last pass that exited 0 (Unix time).",
      [],
      [[{}, context.lastSuccess.getTime() / 1000]],
    );
  }
  if (context.lastVerifySuccess) {
    gauge(
      "k8s_aai_sync_last_verify_success_timestamp_seconds",
      "Start of the last --verify pass (drift repair) that exited 0 (Unix time).",
      [],
      [[{}, context.lastVerifySuccess.getTime() / 1000]],
    );
  }
  return registry;
}

/**
 * The metrics of a pass in Prometheus text format (`prom-client`'s
 * exposition).
 */
export async function formatMetrics(
  report: RunReport,
  context: MetricsContext = {},
): Promise<string> {
  return await metricsRegistry(report, context).metrics();
}

/** Reads a `…_timestamp_seconds` sample back from a metrics file. */
function timestampFrom(text: string, name: string): Date | undefined {
  const match = new RegExp(`^${name} ([0-9.e+]+)$`, "m").exec(text);
  return match ? new Date(Number(match[1]) * 1000) : undefined;
}

/** Reads `k8s_aai_sync_last_success_timestamp_seconds` back from a metrics file. */
export function lastSuccessFrom(text: string): Date | undefined {
  return timestampFrom(text, "k8s_aai_sync_last_success_timestamp_seconds");
}

/** The context of a pass's metrics: this pass's success times, else the earlier ones. */
export function metricsContext(
  report: RunReport,
  previous: {
    lastSuccess?: Date | undefined;
    lastVerifySuccess?: Date | undefined;
  },
  context: { version?: string; verify?: boolean } = {},
): MetricsContext {
  const ok = report.exitCode === 0 && !report.dryRun;
  const started = new Date(report.startedAt);
  return {
    ...context,
    lastSuccess: ok ? started : previous.lastSuccess,
    lastVerifySuccess: ok && context.verify
      ? started
      : previous.lastVerifySuccess,
  };
}

/** A metrics file could not be written: names the file and the setting. */
export class MetricsWriteError extends Error {
  /** The metrics file. */
  readonly path: string;
  /** Builds the error for `path`. */
  constructor(path: string, options?: { cause?: unknown }) {
    super(
      `Cannot write the metrics file "${path}" (--metrics-file): ${
        (options?.cause as Error | undefined)?.message ?? "unknown error"
      }`,
      options,
    );
    this.name = "MetricsWriteError";
    this.path = path;
  }
}

/**
 * Writes the metrics atomically (temp file + rename, as the textfile
 * collector requires), keeping the last-success times of earlier passes.
 *
 * @throws {MetricsWriteError} naming the file.
 */
export async function writeMetrics(
  path: string,
  report: RunReport,
  context: {
    version?: string;
    verify?: boolean;
    /** The earlier success times (default: read back from the file). */
    previous?: {
      lastSuccess?: Date | undefined;
      lastVerifySuccess?: Date | undefined;
    };
  } = {},
): Promise<void> {
  let previous = context.previous;
  if (!previous) {
    let old = "";
    try {
      old = await Deno.readTextFile(path);
    } catch {
      old = "";
    }
    previous = {
      lastSuccess: lastSuccessFrom(old),
      lastVerifySuccess: timestampFrom(
        old,
        "k8s_aai_sync_last_verify_success_timestamp_seconds",
      ),
    };
  }
  const text = await formatMetrics(
    report,
    metricsContext(report, previous, {
      ...(context.version ? { version: context.version } : {}),
      ...(context.verify ? { verify: context.verify } : {}),
    }),
  );
  try {
    await atomicWriteTextFile(path, text);
  } catch (error) {
    throw new MetricsWriteError(path, { cause: error });
  }
}

/**
 * Pushes a pass's metrics to a Prometheus Pushgateway (`PUT`, replacing the
 * group `job="k8s-aai-sync"` plus `grouping`, e.g. a shard's name).
 */
export async function pushMetrics(
  url: string,
  report: RunReport,
  context: MetricsContext,
  grouping: Record<string, string> = {},
): Promise<void> {
  const gateway = new Pushgateway(
    url,
    { timeout: 10_000 },
    metricsRegistry(report, context),
  );
  await gateway.push({ jobName: "k8s-aai-sync", groupings: grouping });
}

/** The one-line human summary of a pass (stdout). */
export function summaryLine(report: RunReport): string {
  const w = report.writes;
  const i = report.instances;
  const parts = [
    `${report.dryRun ? "dry-run " : ""}sync`,
    `${i.synced}/${i.listed} instances${
      i.unchanged > 0 ? ` (${i.unchanged} unchanged)` : ""
    }`,
    `resources ${report.resources.Ready} Ready, ${report.resources.Pending} Pending, ${report.resources.Failed} Failed`,
    `${
      report.dryRun ? "planned" : "writes"
    } ${w.create} create, ${w.update} update, ${w.delete} delete, ${w.relate} relate, ${w.adopt} adopt, ${w.skipped} skipped${
      w.annotate > 0 ? `, ${w.annotate} annotate` : ""
    }`,
  ];
  if (i.unknown.length > 0) parts.push(`${i.unknown.length} unknown`);
  if (report.deletesHeld > 0) parts.push(`${report.deletesHeld} deletes held`);
  parts.push(`${report.errors.length} errors`);
  parts.push(`${(report.durationMs / 1000).toFixed(2)}s`);
  parts.push(`exit ${report.exitCode}`);
  return parts.join(" · ");
}
