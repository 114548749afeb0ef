/**
 * The k8splugin status subscriptions of `sync --watch` (issue 17), for the
 * regions without a kube client: the receiver k8splugin calls back, the
 * keeper of one subscription per instance with its background queue, the
 * audit a list pass runs instead of reading every instance, and the
 * "suspects" the audit found changed without a notification.
 *
 * @module
 */
import type { InstanceSummary, ResourceStatus } from "../adapters/k8splugin.ts";
import { HttpK8spluginSubscriptions } from "../adapters/k8splugin_subscriptions.ts";
import { SubscriptionReceiver } from "../adapters/k8splugin_receiver.ts";
import {
  type Config,
  inScope,
  type InstanceRead,
  type Scope,
  type SyncLogger,
} from "../sync/mod.ts";
import {
  countSubscription,
  type EnsureResult,
  NotifierAudit,
  SubscriptionKeeper,
  SubscriptionQueue,
  type WatchedInstances,
  type WatchMetrics,
} from "../sync/watch/mod.ts";
import type { MountedHandler } from "./_serve.ts";
import { auditSubscriptions, type RegionQuery } from "./_watch_audit.ts";

/** What {@linkcode WatchSubscriptions} is given, besides the parts it builds. */
export interface WatchSubscriptionsOptions {
  /** Counts notifications, refused callbacks and kept subscriptions. */
  metrics: WatchMetrics;
  /** The regions of instances, and those whose last read failed. */
  watched: Pick<WatchedInstances, "regionOf" | "failedReads">;
  /** Runs the audit's region-wide queries. */
  query: RegionQuery;
  /** `--region`, `--instance`: the audit covers these only. */
  scope: Scope;
  /** Where the warnings and the audit's summary go. */
  log: SyncLogger;
  /** Marks an instance dirty (read it again). */
  mark(instanceId: string): void;
  /** True for a region kept by Kubernetes watches instead. */
  hasKubeClient(region: string): boolean;
  /** False while nothing may be subscribed (not leading, or stopping). */
  active(): boolean;
}

/** What {@linkcode WatchSubscriptions.from} needs to build the receiver and keeper. */
export interface WatchSubscriptionsSetup extends WatchSubscriptionsOptions {
  /** `--callback-url`: k8splugin reaches the receiver there. */
  callbackUrl: string;
  /** Where k8splugin's subscription API is. */
  k8splugin: Config["k8splugin"];
  /** `K8S_AAI_SYNC_CALLBACK_KEY_FILE`, `K8S_AAI_SYNC_NOTIFY_INTERVAL`. */
  env: Record<string, string | undefined>;
}

/** The parts {@linkcode WatchSubscriptions.from} builds. */
export interface WatchSubscriptionsParts {
  /** Checks and forwards k8splugin's callbacks. */
  receiver: SubscriptionReceiver;
  /** One subscription per instance. */
  keeper: SubscriptionKeeper;
  /** The keeper's calls, in the background. */
  queue: SubscriptionQueue;
  /** What each read of a subscription-kept instance returned. */
  audit: NotifierAudit;
}

/** The audit step of a list pass: what to read, and what to suspect after. */
export interface AuditOutcome {
  /** Instances to read now: changed unseen, or not audited. */
  read: string[];
  /** Instances that changed without a notification. */
  changedUnseen: string[];
}

/**
 * The subscription side of `sync --watch`: passes and events never wait
 * for k8splugin's subscription calls (it serialises them, each instance's
 * first one taking seconds); they run in the background.
 */
export class WatchSubscriptions {
  readonly #options: WatchSubscriptionsOptions;
  readonly #parts: WatchSubscriptionsParts;
  /** Instances the audit found changed, waiting for the keeper's window. */
  readonly #suspects = new Set<string>();
  #suspectTimer: ReturnType<typeof setTimeout> | undefined;

  /** Builds the receiver, keeper, queue and audit (reads the callback key file). */
  static async from(
    setup: WatchSubscriptionsSetup,
  ): Promise<WatchSubscriptions> {
    const { metrics, watched, log, mark, env } = setup;
    const keyFile = env.K8S_AAI_SYNC_CALLBACK_KEY_FILE;
    const key = keyFile ? await Deno.readFile(keyFile) : undefined;
    const receiver = new SubscriptionReceiver({
      publicUrl: setup.callbackUrl,
      ...(key ? { key } : {}),
      onNotification(notification) {
        metrics.events.inc({
          region: watched.regionOf(notification.instanceId) ?? "",
          source: "subscription",
        });
        mark(notification.instanceId);
      },
      onRejected(rejection) {
        metrics.callbacksRejected.inc({ status: String(rejection.status) });
        log.warn(
          `Refused a k8splugin callback (${rejection.status}): ${rejection.reason}`,
          rejection.subscription
            ? { subscription: rejection.subscription }
            : {},
        );
      },
    });
    const keeper = new SubscriptionKeeper({
      client: new HttpK8spluginSubscriptions({
        baseUrl: setup.k8splugin.url,
        timeoutMs: setup.k8splugin.timeout,
        insecure: setup.k8splugin.insecure,
        ...(setup.k8splugin.caFile ? { caFile: setup.k8splugin.caFile } : {}),
      }),
      receiver,
      ...(env.K8S_AAI_SYNC_NOTIFY_INTERVAL
        ? { minNotifyIntervalS: Number(env.K8S_AAI_SYNC_NOTIFY_INTERVAL) }
        : {}),
    });
    const queue = new SubscriptionQueue({
      keeper,
      onResult: (id, result, readAfterChange) =>
        reportKept(id, result, readAfterChange, setup),
    });
    return new WatchSubscriptions(setup, {
      receiver,
      keeper,
      queue,
      audit: new NotifierAudit(),
    });
  }

