/**
 * Readiness of any object without a Kind rule or health-catalog entry,
 * custom resources above all (reference §2.13, §4 "Generic CRs"). Runs after
 * the preamble, which already handled deletion, `status.observedGeneration`
 * and per-condition `observedGeneration`.
 *
 * Fields read: `status.conditions[Stalled, Reconciling, Stopped, Suspended,
 * Paused, Ready, Succeeded, Available, Healthy, Synced, Installed,
 * Established, Reconciled]`, `status`; from `related`: the
 * CustomResourceDefinition of the object's group and kind
 * (`spec.versions[].subresources.status`).
 *
 * | Situation | Verdict | Reason |
 * |---|---|---|
 * | `Stalled=True` (wherever it sits in the list) | Failed | `Stalled` |
 * | `Reconciling=True` | Pending | `Reconciling` |
 * | `Stopped`, `Suspended` or `Paused` = True, or the health condition False with one of these reasons | Ready + warning | `Stopped`, `Suspended`, `Paused` |
 * | first present of `Ready`, `Succeeded`, `Available` is True (else every present one of `Healthy`, `Synced`, `Installed`, `Established`, `Reconciled`, `Valid`, `Accepted`, `Programmed`) | Ready | the condition type |
 * | `Succeeded=False` | Failed | the condition's reason, else `Failed` |
 * | health condition False with a reason in `terminalReasons["group/Kind"]` | Failed | that reason |
 * | health condition False whose reason or message matches a terminal pattern (`terminal_patterns.ts`) | Failed | the condition's reason, else `TerminalCondition` |
 * | health condition False (other reasons) or Unknown | Pending | the condition's reason, else `NotReady` |
 * | any Pending for `stallTimeoutMs` (clock: the earlier of the last status change and the caller's `pendingSince` for the same reason) | Failed | `NoProgress` |
 * | no status, and the CRD in `related` declares a status subresource | Pending | `NoStatus` |
 * | no status, CRD without status subresource | Ready | `Exists` |
 * | no status, CRD not in `related` | Ready + warning | `Exists` |
 * | no status, built-in kind (core group, `*.k8s.io`, `apps`, `batch`…) | Ready | `Exists` |
 * | a condition `Degraded`, `Failed`, `Failure`, `Error`, `Invalid` or `*Error`/`*Failed`/`*Failure` is True (abnormal-true types) | Failed | the condition type |
 * | no health condition; the first word of `status.phase`, `.state`, `.status` or `.health` (any case) is failed, failure, error, errored, degraded, aborted, configerror, red | Failed | the value when CamelCase, else `PhaseFailed`/`StateFailed`/`StatusFailed`/`HealthRed` |
 * | likewise pending, progressing, provisioning, creating, initializing, deploying, installing, updating, upgrading, reconciling, inprogress, scaling, starting, waiting, yellow | Pending | the value when CamelCase, else `PhasePending`/`StatePending`/`StatusPending`/`HealthYellow` |
 * | status without any of these conditions or phases | Ready | `NoReadinessConditions` |
 *
 * Traps avoided: kstatus lets `Reconciling` win when it precedes `Stalled`
 * in the list and calls a CR the controller never touched Current; Argo CD
 * has no health at all without a script; nobody else reads `Succeeded`,
 * `Available`, non-standard health types or per-condition
 * `observedGeneration`. `Ready=False` is not Failed by default (the KEDA
 * transient of argo-cd#28522): only a reason or message that states a
 * configuration error is (issue 16); the stall timeout catches the rest.
 *
 * @module
 */
import {
  type Condition,
  conditionsAt,
  describeCondition,
  findCondition,
  isReasonCode,
  recordAt,
  recordsAt,
  stringAt,
} from "./_fields.ts";
import { escalateCustomResource } from "./_preamble.ts";
import { matchTerminalPattern } from "./terminal_patterns.ts";
import { failed, pending, ready } from "./_readiness.ts";
import { relatedIndex } from "./_related.ts";
import { ruleKeyOf } from "./rule_key.ts";
import type { KubeObject, Readiness, RuleContext } from "./types.ts";

/** Conditions that summarise a resource, in the order they are consulted. */
const SUMMARY_CONDITIONS = ["Ready", "Succeeded", "Available"] as const;

