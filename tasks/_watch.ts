/**
 * `deno task sync --watch` (issue 17): the long-running, event-driven form.
 *
 * One process holds the state lock for its life. While it leads (always,
 * without `--leader-election`), it runs a full pass at start and every
 * `--full-pass-interval` (the safety net, and the only place deletions are
 * decided), and between passes reacts to events: per region, Kubernetes
 * watches when the region has a kube client, else k8splugin status
 * subscriptions calling back the receiver mounted on the `--listen` server.
 * An event marks its instance dirty; after a debounce the one-instance path
 * (`syncInstances`: read → plan → publish → commit, the same planner as a
 * pass) runs. Full passes and one-instance runs never overlap (they share
 * the snapshot file). SIGTERM/SIGINT: work in flight gets a grace period,
 * then watches close, the Lease is released and the server stops.
 *
 * This file wires the parts and runs the loop: the passes are in
 * `_watch_passes.ts`, the event sources in `_watch_sources.ts` (with the
 * subscriptions in `_watch_subscriptions.ts`), the recheck timer in
 * `_watch_recheck.ts`, leader election in `_watch_leader.ts`.
 *
 * @module
 */
import { Registry } from "prom-client";
import {
  type Config,
  inScope,
  type InstanceRead,
  loadSnapshot,
  type ResidentSnapshot,
  type Snapshot,
  type StateLock,
  syncInstances,
  type SyncLogger,
} from "../sync/mod.ts";
import {
  createWatchMetrics,
  DirtyScheduler,
  Shutdown,
  WatchedInstances,
} from "../sync/watch/mod.ts";
import type { ExitCode } from "./_exit.ts";
import {
  aaiClientFrom,
  k8spluginClientFrom,
  kubeClientsFrom,
} from "./_peers.ts";
import { abortOnTermination, type OpsServer, serveOps } from "./_serve.ts";
import { lockState } from "./_state.ts";
import { LeaderElection } from "./_watch_leader.ts";
import { type FullPass, WatchPasses } from "./_watch_passes.ts";
import { RecheckTimer } from "./_watch_recheck.ts";
import { WatchSources } from "./_watch_sources.ts";
import { WatchSubscriptions } from "./_watch_subscriptions.ts";

/** What `sync --watch` is given beyond a pass. */
export interface WatchSettings {
  /** Time between safety-net passes (a list pass, or a full read when due). */
  fullPassIntervalMs: number;
  /** `--resync-interval`: time between full reads of every instance (default 6 h). */
  resyncIntervalMs?: number;
  /** Quiet time after an event before the one-instance run. */
  debounceMs: number;
  /** `--listen host:port` of `/metrics`, `/healthz`, `/readyz` and the callbacks. */
  listen?: { hostname: string; port: number } | undefined;
  /** `--leader-election`. */
  leaderElection: boolean;
  /** `--lease-duration`. */
  leaseDurationMs: number;
  /** `--callback-url`: k8splugin reaches the receiver there. */
  callbackUrl?: string | undefined;
  /** `--wait-lock`. */
  waitLockMs: number;
  /** `--region`, `--instance`. */
  scope: { regions: string[]; instances: string[] };
  /** `--take-ownership`. */
  takeOwnership: boolean;
  /** `--source` or config `source`. */
  source: "k8splugin" | "kube";
  /** Grace for work in flight on SIGTERM, default 15 s. */
  graceMs?: number;
}

// What tasks/sync.ts gives runWatch(): the pass types live with the passes.
export type { FullPass, PassExtras } from "./_watch_passes.ts";

/** Parses `--listen`: `PORT`, `HOST:PORT` or `[V6]:PORT`. */
export function parseListen(text: string): { hostname: string; port: number } {
  const match = /^(?:\[([^\]]+)\]:|([^:]*):)?(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || !(port >= 0 && port <= 65_535)) {
    throw new RangeError(
      `--listen "${text}" is not PORT or HOST:PORT (e.g. 0.0.0.0:9464)`,
    );
  }
  return { hostname: match[1] ?? (match[2] || "0.0.0.0"), port };
}

/** A one-at-a-time queue: full passes and one-instance runs share the snapshot. */
function serial(): <T>(work: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (work) => {
    const next = tail.then(work, work);
    tail = next.catch(() => {});
    return next;
  };
}

/**
 * Runs `sync --watch` until SIGTERM/SIGINT; returns the last full pass's
 * exit code (2 for a usage error found at start).
 */
