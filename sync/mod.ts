/**
 * The sync loop: reads k8splugin instances, evaluates their resources,
 * publishes only real changes to A&AI and keeps the snapshot
 * (DESIGN §3, §6–§9). Entry point: {@linkcode runSync}.
 *
 * @module
 */
export * from "./config.ts";
export * from "./diff.ts";
export * from "./lock.ts";
export * from "./mapping.ts";
export * from "./metrics.ts";
export * from "./publish.ts";
export * from "./run.ts";
export * from "./snapshot.ts";
export * from "./source.ts";
