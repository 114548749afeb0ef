/**
 * Readiness of a ReplicaSet, and of a ReplicationController through the same
 * function (reference §2.3, §4 "ReplicaSet").
 *
 * Fields read: `spec.replicas` (default 1; `status.replicas` for a bare status
 * block, with a warning), `spec.selector` (a LabelSelector,
 * or a ReplicationController's plain map), `status.replicas`,
 * `status.availableReplicas`, `status.readyReplicas`,
 * `status.conditions[ReplicaFailure]`; from `related`: the pods it owns (by
 * ownerReferences, else by selector).
 *
 * | Situation | Verdict | Reason |
 * |---|---|---|
 * | `ReplicaFailure=True` with a quota / forbidden / admission message | Failed | `ReplicaFailure` |
 * | a live owned pod is Failed by the Pod rules | Failed | the pod's reason |
 * | other `ReplicaFailure=True` | Pending | `ReplicaFailure` |
 * | `status.replicas < replicas` | Pending | `LessReplicas` |
 * | `status.replicas > replicas` | Pending | `ExtraReplicas` |
 * | `availableReplicas < replicas` | Pending | `LessAvailable` |
 * | `readyReplicas < replicas` | Pending | `LessReady` |
 * | otherwise | Ready | `Available` |
 *
 * Trap avoided: Helm and ONAP only check that every *existing* pod is ready,
 * so a ReplicaSet whose pods quota rejects (zero pods) is "ready"; kstatus
 * keeps `ReplicaFailure` InProgress forever.
 *
 * @module
 */
import { conditionsAt, findCondition, intAt } from "./_fields.ts";
import { ownedPodFailure } from "./_owned.ts";
import { pending, ready, withWarnings } from "./_readiness.ts";
import {
  desiredReplicas,
  replicaFailurePending,
  replicaFailureRefused,
} from "./_replicas.ts";
import { ownedPods, relatedIndex } from "./_related.ts";
import type { KubeObject, Readiness, RuleContext } from "./types.ts";

/**
 * Every reason this rule names itself, for the guard test that requires a
 * fixture per reason (reasons copied from a condition or a container state
 * are not listed).
 */
export const REASONS: readonly string[] = [
  "Available",
  "LessReplicas",
  "ExtraReplicas",
  "LessAvailable",
  "LessReady",
];

/** Decides the readiness of a ReplicaSet or ReplicationController. */
export function replicaSetRule(
  replicaSet: KubeObject,
  context: RuleContext,
): Readiness {
  const warnings: string[] = [];
  const replicas = desiredReplicas(replicaSet, warnings);
  return withWarnings(decide(replicaSet, context, replicas), warnings);
}

function decide(
  replicaSet: KubeObject,
  context: RuleContext,
  replicas: number,
): Readiness {
  const replicaFailure = findCondition(
    conditionsAt(replicaSet, context.conditionCache),
    "ReplicaFailure",
  );
  const refused = replicaFailureRefused(replicaFailure);
  if (refused !== undefined) return refused;
  const index = relatedIndex(context.related);
  const podFailure = ownedPodFailure(
    index,
    ownedPods(index, replicaSet),
    context,
  );
  if (podFailure !== undefined) return podFailure;
  const notCreated = replicaFailurePending(replicaFailure);
  if (notCreated !== undefined) return notCreated;
  const total = intAt(replicaSet, "status.replicas", 0);
  const available = intAt(replicaSet, "status.availableReplicas", 0);
  const readyCount = intAt(replicaSet, "status.readyReplicas", 0);
  if (total < replicas) {
    return pending("LessReplicas", `${total}/${replicas} replicas created`);
  }
  if (total > replicas) {
    return pending(
      "ExtraReplicas",
      `${total} replicas running, ${replicas} wanted`,
    );
  }
  if (available < replicas) {
    return pending(
      "LessAvailable",
      `${available}/${replicas} replicas available`,
    );
  }
  if (readyCount < replicas) {
    return pending("LessReady", `${readyCount}/${replicas} replicas ready`);
  }
  return ready("Available", `${available}/${replicas} replicas available`);
}
