/**
 * The event sources of `sync --watch` (issue 17), per region: Kubernetes
 * watches where the region has a kube client, else k8splugin status
 * subscriptions ({@linkcode WatchSubscriptions}), else none (only passes
 * keep the region in step, which is said once). Kept after every pass,
 * following the list of instances.
 *
 * `@kubernetes/client-node` is loaded only when a region is watched.
 *
 * @module
 */
import type { InstanceSummary } from "../adapters/k8splugin.ts";
import type { KubeClient, KubeClients } from "../adapters/kube.ts";
import type { KubeStream } from "../adapters/kube_stream.ts";
import type { KubeWatcher, KubeWatchTarget } from "../adapters/kube_watch.ts";
import {
  inScope,
  type Scope,
  type Snapshot,
  type SyncLogger,
} from "../sync/mod.ts";
import type { WatchedInstances, WatchMetrics } from "../sync/watch/mod.ts";
import type { WatchSubscriptions } from "./_watch_subscriptions.ts";

/** The watch targets of each region: every kind its instances' objects use, and Pods. */
export function watchTargetsByRegion(
  snapshot: Snapshot,
): Map<string, KubeWatchTarget[]> {
  const byRegion = new Map<string, Map<string, KubeWatchTarget>>();
  for (const instance of Object.values(snapshot.instances)) {
    const targets = byRegion.get(instance.cloudRegion) ??
      new Map<string, KubeWatchTarget>([["/v1/Pod", {
        gvk: { group: "", version: "v1", kind: "Pod" },
      }]]);
    byRegion.set(instance.cloudRegion, targets);
    for (const object of Object.values(instance.objects)) {
      const [group = "", version = "", kind = ""] = object.key.split("/");
      if (!version || !kind) continue;
      targets.set(`${group}/${version}/${kind}`, {
        gvk: { group, version, kind },
      });
    }
  }
  return new Map(
    [...byRegion].map(([region, targets]) => [region, [...targets.values()]]),
  );
}

/** What {@linkcode WatchSources} is given. */
export interface WatchSourcesOptions {
  /** `--region`, `--instance`: only these get an event source. */
  scope: Scope;
  /** The regions' kube clients, if any region has one. */
  kubeClients: KubeClients | undefined;
  /** The subscriptions, with `--callback-url`. */
  subscriptions: WatchSubscriptions | undefined;
  /** Counts watch events and failures. */
  metrics: WatchMetrics;
  /** Placed by watch events; its failed reads tell which notifiers died. */
  watched: Pick<WatchedInstances, "place" | "failedReads">;
  /** Where the watch failures and the regions without a source go. */
  log: SyncLogger;
  /** Marks an instance dirty. */
  mark(instanceId: string): void;
  /** False while no source may be started (not leading, or stopping). */
  active(): boolean;
  /** The snapshot the watch targets come from (the resident one, else read). */
  snapshot(): Promise<Snapshot>;
}

/** How {@linkcode WatchSources.follow} keeps the sources after a pass. */
export interface FollowOptions {
  /** The ids listed before the pass. */
  before: ReadonlySet<string>;
  /** The ids whose read had failed before the pass. */
  failedBefore: readonly string[];
  /**
   * `all`: every subscription checked; `changes`: those of new, gone and
   * recovered instances; `changes-if-any`: the same, and nothing at all
   * (watches included) when there are none.
   */
  scope: "all" | "changes" | "changes-if-any";
  /** The pass read the whole list (else no subscription is forgotten). */
  whole: boolean;
}

/** The event sources of every listed region. */
export class WatchSources {
  readonly #options: WatchSourcesOptions;
  readonly #watchers = new Map<string, KubeWatcher>();
  /** Regions already warned about having no event source. */
  readonly #quietRegions = new Set<string>();

  /** Stores the options; nothing is watched until {@linkcode WatchSources.keep}. */
  constructor(options: WatchSourcesOptions) {
    this.#options = options;
  }

