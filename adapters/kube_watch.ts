/**
 * Kubernetes watches for `sync --watch` (issue 17): per region, one
 * informer per watched kind (the kinds the instances use, and Pod) over the
 * objects carrying k8splugin's instance label, each event mapped to the
 * instance id it belongs to.
 *
 * The informer is `@kubernetes/client-node`'s `ListWatch` (list, then watch
 * from the list's resourceVersion; an `ERROR` event or HTTP status 410 Gone
 * empties the resourceVersion so the next round relists, and the relist
 * reports what changed meanwhile as add/update/delete; a client-side
 * timeout reconnects at once; other errors back off 1–30 s). Its source,
 * read in `node_modules/@kubernetes/client-node/dist/cache.js` of 2.0.1,
 * shows the two gaps filled here:
 *
 * - it never asks for bookmarks: the watch transport below adds
 *   `allowWatchBookmarks=true` (and a server-side `timeoutSeconds`), so a
 *   quiet watch keeps a fresh resourceVersion and a reconnect rarely meets
 *   410;
 * - it **stops for good** on any other error (a failed list, a refused
 *   watch, a dropped connection): it only calls its `error` callbacks.
 *   {@linkcode KubeWatcher} restarts it after an exponential backoff with
 *   full jitter (1 s doubling to 30 s, reset by the next event).
 *
 * Gaps: restarting the same `ListWatch` (`start()`) keeps its cache and
 * resourceVersion, so it resumes the watch from there (the server replays
 * the changes, or answers 410 and the relist is diffed against the cache).
 * A gap no cache covers is bridged here instead:
 *
 * - a target watched again after {@linkcode KubeWatcher.watch} dropped it
 *   gets a new `ListWatch` with an empty cache, whose first list only says
 *   what exists now: the watcher keeps what the old informer knew and diffs
 *   the new first list against it (`delete` for what is gone, `update` for
 *   a changed resourceVersion, `add` for what is new);
 * - a first list that came only after failures (of discovery or the list)
 *   is reported as `add` events, since the full pass read those objects
 *   before the failures. An object deleted in that window, unknown to the
 *   watcher, is left to the next full pass.
 *
 * The watch transport ({@linkcode FetchWatch}) is Deno's `fetch`, not
 * client-node's `Watch`: client-node's undici negotiates HTTP/2 over Deno's
 * `node:http2`, which aborts the process when the server sends GOAWAY (see
 * `adapters/kube.ts`). Lists go through {@linkcode KubeClient.listPage}.
 *
 * Permissions: those of the {@linkcode KubeStream} and the `KubeClient`;
 * RBAC `list` and `watch` on each watched resource (deploy/rbac.yaml, with
 * `watch` added next to `list`).
 *
 * @module
 */
import {
  type KubernetesListObject,
  type KubernetesObject,
  ListWatch,
  type Watch,
} from "@kubernetes/client-node";
import { type Clock, delay, SYSTEM_CLOCK } from "./clock.ts";
import { type Gvk, INSTANCE_LABEL } from "./k8splugin.ts";
import { collectionPath, type KubeClient, type KubeResource } from "./kube.ts";
import type { KubeStream } from "./kube_stream.ts";

/** Options of {@linkcode FetchWatch}. */
export interface FetchWatchOptions {
  /** Server-side timeout of each watch request, default 300 s (then it reconnects from the last resourceVersion). */
  timeoutSeconds?: number;
  /** No byte for this long ends a watch as timed out, default `timeoutSeconds` + 30 s. */
  inactivityMs?: number;
  /** Time source for the inactivity timer. */
  clock?: Clock;
  /** Once aborted, no new watch is opened and open ones end. */
  signal?: AbortSignal;
  /** Called as each watch request starts (client-node's `ListWatch` has delivered its list by then). */
  onWatch?(): void;
}

/** The error a watch request ends with when the API server refused it. */
export class WatchStatusError extends Error {
  /** The HTTP status (client-node's `ListWatch` relists on 410). */
  readonly statusCode: number;

  /** Builds the error for a status. */
  constructor(statusCode: number, path: string) {
    super(`Cannot watch "${path}": HTTP ${statusCode}`);
    this.name = "WatchStatusError";
    this.statusCode = statusCode;
  }
}

