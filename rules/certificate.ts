/**
 * Readiness of a cert-manager Certificate (`cert-manager.io/v1`): the worked
 * example of a rule for a CRD (docs/rules.md, "Adding a rule for your own
 * CRD"). Without this file the generic rule would only see `Ready=False` and
 * wait for the stall timeout; cert-manager says more.
 *
 * Fields read: `status.conditions[Ready, Issuing]`, `status.notAfter`,
 * `status.renewalTime`, `status.failedIssuanceAttempts`,
 * `status.lastFailureTime`.
 *
 * | Situation | Verdict | Reason |
 * |---|---|---|
 * | `Ready=True` and `notAfter` in the future (or absent) | Ready (+ warning when `renewalTime` passed) | `Ready` |
 * | `notAfter` in the past, or `Ready=False, Expired` | Failed | `Expired` |
 * | `Issuing=True` | Pending | `Issuing` |
 * | `failedIssuanceAttempts >= 1` (cert-manager backs off for an hour or more) | Failed | `IssuanceFailed` |
 * | `Ready=False` with a terminal reason of the catalog entry (`rules/catalog/cert-manager.io.ts`: `SecretMismatch`, `IncorrectIssuer`) | Failed | the terminal's reason |
 * | `Ready` False/Unknown otherwise | Pending; Failed `NoProgress` after `stallTimeoutMs` | the condition's reason |
 * | no `Ready` condition | Pending | `NoStatus` |
 *
 * Trap avoided: the Argo CD documentation's example script maps any
 * `Ready=False` to Degraded, including the seconds between creation and the
 * first issuance; a failed issuance, which cert-manager retries only after
 * an exponential back-off starting at one hour, is Failed at once instead.
 *
 * @module
 */
import { hasElapsed } from "./_clock.ts";
import { catalogTerminal } from "./_catalog_rule.ts";
import { BUILT_IN_HEALTH_CATALOG } from "./catalog.ts";
import {
  conditionsAt,
  describeCondition,
  findCondition,
  formatDuration,
  intAt,
  isReasonCode,
  timeAt,
} from "./_fields.ts";
import { escalateIfStalled } from "./_preamble.ts";
import { failed, pending, ready } from "./_readiness.ts";
import type { KubeObject, Readiness, RuleContext } from "./types.ts";

/**
 * Every reason this rule names itself, for the guard test that requires a
 * fixture per reason (reasons copied from a condition or a container state
 * are not listed).
 */
export const REASONS: readonly string[] = [
  "Ready",
  "Expired",
  "Issuing",
  "IssuanceFailed",
  "NoStatus",
  "SecretMismatch",
];

/** Decides the readiness of a cert-manager Certificate. */
export function certificateRule(
  certificate: KubeObject,
  context: RuleContext,
): Readiness {
  const conditions = conditionsAt(certificate, context.conditionCache);
  const readyCondition = findCondition(conditions, "Ready");
  const issuing = findCondition(conditions, "Issuing");
  const notAfter = timeAt(certificate, "status.notAfter");
  const now = context.now.getTime();
  if (
    (notAfter !== undefined && hasElapsed(context, notAfter, 0)) ||
    readyCondition?.reason === "Expired"
  ) {
    return failed(
      "Expired",
      `certificate expired${
        notAfter === undefined ? "" : ` at ${new Date(notAfter).toISOString()}`
      }`,
    );
  }
  if (readyCondition?.status === "True" && issuing?.status !== "True") {
    const renewal = timeAt(certificate, "status.renewalTime");
    const warnings = renewal !== undefined && renewal < now
      ? [`renewal due ${formatDuration(now - renewal)} ago has not happened`]
      : [];
    const until = notAfter === undefined
      ? ""
      : ` until ${new Date(notAfter).toISOString()}`;
    return ready("Ready", `certificate is valid${until}`, warnings);
  }
  if (issuing?.status === "True") {
    return pending("Issuing", describeCondition(issuing));
  }
  const attempts = intAt(certificate, "status.failedIssuanceAttempts", 0);
  if (attempts >= 1) {
    const last = timeAt(certificate, "status.lastFailureTime");
    const when = last === undefined
      ? ""
      : ` (last ${formatDuration(now - last)} ago)`;
    const why = issuing === undefined
      ? ""
      : `: ${issuing.message || issuing.reason}`;
    return failed(
      "IssuanceFailed",
      `${attempts} failed issuance attempt${
        attempts === 1 ? "" : "s"
      }${when}${why}`,
    );
  }
  if (readyCondition === undefined) {
    return pending("NoStatus", "cert-manager has not reported yet");
  }
  const terminal = catalogTerminal(
    BUILT_IN_HEALTH_CATALOG.lookup("cert-manager.io/Certificate"),
    readyCondition,
  );
  if (terminal !== undefined) {
    return failed(terminal, describeCondition(readyCondition));
  }
  const reason = isReasonCode(readyCondition.reason)
    ? readyCondition.reason
    : "NotReady";
  return escalateIfStalled(
    certificate,
    context,
    pending(reason, describeCondition(readyCondition)),
    readyCondition.lastTransitionMs,
  );
}
