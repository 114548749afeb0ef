/**
 * Readiness of an APIService (reference §2.14, §4 "APIService").
 *
 * Fields read: `status.conditions[Available]`, `spec.service`.
 *
 * | Situation | Verdict | Reason |
 * |---|---|---|
 * | `Available=True` | Ready | `Available` |
 * | `Available` False/Unknown | Pending; Failed `NoProgress` after `stallTimeoutMs` since the transition | the condition's reason (`FailedDiscoveryCheck`, `MissingEndpoints`…) |
 * | no `Available` condition | Pending | `NotAvailable` |
 *
 * Trap avoided: kstatus and Helm call an unavailable aggregated API ready;
 * an aggregated server that never answers discovery is escalated instead of
 * Progressing forever (Argo CD).
 *
 * @module
 */
import {
  conditionsAt,
  describeCondition,
  findCondition,
  isReasonCode,
  recordAt,
} from "./_fields.ts";
import { escalateIfStalled } from "./_preamble.ts";
import { pending, ready } from "./_readiness.ts";
import type { KubeObject, Readiness, RuleContext } from "./types.ts";

/**
 * Every reason this rule names itself, for the guard test that requires a
 * fixture per reason (reasons copied from a condition or a container state
 * are not listed).
 */
export const REASONS: readonly string[] = [
  "Available",
  "NotAvailable",
  "NoProgress",
];

/** Decides the readiness of an APIService. */
export function apiServiceRule(
  apiService: KubeObject,
  context: RuleContext,
): Readiness {
  const available = findCondition(
    conditionsAt(apiService, context.conditionCache),
    "Available",
  );
  if (available?.status === "True") {
    const local = recordAt(apiService, "spec.service") === undefined;
    return ready(
      "Available",
      local
        ? "served locally by the API server"
        : "the aggregated API server answers",
    );
  }
  if (available === undefined) {
    return pending("NotAvailable", "waiting for the Available condition");
  }
  const reason = isReasonCode(available.reason)
    ? available.reason
    : "NotAvailable";
  return escalateIfStalled(
    apiService,
    context,
    pending(reason, describeCondition(available)),
    available.lastTransitionMs,
  );
}
