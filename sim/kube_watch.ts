/**
 * Watches of the Kubernetes API simulator (`?watch=1`), as kube-apiserver's
 * watch cache serves them and `@kubernetes/client-node`'s `ListWatch`
 * (`makeInformer`) consumes them:
 *
 * - a stream of newline-delimited `{"type","object"}` events over a chunked
 *   `200 application/json` response; objects carry `apiVersion`/`kind`;
 * - `resourceVersion` absent or `"0"`: synthetic `ADDED` events for the
 *   current state first; `resourceVersion=N`: the changes after N only;
 * - N older than the oldest snapshot kept (after `compact()` or enough
 *   changes): one `ERROR` event holding a `Status` 410 `Expired`
 *   (`too old resource version: N (M)`), then the stream ends, so an informer
 *   relists;
 * - each change of the served objects becomes `ADDED` / `MODIFIED` /
 *   `DELETED` per watch (an object that stops matching the selectors is
 *   `DELETED` for that watch, one that starts matching is `ADDED`); the event
 *   object's `metadata.resourceVersion` is the store's resourceVersion of the
 *   change (scenario objects carry arbitrary ones, and a client resumes from
 *   the last one it saw);
 * - `allowWatchBookmarks=true`: `BOOKMARK` events every `bookmarkIntervalMs`
 *   (and on {@linkcode WatchHub.bookmark}); `timeoutSeconds` ends the stream;
 * - {@linkcode WatchHub.drop} ends every open stream, abruptly (a dropped
 *   connection) or gracefully (the server's timeout).
 *
 * @module
 */

/** An object as the simulator serves it. */
type KubeObject = Record<string, unknown> & {
  metadata: Record<string, unknown> & { name: string; namespace?: string };
};

/** What one watch follows, and how it renders its objects. */
export interface WatchSpec {
  /** Kind and apiVersion of the watched resource (for BOOKMARK objects). */
  kind: string;
  apiVersion: string;
  /** The objects of the watched resource in a snapshot, by `namespace/name`. */
  objectsAt(snapshot: unknown): Map<string, KubeObject>;
  /** Whether an object is in this watch (namespace, label and field selectors). */
  matches(object: KubeObject): boolean;
  /** The object as sent (apiVersion/kind added). */
  render(object: KubeObject): KubeObject;
  /** Send BOOKMARK events. */
  bookmarks: boolean;
  /** End the stream after so many seconds (undefined: never). */
  timeoutSeconds: number | undefined;
}

interface OpenWatch {
  spec: WatchSpec;
  snapshot: unknown;
  resourceVersion: number;
  controller: ReadableStreamDefaultController<Uint8Array>;
  timer: ReturnType<typeof setTimeout> | undefined;
  closed: boolean;
}

const encoder = new TextEncoder();

/** The open watches of one simulator. */
export class WatchHub {
  #open = new Set<OpenWatch>();
  #bookmarkTimer: ReturnType<typeof setInterval> | undefined;
  #bookmarkIntervalMs: number;

  /** `bookmarkIntervalMs`: how often BOOKMARK events go out (kube-apiserver: about a minute). */
  constructor(bookmarkIntervalMs = 60_000) {
    this.#bookmarkIntervalMs = bookmarkIntervalMs;
  }

  /** How many watches are open. */
  get size(): number {
    return this.#open.size;
  }

