/**
 * Readiness of a CronJob (reference §2.7, §4 "CronJob").
 *
 * Fields read: `spec.suspend`, `status.active`, `status.lastScheduleTime`,
 * `status.lastSuccessfulTime`.
 *
 * | Situation | Verdict | Reason |
 * |---|---|---|
 * | `spec.suspend` | Ready + warning | `Suspended` |
 * | otherwise | Ready | `Scheduled` |
 * | last run did not succeed (`lastSuccessfulTime < lastScheduleTime`, nothing active) | Ready + warning | `Scheduled` |
 *
 * A CronJob has no rollout: once the API server stores it, it is in the state
 * it declares. The health of its last run is a warning, never the verdict —
 * Argo CD's Degraded on a failed previous run (and its string comparison of
 * times) is the trap avoided; each run's Job is judged by the Job rule.
 *
 * @module
 */
import { boolAt, recordsAt, timeAt } from "./_fields.ts";
import { ready } from "./_readiness.ts";
import type { KubeObject, Readiness, RuleContext } from "./types.ts";

/**
 * Every reason this rule names itself, for the guard test that requires a
 * fixture per reason (reasons copied from a condition or a container state
 * are not listed).
 */
export const REASONS: readonly string[] = [
  "Scheduled",
  "Suspended",
];

/** Decides the readiness of a CronJob. */
export function cronJobRule(
  cronJob: KubeObject,
  _context: RuleContext,
): Readiness {
  const active = recordsAt(cronJob, "status.active").length;
  const scheduled = timeAt(cronJob, "status.lastScheduleTime");
  const succeeded = timeAt(cronJob, "status.lastSuccessfulTime");
  const warnings: string[] = [];
  if (
    active === 0 && scheduled !== undefined &&
    (succeeded === undefined || succeeded < scheduled)
  ) {
    warnings.push(
      `the run scheduled at ${
        new Date(scheduled).toISOString()
      } has not succeeded`,
    );
  }
  if (boolAt(cronJob, "spec.suspend", false)) {
    return ready("Suspended", "suspended by spec.suspend", [
      "no new Jobs are scheduled",
      ...warnings,
    ]);
  }
  const running = active === 0 ? "no Job running" : `${active} Job(s) running`;
  return ready("Scheduled", `scheduled; ${running}`, warnings);
}
