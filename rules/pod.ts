/**
 * Readiness of a Pod (reference §2.1, §4 "Pod").
 *
 * Fields read: `status.phase`, `status.reason`, `status.message`,
 * `status.startTime`, `status.conditions[PodScheduled, Ready]`,
 * `status.initContainerStatuses[]` and `status.containerStatuses[]`
 * (`state.waiting`, `state.terminated`, `lastState.terminated`, `ready`,
 * `started`, `restartCount`), `spec.restartPolicy`, `spec.initContainers[].restartPolicy`,
 * `metadata.creationTimestamp`.
 *
 * | Situation | Verdict | Reason |
 * |---|---|---|
 * | `phase: Failed` | Failed | `status.reason` (`Evicted`…) or the container's terminated reason (`OOMKilled`), else `PodFailed` |
 * | `phase: Succeeded`, restartPolicy Never/OnFailure | Ready | `Completed` |
 * | `phase: Succeeded`, restartPolicy Always | Failed | `Stopped` (it no longer serves) |
 * | `phase: Succeeded` without a spec (bare status: restartPolicy unknown) | Ready | `Completed` |
 * | any init, sidecar or app container waiting in CrashLoopBackOff with `restartCount >= crashLoopRestarts` | Failed | `CrashLoopBackOff` |
 * | any container terminated with a non-zero exit after `>= crashLoopRestarts` restarts, restartPolicy not Never (between two back-offs) | Failed | `CrashLoopBackOff` |
 * | InvalidImageName, ErrImageNeverPull, CreateContainerError, RunContainerError, Pre/PostStartHookError | Failed | the waiting reason |
 * | ErrImagePull / ImagePullBackOff saying not found, unauthorized or denied | Failed | the waiting reason |
 * | other ErrImagePull within `imagePullGraceMs` of the pod's start (ImagePullBackOff: always within the grace) | Pending | the waiting reason |
 * | CreateContainerConfigError | Pending, Failed after `configErrorGraceMs` | `CreateContainerConfigError` |
 * | `PodScheduled=False, Unschedulable` | Pending, Failed after `unschedulableGraceMs` from the condition's transition | `Unschedulable` |
 * | `phase: Unknown` | Pending, Failed after `stallTimeoutMs` | `PhaseUnknown` |
 * | Running, every container (and native sidecar) ready, `Ready` not False | Ready, unless a container's `lastState.terminated.finishedAt` is within `restartStabilityMs` (Pending `RecentlyRestarted`) | `Running` |
 * | `ContainerCreating` for `stallTimeoutMs` by the caller's clock (`pendingSince`) | Failed | `NoProgress` |
 * | otherwise | Pending | `Initializing`, `ContainersNotReady`, `NotReady`, `ContainerCreating`… |
 *
 * Traps avoided: init containers and native sidecars are judged like app
 * containers (no anchor decides on them); image pull and config errors in
 * phase Pending are seen (kstatus misses them) but the first transient
 * `ErrImagePull` is not a failure (Argo CD's trap); a terminal `Failed` pod is
 * never Ready (kstatus calls an OOMKilled pod Current); a crash-looping
 * container that is Ready for a few seconds per cycle is caught by the
 * restart-stability window.
 *
 * @module
 */
import { hasElapsed } from "./_clock.ts";
import { pendingClock } from "./_preamble.ts";
import {
  boolAt,
  type Condition,
  conditionsAt,
  type Fields,
  findCondition,
  formatDuration,
  intAt,
  isReasonCode,
  isRecord,
  optionalIntAt,
  recordAt,
  recordsAt,
  stringAt,
  timeAt,
  within,
} from "./_fields.ts";
import { failed, pending, ready } from "./_readiness.ts";
import type { KubeObject, Readiness, RuleContext } from "./types.ts";

/**
 * Every reason this rule names itself, for the guard test that requires a
 * fixture per reason (reasons copied from a condition or a container state
 * are not listed).
 */
export const REASONS: readonly string[] = [
  "Completed",
  "Stopped",
  "CrashLoopBackOff",
  "InvalidImageName",
  "CreateContainerError",
  "ErrImagePull",
  "ImagePullBackOff",
  "CreateContainerConfigError",
  "Unschedulable",
  "PhaseUnknown",
  "Initializing",
  "NoStatus",
  "Scheduling",
  "ContainersStarting",
  "UnknownPhase",
  "ContainerWaiting",
  "ContainersNotReady",
  "NotReady",
  "RecentlyRestarted",
  "Running",
  "PodFailed",
  "ContainerCreating",
  "NoProgress",
];

/** Waiting reasons that never clear without a change to the pod spec or the cluster. */
const TERMINAL_WAITING: ReadonlySet<string> = new Set([
  "InvalidImageName",
  "ErrImageNeverPull",
  "CreateContainerError",
  "RunContainerError",
  "PreStartHookError",
  "PostStartHookError",
]);