  /** Stores what it is given. */
  constructor(
    options: WatchSubscriptionsOptions,
    parts: WatchSubscriptionsParts,
  ) {
    this.#options = options;
    this.#parts = parts;
  }

  /** The receiver, to mount on the ops server. */
  get mount(): MountedHandler {
    const receiver = this.#parts.receiver;
    return {
      prefix: receiver.prefix,
      handle: (request: Request) => receiver.handle(request),
    };
  }

  /**
   * Shown every `/status` read's entries (`SyncOptions.observeStatus`):
   * remembered for the audit, for instances kept by subscriptions.
   */
  readonly observeStatus = (
    summary: InstanceSummary,
    resources: ResourceStatus[],
  ): void => {
    if (this.#options.hasKubeClient(summary.cloudRegion)) return;
    this.#parts.audit.record(
      summary.id,
      summary.cloudRegion,
      summary.namespace,
      resources,
    );
  };

  /** Tells the keeper how a read went (a failed `/status` kills k8splugin's notifier). */
  noteRead(read: InstanceRead): void {
    this.#parts.keeper.noteStatusRead(read.summary.id, read.ok);
  }

  /**
   * Keeps the subscriptions of `instanceIds` (those without a kube client),
   * in the background: with `changed` only those added are ensured and
   * those gone forgotten, else every one is checked. With `markReplaced`,
   * an instance whose subscription was created or replaced is read again.
   */
  keep(
    instanceIds: readonly string[],
    changed: { added: string[]; gone: string[] } | undefined,
    markReplaced: boolean,
  ): void {
    const queue = this.#parts.queue;
    if (changed) {
      const wanted = new Set(instanceIds);
      queue.ensure(changed.added.filter((id) => wanted.has(id)), markReplaced);
      queue.forget(changed.gone);
    } else queue.reconcile(instanceIds, markReplaced);
  }

  /**
   * The audit step of a list pass: k8splugin's notifier dies silently on a
   * failed `/status`, and its POSTs are never retried, so a few region-wide
   * queries find the listed instances (in scope, without a kube client)
   * that moved unseen.
   */
  async audit(listed: readonly InstanceSummary[]): Promise<AuditOutcome> {
    const { hasKubeClient, scope, query, log } = this.#options;
    const kept = listed.filter((s) =>
      !hasKubeClient(s.cloudRegion) &&
      inScope(scope, s.id, s.cloudRegion)
    );
    if (kept.length === 0) return { read: [], changedUnseen: [] };
    const found = await auditSubscriptions(this.#parts.audit, query, kept);
    for (const problem of found.problems) {
      log.warn(`Subscription audit: ${problem}`);
    }
    log.info(
      `Subscription audit: ${kept.length} instance(s), ${found.queries} query(ies) · ${found.changed.length} changed unseen · ${found.unaudited.length} read instead`,
    );
    // Changed ones are read now; their subscriptions are checked later.
    return {
      read: [...found.unaudited, ...found.changed],
      changedUnseen: found.changed,
    };
  }

  /**
   * Instances the audit found changed (and the list pass read): once a
   * notification could have come (the keeper's window), those that got
   * none have their subscription replaced (the keeper's "no notification
   * for a change") and are read again.
   */
  suspect(ids: readonly string[]): void {
    const keeper = this.#parts.keeper;
    if (ids.length === 0) return;
    // A notification shortly before the audit explains the change too.
    const since = Date.now() - keeper.notifyWindowMs;
    for (const id of ids) {
      keeper.noteChange(id, since);
      this.#suspects.add(id);
    }
    if (this.#suspectTimer !== undefined) return;
    this.#suspectTimer = setTimeout(() => {
      this.#suspectTimer = undefined;
      const ids = [...this.#suspects];
      this.#suspects.clear();
      const { active, watched } = this.#options;
      if (!active()) return;
      // Still listed, and read fine (while a read fails, a new notifier
      // would die at its first reading: replaced once reads work again).
      this.#parts.queue.ensure(
        ids.filter((id) =>
          watched.regionOf(id) !== undefined && !watched.failedReads.has(id)
        ),
        true,
      );
    }, keeper.notifyWindowMs);
    Deno.unrefTimer(this.#suspectTimer);
  }

  /** Forgets the suspects and stops their timer. */
  dropSuspects(): void {
    clearTimeout(this.#suspectTimer);
    this.#suspectTimer = undefined;
    this.#suspects.clear();
  }

  /** Prunes what the audit remembers to these instances. */
  keepOnly(instanceIds: readonly string[]): void {
    this.#parts.audit.keepOnly(instanceIds);
  }

  /** On losing the lead: drops the suspects and the queued calls. */
  clear(): void {
    this.dropSuspects();
    this.#parts.queue.clear();
  }

  /** Closes the queue (on shutdown). */
  close(): Promise<void> {
    return this.#parts.queue.close();
  }
}

/** Logs and counts what the keeper did; with `readAfterChange`, reads what it replaced. */
function reportKept(
  id: string,
  result: EnsureResult | Error,
  readAfterChange: boolean,
  { metrics, log, mark }: WatchSubscriptionsOptions,
): void {
  countSubscription(metrics, result);
  if (result instanceof Error) {
    log.warn(
      `Cannot keep the status subscription of ${id}: ${result.message}`,
      { instanceId: id },
    );
    if (readAfterChange) mark(id);
  } else if (result.action !== "kept") {
    // Events may have been lost meanwhile: read it again.
    if (readAfterChange) mark(id);
    log.info(
      `Status subscription of ${id} ${result.action}${
        result.reason ? ` (${result.reason})` : ""
      }`,
      { instanceId: id },
    );
  }
}
