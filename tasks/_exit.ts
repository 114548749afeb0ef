/**
 * The one table of exit codes (std `_map_error.ts` style), shared by the CLI
 * tasks, and the one map from errors to them. `sync`: 0 all good, 1 some
 * instances or operations failed, 2 usage or configuration error, 75 another
 * run holds the lock, a peer is unavailable (refused, timed out, 5xx after
 * retries) or the pass deadline was reached (EX_TEMPFAIL). `check` adds
 * the instance's verdict: 0 Ready, 3 Pending, 4 Failed.
 *
 * @module
 */

import { CommanderError } from "@commander-js/extra-typings";
import { isPeerUnavailable } from "../adapters/http.ts";
import type { Verdict } from "../rules/mod.ts";
// From their files rather than sync/mod.ts, so that sim and bench load little.
import { ConfigError } from "../sync/mod.ts";
import { LockHeldError } from "../sync/lock.ts";

/** Exit codes of the CLI tasks. */
export const EXIT = {
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  PENDING: 3,
  VERDICT_FAILED: 4,
  TEMPFAIL: 75,
} as const;

/** One of the exit codes. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Exit code of `check` for each roll-up verdict. */
export const VERDICT_EXIT_CODES: Readonly<Record<Verdict, ExitCode>> = {
  Ready: EXIT.OK,
  Pending: EXIT.PENDING,
  Failed: EXIT.VERDICT_FAILED,
};

/** Help text for `--help` (the README's table). */
export const EXIT_CODES_HELP = `Exit codes:
  0   all good
  1   some instances or operations failed (details in the log)
  2   usage or configuration error
  75  another run holds the lock, or a peer is unavailable (refused, timed out, 5xx after retries) (EX_TEMPFAIL); or the pass deadline was reached (the rest is left for the next pass)`;

/** A bad argument value that commander does not check itself (exit 2). */
export class UsageError extends Error {
  /** Builds the error. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The exit code for an error that ended a task. */
export function exitCodeFor(error: unknown): ExitCode {
  if (
    error instanceof ConfigError || error instanceof UsageError ||
    error instanceof CommanderError
  ) return EXIT.USAGE;
  if (error instanceof LockHeldError) return EXIT.TEMPFAIL;
  if (isPeerUnavailable(error)) return EXIT.TEMPFAIL;
  return EXIT.FAILED;
}
