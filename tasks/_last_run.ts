/**
 * `last-run.json` in the state folder: the result of the last pass, written
 * atomically at the end of each `sync` pass and read by `deno task status`
 * (and by the next pass, for the last-success times of its metrics).
 *
 * @module
 */

/** The result of the last pass, as `deno task status` shows it. */
export interface LastRun {
  /** The tool's version that ran it. */
  version: string;
  /** ISO time the pass started. */
  startedAt: string;
  /** ISO time it ended. */
  finishedAt: string;
  /** Its exit code. */
  exitCode: number;
  /** Whether it was a `--verify` pass. */
  verify: boolean;
  /** The summary line (or why the pass could not run). */
  summary: string;
  /** The first errors, one line each. */
  errors: string[];
  /** Start of the last pass that exited 0. */
  lastSuccessAt?: string;
  /** Start of the last `--verify` pass that exited 0. */
  lastVerifySuccessAt?: string;
  /** Start of the last `--verify` pass, whatever its result. */
  lastVerifyAttemptAt?: string;
}

/** The `last-run.json` beside a snapshot file. */
export function lastRunPath(snapshotPath: string): string {
  const i = snapshotPath.lastIndexOf("/");
  const dir = i < 0 ? "." : i === 0 ? "" : snapshotPath.slice(0, i);
  return `${dir}/last-run.json`;
}

/** Reads `last-run.json`; undefined when missing or unreadable. */
export async function readLastRun(path: string): Promise<LastRun | undefined> {
  try {
    const data = JSON.parse(await Deno.readTextFile(path));
    return typeof data === "object" && data !== null &&
        typeof data.exitCode === "number"
      ? data as LastRun
      : undefined;
  } catch {
    return undefined;
  }
}

/** Writes `last-run.json` atomically (temp file + rename), mode 0600. */
export async function writeLastRun(path: string, run: LastRun): Promise<void> {
  const temp = `${path}.tmp-${Deno.pid}`;
  try {
    await Deno.writeTextFile(temp, JSON.stringify(run, null, 2) + "\n", {
      mode: 0o600,
    });
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}

/**
 * Whether `--verify-every` makes this pass a verify pass: the last successful
 * verify is older than `everyMs` (or there was none), and no verify was tried
 * in the last hour (a verify that keeps failing must not turn every pass
 * into one).
 */
export function verifyDue(
  previous: LastRun | undefined,
  everyMs: number,
  now: Date,
): boolean {
  const age = (iso: string | undefined) =>
    iso === undefined ? Infinity : now.getTime() - Date.parse(iso);
  return age(previous?.lastVerifySuccessAt) >= everyMs &&
    age(previous?.lastVerifyAttemptAt) >= Math.min(everyMs, 3_600_000);
}