/**
 * Non-standard health conditions, consulted when none of
 * {@linkcode SUMMARY_CONDITIONS} is present (Crossplane's `Healthy`,
 * `Synced`, `Installed`; `Established`; `Reconciled`; `Valid`; Gateway API's
 * `Accepted` and `Programmed`): each one present must be True.
 */
const EXTRA_HEALTH_CONDITIONS = [
  "Healthy",
  "Synced",
  "Installed",
  "Established",
  "Reconciled",
  "Valid",
  "Accepted",
  "Programmed",
] as const;

/** Condition types (True) and reasons (of a False health condition) that mean stopped on purpose. */
const STOPPED: ReadonlySet<string> = new Set([
  "Stopped",
  "Suspended",
  "Paused",
]);

/** Every reason this rule names itself (others are the conditions' own reasons). */
export const GENERIC_REASONS: readonly string[] = [
  "Stalled",
  "Reconciling",
  "Stopped",
  "Suspended",
  "Paused",
  "Ready",
  "Succeeded",
  "Available",
  "Healthy",
  "Failed",
  "NotReady",
  "NoProgress",
  "NoStatus",
  "Exists",
  "NoReadinessConditions",
];

/** Decides the readiness of an object no Kind rule covers. */
export function genericRule(
  object: KubeObject,
  context: RuleContext,
): Readiness {
  return escalateCustomResource(object, context, judge(object, context));
}

function judge(object: KubeObject, context: RuleContext): Readiness {
  const conditions = conditionsAt(object, context.conditionCache);
  const stalled = findCondition(conditions, "Stalled");
  if (stalled?.status === "True") {
    return failed("Stalled", describeCondition(stalled));
  }
  const reconciling = findCondition(conditions, "Reconciling");
  if (reconciling?.status === "True") {
    return pending("Reconciling", describeCondition(reconciling));
  }
  for (const condition of conditions) {
    if (condition.status === "True" && STOPPED.has(condition.type)) {
      return stopped(condition.type, describeCondition(condition));
    }
  }
  for (const condition of conditions) {
    if (condition.status === "True" && isNegativeType(condition.type)) {
      return failed(condition.type, describeCondition(condition));
    }
  }
  for (const type of SUMMARY_CONDITIONS) {
    const condition = findCondition(conditions, type);
    if (condition !== undefined) return summary(object, context, condition);
  }
  // Non-standard health types: every one present must be True (a Gateway
  // can be Accepted and not yet Programmed).
  let healthy: Condition | undefined;
  for (const type of EXTRA_HEALTH_CONDITIONS) {
    const condition = findCondition(conditions, type);
    if (condition === undefined) continue;
    if (condition.status !== "True") {
      return summary(object, context, condition);
    }
    healthy ??= condition;
  }
  if (healthy !== undefined) return summary(object, context, healthy);
  const status = recordAt(object, "status");
  if (status === undefined || Object.keys(status).length === 0) {
    return noStatus(object, context);
  }
  for (const field of STATE_FIELDS) {
    const value = status[field];
    if (typeof value !== "string" || value === "") continue;
    const word = value.split(/[^A-Za-z]/)[0]?.toLowerCase() ?? "";
    const text = `status.${field} is ${JSON.stringify(value)}${
      quoteMessage(status)
    }`;
    const [failedCode, pendingCode] = STATE_REASONS[field];
    if (FAILED_STATES.has(word)) {
      return failed(isReasonCode(value) ? value : failedCode, text);
    }
    if (PENDING_STATES.has(word)) {
      return pending(isReasonCode(value) ? value : pendingCode, text);
    }
  }
  const phase = typeof status["phase"] === "string" ? status["phase"] : "";
  return ready(
    "NoReadinessConditions",
    `status has no Ready, Succeeded, Available, Healthy, Synced, Installed, Established, Reconciled, Valid, Accepted, Programmed, Stalled or Reconciling condition${
      phase === "" ? "" : ` (status.phase is ${JSON.stringify(phase)})`
    }`,
  );
}

/** `: <status.message>` when the status carries a string message. */
function quoteMessage(status: Record<string, unknown>): string {
  const message = status["message"];
  return typeof message === "string" && message !== "" ? `: ${message}` : "";
}

/**
 * Abnormal-true condition types: True means something is wrong (Argo
 * ApplicationSet's `ErrorOccurred`, Argo Workflows' `SpecError`, OpenShift
 * operators' `Degraded`). `Stalled` is handled before.
 */
