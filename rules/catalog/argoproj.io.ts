/**
 * Argo Rollouts (`argoproj.io`): Rollout, a Deployment with canary and
 * blue-green steps, and AnalysisRun. Shapes from argo-rollouts
 * `pkg/apis/rollouts/v1alpha1/types.go` (`RolloutStatus`, condition types
 * `InvalidSpec`, `Progressing` reasons `ProgressDeadlineExceeded` and
 * `RolloutAborted`), `utils/rollout/rolloututil.go` (`GetRolloutPhase`) and
 * Argo CD `resource_customizations/argoproj.io/Rollout/testdata/`.
 *
 * @module
 */
import type { CatalogFamily } from "../catalog_schema.ts";

/** Argo Rollouts. */
export const ARGO_ROLLOUTS: CatalogFamily = {
  family: "Argo Rollouts",
  group: "argoproj.io",
  disagreements:
    "kstatus and the generic rule trust `Available=True` (an aborted or timed-out rollout is Current); Argo CD calls a paused rollout Suspended, here it is Ready with a warning; old replicas still running are Pending as in Argo CD",
  kinds: [
    {
      kind: "Rollout",
      source:
        "argo-rollouts utils/rollout/rolloututil.go GetRolloutPhase; argo-cd resource_customizations/argoproj.io/Rollout/testdata",
      health: ["Available"],
      // progressDeadlineSeconds: the controller reports ProgressDeadlineExceeded itself.
      nativeDeadline: true,
      failed: [
        { reason: "InvalidSpec", condition: "InvalidSpec", status: "True" },
        { reason: "RolloutAborted", field: "status.abort", equals: true },
        {
          reason: "ProgressDeadlineExceeded",
          condition: "Progressing",
          reasons: ["ProgressDeadlineExceeded"],
        },
      ],
      stopped: [
        { reason: "Paused", field: "spec.paused", equals: true },
        { reason: "Paused", field: "status.pauseConditions", nonEmpty: true },
      ],
      phase: {
        field: "status.phase",
        ready: ["Healthy"],
        failed: ["Degraded"],
        stopped: ["Paused"],
        message: "status.message",
      },
      replicas: {
        updated: "status.updatedReplicas",
        current: "status.replicas",
        available: "status.availableReplicas",
      },
    },
    {
      kind: "AnalysisRun",
      source:
        "argo-rollouts pkg/apis/rollouts/v1alpha1/analysis_types.go AnalysisPhase; argo-cd resource_customizations/argoproj.io/AnalysisRun/health.lua",
      // Runs as long as its metrics say (background analysis: indefinitely).
      nativeDeadline: true,
      phase: {
        field: "status.phase",
        ready: ["Successful"],
        failed: ["Failed", "Error", "Inconclusive"],
        message: "status.message",
      },
    },
    {
      kind: "Experiment",
      source:
        "argo-rollouts pkg/apis/rollouts/v1alpha1/experiment_types.go; argo-cd resource_customizations/argoproj.io/Experiment/testdata",
      // progressDeadlineSeconds and its duration: the controller ends it.
      nativeDeadline: true,
      phase: {
        field: "status.phase",
        ready: ["Successful"],
        failed: ["Failed", "Error", "Inconclusive"],
        message: "status.message",
      },
    },
    {
      kind: "ApplicationSet",
      source:
        "argo-cd pkg/apis/application/v1alpha1/applicationset_types.go (ErrorOccurred, ResourcesUpToDate, RolloutProgressing); resource_customizations/argoproj.io/ApplicationSet/testdata",
      health: ["ResourcesUpToDate"],
      failed: [{
        reason: "ErrorOccurred",
        condition: "ErrorOccurred",
        status: "True",
      }],
      terminal: [{
        reason: "ResourcesNotUpToDate",
        reasons: [
          "CreateApplicationError",
          "UpdateApplicationError",
          "DeleteApplicationError",
          "ApplicationGenerationFromParamsError",
        ],
      }],
      progress: [{
        reason: "RolloutProgressing",
        condition: "RolloutProgressing",
        status: "True",
      }],
    },
    {
      kind: "CronWorkflow",
      source:
        "argo-workflows pkg/apis/workflow/v1alpha1/cron_workflow_types.go (SpecError, SubmissionError); argo-cd resource_customizations/argoproj.io/CronWorkflow/testdata",
      noStatus: "Ready",
      failed: [
        { reason: "SpecError", condition: "SpecError", status: "True" },
        {
          reason: "SubmissionError",
          condition: "SubmissionError",
          status: "True",
        },
      ],
    },
    {
      kind: "EventBus",
      source:
        "argo-events pkg/apis/eventbus/v1alpha1 (Deployed, Configured); argo-cd resource_customizations/argoproj.io/EventBus/testdata",
      health: ["Deployed", "Configured"],
      terminal: [{
        reason: "DeployFailed",
        reasons: ["JetStreamStatefulSetFailed", "InvalidSpec"],
      }],
    },
  ],
};
