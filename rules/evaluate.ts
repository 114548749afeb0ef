/**
 * The evaluation pipeline: validate the object's shape, run the shared
 * preamble (deletion, observedGeneration, stale conditions), then the Kind
 * rule from the registry, else the generic rule.
 *
 * @module
 */
import { ConditionCache, describe, isRecord } from "./_fields.ts";
import { preamble } from "./_preamble.ts";
import { pending, withWarnings } from "./_readiness.ts";
import { judgeByCatalog } from "./_catalog_rule.ts";
import { BUILT_IN_HEALTH_CATALOG, HealthCatalog } from "./catalog.ts";
import { type CatalogFamily, validateCatalog } from "./catalog_schema.ts";
import { genericRule } from "./generic.ts";
import { resolveRuleOptions } from "./options.ts";
import { ruleFailure } from "./_guard.ts";
import { RULE_ALIASES, RULES } from "./registry.ts";
import { ruleKeyOf } from "./rule_key.ts";
import { STATUSLESS_KEYS } from "./statusless.ts";
import type {
  KubeObject,
  PendingMark,
  Readiness,
  Rule,
  RuleContext,
  RuleOptions,
} from "./types.ts";

/** What `evaluate()` may be given besides the object; every field is optional. */
export interface EvaluateContext {
  /** Evaluation time; defaults to the current time (read once). */
  now?: Date;
  /**
   * Other objects of the instance or cluster: Pods, ReplicaSets,
   * StorageClasses, CRDs, Nodes. Indexed once per array and reused while the
   * same array is passed again, so treat the array and its objects as
   * read-only once passed (build a new array when they change).
   */
  related?: readonly unknown[];
  /** Overrides of {@linkcode DEFAULT_RULE_OPTIONS}. */
  options?: Partial<RuleOptions>;
  /**
   * Extra or replacement rules, consulted before {@linkcode RULES} with the
   * same keys (`"group/Kind"`). Lets a caller support a CRD without editing
   * this package.
   */
  rules?: ReadonlyMap<string, Rule>;
  /**
   * Told every future time at which a verdict given in this context would
   * change with the clock alone (a grace period or timeout running out), so
   * a caller knows how long the verdicts of unchanged objects hold.
   */
  recheckAt?: (atMs: number) => void;
  /**
   * Health-catalog families added to the built-in catalog (and replacing
   * its entries Kind by Kind), e.g. from {@linkcode parseCatalog}. Compiled
   * once per array: pass the same array to every evaluator.
   */
  catalog?: readonly CatalogFamily[];
  /**
   * For `evaluate()` of a single object: what the caller remembers about it
   * (see {@linkcode ObjectMemory}); an evaluator takes it per object instead.
   */
  pendingSince?: PendingMark;
}

/** What the caller remembers about one object between evaluations. */
export interface ObjectMemory {
  /**
   * Since when the object has been Pending with the same reason, kept by the
   * caller with {@linkcode nextPendingMark}: the stall clock of objects that
   * carry no status timestamps.
   */
  pendingSince?: PendingMark;
}

/**
 * Judges one object against a fixed context (see {@linkcode createEvaluator});
 * `memory` is what the caller remembers about this object.
 */
export type Evaluator = (object: unknown, memory?: ObjectMemory) => Readiness;

/** Keys whose rule ignores `status` (a `status: null` there is harmless). */
const STATUSLESS_RULE_KEYS: ReadonlySet<string> = new Set(STATUSLESS_KEYS);

/** Bare Kind → registry key, for objects that arrive without `apiVersion`. */
const KEY_BY_KIND: ReadonlyMap<string, string> = keysByKind(RULES);

/**
 * Decides whether one Kubernetes object is Ready, Pending or Failed, and why.
 * Never throws on object content: a malformed object (null status, a string
 * where a number belongs, no kind) is Pending `InvalidObject` with a message
 * naming the field.
 *
 * A bare `{status: …}` block is accepted once the caller fills in
 * `apiVersion` and `kind`; without `kind` it is `InvalidObject`, because
 * guessing would risk calling e.g. a Deployment status Ready.
 *
 * @param object The object, as unstructured JSON (`kubectl get -o json`).
 * @param context Evaluation time, related objects, option overrides.
 * @returns The verdict with a CamelCase `reason`, a human `message` and `warnings`.
 * @throws {RangeError} When `context.now` is an invalid Date.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluate } from "./mod.ts";
 * const result = evaluate({
 *   apiVersion: "apps/v1",
 *   kind: "Deployment",
 *   metadata: { name: "web", generation: 2 },
 *   spec: { replicas: 3 },
 *   status: { observedGeneration: 2, replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2 },
 * }, { now: new Date("2026-11-25T10:00:00Z") });
 * assert.ok(result.verdict === "Pending" && result.reason === "LessAvailable");
 * ```
 */
