/**
 * The health catalog: well-known CRD families described as data
 * (`rules/catalog/<group>.ts`, format in `catalog_schema.ts`), compiled once
 * into a lookup by `"group/Kind"`. `evaluate()` consults it after `RULES` and
 * before the generic rule; users add or replace entries with catalog files in
 * the same format (`createEvaluator({ catalog })`).
 *
 * @module
 */
import { judgeByCatalog } from "./_catalog_rule.ts";
import { ARGO_ROLLOUTS } from "./catalog/argoproj.io.ts";
import { CERT_MANAGER } from "./catalog/cert-manager.io.ts";
import { CLUSTER_API } from "./catalog/cluster.x-k8s.io.ts";
import { CROSSPLANE_MANAGED } from "./catalog/crossplane_managed.ts";
import { CROSSPLANE_COMPOSITION } from "./catalog/apiextensions.crossplane.io.ts";
import { CROSSPLANE_PACKAGES } from "./catalog/pkg.crossplane.io.ts";
import { EXTERNAL_SECRETS } from "./catalog/external-secrets.io.ts";
import { FLUX_HELM } from "./catalog/helm.toolkit.fluxcd.io.ts";
import { FLUX_KUSTOMIZE } from "./catalog/kustomize.toolkit.fluxcd.io.ts";
import { FLUX_SOURCE } from "./catalog/source.toolkit.fluxcd.io.ts";
import { KEDA } from "./catalog/keda.sh.ts";
import { KNATIVE_SERVING } from "./catalog/serving.knative.dev.ts";
import { KSERVE } from "./catalog/serving.kserve.io.ts";
import { PROMETHEUS_OPERATOR } from "./catalog/monitoring.coreos.com.ts";
import { STRIMZI } from "./catalog/kafka.strimzi.io.ts";
import {
  type CatalogCheck,
  type CatalogFamily,
  type CatalogKind,
  validateCatalog,
} from "./catalog_schema.ts";
import type { KubeObject, Readiness, RuleContext } from "./types.ts";

/**
 * The built-in catalog, one family per API group, validated by the same
 * schema as user catalog files when this module loads.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BUILT_IN_CATALOG } from "./mod.ts";
 * assert.ok(BUILT_IN_CATALOG.some((f) => f.group === "argoproj.io"));
 * ```
 */
export const BUILT_IN_CATALOG: readonly CatalogFamily[] = Object.freeze(
  validateCatalog({
    families: [
      ARGO_ROLLOUTS,
      FLUX_SOURCE,
      FLUX_HELM,
      FLUX_KUSTOMIZE,
      CERT_MANAGER,
      KEDA,
      KNATIVE_SERVING,
      KSERVE,
      CROSSPLANE_PACKAGES,
      CROSSPLANE_COMPOSITION,
      CROSSPLANE_MANAGED,
      CLUSTER_API,
      EXTERNAL_SECRETS,
      STRIMZI,
      PROMETHEUS_OPERATOR,
    ],
  }, "rules/catalog"),
);

/** A {@linkcode CatalogCheck} with its sets built and its pattern compiled. */
export interface CompiledCheck {
  /** The verdict reason when the check matches. */
  reason: string;
  /** Condition type to test. */
  condition: string | undefined;
  /** Condition status it must have. */
  status: string | undefined;
  /** Condition reasons, one of which it must have. */
  reasons: ReadonlySet<string> | undefined;
  /** Status field to test (dotted path). */
  field: string | undefined;
  /** The field equals this value. */
  equals: string | number | boolean | undefined;
  /** The field is one of these strings. */
  oneOf: ReadonlySet<string> | undefined;
  /** Pattern on the condition's message (or the field), case-insensitive. */
  message: RegExp | undefined;
}

/** A `CatalogTerminal` with its set built and its pattern compiled. */
export interface CompiledTerminal {
  /** The verdict reason. */
  reason: string;
  /** Condition reasons that are terminal. */
  reasons: ReadonlySet<string> | undefined;
  /** Pattern on the condition's message. */
  message: RegExp | undefined;
}

/** A `CatalogPhase` with its value sets built. */
export interface CompiledPhase {
  /** Dotted path of the phase field. */
  field: string;
  /** Healthy values. */
  ready: ReadonlySet<string>;
  /** Failed values. */
  failed: ReadonlySet<string>;
  /** Stopped-on-purpose values. */
  stopped: ReadonlySet<string>;
  /** Dotted path of a message to quote. */
  message: string | undefined;
}

/** A {@linkcode CatalogKind} ready to judge objects. */
export interface CompiledKind {
  /** `"group/Kind"` as declared (`"*.upbound.io/*"` for wildcards). */
  key: string;
  /** The family it belongs to. */
  family: string;
  /** Conditions that must be True where present. */
  health: readonly string[];
  /** Checks that make the object Failed at once. */
  failed: readonly CompiledCheck[];
  /** Checks that make the object Ready whatever else it reports. */
  ready: readonly CompiledCheck[];
  /** Checks that mean stopped on purpose. */
  stopped: readonly CompiledCheck[];
  /** Checks that mean work in progress. */
  progress: readonly CompiledCheck[];
  /** Terminal reasons and message patterns of a not-True health condition. */
  terminal: readonly CompiledTerminal[];
  /** The phase field and its value sets. */
  phase: CompiledPhase | undefined;
  /** Replica count paths. */
  replicas: CatalogKind["replicas"];
  /** The verdict when nothing is reported. */
  noStatus: "Ready" | "Pending";
  /** The controller reports its own deadline: no stall timeout. */
  nativeDeadline: boolean;
}

