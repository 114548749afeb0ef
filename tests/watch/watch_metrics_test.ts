import assert from "node:assert/strict";
import { Registry } from "prom-client";
import {
  countSubscription,
  createWatchMetrics,
  type EnsureResult,
} from "../../sync/watch/mod.ts";

Deno.test("createWatchMetrics() registers the watch metrics and countSubscription() counts each call by action", async () => {
  const registry = new Registry();
  const metrics = createWatchMetrics(registry);
  metrics.leader.set(1);
  metrics.dirty.set(3);
  const results: (EnsureResult | Error)[] = [
    { action: "created" },
    { action: "kept" },
    new Error("k8splugin is down"),
    { action: "created" },
  ];
  for (const result of results) countSubscription(metrics, result);
  const text = await registry.metrics();
  assert.match(text, /^k8s_aai_sync_leader 1$/m);
  assert.match(text, /^k8s_aai_sync_dirty_instances 3$/m);
  assert.match(
    text,
    /^k8s_aai_sync_subscriptions_total\{action="created"\} 2$/m,
  );
  assert.match(
    text,
    /^k8s_aai_sync_subscriptions_total\{action="failed"\} 1$/m,
  );
  assert.match(text, /^# TYPE k8s_aai_sync_watch_events_total counter$/m);
});
