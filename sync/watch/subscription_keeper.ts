/**
 * Keeps one k8splugin status subscription per instance for `sync --watch`
 * when a region has no kube client (issue 17), named `{id}-k8s-aai-sync`
 * (never SO's `{id}-cnf-adapter`), with k8splugin's quirks (reference
 * k8splugin.md §5) handled:
 *
 * - the notifier dies silently on the first `/status` that fails, and only a
 *   plugin restart revives it: a pass that saw `/status` fail reports it
 *   ({@linkcode SubscriptionKeeper.noteStatusRead}), and once `/status`
 *   succeeds again the subscription is replaced (delete + create);
 * - a change a pass saw with no notification within two notifier periods
 *   plus 10 s ({@linkcode SubscriptionKeeper.noteChange}) also means a dead
 *   notifier;
 * - a `last-notify-status` that is not 2xx (our receiver refused it, or it
 *   was unreachable) and a callback URL that is not the one expected (a new
 *   secret, a new address) are replaced too;
 * - subscriptions vanish with their instance and come back after a plugin
 *   restart: {@linkcode SubscriptionKeeper.ensure} creates what is missing,
 *   {@linkcode SubscriptionKeeper.forget} drops what is no longer listed;
 * - the first call for an instance blocks ~5 s under a plugin-wide lock:
 *   callers run the keeper in the background, one call at a time
 *   (`SubscriptionQueue`).
 *
 * @module
 */
// From the adapter files, not adapters/mod.ts: mod.ts re-exports the kube
// adapters, and this module is loaded by every `deno task sync` process.
import { type Clock, SYSTEM_CLOCK } from "../../adapters/clock.ts";
import type { SubscriptionReceiver } from "../../adapters/k8splugin_receiver.ts";
import {
  type K8spluginSubscriptions,
  type StatusSubscription,
  SubscriptionExistsError,
} from "../../adapters/k8splugin_subscriptions.ts";

/** What {@linkcode SubscriptionKeeper.ensure} did. */
export interface EnsureResult {
  /** `kept`: healthy as it is; `created`: there was none; `replaced`: deleted and created again. */
  action: "kept" | "created" | "replaced";
  /** Why it was replaced (for the log). */
  reason?: string;
}

/** Options of {@linkcode SubscriptionKeeper}. */
export interface SubscriptionKeeperOptions {
  /** k8splugin's subscription endpoints. */
  client: K8spluginSubscriptions;
  /** The receiver the callbacks go to (it hands out the callback URLs). */
  receiver: Pick<
    SubscriptionReceiver,
    "register" | "unregister" | "lastNotifiedAt"
  >;
  /** Appended to the instance id to name the subscription, default `-k8s-aai-sync`. */
  nameSuffix?: string;
  /** `min-notify-interval` in seconds, default 5 (k8splugin polls every `max(5, it)` s). */
  minNotifyIntervalS?: number;
  /** Metadata echoed in notifications, default `{ "owner": "k8s-aai-sync" }`. */
  metadata?: Record<string, unknown>;
  /** Time source, default {@linkcode SYSTEM_CLOCK}. */
  clock?: Clock;
}

/** What the keeper remembers of one instance. */
interface Tracked {
  /** A `/status` read failed since the subscription was (re)created. */
  failedSinceCreate: boolean;
  /** The last `/status` read succeeded. */
  lastReadOk: boolean;
  /** When a pass last saw the instance change (ms). */
  changedAt?: number;
  /** When the subscription was last (re)created (ms). */
  createdAt?: number;
}

/**
 * One status subscription per instance, re-registered when its notifier is
 * presumed dead.
 */
export class SubscriptionKeeper {
  readonly #client: K8spluginSubscriptions;
  readonly #receiver: SubscriptionKeeperOptions["receiver"];
  readonly #suffix: string;
  readonly #interval: number;
  readonly #metadata: Record<string, unknown>;
  readonly #clock: Clock;
  readonly #tracked = new Map<string, Tracked>();

  /** Stores the options. */
  constructor(options: SubscriptionKeeperOptions) {
    this.#client = options.client;
    this.#receiver = options.receiver;
    this.#suffix = options.nameSuffix ?? "-k8s-aai-sync";
    this.#interval = options.minNotifyIntervalS ?? 5;
    this.#metadata = options.metadata ?? { owner: "k8s-aai-sync" };
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    if (this.#suffix === "-cnf-adapter") {
      throw new RangeError(
        "Cannot name subscriptions \"{id}-cnf-adapter\": that is SO's CNF adapter's",
      );
    }
  }

