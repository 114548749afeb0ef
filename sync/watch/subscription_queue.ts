/**
 * Keeps k8splugin status subscriptions in the background of `sync --watch`
 * (issue 17), so that passes and one-instance runs never wait for them.
 *
 * k8splugin serialises subscription calls: the first call for an instance
 * sleeps ~5 s while holding a plugin-wide lock (`getSubscriptionData`,
 * reference k8splugin.md §5), so subscribing 2,000 instances takes ~2.8 h
 * whatever the client's concurrency — and every other subscription call,
 * SO's included, waits behind the one sleeping. Awaited inside a pass, that
 * would stall every event for hours. Here the work is a queue: one call at
 * a time by default (more only queues more callers behind k8splugin's
 * lock), newest requests merged with pending ones, dropped when leadership
 * is lost, and each outcome reported as it lands.
 *
 * @module
 */
import type {
  EnsureResult,
  SubscriptionKeeper,
} from "./subscription_keeper.ts";

/** What the queue is asked to do for one instance. */
type Job = { kind: "ensure"; readAfterChange: boolean } | { kind: "forget" };

/** Options of {@linkcode SubscriptionQueue}. */
export interface SubscriptionQueueOptions {
  /** The keeper doing the calls. */
  keeper: Pick<SubscriptionKeeper, "ensure" | "forget" | "instances">;
  /** Calls in flight at once, default 1 (k8splugin serialises them). */
  concurrency?: number;
  /**
   * Told each ensure's outcome; `readAfterChange` as given to
   * {@linkcode SubscriptionQueue.ensure} (a created or replaced
   * subscription may have missed events: read the instance again).
   */
  onResult(
    instanceId: string,
    result: EnsureResult | Error,
    readAfterChange: boolean,
  ): void;
}

/**
 * A background queue of subscription ensures and forgets, one job per
 * instance (the latest request wins).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SubscriptionQueue } from "./subscription_queue.ts";
 * const done: string[] = [];
 * const queue = new SubscriptionQueue({
 *   keeper: {
 *     ensure: () => Promise.resolve({ action: "created" as const }),
 *     forget: () => Promise.resolve(),
 *     instances: [],
 *   },
 *   onResult: (id) => void done.push(id),
 * });
 * queue.ensure(["a", "b"], false);
 * await queue.idle();
 * assert.deepEqual(done, ["a", "b"]);
 * ```
 */
export class SubscriptionQueue implements AsyncDisposable {
  readonly #keeper: SubscriptionQueueOptions["keeper"];
  readonly #onResult: SubscriptionQueueOptions["onResult"];
  readonly #concurrency: number;
  /** Pending jobs in arrival order (a Map keeps insertion order). */
  readonly #pending = new Map<string, Job>();
  readonly #running = new Set<Promise<void>>();
  #closed = false;
  #idle: PromiseWithResolvers<void> | undefined;

  /** Stores the options; nothing runs until something is queued. */
  constructor(options: SubscriptionQueueOptions) {
    this.#keeper = options.keeper;
    this.#onResult = options.onResult;
    this.#concurrency = Math.max(1, options.concurrency ?? 1);
  }

  /** Jobs not started yet. */
  get pending(): number {
    return this.#pending.size;
  }

  /**
   * Queues an ensure for each instance (replacing a pending forget).
   * `readAfterChange`: report it so the caller reads the instance when its
   * subscription is created or replaced; a pending ensure keeps `true` once
   * asked for.
   */
  ensure(instanceIds: Iterable<string>, readAfterChange: boolean): void {
    for (const id of instanceIds) {
      const pending = this.#pending.get(id);
      this.#pending.delete(id);
      this.#pending.set(id, {
        kind: "ensure",
        readAfterChange: readAfterChange ||
          (pending?.kind === "ensure" && pending.readAfterChange),
      });
    }
    this.#pump();
  }

  /**
   * Queues an ensure for each listed instance and a forget for each one the
   * keeper keeps that is not listed (instances gone: k8splugin deleted
   * their subscriptions with them, or they left the scope).
   */
  reconcile(instanceIds: Iterable<string>, readAfterChange: boolean): void {
    const wanted = new Set(instanceIds);
    this.ensure(wanted, readAfterChange);
    this.forget(this.#keeper.instances.filter((id) => !wanted.has(id)));
  }

  /** Queues a forget for each instance (replacing a pending ensure). */
  forget(instanceIds: Iterable<string>): void {
    for (const id of instanceIds) {
      this.#pending.delete(id);
      this.#pending.set(id, { kind: "forget" });
    }
    this.#pump();
  }

  /** Drops the pending jobs (leadership lost); calls in flight finish. */
  clear(): void {
    this.#pending.clear();
    this.#settleIdle();
  }

  /** Resolves once nothing is pending or running. */
  idle(): Promise<void> {
    if (this.#pending.size === 0 && this.#running.size === 0) {
      return Promise.resolve();
    }
    this.#idle ??= Promise.withResolvers<void>();
    return this.#idle.promise;
  }

  /** Drops the pending jobs and waits for the calls in flight. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#pending.clear();
    await Promise.all(this.#running);
    this.#settleIdle();
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #pump(): void {
    while (
      !this.#closed && this.#running.size < this.#concurrency &&
      this.#pending.size > 0
    ) {
      const [id, job] = this.#pending.entries().next().value!;
      this.#pending.delete(id);
      const run = this.#run(id, job).finally(() => {
        this.#running.delete(run);
        this.#pump();
        this.#settleIdle();
      });
      this.#running.add(run);
    }
  }

  async #run(id: string, job: Job): Promise<void> {
    if (job.kind === "forget") {
      // Left behind in k8splugin at worst; the receiver refuses its callbacks.
      await this.#keeper.forget(id).catch(() => {});
      return;
    }
    let result: EnsureResult | Error;
    try {
      result = await this.#keeper.ensure(id);
    } catch (error) {
      result = error instanceof Error ? error : new Error(String(error));
    }
    this.#onResult(id, result, job.readAfterChange);
  }

  #settleIdle(): void {
    if (this.#pending.size > 0 || this.#running.size > 0) return;
    this.#idle?.resolve();
    this.#idle = undefined;
  }
}