function compileCheck(check: CatalogCheck): CompiledCheck {
  return {
    reason: check.reason,
    condition: check.condition,
    status: check.status,
    reasons: check.reasons === undefined ? undefined : new Set(check.reasons),
    field: check.field,
    equals: check.equals,
    oneOf: check.oneOf === undefined ? undefined : new Set(check.oneOf),
    message: check.message === undefined
      ? undefined
      : new RegExp(check.message, "i"),
  };
}

function compileKind(family: CatalogFamily, kind: CatalogKind): CompiledKind {
  return {
    key: `${family.group}/${kind.kind}`,
    family: family.family,
    health: kind.health ?? [],
    failed: (kind.failed ?? []).map(compileCheck),
    ready: (kind.ready ?? []).map(compileCheck),
    stopped: (kind.stopped ?? []).map(compileCheck),
    progress: (kind.progress ?? []).map(compileCheck),
    terminal: (kind.terminal ?? []).map((t) => ({
      reason: t.reason,
      reasons: t.reasons === undefined ? undefined : new Set(t.reasons),
      message: t.message === undefined ? undefined : new RegExp(t.message, "i"),
    })),
    phase: kind.phase === undefined ? undefined : {
      field: kind.phase.field,
      ready: new Set(kind.phase.ready),
      failed: new Set(kind.phase.failed ?? []),
      stopped: new Set(kind.phase.stopped ?? []),
      message: kind.phase.message,
    },
    replicas: kind.replicas,
    noStatus: kind.noStatus ?? "Pending",
    nativeDeadline: kind.nativeDeadline ?? false,
  };
}

/**
 * A compiled catalog: finds the entry for an object's `"group/Kind"` (exact
 * group and Kind first, then the group's `*` entry, then `*.suffix` groups),
 * and judges objects by it. Later families replace earlier ones per Kind, so
 * user files override the built-in catalog.
 */
export class HealthCatalog {
  #exact = new Map<string, CompiledKind>();
  #wildcards: { suffix: string; kind: string; entry: CompiledKind }[] = [];
  #found = new Map<string, CompiledKind | null>();

  /** Compiles `families` (already validated) in order. */
  constructor(families: readonly CatalogFamily[]) {
    for (const family of families) {
      for (const kind of family.kinds) {
        const entry = compileKind(family, kind);
        if (family.group.startsWith("*.")) {
          // Later families first (user files win), and within them a named
          // Kind before the family's "*".
          this.#wildcards.unshift({
            suffix: family.group.slice(1),
            kind: kind.kind,
            entry,
          });
          this.#wildcards.sort((a, b) =>
            Number(a.kind === "*") - Number(b.kind === "*")
          );
        } else {
          this.#exact.set(entry.key, entry);
        }
      }
    }
  }

  /** The entry for a registry key (`"argoproj.io/Rollout"`), if any. */
  lookup(key: string): CompiledKind | undefined {
    const found = this.#found.get(key);
    if (found !== undefined) return found ?? undefined;
    const entry = this.#resolve(key);
    this.#found.set(key, entry ?? null);
    return entry;
  }

  #resolve(key: string): CompiledKind | undefined {
    const exact = this.#exact.get(key);
    if (exact !== undefined) return exact;
    const slash = key.indexOf("/");
    if (slash < 0) return undefined;
    const group = key.slice(0, slash);
    const kind = key.slice(slash + 1);
    const groupWide = this.#exact.get(`${group}/*`);
    if (groupWide !== undefined) return groupWide;
    for (const w of this.#wildcards) {
      if (group.endsWith(w.suffix) && (w.kind === "*" || w.kind === kind)) {
        return w.entry;
      }
    }
    return undefined;
  }

  /** Judges `object` by `entry` (the preamble has already run). */
  judge(
    entry: CompiledKind,
    object: KubeObject,
    context: RuleContext,
  ): Readiness {
    return judgeByCatalog(entry, object, context);
  }
}

/** The built-in catalog, compiled once. */
export const BUILT_IN_HEALTH_CATALOG: HealthCatalog = new HealthCatalog(
  BUILT_IN_CATALOG,
);

/**
 * Every verdict reason a catalog entry declares, by verdict: what the guard
 * test requires a fixture for.
 */
export function declaredCatalogReasons(
  kind: CatalogKind,
): { Failed: string[]; Ready: string[]; Pending: string[] } {
  return {
    Failed: [
      ...(kind.failed ?? []).map((c) => c.reason),
      ...(kind.terminal ?? []).map((t) => t.reason),
      ...(kind.phase?.failed ?? []),
    ],
    Ready: [
      ...(kind.ready ?? []).map((c) => c.reason),
      ...(kind.stopped ?? []).map((c) => c.reason),
      ...(kind.phase?.stopped ?? []),
    ],
    Pending: (kind.progress ?? []).map((c) => c.reason),
  };
}
