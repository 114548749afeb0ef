/**
 * Readiness rules: every Kubernetes object summarised to Ready, Pending or
 * Failed with a CamelCase reason and a message that names what decided.
 * `evaluate()` runs the shared preamble, then the Kind rule from `RULES`,
 * else the generic rule; `rollup()` combines an instance's verdicts. See
 * docs/rules.md for the rules per Kind and how to add one for a CRD.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluate } from "./mod.ts";
 * const pod = {
 *   apiVersion: "v1",
 *   kind: "Pod",
 *   metadata: { name: "web-0" },
 *   status: {
 *     phase: "Running",
 *     containerStatuses: [{
 *       name: "app", ready: false, restartCount: 4,
 *       state: { waiting: { reason: "CrashLoopBackOff" } },
 *     }],
 *   },
 * };
 * assert.equal(evaluate(pod).reason, "CrashLoopBackOff");
 * ```
 *
 * @module
 */
export * from "./catalog.ts";
export * from "./catalog_schema.ts";
export * from "./evaluate.ts";
export * from "./options.ts";
export * from "./registry.ts";
export * from "./rollup.ts";
export * from "./rule_key.ts";
export * from "./terminal_patterns.ts";
export type * from "./types.ts";
export type { Condition, ConditionCache, Fields } from "./_fields.ts";
export { GENERIC_REASONS } from "./generic.ts";
