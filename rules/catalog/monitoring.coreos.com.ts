/**
 * Prometheus operator (`monitoring.coreos.com`): Prometheus, Alertmanager,
 * ThanosRuler, PrometheusAgent. Conditions `Available` (status `True`,
 * `Degraded` or `False`) and `Reconciled`, `status.paused`, and replica
 * counts (`replicas`, `updatedReplicas`, `availableReplicas`) from
 * prometheus-operator `pkg/apis/monitoring/v1/types.go` (`ConditionType`,
 * `ConditionStatus`) and `prometheus_types.go` (`PrometheusStatus`).
 *
 * @module
 */
import type { CatalogFamily, CatalogKind } from "../catalog_schema.ts";

function workload(kind: string): CatalogKind {
  return {
    kind,
    source:
      "prometheus-operator pkg/apis/monitoring/v1 types.go (Available, Reconciled, Degraded), prometheus_types.go (PrometheusStatus)",
    health: ["Reconciled", "Available"],
    stopped: [{ reason: "Paused", field: "status.paused", equals: true }],
    terminal: [{
      // Pods that cannot be scheduled or started (the operator's message quotes them).
      reason: "NoPodReady",
      reasons: ["NoPodReady"],
      message:
        "\\bnodes are available\\b|\\bImagePullBackOff\\b|\\bErrImagePull\\b|\\bCrashLoopBackOff\\b",
    }, {
      reason: "ReconciliationFailed",
      reasons: ["ReconciliationFailed"],
      message: "\\binvalid\\b|\\bfailed to (parse|unmarshal|generate)\\b",
    }],
    replicas: {
      updated: "status.updatedReplicas",
      available: "status.availableReplicas",
    },
  };
}

/** Prometheus operator. */
export const PROMETHEUS_OPERATOR: CatalogFamily = {
  family: "Prometheus operator",
  group: "monitoring.coreos.com",
  disagreements:
    "kstatus reads `Ready`, which the operator never writes (Current at once); `Available=Degraded` (some pods not ready) is Pending here, Argo CD has no health for these Kinds",
  kinds: [
    workload("Prometheus"),
    workload("Alertmanager"),
    workload("ThanosRuler"),
    workload("PrometheusAgent"),
  ],
};
