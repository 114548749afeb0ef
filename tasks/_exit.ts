/**
 * The one table from errors to exit codes (std `_map_error.ts` style), shared
 * by the CLI tasks. `sync`: 0 all good, 1 some instances or operations failed,
 * 2 usage or configuration error, 75 another run holds the lock or a peer is
 * unreachable (EX_TEMPFAIL).
 *
 * @module
 */

import { ConfigError, isTransportError, LockHeldError } from "../sync/mod.ts";

/** Exit codes of the CLI tasks. */
export const EXIT = {
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  TEMPFAIL: 75,
} as const;

/** One of the sync exit codes. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Help text for `--help` (the README's table). */
export const EXIT_CODES_HELP = `Exit codes:
  0   all good
  1   some instances or operations failed (details in the log)
  2   usage or configuration error
  75  another run holds the lock, or a peer is unreachable (EX_TEMPFAIL)`;

/** Whether an error is commander's usage error (`CommanderError`). */
function isUsageError(error: unknown): boolean {
  const e = error as { name?: unknown; code?: unknown };
  return e?.name === "CommanderError" && typeof e.code === "string";
}

/** The exit code for an error that ended a task. */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof ConfigError || isUsageError(error)) return EXIT.USAGE;
  if (error instanceof LockHeldError) return EXIT.TEMPFAIL;
  if (isTransportError(error)) return EXIT.TEMPFAIL;
  return EXIT.FAILED;
}