/** Registry answers that mean retrying the pull cannot help. */
const PERMANENT_PULL_ERROR =
  /not found|manifest unknown|unauthorized|authentication required|denied|forbidden|invalid reference/i;

/** One container status, read once (field errors name the full path). */
interface ContainerView {
  /** Container name. */
  name: string;
  /** `init`, `sidecar` (init container with restartPolicy Always) or `app`. */
  role: "init" | "sidecar" | "app";
  /** `ready` is `true`. */
  ready: boolean;
  /** `restartCount` (0 when absent). */
  restarts: number;
  /** `state.waiting.reason` and `.message` ("" when absent). */
  waitingReason: string;
  waitingMessage: string;
  /** `state.terminated`: reason and exit code. */
  terminatedReason: string;
  exitCode: number | undefined;
  /** `lastState.terminated`: reason, exit code and `finishedAt` (epoch ms). */
  lastReason: string;
  lastExitCode: number | undefined;
  lastFinishedMs: number | undefined;
}

/** Decides the readiness of a Pod. */
export function podRule(pod: KubeObject, context: RuleContext): Readiness {
  const result = judgePod(pod, context);
  if (result.verdict !== "Pending" || result.reason !== "ContainerCreating") {
    return result;
  }
  // Stuck creating (a volume that cannot be mounted): the cause is only in
  // Events and a slow pull looks the same, so only the caller's memory of
  // how long it has been so can tell (issue 16).
  const since = pendingClock(context, result.reason);
  if (!hasElapsed(context, since, context.options.stallTimeoutMs)) {
    return result;
  }
  return {
    ...failed(
      "NoProgress",
      `${result.message}; Pending (ContainerCreating) for ${
        formatDuration(context.now.getTime() - since)
      } (stall timeout ${formatDuration(context.options.stallTimeoutMs)})`,
      result.warnings,
    ),
    pendingReason: result.reason,
  };
}

function judgePod(pod: KubeObject, context: RuleContext): Readiness {
  const phase = stringAt(pod, "status.phase");
  // The API server defaults restartPolicy to Always, but a bare status
  // document has no spec at all: then the policy is unknown ("").
  const restartPolicy = stringAt(
    pod,
    "spec.restartPolicy",
    recordAt(pod, "spec") === undefined ? "" : "Always",
  );
  const containers = containerViews(pod);

  if (phase === "Failed") {
    return failed(
      terminalReason(pod, containers),
      terminalMessage(pod, containers),
    );
  }
  if (phase === "Succeeded") {
    if (restartPolicy === "Always") {
      return failed(
        "Stopped",
        "all containers exited although restartPolicy is Always; the pod no longer serves",
      );
    }
    return ready("Completed", "all containers completed successfully");
  }

  const startedAt = timeAt(pod, "status.startTime") ??
    timeAt(pod, "metadata.creationTimestamp");
  let waiting: { result: Readiness; role: ContainerView["role"] } | undefined;
  for (const container of containers) {
    const result = judgeWaiting(container, startedAt, context) ??
      judgeExited(container, restartPolicy, context);
    if (result?.verdict === "Failed") return result;
    if (result !== undefined) waiting ??= { result, role: container.role };
  }

  const conditions = conditionsAt(pod, context.conditionCache);
  const scheduled = findCondition(conditions, "PodScheduled");
  if (scheduled?.status === "False" && scheduled.reason === "Unschedulable") {
    const since = scheduled.lastTransitionMs ?? startedAt;
    const detail = scheduled.message === "" ? "" : `: ${scheduled.message}`;
    if (
      since !== undefined &&
      hasElapsed(context, since, context.options.unschedulableGraceMs)
    ) {
      return failed(
        "Unschedulable",
        `unschedulable for ${
          formatDuration(context.now.getTime() - since)
        }${detail}`,
      );
    }
    return pending("Unschedulable", `not scheduled yet${detail}`);
  }

  if (phase === "Unknown") {
    const readyCondition = findCondition(conditions, "Ready");
    const since = readyCondition?.lastTransitionMs;
    const reason = stringAt(pod, "status.reason");
    const detail = reason === "" ? "" : ` (${reason})`;
    if (
      since !== undefined &&
      hasElapsed(context, since, context.options.stallTimeoutMs)
    ) {
      return failed(
        "PhaseUnknown",
        `pod state unknown for ${
          formatDuration(context.now.getTime() - since)
        }${detail}`,
      );
    }
    return pending(
      "PhaseUnknown",
      `pod state unknown, node not reporting${detail}`,
    );
  }

  if (waiting !== undefined && waiting.role !== "app") return waiting.result;
  const init = containers.find((c) => c.role === "init" && c.exitCode !== 0);
  if (init !== undefined && phase !== "Running") {
    return pending("Initializing", `waiting for ${label(init)} to complete`);
  }
  if (waiting !== undefined) return waiting.result;
  if (phase === "") return pending("NoStatus", "no status.phase reported yet");
  if (phase === "Pending") {
    return scheduled?.status !== "True" && containers.length === 0
      ? pending("Scheduling", "waiting to be scheduled")
      : pending("ContainersStarting", "containers starting");
  }
  if (phase !== "Running") {
    return pending("UnknownPhase", `unrecognised phase "${phase}"`);
  }
  return judgeRunning(containers, conditions, context);
}

