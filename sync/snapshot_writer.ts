/**
 * Writing the snapshot: {@linkcode writeSnapshot} serialises it atomically
 * (temp file, fsync, rename; mode 0600 in a 0700 folder) and
 * {@linkcode SnapshotWriter} batches a pass's commits into such writes.
 *
 * @module
 */

import { dirname } from "node:path";
import { sleep } from "../adapters/retry.ts";
import { sha256Stream } from "../adapters/sha256.ts";
import { atomicWrite } from "./atomic_write.ts";
import type { Snapshot } from "./snapshot.ts";

/**
 * Writes the snapshot atomically: a temp file beside it (mode 0600), fsync,
 * rename over the old one. Creates the folder when missing.
 *
 * The document is serialised instance by instance into the file, without an
 * `await` in between (so it is one consistent state) and without ever
 * holding the whole text: a 30,000-object snapshot as one string, plus its
 * UTF-8 copy, was the peak of a large run's memory.
 */
export async function writeSnapshot(
  path: string,
  snapshot: Snapshot,
): Promise<void> {
  // The state folder holds inventory and lock: private to its user.
  await Deno.mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await atomicWrite(path, (file) => writeDocument(file, snapshot), {
    mode: 0o600,
  });
}

/** Serialises `snapshot` into `file` in chunks of about 64 KiB (see {@linkcode writeSnapshot}). */
function writeDocument(file: Deno.FsFile, snapshot: Snapshot): void {
  const encoder = new TextEncoder();
  const digest = sha256Stream();
  const write = (data: Uint8Array) => {
    let written = 0;
    while (written < data.length) {
      written += file.writeSync(data.subarray(written));
    }
  };
  let chunk = "";
  const put = (text: string, last = false) => {
    chunk += text;
    if (chunk.length < 1 << 16 && !last) return;
    const data = encoder.encode(chunk);
    digest.update(data);
    write(data);
    chunk = "";
  };
  put(
    `{"schema":${snapshot.schema},"updatedAt":${
      JSON.stringify(snapshot.updatedAt)
    }${
      snapshot.owner === undefined
        ? ""
        : `,"owner":${JSON.stringify(snapshot.owner)}`
    },"regions":${JSON.stringify(snapshot.regions)}${
      snapshot.aai ? `,"aai":${JSON.stringify(snapshot.aai)}` : ""
    }${snapshot.rebuildPending ? `,"rebuildPending":true` : ""},"instances":{`,
  );
  let separator = "";
  for (const id in snapshot.instances) {
    put(
      `${separator}${JSON.stringify(id)}:${
        JSON.stringify(snapshot.instances[id])
      }`,
    );
    separator = ",";
  }
  put("}", true);
  write(encoder.encode(`,"digest":"${digest.digest("base64url")}"}`));
}

/**
 * Serialises snapshot writes during a run: `schedule()` coalesces requests
 * so at most one write is in flight and the last state always lands;
 * `markChanged()` notes a change for the next write without asking for one;
 * `flush()` writes at once, if anything changed, and waits. A pass that
 * changed nothing leaves the file alone.
 *
 * Writes during a run are at least `minIntervalMs` apart: rewriting a
 * 30 MB snapshot after every confirmed operation made large cold runs
 * quadratic (measured by the bench). A crash loses at most that window of
 * commits, and replaying them is idempotent (a re-sent create is adopted on
 * 412, a re-sent delete finds 404), as DESIGN §6 requires.
 */
export class SnapshotWriter {
  #path: string;
  #snapshot: Snapshot;
  #now: () => Date;
  #minIntervalMs: number;
  #running: Promise<void> | undefined;
  #dirty = false;
  #flushing = false;
  #lastWriteMs = Number.NEGATIVE_INFINITY;
  #wake: (() => void) | undefined;
  #error: unknown;
  /** Writes `snapshot` (mutated by the caller) to `path`, at most every `minIntervalMs` until flushed. */
  constructor(
    path: string,
    snapshot: Snapshot,
    now: () => Date,
    minIntervalMs = 2_000,
  ) {
    this.#path = path;
    this.#snapshot = snapshot;
    this.#now = now;
    this.#minIntervalMs = minIntervalMs;
  }
  /** Requests a write of the current state (coalesced). */
  schedule(): void {
    this.#dirty = true;
    if (!this.#running) this.#running = this.#loop();
  }
  /** Notes that the state changed: the next write, or `flush()`, lands it. */
  markChanged(): void {
    this.#dirty = true;
  }
  /** Waits until the next write is due, or until `flush()` cuts the wait short. */
  async #pause(ms: number): Promise<void> {
    const wake = new AbortController();
    this.#wake = () => wake.abort();
    try {
      await sleep(ms, wake.signal);
    } catch {
      // Woken by flush().
    } finally {
      this.#wake = undefined;
    }
  }
  async #loop(): Promise<void> {
    try {
      while (this.#dirty) {
        const wait = this.#lastWriteMs + this.#minIntervalMs -
          performance.now();
        if (wait > 0 && !this.#flushing) await this.#pause(wait);
        this.#dirty = false;
        this.#lastWriteMs = performance.now();
        this.#snapshot.updatedAt = this.#now().toISOString();
        try {
          await writeSnapshot(this.#path, this.#snapshot);
        } catch (error) {
          this.#error = error;
        }
      }
    } finally {
      this.#running = undefined;
    }
  }
  /** Writes the current state now, if it changed, and waits; rethrows a failed write. */
  async flush(): Promise<void> {
    this.#flushing = true;
    this.#wake?.();
    if (this.#dirty) this.schedule();
    try {
      while (this.#running) await this.#running;
    } finally {
      this.#flushing = false;
    }
    if (this.#error) {
      const error = this.#error;
      this.#error = undefined;
      throw error;
    }
  }
}
