/**
 * Readiness of a Job (reference §2.6, §4 "Job").
 *
 * Fields read: `status.conditions[Failed, FailureTarget, Complete,
 * SuccessCriteriaMet, Suspended]` (their **status**), `spec.suspend`,
 * `spec.completions`, `status.active`, `status.succeeded`, `status.failed`;
 * from `related`: its pods (ownerReferences, else `spec.selector`).
 *
 * | Situation | Verdict | Reason |
 * |---|---|---|
 * | `Failed=True` or `FailureTarget=True` | Failed | the condition's reason (`BackoffLimitExceeded`, `DeadlineExceeded`…) |
 * | `Complete=True` or `SuccessCriteriaMet=True` | Ready | `Complete` / `SuccessCriteriaMet` |
 * | `spec.suspend` and `Suspended=True` | Ready + warning | `Suspended` |
 * | `spec.suspend` without `Suspended=True` yet | Pending | `Suspending` |
 * | a live owned pod is Failed by the Pod rules (image pull, config error…), except CrashLoopBackOff (counted by `backoffLimit`) | Failed | the pod's reason |
 * | `status.active > 0` | Pending | `Running` |
 * | otherwise | Pending; Failed `NoProgress` after `stallTimeoutMs` without a status change | `Starting` |
 *
 * Traps avoided: condition status is read (Argo CD calls a resumed Job,
 * `Suspended=False`, Healthy); `FailureTarget`/`SuccessCriteriaMet` decide
 * before pods finish terminating; failure is never derived from
 * `status.failed` vs `backoffLimit` (wrong with `restartPolicy: OnFailure`);
 * a pod in ImagePullBackOff, which never counts towards `backoffLimit`, fails
 * the Job instead of leaving it active forever, while a crash loop, which
 * the Job retries by design, is left to `backoffLimit`; a suspended Job is Ready by
 * declaration rather than waiting forever (Helm 4).
 *
 * @module
 */
import {
  boolAt,
  conditionsAt,
  findCondition,
  intAt,
  isReasonCode,
  optionalIntAt,
} from "./_fields.ts";
import { ownedPodFailure } from "./_owned.ts";
import { escalateIfStalled } from "./_preamble.ts";
import { failed, pending, ready } from "./_readiness.ts";
import { ownedPods, relatedIndex } from "./_related.ts";
import type { KubeObject, Readiness, RuleContext } from "./types.ts";

/**
 * Every reason this rule names itself, for the guard test that requires a
 * fixture per reason (reasons copied from a condition or a container state
 * are not listed).
 */
export const REASONS: readonly string[] = [
  "Complete",
  "SuccessCriteriaMet",
  "Suspended",
  "Running",
  "Starting",
  "BackoffLimitExceeded",
  "DeadlineExceeded",
];

/**
 * Pod reasons the Job controller itself counts towards `backoffLimit`
 * (container restarts under `restartPolicy: OnFailure`): a migration Job that
 * crashes until its database is up may still succeed, and `Failed=True`
 * arrives when the limit is reached.
 */
const RETRIED_BY_JOB: ReadonlySet<string> = new Set(["CrashLoopBackOff"]);

/** Decides the readiness of a Job. */
export function jobRule(job: KubeObject, context: RuleContext): Readiness {
  const conditions = conditionsAt(job, context.conditionCache);
  for (const type of ["Failed", "FailureTarget"]) {
    const condition = findCondition(conditions, type);
    if (condition?.status === "True") {
      const reason = isReasonCode(condition.reason)
        ? condition.reason
        : "JobFailed";
      return failed(
        reason,
        `${type}=True${
          condition.message === "" ? "" : `: ${condition.message}`
        }`,
      );
    }
  }
  for (const type of ["Complete", "SuccessCriteriaMet"]) {
    if (findCondition(conditions, type)?.status === "True") {
      return ready(type, `${type}=True; ${progress(job)}`);
    }
  }
  if (boolAt(job, "spec.suspend", false)) {
    if (findCondition(conditions, "Suspended")?.status === "True") {
      return ready("Suspended", "suspended by spec.suspend", [
        "the Job is suspended and runs no pods",
      ]);
    }
    return pending(
      "Suspending",
      "spec.suspend is set; waiting for the Suspended condition",
    );
  }
  const index = relatedIndex(context.related);
  const podFailure = ownedPodFailure(
    index,
    ownedPods(index, job),
    context,
    RETRIED_BY_JOB,
  );
  if (podFailure !== undefined) return podFailure;
  if (intAt(job, "status.active", 0) > 0) {
    return pending("Running", progress(job));
  }
  return escalateIfStalled(
    job,
    context,
    pending("Starting", `no pod active; ${progress(job)}`),
  );
}

function progress(job: KubeObject): string {
  const completions = optionalIntAt(job, "spec.completions");
  const succeeded = intAt(job, "status.succeeded", 0);
  const active = intAt(job, "status.active", 0);
  const failures = intAt(job, "status.failed", 0);
  return `${active} active, ${succeeded}${
    completions === undefined ? "" : `/${completions}`
  } succeeded, ${failures} failed`;
}