export async function runWatch(
  config: Config,
  settings: WatchSettings,
  fullPassOnce: FullPass,
  log: SyncLogger,
  env: Record<string, string | undefined>,
): Promise<ExitCode> {
  // The state lock: held for the process's life, or with --leader-election
  // while leading (a follower sharing the state folder waits without it). A
  // cron pass against the same state exits 75 meanwhile.
  let lock: StateLock | undefined = settings.leaderElection
    ? undefined
    : await lockState(config.snapshot, settings.waitLockMs, log);
  async function releaseLock(): Promise<void> {
    const held = lock;
    lock = undefined;
    await held?.[Symbol.asyncDispose]();
  }
  using termination = abortOnTermination();
  const shutdown = new Shutdown({
    signal: termination.signal,
    graceMs: settings.graceMs ?? 15_000,
    cleanupMs: 3_000,
  });
  const registry = new Registry();
  const metrics = createWatchMetrics(registry);
  const k8splugin = k8spluginClientFrom(
    config,
    undefined,
    (message) => log.warn(message),
  );
  const aai = aaiClientFrom(config);
  const kubeClients = await kubeClientsFrom(config, k8splugin, settings.source);
  shutdown.defer("peer clients", async () => {
    k8splugin.close?.();
    aai.close?.();
    await kubeClients?.close();
  });

  let leading = !settings.leaderElection;
  /** The snapshot in memory: loaded once per leadership term (or process). */
  const resident: ResidentSnapshot = {};
  /** Regions, rechecks and failed reads, pruned to the list after every pass. */
  const watched = new WatchedInstances();
  const run = serial();

  /** The k8splugin status subscriptions, with --callback-url. */
  const subscriptions = settings.callbackUrl
    ? await WatchSubscriptions.from({
      callbackUrl: settings.callbackUrl,
      k8splugin: config.k8splugin,
      env,
      metrics,
      watched,
      query: k8splugin,
      scope: settings.scope,
      log,
      mark,
      hasKubeClient: (region) => kubeClients?.get(region) !== undefined,
      active: () => leading && !shutdown.stopping,
    })
    : undefined;
  const observeStatus = subscriptions?.observeStatus;
  /** Per region: Kubernetes watches, else the subscriptions, else none. */
  const sources = new WatchSources({
    scope: settings.scope,
    kubeClients,
    subscriptions,
    metrics,
    watched,
    log,
    mark,
    active: () => leading && !shutdown.stopping,
    snapshot: async () =>
      resident.snapshot as Snapshot | undefined ??
        (await loadSnapshot(config.snapshot, new Date())).snapshot,
  });

  /** Marks an instance dirty while leading, in scope. */
  function mark(instanceId: string): void {
    if (!leading) return;
    const region = watched.regionOf(instanceId);
    if (
      region !== undefined &&
      !inScope(settings.scope, instanceId, region)
    ) return;
    scheduler.mark(instanceId);
    metrics.dirty.set(scheduler.pending.length);
  }

  /**
   * What every read tells the bookkeeping (a recheck the rules asked for,
   * a grace period, is marked dirty then) and the subscription keeper.
   */
  function noteRead(read: InstanceRead): void {
    watched.noteRead(read);
    subscriptions?.noteRead(read);
  }

  const scheduler = new DirtyScheduler({
    debounceMs: settings.debounceMs,
    maxWaitMs: Math.max(settings.debounceMs * 5, 1_000),
    onDirty(ids, signal) {
      metrics.dirty.set(0);
      if (!leading || signal.aborted) return;
      return shutdown.track(run(() => instanceRun(ids)));
    },
    onError(error, ids) {
      metrics.instanceRuns.inc({ outcome: "failed" }, ids.length);
      log.error(`One-instance run failed: ${(error as Error).message}`, {
        instances: ids,
      });
    },
  });

  /** Marks the instances whose rules asked for a recheck when it is due. */
  const recheck = new RecheckTimer({
    resident,
    watched,
    armable: () => leading && !shutdown.stopping,
    mark,
  });

  /** Full and list passes, and what they remember between them. */
  const passes = new WatchPasses({
    fullPassOnce,
    k8splugin,
    resyncIntervalMs: settings.resyncIntervalMs ?? 6 * 3_600_000,
    resident,
    watched,
    onRead: noteRead,
    observeStatus,
    scheduler,
    sources,
    subscriptions,
    recheck,
    log,
  });

  /** The one-instance path of `ids`; re-lists first for an id not listed yet. */
  async function instanceRun(ids: string[]): Promise<void> {
    if (!leading || !lock) return;
    // A watch event can name an instance created since the last list.
    if (ids.some((id) => !passes.isListed(id))) {
      try {
        await passes.relist();
      } catch (error) {
        log.warn(
          `Cannot list instances for a new one (the next full pass will): ${
            (error as Error).message
          }`,
        );
      }
    }
    const kube = kubeClients;
    const report = await syncInstances(ids, {
      k8splugin,
      aai,
      ...(kube ? { kube: (region: string) => kube.get(region) } : {}),
      log,
    }, {
      config,
      listed: passes.listed,
      regions: settings.scope.regions,
      takeOwnership: settings.takeOwnership,
      source: settings.source,
      recordOperations: false,
      onRead: noteRead,
      observeStatus,
      resident,
    });
    recheck.arm();
    if (!report) return;
    const failed = report.errors.length > 0;
    metrics.instanceRuns.inc(
      { outcome: failed ? "failed" : "ok" },
      report.instances.listed,
    );
    const w = report.writes;
    log.info(
      `Event run: ${report.instances.listed} instance(s) · writes ${w.create} create, ${w.update} update, ${w.delete} delete, ${w.relate} relate · ${report.errors.length} errors · ${
        (report.durationMs / 1000).toFixed(2)
      }s`,
      { instances: ids, writes: w, errors: report.errors.length },
    );
  }

  // The ops server: probes, metrics, and k8splugin's callbacks.
  let ops: OpsServer | undefined;
  const listen = settings.listen ??
    (subscriptions ? { hostname: "0.0.0.0", port: 9464 } : undefined);
  if (listen) {
    ops = serveOps({
      registry,
      hostname: listen.hostname,
      port: listen.port,
      ready() {
        if (shutdown.stopping) return { ok: false, detail: "stopping" };
        if (!leading) return { ok: true, detail: "standby" };
        if (!passes.firstPassDone) {
          return { ok: false, detail: "first pass running" };
        }
        const unsynced = sources.unsynced;
        return unsynced.length === 0 ? { ok: true } : {
          ok: false,
          detail: `watches of ${unsynced.join(", ")} not synced`,
        };
      },
      ...(subscriptions ? { mounts: [subscriptions.mount] } : {}),
      onError: (error) =>
        log.error(`Ops server: ${(error as Error).message ?? error}`),
    });
    log.info(`Listening on ${ops.url} (/metrics, /healthz, /readyz)`);
  }

  // Wakes the loop for a full pass now (a new leader starts with one).
  let wake: (() => void) | undefined;
  let woken = false;
  function wakeUp(): void {
    woken = true;
    wake?.();
  }

  const election = settings.leaderElection
    ? await LeaderElection.from({
      leaseDurationMs: settings.leaseDurationMs,
      env,
      log,
      onStartedLeading() {
        leading = true;
        passes.startTerm();
        metrics.leader.set(1);
        log.info("Leading: starting with a full pass");
        wakeUp();
      },
      onStoppedLeading() {
        leading = false;
        metrics.leader.set(0);
        scheduler.forget();
        log.warn("Stopped leading: no more writes until leading again");
        void sources.stop();
        recheck.disarm();
        subscriptions?.clear();
        // After the run in flight: the next leader may then take the lock;
        // the next term loads the snapshot afresh.
        void run(async () => {
          resident.snapshot = undefined;
          await releaseLock();
        });
      },
    })
    : undefined;
  if (!election) metrics.leader.set(1);

  // Cleanups run last registered first.
  shutdown.defer("ops server", () => ops?.close());
  shutdown.defer("state lock", () => releaseLock());
  shutdown.defer("leader stream", () => election?.close());
  shutdown.defer("lease", () => election?.resign());
  shutdown.defer("subscriptions", () => subscriptions?.close());
  shutdown.defer("scheduler", () => {
    recheck.disarm();
    subscriptions?.dropSuspects();
    return scheduler.close();
  });
  shutdown.defer("watches", () => sources.stop());
  shutdown.signal.addEventListener("abort", () => {
    log.info(`Shutting down (${String(shutdown.signal.reason)})`);
    wake?.();
  }, { once: true });

  election?.start();
  const loop = (async () => {
    while (!shutdown.stopping) {
      if (leading && !lock) {
        try {
          // The previous leader releases it when it stops (or dies).
          lock = await lockState(
            config.snapshot,
            Math.max(settings.waitLockMs, settings.leaseDurationMs * 2),
            log,
          );
          resident.snapshot = undefined;
          passes.readAllNext();
        } catch (error) {
          log.error(
            `Leading, but the state lock is held elsewhere: ${
              (error as Error).message
            }`,
          );
        }
      }
      if (leading && lock) {
        woken = false;
        await shutdown.track(run(passes.next()));
      }
      if (shutdown.stopping) break;
      if (woken) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, settings.fullPassIntervalMs);
        function done(): void {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        }
        wake = done;
      });
    }
  })();
  const report = await shutdown.done;
  await Promise.race([loop, Promise.resolve()]);
  for (const { name, error } of report.failed) {
    log.warn(`Shutdown: ${name} did not close cleanly: ${String(error)}`);
  }
  log.info(
    `Stopped${
      report.abandoned ? ` (${report.abandoned} run(s) abandoned)` : ""
    }`,
  );
  return passes.lastCode;
}
