/**
 * Judges a custom resource by its health-catalog entry (`catalog_schema.ts`).
 * Runs after the preamble (deletion, observedGeneration, stale conditions).
 *
 * | Situation | Verdict | Reason |
 * |---|---|---|
 * | a `ready` check matches (a static OCI HelmRepository; the latest `Ready=True` of a ClusterExternalSecret) | Ready | the check's reason |
 * | a `failed` check matches | Failed | the check's reason |
 * | a `stopped` check matches, or the phase is a `stopped` value | Ready + warning | the check's reason, or the phase |
 * | the phase is a `failed` value | Failed | the phase |
 * | `Stalled=True` (kstatus) | Failed | `Stalled` |
 * | a health condition not True whose reason or message is terminal (the entry's `terminal`, `options.terminalReasons`, or a generic pattern when False) — even while `Reconciling=True` | Failed | the terminal's reason |
 * | a health condition not True with reason `Stopped`, `Suspended` or `Paused` | Ready + warning | that reason |
 * | `Reconciling=True` (kstatus) | Pending | `Reconciling` |
 * | the phase is not a ready value | Pending | the phase |
 * | a health condition not True | Pending | the condition's reason, else `NotReady` |
 * | a `progress` check matches | Pending | the check's reason |
 * | fewer updated / ready / available replicas than desired | Pending | `LessUpdated` / `LessReady` / `LessAvailable` |
 * | more replicas than updated ones | Pending | `OldReplicasRemain` |
 * | no health condition present and no phase | Pending `NoStatus` (Ready `Exists` with `noStatus: Ready`) | |
 * | otherwise | Ready | the True health condition's type, else the phase |
 * | any Pending for `stallTimeoutMs` (clock: the earlier of the last status change and the caller's `pendingSince` for the same reason), unless `nativeDeadline` | Failed | `NoProgress` |
 *
 * @module
 */
import {
  type Condition,
  conditionsAt,
  describe,
  describeCondition,
  findCondition,
  isReasonCode,
  isRecord,
  optionalIntAt,
  stringAt,
  valueAt,
} from "./_fields.ts";
import { escalateCustomResource } from "./_preamble.ts";
import { failed, pending, ready } from "./_readiness.ts";
import { ruleKeyOf } from "./rule_key.ts";
import { matchTerminalPattern } from "./terminal_patterns.ts";
import type { CompiledCheck, CompiledKind } from "./catalog.ts";
import type { KubeObject, Readiness, RuleContext } from "./types.ts";

/** Decides the readiness of `object` by its catalog entry. */
export function judgeByCatalog(
  entry: CompiledKind,
  object: KubeObject,
  context: RuleContext,
): Readiness {
  const result = judge(entry, object, context);
  return entry.nativeDeadline
    ? result
    : escalateCustomResource(object, context, result);
}

function judge(
  entry: CompiledKind,
  object: KubeObject,
  context: RuleContext,
): Readiness {
  const conditions = conditionsAt(object, context.conditionCache);
  for (const check of entry.ready) {
    const hit = matchCheck(check, object, conditions);
    if (hit !== undefined) return ready(check.reason, hit);
  }
  for (const check of entry.failed) {
    const hit = matchCheck(check, object, conditions);
    if (hit !== undefined) return failed(check.reason, hit);
  }
  for (const check of entry.stopped) {
    const hit = matchCheck(check, object, conditions);
    if (hit !== undefined) return stoppedResult(check.reason, hit);
  }
  const phase = entry.phase;
  const phaseValue = phase === undefined ? "" : stringAt(object, phase.field);
  const phaseText = phase === undefined || phaseValue === ""
    ? ""
    : phaseMessage(object, phase.field, phaseValue, phase.message);
  if (phase !== undefined && phaseValue !== "") {
    if (phase.failed.has(phaseValue)) return failed(phaseValue, phaseText);
    if (phase.stopped.has(phaseValue)) {
      return stoppedResult(phaseValue, phaseText);
    }
  }
  const stalled = findCondition(conditions, "Stalled");
  if (stalled?.status === "True") {
    return failed("Stalled", describeCondition(stalled));
  }
  // A terminal health condition decides even while the controller retries
  // (Flux: Ready=False with Reconciling=True, ProgressingWithRetry).
  let healthy: Condition | undefined;
  let unhealthy: Condition | undefined;
  for (const type of entry.health) {
    const condition = findCondition(conditions, type);
    if (condition === undefined) continue;
    if (condition.status === "True") {
      healthy ??= condition;
      continue;
    }
    const verdict = notHealthy(entry, object, context, condition);
    if (verdict.verdict !== "Pending") return verdict;
    unhealthy ??= condition;
  }
  const reconciling = findCondition(conditions, "Reconciling");
  if (reconciling?.status === "True") {
    return pending("Reconciling", describeCondition(reconciling));
  }
  if (
    phase !== undefined && phaseValue !== "" && !phase.ready.has(phaseValue)
  ) {
    return pending(
      isReasonCode(phaseValue) ? phaseValue : "Progressing",
      phaseText,
    );
  }
  if (unhealthy !== undefined) {
    const code = isReasonCode(unhealthy.reason) ? unhealthy.reason : "";
    return pending(code || "NotReady", describeCondition(unhealthy));
  }
  for (const check of entry.progress) {
    const hit = matchCheck(check, object, conditions);
    if (hit !== undefined) return pending(check.reason, hit);
  }
  const replicas = replicaProgress(entry, object);
  if (replicas !== undefined) return replicas;
  if (healthy !== undefined) {
    return ready(healthy.type, describeCondition(healthy));
  }
  if (phaseValue !== "") {
    return ready(isReasonCode(phaseValue) ? phaseValue : "Healthy", phaseText);
  }
  if (entry.noStatus === "Ready") {
    return ready("Exists", "no status reported, none expected");
  }
  const wanted = [
    ...entry.health,
    ...(phase === undefined ? [] : [phase.field]),
  ].join(", ");
  return pending(
    "NoStatus",
    `the controller has not reported ${wanted} yet`,
  );
}