  /**
   * Opens a watch from `snapshot` (at `resourceVersion`); `initial` sends
   * the snapshot's matching objects as ADDED first.
   */
  open(
    spec: WatchSpec,
    snapshot: unknown,
    resourceVersion: number,
    initial: boolean,
  ): Response {
    let watch: OpenWatch | undefined;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        watch = {
          spec,
          snapshot,
          resourceVersion,
          controller,
          timer: undefined,
          closed: false,
        };
        this.#open.add(watch);
        if (initial) {
          for (const object of spec.objectsAt(snapshot).values()) {
            if (spec.matches(object)) {
              this.#send(watch, "ADDED", object, resourceVersion);
            }
          }
        }
        if (spec.timeoutSeconds !== undefined) {
          const open = watch;
          open.timer = setTimeout(
            () => this.#end(open, false),
            spec.timeoutSeconds * 1000,
          );
        }
        this.#scheduleBookmarks();
      },
      cancel: () => {
        if (watch) this.#forget(watch);
      },
    });
    return new Response(body, {
      headers: {
        "content-type": "application/json",
        "cache-control": "no-cache, private",
      },
    });
  }

  /** A watch whose resourceVersion is too old: one ERROR event (Status 410), then the end. */
  expired(requested: string, oldest: number): Response {
    const status = {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: `too old resource version: ${requested} (${oldest})`,
      reason: "Expired",
      code: 410,
    };
    return new Response(
      JSON.stringify({ type: "ERROR", object: status }) + "\n",
      { headers: { "content-type": "application/json" } },
    );
  }

  /** The served objects changed: every open watch gets its events. */
  changed(snapshot: unknown, resourceVersion: number): void {
    for (const watch of this.#open) {
      const before = watch.spec.objectsAt(watch.snapshot);
      const after = watch.spec.objectsAt(snapshot);
      for (const [key, object] of after) {
        const old = before.get(key);
        const was = old !== undefined && watch.spec.matches(old);
        const is = watch.spec.matches(object);
        if (is && !was) this.#send(watch, "ADDED", object, resourceVersion);
        else if (is && was && JSON.stringify(old) !== JSON.stringify(object)) {
          this.#send(watch, "MODIFIED", object, resourceVersion);
        } else if (!is && was) {
          this.#send(watch, "DELETED", old, resourceVersion);
        }
      }
      for (const [key, old] of before) {
        if (!after.has(key) && watch.spec.matches(old)) {
          this.#send(watch, "DELETED", old, resourceVersion);
        }
      }
      watch.snapshot = snapshot;
      watch.resourceVersion = resourceVersion;
    }
  }

  /** Sends a BOOKMARK on every watch that allows them. */
  bookmark(): void {
    for (const watch of this.#open) {
      if (!watch.spec.bookmarks) continue;
      this.#write(watch, {
        type: "BOOKMARK",
        object: {
          kind: watch.spec.kind,
          apiVersion: watch.spec.apiVersion,
          metadata: { resourceVersion: String(watch.resourceVersion) },
        },
      });
    }
  }

  /**
   * Ends every open watch: abruptly (the client sees the connection drop) or,
   * with `graceful`, like the server's own timeout (the stream just ends).
   */
  drop(options: { graceful?: boolean } = {}): void {
    for (const watch of [...this.#open]) {
      this.#end(watch, !options.graceful);
    }
  }

  /** Ends every watch and stops the timers. */
  close(): void {
    this.drop({ graceful: true });
    clearInterval(this.#bookmarkTimer);
    this.#bookmarkTimer = undefined;
  }

  #scheduleBookmarks(): void {
    if (this.#bookmarkTimer !== undefined) return;
    this.#bookmarkTimer = setInterval(() => {
      if (this.#open.size === 0) {
        clearInterval(this.#bookmarkTimer);
        this.#bookmarkTimer = undefined;
        return;
      }
      this.bookmark();
    }, this.#bookmarkIntervalMs);
  }

  #send(
    watch: OpenWatch,
    type: string,
    object: KubeObject,
    resourceVersion: number,
  ): void {
    const rendered = watch.spec.render(object);
    this.#write(watch, {
      type,
      object: {
        ...rendered,
        metadata: {
          ...rendered.metadata,
          resourceVersion: String(resourceVersion),
        },
      },
    });
  }

  #write(watch: OpenWatch, event: unknown): void {
    if (watch.closed) return;
    try {
      watch.controller.enqueue(encoder.encode(JSON.stringify(event) + "\n"));
    } catch {
      this.#forget(watch);
    }
  }

  #end(watch: OpenWatch, abrupt: boolean): void {
    if (watch.closed) return;
    this.#forget(watch);
    try {
      if (abrupt) watch.controller.error(new Error("watch dropped"));
      else watch.controller.close();
    } catch {
      // already gone
    }
  }

  #forget(watch: OpenWatch): void {
    watch.closed = true;
    clearTimeout(watch.timer);
    this.#open.delete(watch);
    if (this.#open.size === 0 && this.#bookmarkTimer !== undefined) {
      clearInterval(this.#bookmarkTimer);
      this.#bookmarkTimer = undefined;
    }
  }
}
