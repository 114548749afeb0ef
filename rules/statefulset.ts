/**
 * Readiness of a StatefulSet (reference §2.4, §4 "StatefulSet").
 *
 * Fields read: `spec.replicas` (default 1; `status.replicas` for a bare status
 * block, with a warning), `spec.minReadySeconds`,
 * `spec.updateStrategy.type` (default RollingUpdate),
 * `spec.updateStrategy.rollingUpdate.partition` (default 0),
 * `status.replicas`, `status.readyReplicas`, `status.availableReplicas`,
 * `status.updatedReplicas`, `status.currentRevision`, `status.updateRevision`;
 * from `related`: its pods (ownerReferences, else selector).
 *
 * | Situation | Verdict | Reason |
 * |---|---|---|
 * | a live owned pod is Failed by the Pod rules | Failed | the pod's reason |
 * | `status.replicas != replicas` | Pending | `LessReplicas` / `ExtraReplicas` |
 * | `availableReplicas` (when `minReadySeconds > 0`) else `readyReplicas` `< replicas` | Pending | `LessAvailable` / `LessReady` |
 * | OnDelete, pods ready | Ready (+ warning when revisions differ) | `Available` |
 * | RollingUpdate, `updatedReplicas < replicas − partition` | Pending | `LessUpdated` |
 * | RollingUpdate, partition 0, neither all updated nor `currentRevision == updateRevision` | Pending | `LessUpdated` |
 * | RollingUpdate with partition > 0 reached | Ready (+ warning) | `PartitionRolledOut` |
 * | otherwise | Ready | `Available` |
 * | any Pending with no status change for `stallTimeoutMs` | Failed | `NoProgress` |
 *
 * Traps avoided: OnDelete is not Ready before its pods are (Helm, kstatus)
 * and never waits on `currentRevision`, which OnDelete never advances
 * (kubernetes#73492); a crash-looping ordinal fails the StatefulSet instead of
 * hanging an OrderedReady rollout (argo-cd#6527); `availableReplicas` honours
 * `minReadySeconds`; missing counters read as 0 and the revision check
 * covers controllers that omit `updatedReplicas` (kubernetes#52653).
 *
 * @module
 */
import { intAt, stringAt } from "./_fields.ts";
import { ownedPodFailure } from "./_owned.ts";
import { escalateIfStalled } from "./_preamble.ts";
import { pending, ready, withWarnings } from "./_readiness.ts";
import { desiredReplicas } from "./_replicas.ts";
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
  "LessUpdated",
  "NoProgress",
];

/** Decides the readiness of a StatefulSet. */
export function statefulSetRule(
  statefulSet: KubeObject,
  context: RuleContext,
): Readiness {
  const index = relatedIndex(context.related);
  const podFailure = ownedPodFailure(
    index,
    ownedPods(index, statefulSet),
    context,
  );
  if (podFailure !== undefined) return podFailure;
  const warnings: string[] = [];
  const replicas = desiredReplicas(statefulSet, warnings);
  return withWarnings(
    escalateIfStalled(statefulSet, context, counts(statefulSet, replicas)),
    warnings,
  );
}

function counts(statefulSet: KubeObject, replicas: number): Readiness {
  const total = intAt(statefulSet, "status.replicas", 0);
  if (total < replicas) {
    return pending("LessReplicas", `${total}/${replicas} replicas created`);
  }
  if (total > replicas) {
    return pending(
      "ExtraReplicas",
      `${total} replicas running, ${replicas} wanted`,
    );
  }
  if (intAt(statefulSet, "spec.minReadySeconds", 0) > 0) {
    const available = intAt(statefulSet, "status.availableReplicas", 0);
    if (available < replicas) {
      return pending(
        "LessAvailable",
        `${available}/${replicas} replicas available`,
      );
    }
  } else {
    const readyCount = intAt(statefulSet, "status.readyReplicas", 0);
    if (readyCount < replicas) {
      return pending("LessReady", `${readyCount}/${replicas} replicas ready`);
    }
  }
  const current = stringAt(statefulSet, "status.currentRevision");
  const update = stringAt(statefulSet, "status.updateRevision");
  const updated = intAt(statefulSet, "status.updatedReplicas", 0);
  if (
    stringAt(statefulSet, "spec.updateStrategy.type", "RollingUpdate") ===
      "OnDelete"
  ) {
    const warnings = updated < replicas && current !== update
      ? [
        `OnDelete: ${
          replicas - updated
        } pod(s) still run revision ${current}; delete them to update to ${update}`,
      ]
      : [];
    return ready(
      "Available",
      `${replicas}/${replicas} replicas ready (OnDelete)`,
      warnings,
    );
  }
  const partition = intAt(
    statefulSet,
    "spec.updateStrategy.rollingUpdate.partition",
    0,
  );
  const target = Math.max(0, replicas - partition);
  if (partition > 0) {
    if (updated < target) {
      return pending(
        "LessUpdated",
        `${updated}/${target} replicas above partition ${partition} updated`,
      );
    }
    return ready(
      "PartitionRolledOut",
      `${updated} replica${
        updated === 1 ? "" : "s"
      } updated, as partition ${partition} asks`,
      [`${
        replicas - updated
      } replica(s) below partition ${partition} keep the old revision`],
    );
  }
  const sameRevision = current !== "" && current === update;
  if (updated < replicas && !sameRevision) {
    return pending(
      "LessUpdated",
      `${updated}/${replicas} replicas updated to revision ${
        update || "(unknown)"
      }`,
    );
  }
  return ready(
    "Available",
    `${replicas}/${replicas} replicas ready and updated`,
  );
}
