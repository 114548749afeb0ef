/**
 * k8s-aai-sync: keeps ONAP A&AI in step with the live readiness of the
 * Kubernetes resources that k8splugin's Resource Bundle instances created.
 *
 * The library API: the readiness rules ({@linkcode evaluate},
 * {@linkcode rollup}), one sync pass ({@linkcode runSync}, also exported as
 * `syncOnce`), the per-instance plan `check` shows ({@linkcode planInstance}),
 * configuration loading, and the peers' client seams.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluate, rollup } from "./mod.ts";
 * const now = new Date("2026-11-25T10:00:00Z");
 * const service = evaluate({
 *   apiVersion: "v1",
 *   kind: "Service",
 *   metadata: { name: "web", namespace: "demo" },
 *   spec: { type: "ClusterIP", clusterIP: "10.0.0.7" },
 * }, { now });
 * assert.equal(service.verdict, "Ready");
 * assert.equal(rollup([service]).verdict, "Ready");
 * ```
 *
 * @module
 */
export {
  createEvaluator,
  DEFAULT_RULE_OPTIONS,
  evaluate,
  evaluateAll,
  rollup,
  RULES,
} from "./rules/mod.ts";
export type {
  CatalogCheck,
  CatalogFamily,
  CatalogKind,
  CatalogPhase,
  CatalogReplicas,
  CatalogTerminal,
  Condition,
  ConditionCache,
  EvaluateContext,
  Evaluator,
  Fields,
  KubeObject,
  ObjectMemory,
  PendingMark,
  Readiness,
  Rollup,
  RollupItem,
  Rule,
  RuleContext,
  RuleOptions,
  Verdict,
} from "./rules/mod.ts";
export {
  ConfigError,
  loadConfig,
  planInstance,
  runSync,
  runSync as syncOnce,
  syncInstances,
} from "./sync/mod.ts";
export type {
  Config,
  DesiredObject,
  EvaluatedResource,
  InstancePlan,
  InstanceRead,
  OperationResult,
  Outcome,
  OwnedFields,
  Placement,
  PlanInstanceOptions,
  PlannedOperation,
  RegionConfig,
  ReportedOperation,
  ResidentSnapshot,
  RulesConfig,
  RunReport,
  ScopeConfig,
  SyncDeps,
  SyncInstancesOptions,
  SyncLogger,
  SyncOptions,
} from "./sync/mod.ts";
export type {
  AaiClient,
  AaiObject,
  AaiRelationship,
  BulkOperation,
  VfModuleRef,
} from "./adapters/aai.ts";
export type {
  ConnectivityInfo,
  Gvk,
  Instance,
  InstanceFilter,
  InstanceStatus,
  InstanceSummary,
  K8spluginClient,
  ResourceQuery,
  ResourceStatus,
  StatusBody,
} from "./adapters/k8splugin.ts";
export type {
  KubeInstanceRead,
  KubeJsonObject,
  KubeSource,
} from "./adapters/kube.ts";
