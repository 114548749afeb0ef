/**
 * Prometheus metrics of the long-running `sync --watch` (issue 17), on a
 * `prom-client` registry that `tasks/_serve.ts` exposes at `/metrics`. The
 * per-pass figures (`k8s_aai_sync_writes`, …) stay in `sync/metrics.ts`;
 * these count what happens between passes.
 *
 * @module
 */
import { Counter, Gauge, type Registry } from "prom-client";
import type { EnsureResult } from "./subscription_keeper.ts";

/** The metrics, each a `prom-client` object registered on the registry given. */
export interface WatchMetrics {
  /** `k8s_aai_sync_watch_events_total{region,source}`: events that marked an instance dirty (`source` = `kube` or `subscription`). */
  events: Counter<"region" | "source">;
  /** `k8s_aai_sync_callbacks_rejected_total{status}`: k8splugin callbacks refused. */
  callbacksRejected: Counter<"status">;
  /** `k8s_aai_sync_subscriptions_total{action}`: subscriptions created, replaced or kept by a reconcile. */
  subscriptions: Counter<"action">;
  /** `k8s_aai_sync_watch_errors_total{region}`: informer failures (each restarts after a backoff). */
  watchErrors: Counter<"region">;
  /** `k8s_aai_sync_instance_runs_total{outcome}`: one-instance runs (`ok`, `failed`). */
  instanceRuns: Counter<"outcome">;
  /** `k8s_aai_sync_dirty_instances`: instances waiting for a one-instance run. */
  dirty: Gauge;
  /** `k8s_aai_sync_leader`: 1 while this replica leads (always 1 without election). */
  leader: Gauge;
}

/**
 * Creates the metrics on `registry`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Registry } from "prom-client";
 * import { createWatchMetrics } from "./watch_metrics.ts";
 * const registry = new Registry();
 * const metrics = createWatchMetrics(registry);
 * metrics.events.inc({ region: "kud", source: "kube" });
 * assert.match(await registry.metrics(), /k8s_aai_sync_watch_events_total\{region="kud",source="kube"\} 1/);
 * ```
 */
export function createWatchMetrics(registry: Registry): WatchMetrics {
  const registers = [registry];
  return {
    events: new Counter({
      name: "k8s_aai_sync_watch_events_total",
      help: "Events that marked an instance dirty, by region and source.",
      labelNames: ["region", "source"] as const,
      registers,
    }),
    callbacksRejected: new Counter({
      name: "k8s_aai_sync_callbacks_rejected_total",
      help: "k8splugin status callbacks refused, by HTTP status answered.",
      labelNames: ["status"] as const,
      registers,
    }),
    subscriptions: new Counter({
      name: "k8s_aai_sync_subscriptions_total",
      help: "k8splugin status subscriptions ensured, by action.",
      labelNames: ["action"] as const,
      registers,
    }),
    watchErrors: new Counter({
      name: "k8s_aai_sync_watch_errors_total",
      help: "Kubernetes watch failures (each restarts after a backoff).",
      labelNames: ["region"] as const,
      registers,
    }),
    instanceRuns: new Counter({
      name: "k8s_aai_sync_instance_runs_total",
      help: "One-instance runs triggered by events, by outcome.",
      labelNames: ["outcome"] as const,
      registers,
    }),
    dirty: new Gauge({
      name: "k8s_aai_sync_dirty_instances",
      help: "Instances waiting for a one-instance run.",
      registers,
    }),
    leader: new Gauge({
      name: "k8s_aai_sync_leader",
      help: "1 while this replica is the leader.",
      registers,
    }),
  };
}

/** Counts one subscription call's outcome into {@linkcode WatchMetrics.subscriptions}. */
export function countSubscription(
  metrics: WatchMetrics,
  result: EnsureResult | Error,
): void {
  metrics.subscriptions.inc({
    action: result instanceof Error ? "failed" : result.action,
  });
}
