/**
 * Cluster API (`cluster.x-k8s.io`): Cluster and Machine. `status.phase`
 * (`Pending`, `Provisioning`, `Provisioned`/`Running`, `Deleting`, `Failed`),
 * `status.failureReason`/`failureMessage` (v1beta1: "a fatal problem… a
 * token suitable for programmatic interpretation") and the `Ready`
 * (v1beta1) / `Available` (v1beta2) conditions, from cluster-api
 * `api/v1beta1/cluster_phase_types.go`, `machine_phase_types.go`.
 *
 * @module
 */
import type { CatalogFamily } from "../catalog_schema.ts";

/** Cluster API. */
export const CLUSTER_API: CatalogFamily = {
  family: "Cluster API",
  group: "cluster.x-k8s.io",
  disagreements:
    "Argo CD reads `status.phase` only (Failed is Degraded); kstatus reads `Ready`; here a `failureReason` is Failed even when the phase lags, and both the phase and the Ready/Available conditions must agree",
  kinds: [
    {
      kind: "Cluster",
      source:
        "cluster-api api/v1beta1 cluster_phase_types.go, cluster_types.go (FailureReason); argo-cd resource_customizations/cluster.x-k8s.io/Cluster/testdata",
      health: ["Ready", "Available"],
      failed: [{
        reason: "ClusterFailure",
        field: "status.failureReason",
        nonEmpty: true,
      }],
      stopped: [{ reason: "Paused", field: "spec.paused", equals: true }],
      phase: {
        field: "status.phase",
        ready: ["Provisioned"],
        failed: ["Failed"],
      },
    },
    {
      kind: "Machine",
      source:
        "cluster-api api/v1beta1 machine_phase_types.go, machine_types.go (FailureReason); argo-cd resource_customizations/cluster.x-k8s.io/Machine/testdata",
      health: ["Ready", "Available"],
      failed: [{
        reason: "MachineFailure",
        field: "status.failureReason",
        nonEmpty: true,
      }],
      phase: {
        field: "status.phase",
        ready: ["Running"],
        failed: ["Failed"],
      },
    },
    {
      kind: "MachineDeployment",
      source:
        "cluster-api api/v1beta1/machinedeployment_types.go (MachineDeploymentPhase); argo-cd resource_customizations/cluster.x-k8s.io/MachineDeployment/testdata",
      stopped: [{ reason: "Paused", field: "spec.paused", equals: true }],
      phase: {
        field: "status.phase",
        ready: ["Running"],
        failed: ["Failed"],
      },
      replicas: {
        updated: "status.updatedReplicas",
        current: "status.replicas",
        ready: "status.readyReplicas",
        available: "status.availableReplicas",
      },
    },
    {
      kind: "MachinePool",
      source:
        "cluster-api exp/api/v1beta1/machinepool_types.go (MachinePoolPhase); argo-cd resource_customizations/cluster.x-k8s.io/MachinePool/testdata",
      // Argo CD's script counts Scaling as healthy: the pool serves meanwhile.
      phase: {
        field: "status.phase",
        ready: ["Running", "Scaling"],
        failed: ["Failed"],
      },
    },
  ],
};
