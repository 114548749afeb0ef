/**
 * Types shared by every readiness rule: the object being judged, the verdict,
 * and the context a rule may read (clock, related objects, tunables).
 *
 * @module
 */
import type { ConditionCache } from "./_fields.ts";

/** The three answers a rule can give. */
export type Verdict = "Ready" | "Pending" | "Failed";

/**
 * A Kubernetes object as unstructured JSON. Every field is `unknown` on
 * purpose: rules read it through tolerant helpers and never trust its shape.
 */
export interface KubeObject {
  /** `group/version`, or `v1` for core kinds. */
  apiVersion?: unknown;
  /** Kind, e.g. `Deployment`. */
  kind?: unknown;
  /** Name, namespace, labels, ownerReferences, generation… */
  metadata?: unknown;
  /** Desired state. */
  spec?: unknown;
  /** Observed state, as the controller reported it. */
  status?: unknown;
  /** Any other top-level field (`data`, `rules`, `webhooks`…). */
  [key: string]: unknown;
}

/** The result of evaluating one object (or rolling up several). */
export interface Readiness {
  /** Ready, Pending or Failed. */
  verdict: Verdict;
  /** Short, stable CamelCase code, e.g. `CrashLoopBackOff`. */
  reason: string;
  /** Human sentence naming the container, counts or condition that decided. */
  message: string;
  /** Things worth knowing that did not change the verdict. */
  warnings: string[];
  /**
   * Set on a Failed `NoProgress` verdict that a stall timeout escalated from
   * Pending: the Pending reason whose clock ran out. {@linkcode nextPendingMark}
   * reads it so that the escalation does not restart the clock.
   */
  pendingReason?: string;
}

/**
 * What the caller remembers about one object between evaluations: since when
 * it has been Pending with the same reason (kept in the sync snapshot). The
 * stall timeout uses it as the clock when the object itself carries no status
 * timestamps, and for a Pod stuck in `ContainerCreating`.
 */
export interface PendingMark {
  /** The Pending reason (`Readiness.reason`, or `pendingReason` once escalated). */
  reason: string;
  /** When the object was first seen Pending with that reason. */
  since: Date;
}

/** Grace periods and thresholds; every one has a documented default. */
export interface RuleOptions {
  /** How long a pod may stay unschedulable before it counts as Failed (ms). */
  unschedulableGraceMs: number;
  /** How long a container config error may last before Failed (ms). */
  configErrorGraceMs: number;
  /** How long a container must run without restarting to count as stable (ms). */
  restartStabilityMs: number;
  /** Restarts at or above which a waiting container counts as crash-looping. */
  crashLoopRestarts: number;
  /** How long a controller may make no progress before it counts as stalled (ms). */
  stallTimeoutMs: number;
  /**
   * How long after a pod started an image pull error that does not say
   * "not found" or "denied" is still treated as transient (ms).
   */
  imagePullGraceMs: number;
  /** How long an object may stay terminating before it counts as stuck (ms). */
  terminatingTimeoutMs: number;
  /**
   * Whether a `type: LoadBalancer` Service needs a published address to be
   * Ready. Set to `false` in clusters without a load-balancer controller.
   */
  requireLoadBalancerAddress: boolean;
  /**
   * Ingress classes whose controller publishes `status.loadBalancer`; an
   * Ingress of one of these classes stays Pending until it has an address.
   */
  ingressClassesRequiringAddress: readonly string[];
  /**
   * Condition reasons that are terminal for a custom resource, keyed
   * `"group/Kind"`: `Ready=False` or `Available=False` with one of these
   * reasons is Failed instead of Pending.
   */
  terminalReasons: Readonly<Record<string, readonly string[]>>;
}

/** What a rule may read besides the object itself. The clock is passed in. */
export interface RuleContext {
  /** The evaluation time; rules never read the clock themselves. */
  now: Date;
  /** Other objects of the instance or cluster (pods, ReplicaSets, StorageClasses, CRDs, Nodes). */
  related: readonly KubeObject[];
  /** Tunables, with defaults filled in. */
  options: RuleOptions;
  /**
   * Told every future time at which a verdict would change with the clock
   * alone (a grace period or timeout running out). Rules reach it only
   * through `hasElapsed()` in `_clock.ts`.
   */
  recheckAt?: (atMs: number) => void;
  /**
   * Since when this object has been Pending with the same reason, from the
   * caller's memory (see {@linkcode PendingMark}); read only through
   * `stallSince()` in `_preamble.ts`, which ignores it when the reason differs.
   */
  pendingSince?: PendingMark;
  /** Parsed-conditions cache of the evaluator (see `_fields.ts`). */
  conditionCache?: ConditionCache;
}

/** Every Kind rule has this shape: a pure function of data. */
export type Rule = (object: KubeObject, context: RuleContext) => Readiness;
