/**
 * The sync loop: reads k8splugin instances, evaluates their resources,
 * publishes only real changes to A&AI and keeps the snapshot
 * (DESIGN §3, §6–§9). Entry point: {@linkcode runSync}; the one planner:
 * {@linkcode planWrites}; deletion safety: {@linkcode planDeletions}.
 *
 * @module
 */
export * from "./config.ts";
export {
  ConfigError,
  formatDuration,
  INTERVAL,
  parseDuration,
  parseDurationIn,
  parseInterval,
} from "./config_fields.ts";
export * from "./deletion.ts";
export * from "./diff.ts";
export * from "./lock.ts";
export * from "./mapping.ts";
export * from "./metrics.ts";
export * from "./pass.ts";
export * from "./plan.ts";
export * from "./plan_instance.ts";
export * from "./publish.ts";
export { newReport, toReported } from "./report.ts";
export * from "./run.ts";
export * from "./snapshot.ts";
export * from "./snapshot_writer.ts";
export * from "./source.ts";
export * from "./sync_instances.ts";