  /** The regions whose watches have not delivered their first list yet. */
  get unsynced(): string[] {
    return [...this.#watchers].filter(([, w]) => !w.synced).map(([r]) => r);
  }

  /**
   * After a pass: keeps the event sources — all of them, or (`changes`)
   * watches and the subscriptions of new and gone instances (none gone
   * after a partial pass), plus those whose read failed and now works
   * (their notifier died with the failure: replaced).
   */
  async follow(
    listed: readonly InstanceSummary[],
    { before, failedBefore, scope, whole }: FollowOptions,
  ): Promise<void> {
    const { watched, active, log } = this.#options;
    const now = new Set(listed.map((s) => s.id));
    const added = [...now].filter((id) => !before.has(id));
    const gone = whole ? [...before].filter((id) => !now.has(id)) : [];
    const recovered = failedBefore.filter((id) =>
      now.has(id) && !watched.failedReads.has(id)
    );
    const changes = added.length + gone.length + recovered.length;
    if (!active()) return;
    if (scope === "changes-if-any" && changes === 0) return;
    try {
      // The pass just read them all: only a later replacement needs a read.
      await this.keep(
        listed,
        scope === "all"
          // After a partial pass, no subscription is forgotten.
          ? (whole ? undefined : { added: [...now], gone: [] })
          : { added: [...added, ...recovered], gone },
        scope !== "all",
      );
    } catch (error) {
      log.error(`Cannot keep the event sources: ${(error as Error).message}`);
    }
  }

  /**
   * Watches (kube client) or subscriptions (callback URL) per region of
   * `listed`. With `changed` (a list pass) subscriptions are only created
   * for new instances and forgotten for gone ones; else all are checked.
   */
  async keep(
    listed: readonly InstanceSummary[],
    changed?: { added: string[]; gone: string[] },
    markReplaced = false,
  ): Promise<void> {
    const { scope, kubeClients, subscriptions, log, active, snapshot } =
      this.#options;
    const byRegion = new Map<string, string[]>();
    for (const s of listed) {
      if (!inScope(scope, s.id, s.cloudRegion)) continue;
      const ids = byRegion.get(s.cloudRegion);
      if (ids) ids.push(s.id);
      else byRegion.set(s.cloudRegion, [s.id]);
    }
    const targets = kubeClients
      ? watchTargetsByRegion(await snapshot())
      : new Map<string, KubeWatchTarget[]>();
    const viaSubscriptions: string[] = [];
    for (const [region, ids] of byRegion) {
      if (!active()) return;
      const client = kubeClients?.get(region);
      if (client) {
        await this.#watch(region, client, targets.get(region) ?? []);
      } else if (subscriptions) {
        viaSubscriptions.push(...ids);
      } else if (!this.#quietRegions.has(region)) {
        this.#quietRegions.add(region);
        log.warn(
          `Region "${region}" has no event source (no kube client, no --callback-url): only full passes keep it in step`,
          { region },
        );
      }
    }
    for (const [region, watcher] of this.#watchers) {
      if (!byRegion.has(region)) {
        this.#watchers.delete(region);
        await watcher.close();
      }
    }
    // In the background: k8splugin serialises subscription calls.
    subscriptions?.keep(viaSubscriptions, changed, markReplaced);
  }

  /** Closes every watch (on losing the lead, and on shutdown). */
  async stop(): Promise<void> {
    const all = [...this.#watchers.values()];
    this.#watchers.clear();
    await Promise.all(all.map((w) => w.close()));
  }

  /** Watches `targets` in `region`, starting the region's watcher on first use. */
  async #watch(
    region: string,
    client: KubeClient,
    targets: KubeWatchTarget[],
  ): Promise<void> {
    const { metrics, watched, log, mark } = this.#options;
    let watcher = this.#watchers.get(region);
    if (!watcher) {
      const { KubeWatcher } = await import("../adapters/kube_watch.ts");
      // The client's connections outlive the watcher (passes read through it).
      const stream: KubeStream = {
        fetch: (path, init) => client.fetch(path, init),
        close() {},
      };
      watcher = new KubeWatcher({
        region,
        source: client,
        stream,
        onEvent(event) {
          metrics.events.inc({ region, source: "kube" });
          watched.place(event.instanceId, region);
          mark(event.instanceId);
        },
        onError(error, target) {
          metrics.watchErrors.inc({ region });
          log.warn(
            `Watch of ${target.gvk.kind} in region "${region}" failed (restarting): ${
              (error as Error).message
            }`,
            { region },
          );
        },
      });
      this.#watchers.set(region, watcher);
    }
    await watcher.watch(targets);
  }
}
