/**
 * Readiness of a Deployment (reference §2.2, §4 "Deployment").
 *
 * Fields read: `spec.replicas` (default 1; `status.replicas` for a bare status
 * block, with a warning), `spec.paused`,
 * `status.replicas`, `status.updatedReplicas`, `status.readyReplicas`,
 * `status.availableReplicas`, `status.conditions[Progressing, ReplicaFailure]`,
 * `metadata.annotations["deployment.kubernetes.io/revision"]`; from
 * `related`: the ReplicaSets it owns and the pods of the newest one (or, when
 * ownerReferences are missing, the pods its `spec.selector` matches).
 *
 * | Situation | Verdict | Reason |
 * |---|---|---|
 * | `Progressing` reason `ProgressDeadlineExceeded` | Failed | `ProgressDeadlineExceeded` |
 * | `ReplicaFailure=True` with a quota / forbidden / admission message | Failed | `ReplicaFailure` |
 * | a live pod of the new ReplicaSet is Failed by the Pod rules | Failed | the pod's reason (`CrashLoopBackOff`…) |
 * | `spec.paused` | Ready (+ warning when the rollout is unfinished) | `Paused` |
 * | other `ReplicaFailure=True` | Pending | `ReplicaFailure` |
 * | `updatedReplicas < replicas` | Pending | `LessUpdated` |
 * | `status.replicas > replicas` (old pods still running) | Pending | `ExtraReplicas` |
 * | `availableReplicas < replicas` | Pending | `LessAvailable` |
 * | `readyReplicas < replicas` | Pending | `LessReady` |
 * | all counts reached (`replicas: 0` included) | Ready | `Available` |
 *
 * Traps avoided: never subtracts `maxUnavailable` (Helm and ONAP call a
 * 1-replica Deployment with `maxUnavailable: 1` ready with zero pods);
 * crash-looping pods fail the Deployment even after the progress deadline
 * stopped applying (argo-cd#10259); quota rejections fail at once instead of
 * after the 600 s deadline (argo-cd#16720); paused is Ready, not "in progress
 * forever" (kstatus, kubectl).
 *
 * @module
 */
import {
  boolAt,
  conditionsAt,
  type Fields,
  findCondition,
  intAt,
} from "./_fields.ts";
import { ownedPodFailure } from "./_owned.ts";
import { failed, pending, ready, withWarnings } from "./_readiness.ts";
import {
  desiredReplicas,
  replicaFailurePending,
  replicaFailureRefused,
} from "./_replicas.ts";
import {
  annotationsOf,
  ownedBy,
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
  "Paused",
  "LessUpdated",
  "ExtraReplicas",
  "LessAvailable",
  "LessReady",
  "ProgressDeadlineExceeded",
  "ReplicaFailure",
  "CrashLoopBackOff",
];

/** Decides the readiness of a Deployment. */
export function deploymentRule(
  deployment: KubeObject,
  context: RuleContext,
): Readiness {
  const warnings: string[] = [];
  const replicas = desiredReplicas(deployment, warnings);
  return withWarnings(decide(deployment, context, replicas), warnings);
}

function decide(
  deployment: KubeObject,
  context: RuleContext,
  replicas: number,
): Readiness {
  const conditions = conditionsAt(deployment, context.conditionCache);
  const progressing = findCondition(conditions, "Progressing");
  if (progressing?.reason === "ProgressDeadlineExceeded") {
    return failed(
      "ProgressDeadlineExceeded",
      `rollout exceeded its progress deadline${
        progressing.message === "" ? "" : `: ${progressing.message}`
      }`,
    );
  }
  const replicaFailure = findCondition(conditions, "ReplicaFailure");
  const refused = replicaFailureRefused(replicaFailure);
  if (refused !== undefined) return refused;
  const index = relatedIndex(context.related);
  const podFailure = ownedPodFailure(
    index,
    podsOfDeployment(index, deployment),
    context,
  );
  if (podFailure !== undefined) return podFailure;

  const updated = intAt(deployment, "status.updatedReplicas", 0);
  if (boolAt(deployment, "spec.paused", false)) {
    const unfinished = updated < replicas
      ? [`rollout paused with ${updated}/${replicas} replicas updated`]
      : [];
    return ready(
      "Paused",
      "spec.paused is set; the rollout is paused by declaration",
      unfinished,
    );
  }
  const notCreated = replicaFailurePending(replicaFailure);
  if (notCreated !== undefined) return notCreated;
  return replicaCounts(deployment, replicas, updated);
}

/** The shared count check of Deployments: updated, total, available, ready. */
function replicaCounts(
  deployment: KubeObject,
  replicas: number,
  updated: number,
): Readiness {
  const total = intAt(deployment, "status.replicas", 0);
  const available = intAt(deployment, "status.availableReplicas", 0);
  const readyCount = intAt(deployment, "status.readyReplicas", 0);
  if (updated < replicas) {
    return pending("LessUpdated", `${updated}/${replicas} replicas updated`);
  }
  if (total > replicas) {
    return pending(
      "ExtraReplicas",
      `${total - replicas} old replica${
        total - replicas === 1 ? "" : "s"
      } still running (${total}/${replicas})`,
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
  return ready(
    "Available",
    `${available}/${replicas} replicas available and updated`,
  );
}

/**
 * Pods of the Deployment's newest ReplicaSet (highest
 * `deployment.kubernetes.io/revision`); of every owned ReplicaSet when none
 * carries a revision; or — with no owned ReplicaSet in `related` — every pod
 * its selector matches whose owner is not present.
 */
function podsOfDeployment(
  index: RelatedIndex,
  deployment: Fields,
): RelatedEntry[] {
  const replicaSets = ownedBy(index, deployment, "ReplicaSet");
  if (replicaSets.length === 0) return ownedPods(index, deployment);
  let newest: RelatedEntry | undefined;
  let newestRevision = 0;
  for (const rs of replicaSets) {
    const revision = Number(
      annotationsOf(rs.object)["deployment.kubernetes.io/revision"],
    );
    if (Number.isInteger(revision) && revision > newestRevision) {
      newest = rs;
      newestRevision = revision;
    }
  }
  if (newest !== undefined) return ownedPods(index, newest.object);
  return replicaSets.flatMap((rs) => ownedPods(index, rs.object));
}