function containerViews(pod: KubeObject): ContainerView[] {
  const sidecars = new Set<string>();
  const specified = new Set<string>();
  for (const spec of recordsAt(pod, "spec.initContainers")) {
    const name = spec["name"];
    if (typeof name !== "string") continue;
    specified.add(name);
    if (spec["restartPolicy"] === "Always") sidecars.add(name);
  }
  const views: ContainerView[] = [];
  recordsAt(pod, "status.initContainerStatuses").forEach((status, i) => {
    const view = within(
      `status.initContainerStatuses[${i}]`,
      () => readView(status, "init"),
    );
    // Without the spec (bare status documents) a running init container that
    // reports `started` is taken for a sidecar; regular ones are not "started".
    const sidecar = specified.has(view.name)
      ? sidecars.has(view.name)
      : isRecord(status["state"]) && status["state"]["running"] !== undefined &&
        status["started"] === true;
    views.push(sidecar ? { ...view, role: "sidecar" } : view);
  });
  recordsAt(pod, "status.containerStatuses").forEach((status, i) => {
    views.push(
      within(`status.containerStatuses[${i}]`, () => readView(status, "app")),
    );
  });
  return views;
}

function readView(status: Fields, role: ContainerView["role"]): ContainerView {
  return {
    name: stringAt(status, "name"),
    role,
    ready: boolAt(status, "ready", false),
    restarts: intAt(status, "restartCount", 0),
    waitingReason: stringAt(status, "state.waiting.reason"),
    waitingMessage: stringAt(status, "state.waiting.message"),
    terminatedReason: stringAt(status, "state.terminated.reason"),
    exitCode: optionalIntAt(status, "state.terminated.exitCode"),
    lastReason: stringAt(status, "lastState.terminated.reason"),
    lastExitCode: optionalIntAt(status, "lastState.terminated.exitCode"),
    lastFinishedMs: timeAt(status, "lastState.terminated.finishedAt"),
  };
}

function label(container: ContainerView): string {
  const kind = container.role === "app"
    ? "container"
    : container.role === "init"
    ? "init container"
    : "sidecar";
  return `${kind} "${container.name}"`;
}

/**
 * A container caught between two restarts of a crash loop: terminated with a
 * non-zero exit and already restarted `crashLoopRestarts` times, in a pod
 * that restarts it. The kubelet writes `CrashLoopBackOff` only during the
 * back-off, so without this the verdict flips to Pending at every restart.
 */
function judgeExited(
  container: ContainerView,
  restartPolicy: string,
  context: RuleContext,
): Readiness | undefined {
  const exit = container.exitCode;
  if (exit === undefined || exit === 0) return undefined;
  if (restartPolicy === "Never" && container.role !== "sidecar") {
    return undefined;
  }
  const restarts = container.restarts;
  if (restarts < context.options.crashLoopRestarts || restarts === 0) {
    return undefined;
  }
  return failed(
    "CrashLoopBackOff",
    `${label(container)} exited with code ${exit}${
      container.terminatedReason === ""
        ? ""
        : ` (${container.terminatedReason})`
    } after ${restarts} restart${
      restarts === 1 ? "" : "s"
    }; it is crash-looping between back-offs`,
  );
}

