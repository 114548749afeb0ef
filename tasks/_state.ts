/**
 * The state folder of the sync task: created mode 0700 (it holds what A&AI
 * was sent), locked (waiting a bounded time when asked), and every failure
 * named with the setting that points at it.
 *
 * @module
 */
import {
  acquireStateLock,
  ConfigError,
  LockHeldError,
  type StateLock,
  type SyncLogger,
} from "../sync/mod.ts";

/** The folder of a file path. */
export function folderOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : path.slice(0, i);
}

/**
 * Creates the state folder (mode 0700: it holds what A&AI was sent) and
 * takes its lock, waiting up to `waitMs` for another pass to finish.
 *
 * @throws {ConfigError} when the folder or lock file cannot be created.
 * @throws {LockHeldError} when another pass still holds the lock.
 */
export async function lockState(
  snapshot: string,
  waitMs: number,
  log: SyncLogger,
): Promise<StateLock> {
  const dir = folderOf(snapshot);
  const setting = `setting "snapshot" / K8S_AAI_SYNC_SNAPSHOT is "${snapshot}"`;
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new ConfigError(
      `Cannot create the state folder "${dir}" (${setting}): ${
        (error as Error).message
      }`,
      { key: "snapshot", cause: error },
    );
  }
  const deadline = Date.now() + waitMs;
  let waiting = false;
  for (;;) {
    try {
      return await acquireStateLock(snapshot);
    } catch (error) {
      if (!(error instanceof LockHeldError)) {
        throw new ConfigError(
          `Cannot open the lock file in the state folder "${dir}" (${setting}): ${
            (error as Error).message
          }`,
          { key: "snapshot", cause: error },
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) throw error;
      if (!waiting) {
        waiting = true;
        log.info(
          `Waiting up to ${
            Math.ceil(left / 1000)
          }s for the pass that holds "${error.path}" to finish`,
        );
      }
      await new Promise((r) => setTimeout(r, Math.min(500, left)));
    }
  }
}