  /** The subscription name of an instance. */
  nameFor(instanceId: string): string {
    return `${instanceId}${this.#suffix}`;
  }

  /** Instance ids currently kept. */
  get instances(): string[] {
    return [...this.#tracked.keys()];
  }

  /**
   * Records the outcome of a `/status` read of the instance by a pass or
   * the one-instance path. A failure means k8splugin's notifier for it has
   * stopped; the subscription is replaced by the next `ensure` after a read
   * that succeeds.
   */
  noteStatusRead(instanceId: string, ok: boolean): void {
    const tracked = this.#tracked.get(instanceId);
    if (!tracked) return;
    tracked.lastReadOk = ok;
    if (!ok) tracked.failedSinceCreate = true;
  }

  /**
   * Records that a pass found the instance changed (without a notification
   * having caused the read); if no notification follows in time, the
   * notifier is presumed dead.
   */
  noteChange(instanceId: string, at: number = this.#clock.now()): void {
    const tracked = this.#tracked.get(instanceId);
    if (tracked) tracked.changedAt = at;
  }

  /** Milliseconds a change may go without notification: two notifier polls, the POST, and a margin. */
  get notifyWindowMs(): number {
    return (2 * Math.max(5, this.#interval) + 10) * 1_000;
  }

  /**
   * Makes sure the instance has a live subscription pointing at the
   * receiver: creates a missing one, replaces one whose notifier is
   * presumed dead, keeps a healthy one.
   */
  async ensure(instanceId: string): Promise<EnsureResult> {
    const name = this.nameFor(instanceId);
    const url = await this.#receiver.register(instanceId, name);
    let tracked = this.#tracked.get(instanceId);
    if (!tracked) {
      tracked = { failedSinceCreate: false, lastReadOk: true };
      this.#tracked.set(instanceId, tracked);
    }
    const existing = await this.#client.get(instanceId, name);
    if (!existing) {
      await this.#create(instanceId, name, url, tracked);
      return { action: "created" };
    }
    const reason = this.#deathReason(existing, url, tracked, name);
    if (reason === undefined) return { action: "kept" };
    await this.#client.delete(instanceId, name);
    await this.#create(instanceId, name, url, tracked);
    return { action: "replaced", reason };
  }

  /** Stops keeping an instance's subscription: refuses its callbacks and deletes it. */
  async forget(instanceId: string): Promise<void> {
    const name = this.nameFor(instanceId);
    this.#tracked.delete(instanceId);
    this.#receiver.unregister(name);
    await this.#client.delete(instanceId, name);
  }

  async #create(
    instanceId: string,
    name: string,
    url: string,
    tracked: Tracked,
  ): Promise<void> {
    const request = {
      name,
      minNotifyInterval: this.#interval,
      callbackUrl: url,
      metadata: this.#metadata,
    };
    try {
      await this.#client.create(instanceId, request);
    } catch (error) {
      // A create that timed out may have succeeded after all: replace it.
      if (!(error instanceof SubscriptionExistsError)) throw error;
      await this.#client.delete(instanceId, name);
      await this.#client.create(instanceId, request);
    }
    tracked.failedSinceCreate = false;
    tracked.lastReadOk = true;
    tracked.createdAt = this.#clock.now();
    delete tracked.changedAt;
  }

  /** Why an existing subscription is presumed dead, or undefined when it looks alive. */
  #deathReason(
    existing: StatusSubscription,
    url: string,
    tracked: Tracked,
    name: string,
  ): string | undefined {
    if (existing.callbackUrl !== url) {
      return "its callback URL is not this receiver's (address or secret changed)";
    }
    const status = existing.lastNotifyStatus;
    if (status !== 0 && (status < 200 || status > 299)) {
      return `its last notification got HTTP ${status}`;
    }
    if (tracked.failedSinceCreate && tracked.lastReadOk) {
      return "a /status read failed since it was created, which stops k8splugin's notifier for good";
    }
    const changedAt = tracked.changedAt;
    if (changedAt !== undefined) {
      // Our receiver's time, not k8splugin's `last-notify-time`: the two
      // clocks may disagree by more than the window.
      const notified = this.#receiver.lastNotifiedAt(name) ?? 0;
      const waited = this.#clock.now() - changedAt;
      if (notified < changedAt && waited > this.notifyWindowMs) {
        return `no notification for a change seen ${
          Math.round(waited / 1_000)
        } s ago`;
      }
    }
    return undefined;
  }
}