/**
 * client-node's `Watch` contract (`watch(path, query, callback, done)`)
 * over a {@linkcode KubeStream}, asking for bookmarks. `done` is called once:
 * `null` when the server ends the watch or it was stopped, a
 * `TimeoutError` after inactivity, a {@linkcode WatchStatusError} for a
 * non-200 answer, the transport error otherwise.
 */
export class FetchWatch {
  readonly #stream: KubeStream;
  readonly #timeoutSeconds: number;
  readonly #inactivityMs: number;
  readonly #clock: Clock;
  readonly #signal: AbortSignal | undefined;
  readonly #onWatch: (() => void) | undefined;
  readonly #open = new Set<Promise<void>>();

  /** Stores the options. */
  constructor(stream: KubeStream, options: FetchWatchOptions = {}) {
    this.#stream = stream;
    this.#timeoutSeconds = options.timeoutSeconds ?? 300;
    this.#inactivityMs = options.inactivityMs ??
      (this.#timeoutSeconds + 30) * 1_000;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#signal = options.signal;
    this.#onWatch = options.onWatch;
  }

  /** Resolves when every watch opened so far has ended. */
  async settled(): Promise<void> {
    while (this.#open.size > 0) await Promise.allSettled([...this.#open]);
  }

  /** Starts a watch; returns the controller that stops it. */
  watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const controller = new AbortController();
    let finished = false;
    let timer: unknown;
    let timedOut = false;
    const finish = (error: unknown) => {
      if (finished) return;
      finished = true;
      if (timer !== undefined) this.#clock.clearTimeout(timer);
      controller.abort();
      done(error);
    };
    if (this.#signal?.aborted) {
      finish(null);
      return Promise.resolve(controller);
    }
    this.#onWatch?.();
    const query = new URLSearchParams({
      watch: "true",
      allowWatchBookmarks: "true",
      timeoutSeconds: String(this.#timeoutSeconds),
    });
    for (const [key, value] of Object.entries(queryParams)) {
      if (value !== undefined && value !== "") query.set(key, String(value));
    }
    const signal = this.#signal
      ? AbortSignal.any([controller.signal, this.#signal])
      : controller.signal;
    const resetTimer = () => {
      if (timer !== undefined) this.#clock.clearTimeout(timer);
      timer = this.#clock.setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, this.#inactivityMs);
    };
    const run = (async () => {
      resetTimer();
      try {
        const response = await this.#stream.fetch(`${path}?${query}`, {
          signal,
        });
        if (response.status !== 200) {
          await response.body?.cancel();
          return finish(new WatchStatusError(response.status, path));
        }
        resetTimer();
        let buffered = "";
        const lines = response.body!.pipeThrough(new TextDecoderStream());
        for await (const chunk of lines) {
          resetTimer();
          buffered += chunk;
          let newline: number;
          while ((newline = buffered.indexOf("\n")) >= 0) {
            const line = buffered.slice(0, newline).trim();
            buffered = buffered.slice(newline + 1);
            if (!line) continue;
            let event: { type?: unknown; object?: unknown };
            try {
              event = JSON.parse(line);
            } catch {
              continue; // Like client-node: a line that is not JSON is skipped.
            }
            if (typeof event.type === "string") {
              const object = event.type === "ERROR" ? event.object : slim(
                event.object as KubernetesObject,
              );
              callback(event.type, object, { ...event, object });
            }
          }
        }
        finish(null);
      } catch (error) {
        if (timedOut) {
          finish(new DOMException("The watch timed out", "TimeoutError"));
        } else if (signal.aborted) finish(null);
        else finish(error);
      }
    })();
    this.#open.add(run);
    run.finally(() => this.#open.delete(run));
    return Promise.resolve(controller);
  }
}

/** What to watch: a kind, in one namespace or (undefined) all of them. */
export interface KubeWatchTarget {
  /** The kind. */
  gvk: Gvk;
  /** One namespace; undefined watches every namespace (needs cluster-wide RBAC). */
  namespace?: string;
}

/** One change of a labelled object. */
export interface KubeWatchEvent {
  /** The region whose cluster sent it. */
  region: string;
  /** What happened (a relist after 410 reports the difference the same way). */
  type: "add" | "update" | "delete";
  /** The object's kind. */
  gvk: Gvk;
  /** The object's namespace (`""` for cluster-scoped). */
  namespace: string;
  /** The object's name. */
  name: string;
  /** The k8splugin instance it belongs to (its instance label). */
  instanceId: string;
}

/** Options of {@linkcode KubeWatcher}. */
export interface KubeWatcherOptions {
  /** The cloud region (for events and errors). */
  region: string;
  /** Discovery and LIST pages (a {@linkcode KubeClient}). */
  source: Pick<KubeClient, "discover" | "listPage">;
  /** Watch connections (see {@linkcode kubeStreamFromKubeConfig}). */
  stream: KubeStream;
  /** Called for every change of a labelled object. */
  onEvent(event: KubeWatchEvent): void;
  /** Called when an informer failed (it restarts after a backoff). */
  onError?(error: unknown, target: KubeWatchTarget): void;
  /** The instance label (k8splugin's `kubernetes-label-name`), default `k8splugin.io/rb-instance-id`. */
  instanceLabel?: string;
  /** Report the objects of an informer's first list as `add` events, default false (the full pass has read them). */
  emitInitial?: boolean;
  /** See {@linkcode FetchWatchOptions.timeoutSeconds}. */
  timeoutSeconds?: number;
  /** See {@linkcode FetchWatchOptions.inactivityMs}. */
  inactivityMs?: number;
  /** First restart delay after an error, default 1 000 ms. */
  minBackoffMs?: number;
  /** Longest restart delay, default 30 000 ms. */
  maxBackoffMs?: number;
  /** LIST page size, default 500. */
  pageSize?: number;
  /** Time source, default {@linkcode SYSTEM_CLOCK}. */
  clock?: Clock;
  /** Jitter source in [0, 1), default `Math.random`. */
  random?: () => number;
}

/** One watched target: its informer once discovery resolved the kind. */
interface Running {
  target: KubeWatchTarget;
  informer?: ListWatch<KubernetesObject>;
  /** The first list was delivered (later adds are real). */
  synced: boolean;
  /** Failures since the last event, for the backoff. */
  failures: number;
  /** A failure came before the first list: that list is reported. */
  late: boolean;
  /** Cancels the pending retry. */
  restart?: AbortController;
}

/** What an informer knew of one object when it stopped: enough to diff a relist. */
type KnownObject = Pick<KubernetesObject, "metadata">;

/**
 * What the informers keep of an object: its type, name, namespace,
 * resourceVersion and labels — all that events and client-node's cache
 * (which compares resourceVersions) use. A whole cluster's objects in full
 * would be the largest part of the process's memory.
 */
function slim(object: KubernetesObject): KubernetesObject {
  if (typeof object !== "object" || object === null) return object;
  return {
    ...(object.apiVersion !== undefined
      ? { apiVersion: object.apiVersion }
      : {}),
    ...(object.kind !== undefined ? { kind: object.kind } : {}),
    ...knownOf(object),
  };
}

/** The metadata a diff needs, not the whole cached object. */
function knownOf(object: KubernetesObject): KnownObject {
  const { name, namespace, resourceVersion, labels } = object.metadata ?? {};
  return {
    metadata: {
      ...(name !== undefined ? { name } : {}),
      ...(namespace !== undefined ? { namespace } : {}),
      ...(resourceVersion !== undefined ? { resourceVersion } : {}),
      ...(labels !== undefined ? { labels } : {}),
    },
  };
}

/** `namespace/name` of an object. */
function objectKey(object: KubernetesObject): string {
  return `${object.metadata?.namespace ?? ""}/${object.metadata?.name ?? ""}`;
}

/** `apps/v1/Deployment@ns` (or `@*` for every namespace). */
function targetKey(target: KubeWatchTarget): string {
  const { group, version, kind } = target.gvk;
  return `${group}/${version}/${kind}@${target.namespace ?? "*"}`;
}

/**
 * Keeps one informer per {@linkcode KubeWatchTarget} of a region, over the
 * objects with the instance label, and reports their changes by instance.
 * Informers that fail are restarted with backoff; close it (`await using`)
 * to stop them all.
 *
 * @example
 * ```ts ignore
 * await using watcher = new KubeWatcher({
 *   region: "k8sregionone",
 *   source: kubeClient,
 *   stream: kubeStreamFromKubeConfig(kc),
 *   onEvent: (event) => scheduler.mark(event.instanceId),
 * });
 * await watcher.watch([{ gvk: { group: "", version: "v1", kind: "Pod" } }]);
 * ```
 */
export class KubeWatcher implements AsyncDisposable {
  readonly #options: KubeWatcherOptions;
  readonly #label: string;
  readonly #clock: Clock;
  readonly #closed = new AbortController();
  readonly #running = new Map<string, Running>();
  /** Every informer's transport, to wait for their connections on close. */
  readonly #transports = new Set<FetchWatch>();
  /** What the informers of dropped targets knew, by target key, until watched again. */
  readonly #known = new Map<string, Map<string, KnownObject>>();

  /** Stores the options; nothing is watched until {@linkcode watch}. */
  constructor(options: KubeWatcherOptions) {
    this.#options = options;
    this.#label = options.instanceLabel ?? INSTANCE_LABEL;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
  }

  /** The targets watched. */
  get targets(): KubeWatchTarget[] {
    return [...this.#running.values()].map((r) => r.target);
  }

  /** True once every informer delivered its first list (for `/readyz`). */
  get synced(): boolean {
    return [...this.#running.values()].every((r) => r.synced);
  }

  /**
   * Watches exactly these targets: starts informers for new ones (each
   * resolves its kind through discovery first), stops the others. Resolves
   * once the new informers made their first attempt; a kind the server does
   * not serve is reported to `onError` and retried like any failure.
   */
  async watch(targets: KubeWatchTarget[]): Promise<void> {
    if (this.#closed.signal.aborted) {
      throw new TypeError(
        `The watcher of region "${this.#options.region}" is closed`,
      );
    }
    const wanted = new Map(targets.map((t) => [targetKey(t), t]));
    for (const [key, running] of this.#running) {
      if (!wanted.has(key)) {
        this.#running.delete(key);
        running.restart?.abort();
        await running.informer?.stop();
        // Kept to diff the first list of a new informer of this target.
        if (running.synced && running.informer) {
          this.#known.set(
            key,
            new Map(
              running.informer.list().map((o) => [objectKey(o), knownOf(o)]),
            ),
          );
        }
      }
    }
    const starts: Promise<void>[] = [];
    for (const [key, target] of wanted) {
      if (this.#running.has(key)) continue;
      const running: Running = {
        target,
        synced: false,
        failures: 0,
        late: false,
      };
      this.#running.set(key, running);
      starts.push(this.#start(key, running));
    }
    await Promise.all(starts);
  }

  /** Stops every informer and waits for their connections to end. */
  async close(): Promise<void> {
    this.#closed.abort();
    const running = [...this.#running.values()];
    this.#running.clear();
    this.#known.clear();
    for (const r of running) {
      r.restart?.abort();
      await r.informer?.stop();
    }
    await Promise.all([...this.#transports].map((t) => t.settled()));
    this.#options.stream.close();
  }

  /** Same as {@linkcode close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Resolves the kind (retried with backoff), then starts the informer. */
  async #start(key: string, running: Running): Promise<void> {
    const target = running.target;
    let resource: KubeResource;
    try {
      resource = await this.#options.source.discover(target.gvk);
    } catch (error) {
      if (this.#running.get(key) !== running) return;
      running.late = true;
      this.#options.onError?.(error, target);
      this.#later(key, running, () => this.#start(key, running));
      return;
    }
    if (this.#closed.signal.aborted || this.#running.get(key) !== running) {
      return;
    }
    const path = collectionPath(resource, target.namespace);
    const options = this.#options;
    const transport = new FetchWatch(options.stream, {
      ...(options.timeoutSeconds !== undefined
        ? { timeoutSeconds: options.timeoutSeconds }
        : {}),
      ...(options.inactivityMs !== undefined
        ? { inactivityMs: options.inactivityMs }
        : {}),
      clock: this.#clock,
      signal: this.#closed.signal,
      // The first watch request comes right after the first list was
      // delivered: adds from then on are real.
      onWatch: () => {
        if (running.synced) return;
        running.synced = true;
        this.#bridge(key, running);
      },
    });
    this.#transports.add(transport);
    const informer = new ListWatch<KubernetesObject>(
      path,
      transport as unknown as Watch,
      () => this.#list(target),
      false,
      this.#label,
      undefined,
      {
        delayFn: (ms) =>
          delay(ms, { clock: this.#clock, signal: this.#closed.signal })
            .catch(() => {}),
      },
    );
    running.informer = informer;
    const report =
      (type: KubeWatchEvent["type"]) => (object: KubernetesObject) => {
        running.failures = 0;
        if (type === "add" && !running.synced && !this.#options.emitInitial) {
          return;
        }
        this.#emit(type, target.gvk, object);
      };
    informer.on("add", report("add"));
    informer.on("update", report("update"));
    informer.on("delete", report("delete"));
    informer.on("error", (error: unknown) => {
      if (this.#running.get(key) !== running) return;
      if (!running.synced) running.late = true;
      this.#options.onError?.(error, target);
      this.#later(key, running, () => informer.start());
    });
    await informer.start();
  }

  /**
   * Reports what a new informer's first list (its cache now) changed since
   * the gap before it: the difference from what the previous informer of
   * the target knew, or every object when the list came late.
   */
  #bridge(key: string, running: Running): void {
    const gvk = running.target.gvk;
    const listed = running.informer?.list() ?? [];
    const known = this.#known.get(key);
    this.#known.delete(key);
    // With emitInitial the first list was reported as adds already.
    const reported = this.#options.emitInitial ?? false;
    if (!known) {
      if (running.late && !reported) {
        for (const object of listed) this.#emit("add", gvk, object);
      }
      return;
    }
    const label = (o: KnownObject) => o.metadata?.labels?.[this.#label];
    const now = new Map(listed.map((o) => [objectKey(o), o]));
    for (const [name, old] of known) {
      const object = now.get(name);
      // Gone, or now another instance's: its old instance changed too.
      if (!object || label(object) !== label(old)) {
        this.#emit("delete", gvk, old);
      }
    }
    if (reported) return;
    for (const [name, object] of now) {
      const old = known.get(name);
      const version = object.metadata?.resourceVersion;
      if (!old) this.#emit("add", gvk, object);
      else if (!version || version !== old.metadata?.resourceVersion) {
        this.#emit("update", gvk, object);
      }
    }
  }

  /** The list function of an informer: every page, with the list's resourceVersion. */
  async #list(
    target: KubeWatchTarget,
  ): Promise<KubernetesListObject<KubernetesObject>> {
    const items: KubernetesObject[] = [];
    let resourceVersion = "";
    let token: string | undefined;
    do {
      const page = await this.#options.source.listPage(target.gvk, {
        ...(target.namespace !== undefined
          ? { namespace: target.namespace }
          : {}),
        labelSelector: this.#label,
        limit: this.#options.pageSize ?? 500,
        ...(token ? { continue: token } : {}),
      });
      for (const item of page.items as KubernetesObject[]) {
        items.push(slim(item));
      }
      resourceVersion = page.resourceVersion;
      token = page.continue;
    } while (token);
    return { metadata: { resourceVersion }, items };
  }

  /** Runs `action` after a backoff, unless the target is dropped or the watcher closed. */
  #later(key: string, running: Running, action: () => Promise<void>): void {
    if (this.#closed.signal.aborted) return;
    const min = this.#options.minBackoffMs ?? 1_000;
    const max = this.#options.maxBackoffMs ?? 30_000;
    const cap = Math.min(max, min * 2 ** running.failures);
    running.failures++;
    const wait = (this.#options.random ?? Math.random)() * cap;
    running.restart?.abort();
    const restart = new AbortController();
    running.restart = restart;
    delay(wait, {
      clock: this.#clock,
      signal: AbortSignal.any([restart.signal, this.#closed.signal]),
    }).then(
      () => {
        if (this.#running.get(key) === running) return action();
      },
      () => {}, // cancelled
    ).catch((error) => this.#options.onError?.(error, running.target));
  }

  #emit(
    type: KubeWatchEvent["type"],
    gvk: Gvk,
    object: KnownObject,
  ): void {
    const metadata = object.metadata ?? {};
    const instanceId = metadata.labels?.[this.#label];
    if (!instanceId || !metadata.name) return;
    this.#options.onEvent({
      region: this.#options.region,
      type,
      gvk,
      namespace: metadata.namespace ?? "",
      name: metadata.name,
      instanceId,
    });
  }
}
