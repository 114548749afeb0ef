/**
 * Default grace periods and thresholds of the readiness rules (reference §4,
 * "Suggested defaults").
 *
 * @module
 */
import type { RuleOptions } from "./types.ts";

/**
 * The defaults every {@linkcode RuleOptions} field falls back to.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_RULE_OPTIONS } from "./mod.ts";
 * assert.equal(DEFAULT_RULE_OPTIONS.unschedulableGraceMs, 300_000);
 * ```
 */
export const DEFAULT_RULE_OPTIONS: Readonly<RuleOptions> = Object.freeze({
  unschedulableGraceMs: 5 * 60_000,
  configErrorGraceMs: 60_000,
  restartStabilityMs: 60_000,
  crashLoopRestarts: 1,
  stallTimeoutMs: 10 * 60_000,
  imagePullGraceMs: 2 * 60_000,
  terminatingTimeoutMs: 10 * 60_000,
  requireLoadBalancerAddress: true,
  ingressClassesRequiringAddress: Object.freeze([] as string[]),
  terminalReasons: Object.freeze({
    "helm.toolkit.fluxcd.io/HelmRelease": Object.freeze([
      "InstallFailed",
      "UpgradeFailed",
      "RollbackFailed",
      "UninstallFailed",
    ]),
    "kustomize.toolkit.fluxcd.io/Kustomization": Object.freeze(["BuildFailed"]),
    "serving.knative.dev/Service": Object.freeze(["RevisionFailed"]),
  }),
});

/**
 * Fills the fields `options` leaves out with {@linkcode DEFAULT_RULE_OPTIONS}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveRuleOptions } from "./mod.ts";
 * const options = resolveRuleOptions({ stallTimeoutMs: 1_800_000 });
 * assert.ok(options.stallTimeoutMs === 1_800_000 && options.crashLoopRestarts === 1);
 * ```
 */
export function resolveRuleOptions(
  options: Partial<RuleOptions> = {},
): RuleOptions {
  const resolved: RuleOptions = { ...DEFAULT_RULE_OPTIONS };
  for (
    const key of Object.keys(DEFAULT_RULE_OPTIONS) as (keyof RuleOptions)[]
  ) {
    const value = options[key];
    if (value !== undefined) {
      (resolved as unknown as Record<string, unknown>)[
        key
      ] = value;
    }
  }
  return resolved;
}
