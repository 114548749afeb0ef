/**
 * Readiness of a DaemonSet (reference §2.5, §4 "DaemonSet").
 *
 * Fields read: `spec.updateStrategy.type` (default RollingUpdate),
 * `status.desiredNumberScheduled`, `status.numberMisscheduled`,
 * `status.numberAvailable`, `status.updatedNumberScheduled`; from `related`:
 * its pods (ownerReferences, else selector) and Nodes (their `Ready`
 * condition).
 *
 * | Situation | Verdict | Reason |
 * |---|---|---|
 * | a live owned pod on a Ready (or unknown) node is Failed by the Pod rules | Failed | the pod's reason |
 * | `desiredNumberScheduled` missing | Pending | `NoStatus` |
 * | `desiredNumberScheduled == 0` | Ready + warning | `NoNodes` |
 * | `numberMisscheduled > 0` | Pending | `Misscheduled` |
 * | `numberAvailable` + unready pods on NotReady nodes `< desired` | Pending | `LessAvailable` |
 * | RollingUpdate and `updatedNumberScheduled < desired` | Pending | `LessUpdated` |
 * | otherwise | Ready | `Available` |
 * | any Pending with no status change for `stallTimeoutMs` | Failed | `NoProgress` |
 *
 * Traps avoided: never subtracts `maxUnavailable` (Helm waits for 0 ready
 * pods on a one-node cluster); OnDelete does not wait for un-replaced pods
 * (kstatus hangs); pods stuck on NotReady nodes neither fail nor block it;
 * crash-looping pods fail it instead of "Progressing" forever (Argo CD).
 *
 * @module
 */
import { intAt, optionalIntAt, stringAt } from "./_fields.ts";
import {
  isLive,
  onNotReadyNode,
  ownedPodFailure,
  podVerdict,
} from "./_owned.ts";
import { escalateIfStalled } from "./_preamble.ts";
import { pending, ready } from "./_readiness.ts";
import {
  ownedPods,
  type RelatedEntry,
  type RelatedIndex,
  relatedIndex,
} from "./_related.ts";
import type { KubeObject, Readiness, RuleContext } from "./types.ts";

/**
 * Every reason this rule names itself, for the guard test that requires a
 * fixture per reason (reasons copied from a condition or a container state
 * are not listed).
 */
export const REASONS: readonly string[] = [
  "Available",
  "LessAvailable",
  "LessUpdated",
  "Misscheduled",
  "NoNodes",
  "NoProgress",
  "NoStatus",
];

/** Decides the readiness of a DaemonSet. */
export function daemonSetRule(
  daemonSet: KubeObject,
  context: RuleContext,
): Readiness {
  const index = relatedIndex(context.related);
  const pods = ownedPods(index, daemonSet);
  const podFailure = ownedPodFailure(index, pods, context);
  if (podFailure !== undefined) return podFailure;
  return escalateIfStalled(
    daemonSet,
    context,
    counts(daemonSet, index, pods, context),
  );
}

function counts(
  daemonSet: KubeObject,
  index: RelatedIndex,
  pods: readonly RelatedEntry[],
  context: RuleContext,
): Readiness {
  const desired = optionalIntAt(daemonSet, "status.desiredNumberScheduled");
  if (desired === undefined) {
    return pending(
      "NoStatus",
      "status.desiredNumberScheduled not reported yet",
    );
  }
  if (desired === 0) {
    return ready("NoNodes", "no node matches the DaemonSet", [
      "desiredNumberScheduled is 0: no pod runs anywhere",
    ]);
  }
  const misscheduled = intAt(daemonSet, "status.numberMisscheduled", 0);
  if (misscheduled > 0) {
    return pending(
      "Misscheduled",
      `${misscheduled} pod(s) run on nodes they should not`,
    );
  }
  const available = intAt(daemonSet, "status.numberAvailable", 0);
  const stranded =
    pods.filter((p) =>
      isLive(p.object) && onNotReadyNode(index, p.object) &&
      podVerdict(index, p.object, context).verdict !== "Ready"
    ).length;
  const warnings = stranded > 0
    ? [`${stranded} pod(s) on NotReady nodes counted as available`]
    : [];
  if (available + stranded < desired) {
    return pending(
      "LessAvailable",
      `${available}/${desired} pods available`,
      warnings,
    );
  }
  if (
    stringAt(daemonSet, "spec.updateStrategy.type", "RollingUpdate") ===
      "RollingUpdate"
  ) {
    const updated = intAt(daemonSet, "status.updatedNumberScheduled", 0);
    if (updated < desired) {
      return pending(
        "LessUpdated",
        `${updated}/${desired} pods updated`,
        warnings,
      );
    }
  }
  return ready("Available", `${available}/${desired} pods available`, warnings);
}
