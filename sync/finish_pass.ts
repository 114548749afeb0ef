/**
 * The end of a pass (DESIGN §3, last step): the pass deadline's verdict, a
 * migration recorded once a whole pass went through, the snapshot flushed,
 * and the report's duration and exit code settled.
 *
 * @module
 */

import { type Pass, PassDeadlineError, type RunReport } from "./pass.ts";
import type { SnapshotWriter } from "./snapshot_writer.ts";

/** What {@linkcode finishPass} needs of the pass besides {@linkcode Pass}. */
export interface PassEnd {
  /** The snapshot's writer (undefined in a dry run). */
  writer: SnapshotWriter | undefined;
  /** `performance.now()` when the pass started. */
  startedMs: number;
  /** The pass deadline has passed (or the pass was aborted). */
  expired: boolean;
  /** Instances read but left for the next pass (past the deadline). */
  deferred: number;
  /** The pass runs `--migrate-owner` to a new owner. */
  migrating: boolean;
}

/**
 * Finishes a pass: reports a passed deadline (exit 75), records a completed
 * owner migration, flushes the snapshot and settles the report. A flush that
 * fails throws with the report attached as `error.report` (A&AI may hold the
 * pass's writes already, so the caller still counts them).
 */
export async function finishPass(pass: Pass, end: PassEnd): Promise<RunReport> {
  const { config, log, report, snapshot } = pass;
  if (end.expired) {
    const message = `${
      new PassDeadlineError(config.passDeadline).message
    }: ${end.deferred} instance(s) and any unconfirmed writes left for the next pass (passDeadline)`;
    report.deadlineExceeded = true;
    report.errors.push(message);
    log.error(message, { deferred: end.deferred });
    report.exitCode = 75;
  }
  // A migration is recorded once a whole pass went through.
  if (
    end.migrating && !report.dryRun && report.exitCode === 0 &&
    report.errors.length === 0 && snapshot.owner !== config.owner
  ) {
    snapshot.owner = config.owner;
    pass.changed();
  }
  try {
    await end.writer?.flush();
  } catch (error) {
    report.durationMs = Math.round(performance.now() - end.startedMs);
    report.exitCode = 1;
    throw Object.assign(
      error instanceof Error ? error : new Error(String(error)),
      { report },
    );
  }
  report.durationMs = Math.round(performance.now() - end.startedMs);
  if (report.exitCode === 0 && report.errors.length > 0) report.exitCode = 1;
  return report;
}