export function evaluate(
  object: unknown,
  context: EvaluateContext = {},
): Readiness {
  return createEvaluator(context)(
    object,
    context.pendingSince === undefined
      ? undefined
      : { pendingSince: context.pendingSince },
  );
}

/**
 * Returns a function that judges objects against one context: the options
 * are resolved, `now` fixed and `related` indexed once, and pod verdicts are
 * shared between owners. Use it (or {@linkcode evaluateAll}) to judge all
 * objects of an instance with the instance's objects as `related`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createEvaluator } from "./mod.ts";
 * const objects = [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cfg" } }];
 * const judge = createEvaluator({ related: objects, now: new Date("2026-11-25T10:00:00Z") });
 * assert.equal(judge(objects[0]).verdict, "Ready");
 * ```
 */
export function createEvaluator(context: EvaluateContext = {}): Evaluator {
  const now = context.now ?? new Date();
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new RangeError(
      `Cannot evaluate readiness: "now" is not a valid Date`,
    );
  }
  const ruleContext: RuleContext = {
    now,
    related: (context.related ?? []) as readonly KubeObject[],
    options: resolveRuleOptions(context.options),
    ...(context.recheckAt ? { recheckAt: context.recheckAt } : {}),
    conditionCache: new ConditionCache(),
  };
  const tables: Tables = {
    extra: context.rules,
    catalog: context.catalog === undefined
      ? undefined
      : compileCatalog(context.catalog),
  };
  return function judgeObject(
    object: unknown,
    memory?: ObjectMemory,
  ): Readiness {
    const pendingSince = memory?.pendingSince;
    return judge(
      object,
      pendingSince === undefined
        ? ruleContext
        : { ...ruleContext, pendingSince },
      tables,
    );
  };
}

/** Where `judge()` looks for a rule besides `RULES` and the built-in catalog. */
interface Tables {
  extra: ReadonlyMap<string, Rule> | undefined;
  catalog: HealthCatalog | undefined;
}

const COMPILED_CATALOGS = new WeakMap<
  readonly CatalogFamily[],
  HealthCatalog
>();

/**
 * Compiles user catalog families (validated by {@linkcode validateCatalog}
 * or {@linkcode parseCatalog}) once per array.
 */
function compileCatalog(families: readonly CatalogFamily[]): HealthCatalog {
  let compiled = COMPILED_CATALOGS.get(families);
  if (compiled === undefined) {
    compiled = new HealthCatalog(validateCatalog({ families }, "catalog"));
    COMPILED_CATALOGS.set(families, compiled);
  }
  return compiled;
}

/**
 * The mark the caller keeps for an object after judging it: since when it
 * has been Pending with the same reason. Keep the previous mark while the
 * reason holds (also once the stall timeout escalated it to Failed
 * `NoProgress`), start a new one at `now` when the reason changed, drop it
 * once the object is Ready or Failed for another cause.
 *
 * @param previous The mark kept after the previous evaluation, if any.
 * @param result The verdict just given.
 * @param now The evaluation time.
 * @returns The mark to keep, or `undefined` to forget it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nextPendingMark } from "./mod.ts";
 * const t0 = new Date("2026-11-25T09:40:00Z");
 * const t1 = new Date("2026-11-25T10:00:00Z");
 * const pending = { verdict: "Pending" as const, reason: "Creating", message: "", warnings: [] };
 * const mark = nextPendingMark(undefined, pending, t0);
 * assert.deepEqual(nextPendingMark(mark, pending, t1), { reason: "Creating", since: t0 });
 * const stalled = { verdict: "Failed" as const, reason: "NoProgress", message: "", warnings: [], pendingReason: "Creating" };
 * assert.deepEqual(nextPendingMark(mark, stalled, t1), { reason: "Creating", since: t0 });
 * assert.equal(nextPendingMark(mark, { ...pending, verdict: "Ready" as const }, t1), undefined);
 * ```
 */