function judgeWaiting(
  container: ContainerView,
  startedAt: number | undefined,
  context: RuleContext,
): Readiness | undefined {
  const reason = container.waitingReason;
  if (reason === "") return undefined;
  const message = container.waitingMessage;
  const detail = message === "" ? "" : `: ${message}`;
  const who = label(container);
  const elapsed = startedAt === undefined
    ? undefined
    : context.now.getTime() - startedAt;
  switch (reason) {
    case "CrashLoopBackOff": {
      const restarts = container.restarts;
      const last = container.lastReason;
      const exit = container.lastExitCode;
      const cause = last === ""
        ? ""
        : `; last exit ${last}${
          typeof exit === "number" ? ` (code ${exit})` : ""
        }`;
      const text = `${who} is in CrashLoopBackOff after ${restarts} restart${
        restarts === 1 ? "" : "s"
      }${cause}`;
      return restarts >= context.options.crashLoopRestarts
        ? failed(reason, text)
        : pending(reason, text);
    }
    case "ErrImagePull":
    case "ImagePullBackOff": {
      if (PERMANENT_PULL_ERROR.test(message)) {
        return failed(reason, `${who} cannot pull its image${detail}`);
      }
      const withinGrace = startedAt === undefined
        ? reason === "ErrImagePull"
        : !hasElapsed(context, startedAt, context.options.imagePullGraceMs);
      if (withinGrace) {
        return pending(reason, `${who} is retrying its image pull${detail}`);
      }
      return failed(
        reason,
        `${who} still cannot pull its image${
          elapsed === undefined ? "" : ` ${formatDuration(elapsed)} after start`
        }${detail}`,
      );
    }
    case "CreateContainerConfigError": {
      if (
        startedAt !== undefined &&
        hasElapsed(context, startedAt, context.options.configErrorGraceMs)
      ) {
        return failed(
          reason,
          `${who} has a configuration error for ${
            formatDuration(context.now.getTime() - startedAt)
          }${detail}`,
        );
      }
      return pending(
        reason,
        `${who} is waiting for its configuration${detail}`,
      );
    }
    default:
      if (TERMINAL_WAITING.has(reason)) {
        return failed(reason, `${who}: ${reason}${detail}`);
      }
      return pending(
        isReasonCode(reason) ? reason : "ContainerWaiting",
        `${who} is waiting (${reason})${detail}`,
      );
  }
}

function terminalReason(
  pod: KubeObject,
  containers: readonly ContainerView[],
): string {
  const reason = stringAt(pod, "status.reason");
  if (isReasonCode(reason)) return reason;
  for (const { terminatedReason, exitCode } of containers) {
    if (
      isReasonCode(terminatedReason) && terminatedReason !== "Completed" &&
      terminatedReason !== "Error"
    ) {
      return terminatedReason;
    }
    if (exitCode !== undefined && exitCode !== 0) return "PodFailed";
  }
  return "PodFailed";
}

function terminalMessage(
  pod: KubeObject,
  containers: readonly ContainerView[],
): string {
  const message = stringAt(pod, "status.message");
  for (const container of containers) {
    if (container.exitCode === undefined || container.exitCode === 0) continue;
    const reason = container.terminatedReason;
    const text = `${label(container)} exited with code ${container.exitCode}${
      reason === "" ? "" : ` (${reason})`
    }`;
    return message === "" ? text : `${message}; ${text}`;
  }
  return message === "" ? "the pod failed" : message;
}

function judgeRunning(
  containers: readonly ContainerView[],
  conditions: readonly Condition[],
  context: RuleContext,
): Readiness {
  for (const container of containers) {
    if (container.role === "init") {
      if (container.exitCode !== 0) {
        return pending("Initializing", `${label(container)} has not completed`);
      }
      continue;
    }
    if (!container.ready) {
      const why = container.terminatedReason === ""
        ? "is not ready"
        : `exited (${container.terminatedReason})`;
      return pending("ContainersNotReady", `${label(container)} ${why}`);
    }
  }
  const apps = containers.filter((c) => c.role === "app").length;
  const readyCondition = findCondition(conditions, "Ready");
  if (apps === 0 && readyCondition?.status !== "True") {
    return pending("ContainersNotReady", "no container status reported yet");
  }
  if (readyCondition !== undefined && readyCondition.status !== "True") {
    const why = readyCondition.reason === ""
      ? ""
      : ` (${readyCondition.reason})`;
    return pending(
      "NotReady",
      `Ready condition is ${readyCondition.status}${why}`,
    );
  }
  for (const container of containers) {
    if (container.lastFinishedMs === undefined) continue;
    const since = context.now.getTime() - container.lastFinishedMs;
    if (
      !hasElapsed(
        context,
        container.lastFinishedMs,
        context.options.restartStabilityMs,
      )
    ) {
      const restarts = container.restarts;
      return pending(
        "RecentlyRestarted",
        `${label(container)} restarted ${
          formatDuration(since)
        } ago (${restarts} restart${restarts === 1 ? "" : "s"}); waiting ${
          formatDuration(context.options.restartStabilityMs)
        } for stability`,
      );
    }
  }
  const restarts = containers.reduce((sum, c) => sum + c.restarts, 0);
  const warnings = restarts > 0
    ? [
      `containers restarted ${restarts} time${
        restarts === 1 ? "" : "s"
      } in total`,
    ]
    : [];
  const message = apps === 0
    ? "Ready condition is True (no container statuses reported)"
    : `${apps} container${apps === 1 ? "" : "s"} ready`;
  return ready("Running", message, warnings);
}