function phaseMessage(
  object: KubeObject,
  field: string,
  value: string,
  messagePath: string | undefined,
): string {
  const quoted = messagePath === undefined ? "" : stringAt(object, messagePath);
  return `${field} is ${value}${quoted === "" ? "" : `: ${quoted}`}`;
}

function stoppedResult(reason: string, detail: string): Readiness {
  return ready(reason, detail, [
    `stopped on purpose (${detail}); it serves nothing until resumed`,
  ]);
}

/**
 * The verdict reason of the entry's first terminal that the not-True
 * condition matches (reasons and message both, where given), else `undefined`.
 */
export function catalogTerminal(
  entry: CompiledKind | undefined,
  condition: Condition,
): string | undefined {
  for (const terminal of entry?.terminal ?? []) {
    if (
      (terminal.reasons === undefined ||
        terminal.reasons.has(condition.reason)) &&
      (terminal.message === undefined ||
        terminal.message.test(condition.message))
    ) {
      return terminal.reason;
    }
  }
  return undefined;
}

function notHealthy(
  entry: CompiledKind,
  object: KubeObject,
  context: RuleContext,
  condition: Condition,
): Readiness {
  const text = describeCondition(condition);
  const terminal = catalogTerminal(entry, condition);
  if (terminal !== undefined) return failed(terminal, text);
  const code = isReasonCode(condition.reason) ? condition.reason : "";
  if (STOPPED_REASONS.has(code)) return stoppedResult(code, text);
  // The operator's own list (options.terminalReasons) applies here too.
  const configured = context.options.terminalReasons[ruleKeyOf(object) ?? ""] ??
    [];
  if (
    condition.status === "False" && code !== "" && configured.includes(code)
  ) {
    return failed(code, text);
  }
  if (
    condition.status === "False" &&
    matchTerminalPattern(condition) !== undefined
  ) {
    return failed(code || "TerminalCondition", text);
  }
  return pending(code || "NotReady", text);
}

/** Reasons of a not-True health condition that mean stopped on purpose. */
const STOPPED_REASONS: ReadonlySet<string> = new Set([
  "Stopped",
  "Suspended",
  "Paused",
]);

/** A description of what matched, or `undefined`. */
function matchCheck(
  check: CompiledCheck,
  object: KubeObject,
  conditions: readonly Condition[],
): string | undefined {
  if (check.condition !== undefined) {
    const condition = findCondition(conditions, check.condition);
    if (condition === undefined) return undefined;
    if (check.status !== undefined && condition.status !== check.status) {
      return undefined;
    }
    if (check.reasons !== undefined && !check.reasons.has(condition.reason)) {
      return undefined;
    }
    if (check.message !== undefined && !check.message.test(condition.message)) {
      return undefined;
    }
    return describeCondition(condition);
  }
  const path = check.field as string;
  const value = valueAt(object, path);
  if (value === undefined || value === null) return undefined;
  if (check.equals !== undefined) {
    return value === check.equals ? `${path} is ${String(value)}` : undefined;
  }
  if (check.oneOf !== undefined) {
    return typeof value === "string" && check.oneOf.has(value)
      ? `${path} is ${value}`
      : undefined;
  }
  if (!nonEmpty(value)) return undefined;
  if (check.message !== undefined) {
    const text = typeof value === "string" ? value : JSON.stringify(value);
    if (!check.message.test(text)) return undefined;
  }
  return `${path} is ${summarise(value)}`;
}

function nonEmpty(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (isRecord(value)) return Object.keys(value).length > 0;
  return value !== "" && value !== false && value !== 0;
}

function summarise(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.slice(0, 200));
  if (Array.isArray(value)) {
    const reasons = value.map((v) => isRecord(v) ? v["reason"] : undefined)
      .filter((r) => typeof r === "string");
    return reasons.length > 0
      ? `set (${reasons.join(", ")})`
      : `set (${value.length} entries)`;
  }
  return describe(value);
}

function replicaProgress(
  entry: CompiledKind,
  object: KubeObject,
): Readiness | undefined {
  const paths = entry.replicas;
  if (paths === undefined) return undefined;
  const desired = optionalIntAt(object, paths.desired ?? "spec.replicas") ?? 1;
  const updated = paths.updated === undefined
    ? undefined
    : optionalIntAt(object, paths.updated);
  const current = paths.current === undefined
    ? undefined
    : optionalIntAt(object, paths.current);
  const readyCount = paths.ready === undefined
    ? undefined
    : optionalIntAt(object, paths.ready) ?? 0;
  const available = paths.available === undefined
    ? undefined
    : optionalIntAt(object, paths.available) ?? 0;
  if (updated !== undefined && updated < desired) {
    return pending("LessUpdated", `${updated}/${desired} replicas updated`);
  }
  if (current !== undefined && updated !== undefined && current > updated) {
    return pending(
      "OldReplicasRemain",
      `${current - updated} old replica${
        current - updated === 1 ? "" : "s"
      } still running (${current} replicas, ${updated} updated)`,
    );
  }
  if (readyCount !== undefined && readyCount < desired) {
    return pending("LessReady", `${readyCount}/${desired} replicas ready`);
  }
  if (available !== undefined && available < desired) {
    return pending(
      "LessAvailable",
      `${available}/${desired} replicas available`,
    );
  }
  return undefined;
}