export function nextPendingMark(
  previous: PendingMark | undefined,
  result: Readiness,
  now: Date,
): PendingMark | undefined {
  const reason = result.verdict === "Pending"
    ? result.reason
    : result.pendingReason;
  if (reason === undefined) return undefined;
  if (previous !== undefined && previous.reason === reason) return previous;
  return { reason, since: now };
}

/**
 * Judges every object against the same context; equivalent to
 * `objects.map((o) => createEvaluator(context)(o))` with one evaluator.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluateAll, rollup } from "./mod.ts";
 * const objects = [{ apiVersion: "v1", kind: "Secret", metadata: { name: "s" } }];
 * assert.equal(rollup(evaluateAll(objects, { related: objects })).verdict, "Ready");
 * ```
 */
export function evaluateAll(
  objects: readonly unknown[],
  context: EvaluateContext = {},
): Readiness[] {
  const judgeObject = createEvaluator(context);
  return objects.map((object) => judgeObject(object));
}

function invalid(message: string): Readiness {
  return pending("InvalidObject", message);
}

function judge(
  object: unknown,
  context: RuleContext,
  tables: Tables,
): Readiness {
  if (!isRecord(object)) {
    return invalid(
      `the object is ${describe(object)}, expected a Kubernetes object`,
    );
  }
  const kind = object.kind;
  if (kind === undefined || kind === null || kind === "") {
    return invalid(
      "status" in object
        ? "kind is missing: a bare status block needs apiVersion and kind filled in by the caller"
        : "kind is missing",
    );
  }
  if (typeof kind !== "string") {
    return invalid(`kind is ${describe(kind)}, expected a string`);
  }
  const apiVersion = object.apiVersion;
  if (apiVersion !== undefined && typeof apiVersion !== "string") {
    return invalid(`apiVersion is ${describe(apiVersion)}, expected a string`);
  }
  if (object.metadata !== undefined && !isRecord(object.metadata)) {
    return invalid(
      `metadata is ${describe(object.metadata)}, expected an object`,
    );
  }
  const key = (apiVersion === undefined ? KEY_BY_KIND.get(kind) : undefined) ??
    ruleKeyOf(object) ?? kind;
  if (object.status !== undefined && !isRecord(object.status)) {
    if (!STATUSLESS_RULE_KEYS.has(key)) {
      return invalid(
        `status is ${describe(object.status)}, expected an object`,
      );
    }
    object = { ...object, status: undefined };
  }
  const target = object as KubeObject;
  try {
    const warnings: string[] = [];
    return withWarnings(
      preamble(target, context, warnings) ??
        judgeByRule(key, target, context, tables),
      warnings,
    );
  } catch (error) {
    return ruleFailure(error);
  }
}

/**
 * The pipeline after the preamble: the caller's rules, the caller's catalog,
 * `RULES`, the built-in catalog, the generic rule.
 */
function judgeByRule(
  key: string,
  object: KubeObject,
  context: RuleContext,
  tables: Tables,
): Readiness {
  const extra = tables.extra?.get(key);
  if (extra !== undefined) return extra(object, context);
  const own = tables.catalog?.lookup(key);
  if (own !== undefined) return judgeByCatalog(own, object, context);
  const rule = RULES.get(key);
  if (rule !== undefined) return rule(object, context);
  const entry = BUILT_IN_HEALTH_CATALOG.lookup(key);
  if (entry !== undefined) return judgeByCatalog(entry, object, context);
  return genericRule(object, context);
}

function keysByKind(
  rules: ReadonlyMap<string, Rule>,
): ReadonlyMap<string, string> {
  const byKind = new Map<string, string | null>();
  for (const key of rules.keys()) {
    if (RULE_ALIASES.has(key)) continue;
    const kind = key.slice(key.indexOf("/") + 1);
    byKind.set(kind, byKind.has(kind) ? null : key);
  }
  const out = new Map<string, string>();
  for (const [kind, key] of byKind) if (key !== null) out.set(kind, key);
  return out;
}
