/**
 * Generators of realistic object sets for the rules benchmark and property
 * test: Deployments with ReplicaSets and pods, StatefulSets, Jobs, Services,
 * PVCs, ConfigMaps, HPAs and custom resources.
 */
import type { KubeObject } from "../../rules/mod.ts";

const NOW = Date.parse("2026-11-25T10:00:00Z");

function ago(seconds: number): string {
  return new Date(NOW - seconds * 1000).toISOString();
}

function runningPod(
  name: string,
  namespace: string,
  labels: Record<string, string>,
  owner: KubeObject | undefined,
  crashing: boolean,
): KubeObject {
  const ownerMeta = owner?.metadata as
    | { name: string; uid: string }
    | undefined;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace,
      uid: `uid-${namespace}-${name}`,
      labels,
      creationTimestamp: ago(3600),
      ...(owner === undefined ? {} : {
        ownerReferences: [{
          apiVersion: owner.apiVersion,
          kind: owner.kind,
          name: ownerMeta?.name,
          uid: ownerMeta?.uid,
          controller: true,
        }],
      }),
    },
    spec: {
      restartPolicy: "Always",
      nodeName: "worker-1",
      containers: [{ name: "app", image: "web:1" }],
    },
    status: {
      phase: "Running",
      startTime: ago(3600),
      conditions: [
        { type: "PodScheduled", status: "True", lastTransitionTime: ago(3600) },
        {
          type: "Ready",
          status: crashing ? "False" : "True",
          lastTransitionTime: ago(3000),
        },
      ],
      containerStatuses: [
        crashing
          ? {
            name: "app",
            ready: false,
            restartCount: 5,
            state: {
              waiting: { reason: "CrashLoopBackOff", message: "back-off 5m0s" },
            },
            lastState: {
              terminated: { exitCode: 1, reason: "Error", finishedAt: ago(90) },
            },
          }
          : {
            name: "app",
            ready: true,
            restartCount: 0,
            state: { running: { startedAt: ago(3000) } },
          },
      ],
    },
  };
}

/** One group of ten chart resources plus the ReplicaSet and pods they own. */
export interface Group {
  /** Chart resources (what the sync evaluates). */
  resources: KubeObject[];
  /** ReplicaSets and pods (what `related` holds besides the resources). */
  owned: KubeObject[];
}

/**
 * Ten chart resources of mixed kinds with `podsPerWorkload` pods for the
 * Deployment and the StatefulSet; every 50th group has a crashing pod; the
 * custom resource is a generic Widget in even groups and an Argo Rollout
 * (health catalog) in odd ones.
 */
