/**
 * The exclusive, non-blocking lock on the state directory that keeps
 * overlapping runs (cron, timers) from both writing. An advisory file lock
 * (`Deno.FsFile.tryLock`), released when the file is closed or the process
 * dies, so a killed run never leaves a stale lock behind.
 *
 * @module
 */

/** Another run holds the lock (exit 75, touch nothing). */
export class LockHeldError extends Error {
  /** The lock file. */
  readonly path: string;
  /** Builds the error for `path`. */
  constructor(path: string, options?: { cause?: unknown }) {
    super(
      `Cannot lock "${path}": another sync run holds it, so this one touches nothing`,
      options,
    );
    this.name = "LockHeldError";
    this.path = path;
  }
}

/** A held lock; `release()` (or `await using`) frees it. */
export interface StateLock extends AsyncDisposable {
  /** The lock file. */
  path: string;
  /** Frees the lock (idempotent). */
  release(): Promise<void>;
}

/** The lock file of the state folder holding `snapshotPath`. */
export function lockPathFor(snapshotPath: string): string {
  const i = snapshotPath.lastIndexOf("/");
  const dir = i < 0 ? "." : i === 0 ? "/" : snapshotPath.slice(0, i);
  return `${dir}/.k8s-aai-sync.lock`;
}

/**
 * Takes the exclusive lock of the state folder of `snapshotPath` without
 * waiting (creating the folder when missing).
 *
 * @throws {LockHeldError} when another process (or handle) holds it.
 */
export async function acquireStateLock(
  snapshotPath: string,
): Promise<StateLock> {
  const path = lockPathFor(snapshotPath);
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")) || "/", {
    recursive: true,
    mode: 0o700,
  });
  const file = await Deno.open(path, {
    read: true,
    write: true,
    create: true,
    mode: 0o600,
  });
  let locked = false;
  try {
    locked = await file.tryLock(true);
  } catch (error) {
    file.close();
    throw error;
  }
  if (!locked) {
    file.close();
    throw new LockHeldError(path);
  }
  let released = false;
  async function release(): Promise<void> {
    if (released) return;
    released = true;
    try {
      await file.unlock();
    } finally {
      file.close();
    }
  }
  return { path, release, [Symbol.asyncDispose]: release };
}
