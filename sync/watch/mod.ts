/**
 * Building blocks of the event-driven `sync --watch` (issue 17): the dirty
 * set that turns events into one-instance runs, the status subscriptions
 * kept per instance (in the background) and their audit, what is remembered
 * per instance between runs, and the shutdown helper. `sync/mod.ts`
 * re-exports them.
 *
 * @module
 */
export * from "./dirty_scheduler.ts";
export * from "./notifier_audit.ts";
export * from "./shutdown.ts";
export * from "./subscription_keeper.ts";
export * from "./subscription_queue.ts";
export * from "./watch_metrics.ts";
export * from "./watched_instances.ts";