export function group(
  index: number,
  podsPerWorkload = 2,
  namespace = `ns-${index % 100}`,
): Group {
  const app = `app-${index}`;
  const labels = { app };
  const crashing = index % 50 === 0;
  const deployment: KubeObject = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: app,
      namespace,
      uid: `uid-dep-${index}`,
      generation: 2,
      annotations: { "deployment.kubernetes.io/revision": "2" },
    },
    spec: { replicas: podsPerWorkload, selector: { matchLabels: labels } },
    status: {
      observedGeneration: 2,
      replicas: podsPerWorkload,
      updatedReplicas: podsPerWorkload,
      readyReplicas: podsPerWorkload,
      availableReplicas: podsPerWorkload,
      conditions: [
        {
          type: "Available",
          status: "True",
          reason: "MinimumReplicasAvailable",
          lastTransitionTime: ago(3000),
        },
        {
          type: "Progressing",
          status: "True",
          reason: "NewReplicaSetAvailable",
          lastTransitionTime: ago(3000),
        },
      ],
    },
  };
  const rsLabels = { app, "pod-template-hash": "abc123" };
  const replicaSet: KubeObject = {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: {
      name: `${app}-abc123`,
      namespace,
      uid: `uid-rs-${index}`,
      labels: rsLabels,
      annotations: { "deployment.kubernetes.io/revision": "2" },
      ownerReferences: [{
        apiVersion: "apps/v1",
        kind: "Deployment",
        name: app,
        uid: `uid-dep-${index}`,
        controller: true,
      }],
    },
    spec: { replicas: podsPerWorkload, selector: { matchLabels: rsLabels } },
    status: {
      replicas: podsPerWorkload,
      readyReplicas: podsPerWorkload,
      availableReplicas: podsPerWorkload,
    },
  };
  const dbLabels = { app: `${app}-db` };
  const statefulSet: KubeObject = {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: {
      name: `${app}-db`,
      namespace,
      uid: `uid-sts-${index}`,
      generation: 1,
    },
    spec: {
      replicas: podsPerWorkload,
      selector: { matchLabels: dbLabels },
      updateStrategy: { type: "RollingUpdate" },
    },
    status: {
      observedGeneration: 1,
      replicas: podsPerWorkload,
      readyReplicas: podsPerWorkload,
      updatedReplicas: podsPerWorkload,
      currentRevision: "r1",
      updateRevision: "r1",
    },
  };
  const owned: KubeObject[] = [replicaSet];
  for (let i = 0; i < podsPerWorkload; i++) {
    owned.push(
      runningPod(
        `${app}-abc123-${i}`,
        namespace,
        rsLabels,
        replicaSet,
        crashing && i === 0,
      ),
    );
    owned.push(
      runningPod(`${app}-db-${i}`, namespace, dbLabels, statefulSet, false),
    );
  }
  const resources: KubeObject[] = [
    deployment,
    statefulSet,
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: app, namespace },
      spec: { type: "ClusterIP", clusterIP: "10.96.0.10" },
      status: { loadBalancer: {} },
    },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: `${app}-config`, namespace },
      data: { a: "b" },
    },
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: `${app}-secret`, namespace },
      type: "Opaque",
    },
    {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: `${app}-data`, namespace },
      spec: { storageClassName: "standard" },
      status: { phase: "Bound" },
    },
    {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: {
        name: `${app}-migrate`,
        namespace,
        uid: `uid-job-${index}`,
        generation: 1,
      },
      spec: { completions: 1 },
      status: {
        succeeded: 1,
        conditions: [{
          type: "Complete",
          status: "True",
          reason: "CompletionsReached",
          lastTransitionTime: ago(600),
        }],
      },
    },
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { name: app, namespace },
      spec: { ingressClassName: "nginx" },
      status: { loadBalancer: { ingress: [{ ip: "203.0.113.1" }] } },
    },
    {
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: { name: app, namespace },
      status: {
        conditions: [
          {
            type: "AbleToScale",
            status: "True",
            reason: "ReadyForNewScale",
            lastTransitionTime: ago(600),
          },
          {
            type: "ScalingActive",
            status: "True",
            reason: "ValidMetricFound",
            lastTransitionTime: ago(600),
          },
        ],
      },
    },
    index % 2 === 0
      ? {
        apiVersion: "example.com/v1",
        kind: "Widget",
        metadata: { name: app, namespace, generation: 1 },
        status: {
          observedGeneration: 1,
          conditions: [{
            type: "Ready",
            status: "True",
            reason: "Reconciled",
            lastTransitionTime: ago(600),
          }],
        },
      }
      : {
        // Every other group's custom resource is judged by the health catalog.
        apiVersion: "argoproj.io/v1alpha1",
        kind: "Rollout",
        metadata: { name: app, namespace, generation: 1 },
        spec: { replicas: 2 },
        status: {
          observedGeneration: "1",
          phase: "Healthy",
          replicas: 2,
          updatedReplicas: 2,
          readyReplicas: 2,
          availableReplicas: 2,
          conditions: [{
            type: "Available",
            status: "True",
            reason: "AvailableReason",
            lastTransitionTime: ago(600),
          }, {
            type: "Progressing",
            status: "True",
            reason: "NewReplicaSetAvailable",
            lastTransitionTime: ago(600),
          }],
        },
      },
  ];
  return { resources, owned };
}

/** The evaluation time the generated objects are written against. */
export const GENERATED_NOW: Date = new Date(NOW);
