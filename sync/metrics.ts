/**
 * Prometheus textfile-collector metrics of a pass, and the one-line human
 * summary printed after each pass.
 *
 * @module
 */

import { atomicWriteTextFile } from "./atomic_write.ts";
import type { RunReport } from "./pass.ts";

/** Escapes a label value for the Prometheus text format. */
function label(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(
    /\n/g,
    "\\n",
  );
}

/**
 * The metrics of a pass in Prometheus text format. `lastSuccess` is the time
 * of the last pass that exited 0 (this one or an earlier one), if any.
 */
export function formatMetrics(
  report: RunReport,
  lastSuccess: Date | undefined,
): string {
  const lines: string[] = [];
  function metric(
    name: string,
    help: string,
    type: "gauge" | "counter",
    samples: [Record<string, string>, number][],
  ): void {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      const text = Object.entries(labels).map(([k, v]) => `${k}="${label(v)}"`)
        .join(",");
      lines.push(`${name}${text ? `{${text}}` : ""} ${value}`);
    }
  }
  metric(
    "k8s_aai_sync_resources",
    "Resources evaluated in the last pass, by verdict.",
    "gauge",
    (["Ready", "Pending", "Failed"] as const).map((v) => [
      { verdict: v },
      report.resources[v],
    ]),
  );
  metric(
    "k8s_aai_sync_instances",
    "Instances in the last pass, by state.",
    "gauge",
    [
      [{ state: "listed" }, report.instances.listed],
      [{ state: "synced" }, report.instances.synced],
      [{ state: "unchanged" }, report.instances.unchanged],
      [{ state: "unknown" }, report.instances.unknown.length],
    ],
  );
  metric(
    "k8s_aai_sync_writes",
    "A&AI writes of the last pass, by operation.",
    "gauge",
    Object.entries(report.writes).map(([op, n]) => [{ op }, n]),
  );
  metric(
    "k8s_aai_sync_errors",
    "Errors in the last pass.",
    "gauge",
    [[{}, report.errors.length]],
  );
  metric(
    "k8s_aai_sync_deletes_held",
    "Deletes held back by the deletion safety rules in the last pass.",
    "gauge",
    [[{}, report.deletesHeld]],
  );
  metric(
    "k8s_aai_sync_duration_seconds",
    "Duration of the last pass.",
    "gauge",
    [[{}, report.durationMs / 1000]],
  );
  metric(
    "k8s_aai_sync_exit_code",
    "Exit code of the last pass.",
    "gauge",
    [[{}, report.exitCode]],
  );
  metric(
    "k8s_aai_sync_last_run_timestamp_seconds",
    "Start of the last pass (Unix time).",
    "gauge",
    [[{}, Date.parse(report.startedAt) / 1000]],
  );
  if (lastSuccess) {
    metric(
      "k8s_aai_sync_last_success_timestamp_seconds",
      "Start of the last pass that exited 0 (Unix time).",
      "gauge",
      [[{}, lastSuccess.getTime() / 1000]],
    );
  }
  return lines.join("\n") + "\n";
}

/** Reads `k8s_aai_sync_last_success_timestamp_seconds` back from a metrics file. */
export function lastSuccessFrom(text: string): Date | undefined {
  const match = /^k8s_aai_sync_last_success_timestamp_seconds ([0-9.e+]+)$/m
    .exec(text);
  return match ? new Date(Number(match[1]) * 1000) : undefined;
}

/**
 * Writes the metrics atomically (temp file + rename, as the textfile
 * collector requires), keeping the last-success time of earlier passes.
 */
export async function writeMetrics(
  path: string,
  report: RunReport,
): Promise<void> {
  let lastSuccess: Date | undefined;
  if (report.exitCode === 0) {
    lastSuccess = new Date(report.startedAt);
  } else {
    try {
      lastSuccess = lastSuccessFrom(await Deno.readTextFile(path));
    } catch {
      lastSuccess = undefined;
    }
  }
  await atomicWriteTextFile(path, formatMetrics(report, lastSuccess));
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
    } ${w.create} create, ${w.update} update, ${w.delete} delete, ${w.relate} relate, ${w.adopt} adopt, ${w.skipped} skipped`,
  ];
  if (i.unknown.length > 0) parts.push(`${i.unknown.length} unknown`);
  if (report.deletesHeld > 0) parts.push(`${report.deletesHeld} deletes held`);
  parts.push(`${report.errors.length} errors`);
  parts.push(`${(report.durationMs / 1000).toFixed(2)}s`);
  parts.push(`exit ${report.exitCode}`);
  return parts.join(" · ");
}