function isNegativeType(type: string): boolean {
  return NEGATIVE_TYPES.has(type) ||
    /^[A-Z][A-Za-z0-9]*(Error|Failed|Failure)$/.test(type);
}

const NEGATIVE_TYPES: ReadonlySet<string> = new Set([
  "Degraded",
  "Failed",
  "Failure",
  "Error",
  "Invalid",
]);

/**
 * Status fields that summarise state as a word, for a status without
 * health conditions, in the order they are read; and the reason each gives
 * when its value is not a CamelCase code (`ERROR`, `red`).
 */
const STATE_FIELDS = ["phase", "state", "status", "health"] as const;
const STATE_REASONS: Readonly<
  Record<(typeof STATE_FIELDS)[number], readonly [string, string]>
> = {
  phase: ["PhaseFailed", "PhasePending"],
  state: ["StateFailed", "StatePending"],
  status: ["StatusFailed", "StatusPending"],
  health: ["HealthRed", "HealthYellow"],
};

/**
 * First words (lower-cased) of such a field that say Failed: `Failed`,
 * `ERROR, Secrets Manager can't find…`, `ConfigError`, Elastic's `red`.
 */
const FAILED_STATES: ReadonlySet<string> = new Set([
  "failed",
  "failure",
  "error",
  "errored",
  "degraded",
  "aborted",
  "configerror",
  "red",
]);

/** First words (lower-cased) of such a field that say Pending. */
const PENDING_STATES: ReadonlySet<string> = new Set([
  "pending",
  "progressing",
  "provisioning",
  "creating",
  "initializing",
  "deploying",
  "installing",
  "updating",
  "upgrading",
  "reconciling",
  "inprogress",
  "scaling",
  "starting",
  "waiting",
  "yellow",
]);

function stopped(reason: string, detail: string): Readiness {
  return ready(reason, detail, [
    `stopped on purpose (${detail}); it serves nothing until resumed`,
  ]);
}

function summary(
  object: KubeObject,
  context: RuleContext,
  condition: Condition,
): Readiness {
  const text = describeCondition(condition);
  if (condition.status === "True") return ready(condition.type, text);
  const code = isReasonCode(condition.reason) ? condition.reason : "";
  if (condition.status === "False") {
    if (condition.type === "Succeeded") return failed(code || "Failed", text);
    const terminal = context.options.terminalReasons[ruleKeyOf(object) ?? ""] ??
      [];
    if (code !== "" && terminal.includes(code)) return failed(code, text);
    if (STOPPED.has(code)) return stopped(code, text);
    if (matchTerminalPattern(condition) !== undefined) {
      return failed(code || "TerminalCondition", text);
    }
  }
  return pending(code || "NotReady", text);
}

function noStatus(object: KubeObject, context: RuleContext): Readiness {
  const key = ruleKeyOf(object) ?? "";
  if (isBuiltIn(key)) return ready("Exists", "no status reported");
  const crd = relatedIndex(context.related).crds.get(key);
  if (crd === undefined) {
    return ready("Exists", "no status reported", [
      "no status and no CustomResourceDefinition among the related objects; cannot tell whether a status is expected",
    ]);
  }
  const version = stringAt(object, "apiVersion").split("/").pop() ?? "";
  const versions = recordsAt(crd, "spec.versions");
  const served = versions.find((v) => v["name"] === version);
  const declaresStatus = (served === undefined ? versions : [served]).some((
    v,
  ) => recordAt(v, "subresources.status") !== undefined);
  if (declaresStatus) {
    return pending(
      "NoStatus",
      "the CRD declares a status subresource; the controller has not written it yet",
    );
  }
  return ready("Exists", "the CRD declares no status subresource");
}

/**
 * Kinds served by Kubernetes itself (core group, `*.k8s.io`, `apps`,
 * `batch`, `autoscaling`, `policy`, `extensions`): never backed by a CRD, so
 * a missing status needs no warning.
 */
function isBuiltIn(key: string): boolean {
  const slash = key.indexOf("/");
  if (slash < 0) return true;
  const group = key.slice(0, slash);
  return group.endsWith(".k8s.io") || BUILT_IN_GROUPS.has(group);
}

const BUILT_IN_GROUPS: ReadonlySet<string> = new Set([
  "apps",
  "batch",
  "autoscaling",
  "policy",
  "extensions",
]);
