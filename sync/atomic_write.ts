/**
 * The one atomic file write (DESIGN §3 step 8): a temp file beside the
 * target, written, fsync'ed, then renamed over it, so a reader or a crash
 * sees the old file or the new one, never half of one. Used by the snapshot
 * and the metrics file.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";

/** How {@linkcode atomicWrite} creates the file. */
export interface AtomicWriteOptions {
  /** File mode (e.g. `0o600`); default: the process umask's. */
  mode?: number;
}

/** The temp files of `path` start with this (its base name, then `.tmp-`). */
function tempPrefix(path: string): string {
  return `${basename(path)}.tmp-`;
}

/**
 * Removes the temp files a killed writer of `path` left behind (the caller
 * must be the only writer, e.g. by holding the state lock).
 */
export async function removeStaleTempFiles(path: string): Promise<void> {
  const dir = dirname(path);
  const prefix = tempPrefix(path);
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.startsWith(prefix)) {
        await Deno.remove(join(dir, entry.name)).catch(() => {});
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/**
 * Writes `path` atomically: `write` fills a temp file beside it, which is
 * fsync'ed and renamed over `path`. The folder must exist (a missing one is
 * an error the caller names); removes the temp file when anything fails.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { atomicWrite } from "./atomic_write.ts";
 * const dir = await Deno.makeTempDir();
 * await atomicWrite(`${dir}/a.txt`, (file) => {
 *   file.writeSync(new TextEncoder().encode("hello"));
 * }, { mode: 0o600 });
 * assert.equal(await Deno.readTextFile(`${dir}/a.txt`), "hello");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function atomicWrite(
  path: string,
  write: (file: Deno.FsFile) => void | Promise<void>,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const { mode } = options;
  const dir = dirname(path);
  const temp = join(
    dir,
    `${tempPrefix(path)}${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`,
  );
  const file = await Deno.open(temp, {
    write: true,
    create: true,
    truncate: true,
    ...(mode === undefined ? {} : { mode }),
  });
  try {
    await write(file);
    await file.sync();
  } catch (error) {
    file.close();
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
  file.close();
  try {
    if (mode !== undefined) await Deno.chmod(temp, mode);
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}

/** Writes `text` (UTF-8) to `path` atomically (see {@linkcode atomicWrite}). */
export async function atomicWriteTextFile(
  path: string,
  text: string,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const data = new TextEncoder().encode(text);
  await atomicWrite(path, (file) => {
    let written = 0;
    while (written < data.length) {
      written += file.writeSync(data.subarray(written));
    }
  }, options);
}
