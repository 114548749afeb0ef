/**
 * What a pass leaves behind besides A&AI: the metrics file, the Pushgateway
 * push and `last-run.json`. A failure of any of them is logged naming what
 * failed; one that loses a record the operator relies on makes the pass exit 1.
 *
 * @module
 */
import {
  metricsContext,
  MetricsWriteError,
  pushMetrics,
  type RunReport,
  summaryLine,
  type SyncLogger,
  writeMetrics,
} from "../sync/mod.ts";
import { EXIT, type ExitCode } from "./_exit.ts";
import { type LastRun, writeLastRun } from "./_last_run.ts";
import { sayOnce } from "./_output.ts";
import { VERSION } from "./_version.ts";

/** Where a pass's record goes. */
export interface RecordOptions {
  /** Whether the pass was a `--verify` pass. */
  verify: boolean;
  /** `last-run.json` of the previous pass (its success times). */
  previous: LastRun | undefined;
  /** Where `last-run.json` goes. */
  lastRunFile: string;
  /** `--metrics-file`. */
  metricsFile?: string | undefined;
  /** `--pushgateway`. */
  pushgateway?: string | undefined;
  /** `--region` flags: the Pushgateway group. */
  regions: string[];
  /** Where failures are logged. */
  log: SyncLogger;
}

/**
 * Writes the metrics, pushes them and writes `last-run.json` (not for a dry
 * run); returns the pass's exit code (1 when the metrics could not be
 * written or pushed after a pass that was otherwise fine).
 */
export async function recordPass(
  report: RunReport,
  options: RecordOptions,
): Promise<ExitCode> {
  const { verify, previous, lastRunFile, metricsFile, pushgateway, log } =
    options;
  const dryRun = report.dryRun;
  let code = report.exitCode as ExitCode;
  const context = metricsContext(report, {
    lastSuccess: previous?.lastSuccessAt
      ? new Date(previous.lastSuccessAt)
      : undefined,
    lastVerifySuccess: previous?.lastVerifySuccessAt
      ? new Date(previous.lastVerifySuccessAt)
      : undefined,
  }, { version: VERSION, verify });
  if (metricsFile && !dryRun) {
    try {
      await writeMetrics(metricsFile, report, {
        version: VERSION,
        verify,
        ...(previous ? { previous: context } : {}),
      });
    } catch (error) {
      log.error((error as Error).message, { error: (error as Error).name });
      if (error instanceof MetricsWriteError && code === EXIT.OK) {
        code = EXIT.FAILED;
      }
    }
  }
  if (pushgateway && !dryRun) {
    try {
      await pushMetrics(
        pushgateway,
        report,
        context,
        options.regions.length > 0
          ? { regions: [...options.regions].sort().join(",") }
          : {},
      );
    } catch (error) {
      const text = `Cannot push metrics to the Pushgateway "${
        pushgateway.replace(/\/\/[^@/]*@/, "//")
      }" (--pushgateway / K8S_AAI_SYNC_PUSHGATEWAY): ${
        (error as Error).message
      }`;
      log.error(text);
      if (code === EXIT.OK) code = EXIT.FAILED;
    }
  }
  if (!dryRun) {
    const run: LastRun = {
      version: VERSION,
      startedAt: report.startedAt,
      finishedAt: new Date().toISOString(),
      exitCode: code,
      verify,
      summary: summaryLine({
        ...report,
        exitCode: code as RunReport["exitCode"],
      }),
      errors: report.errors.slice(0, 5).map(sayOnce),
      ...(context.lastSuccess
        ? { lastSuccessAt: context.lastSuccess.toISOString() }
        : {}),
      ...(context.lastVerifySuccess
        ? { lastVerifySuccessAt: context.lastVerifySuccess.toISOString() }
        : {}),
      ...(verify
        ? { lastVerifyAttemptAt: report.startedAt }
        : previous?.lastVerifyAttemptAt
        ? { lastVerifyAttemptAt: previous.lastVerifyAttemptAt }
        : {}),
    };
    try {
      await writeLastRun(lastRunFile, run);
    } catch (error) {
      log.warn(
        `Cannot write "${lastRunFile}" (what \`deno task status\` shows): ${
          (error as Error).message
        }`,
      );
    }
  }
  return code;
}
