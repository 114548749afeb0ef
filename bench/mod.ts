/**
 * The benchmark (issue #7): a generated ONAP-scale scenario, the SO CNF
 * adapter's algorithm as the baseline, and the harness that runs both against
 * the simulators and checks the targets. Used by `deno task bench`.
 *
 * @module
 */
export * from "./baseline.ts";
export * from "./generate.ts";
export * from "./harness.ts";
export * from "./report.ts";
export * from "./freshness.ts";
export * from "./so.ts";
