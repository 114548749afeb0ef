/**
 * A deterministic, ONAP-sized scenario for the benchmark (issue #7).
 *
 * Every instance is one Helm release in its own namespace with a realistic
 * chart: Deployments with their pods (owned through a ReplicaSet), a
 * StatefulSet with its ordinal pods, Services, a ConfigMap, a Secret, a
 * ServiceAccount and a PersistentVolumeClaim — complete Kubernetes objects
 * with labels, annotations, ownerReferences, managedFields and a healthy
 * status, so every resource is Ready at the start.
 *
 * The scenario has three steps (the sims serve `steps[step]`):
 * 0. `base` — the cold and steady runs read it;
 * 1. `churn` — 1 % of the resources change verdict (a Deployment or
 *    StatefulSet reports a replica not ready: Ready → Pending), 1 % of the
 *    pods are replaced by pods with new names (the old one disappears, the
 *    new one is Ready), and the owners of replaced pods get a new
 *    `resourceVersion` with an unchanged status (a heartbeat: nothing a
 *    readiness publisher shows has changed);
 * 2. `delete` — the churn step without 5 % of the instances.
 *
 * Unchanged instances and objects are shared between steps (same object
 * references), so the scenario costs memory once, not once per step.
 *
 * @module
 */

import { INSTANCE_LABEL } from "../adapters/k8splugin.ts";
import { mulberry32 } from "../sim/faults.ts";

/** One object of a scenario: a complete Kubernetes object as JSON. */
export type ScenarioObject = Record<string, unknown>;

/** One instance of a scenario step, in the scenario file format (sim/scenario.ts). */
export interface ScenarioInstance {
  id: string;
  request: {
    "rb-name": string;
    "rb-version": string;
    "profile-name": string;
    "release-name": string;
    "cloud-region": string;
    labels: Record<string, string> | null;
    "override-values": Record<string, string> | null;
  };
  namespace: string;
  releaseName: string;
  objects: ScenarioObject[];
}

/** One step of a scenario timeline. */
export interface ScenarioStep {
  name: string;
  now: string;
  instances: ScenarioInstance[];
}

/** A generated scenario in the scenario file format (also valid as YAML/JSON). */
export interface GeneratedScenario {
  description: string;
  regions: { cloudRegion: string; cloudOwner: string }[];
  aai: {
    cloudRegions: {
      cloudOwner: string;
      cloudRegionId: string;
      tenants: { tenantId: string; tenantName: string }[];
    }[];
    vfModules: { vnfId: string; vfModuleId: string; heatStackId: string }[];
  };
  steps: ScenarioStep[];
}

/** Knobs of {@linkcode generateScenario}; every one has a default. */
export interface GenerateOptions {
  /** Number of k8splugin instances (default 2,000). */
  instances?: number;
  /** Resources per instance, pods included (default 15). */
  resourcesPerInstance?: number;
  /** Share of all resources whose verdict changes in the churn step (default 0.01). */
  verdictChangeRate?: number;
  /** Share of all pods replaced by new pods in the churn step (default 0.01). */
  podReplaceRate?: number;
  /** Share of instances removed in the delete step (default 0.05). */
  deleteRate?: number;
  /** Seed of the pseudo-random choices (default 7). */
  seed?: number;
  /** Time of the base step (default `2026-11-25T10:00:00Z`). */
  now?: Date;
}

/** Counts that describe a generated scenario and what each step changes. */
export interface ScenarioStats {
  instances: number;
  resourcesPerInstance: number;
  /** Resources of the base step, pods included. */
  resources: number;
  pods: number;
  churn: {
    /** Resources whose verdict changes (Ready → Pending). */
    verdictChanges: number;
    /** Pods removed and replaced by a pod with a new name. */
    podsReplaced: number;
    /** Objects whose resourceVersion moved without any verdict change. */
    heartbeats: number;
    /** Objects a readiness publisher must write: verdict changes + a delete and a create per replaced pod. */
    changedObjects: number;
  };
  delete: {
    instancesRemoved: number;
    /** Resources (pods included) of the removed instances in the churn step. */
    resourcesRemoved: number;
  };
}

/** The default scale of the benchmark (issue #7). */
export const DEFAULT_SCALE: Readonly<
  { instances: number; resourcesPerInstance: number }
> = { instances: 2000, resourcesPerInstance: 15 };

/** Cloud region, owner and tenant every generated instance lives in. */
export const BENCH_PLACEMENT: Readonly<
  { cloudRegion: string; cloudOwner: string; tenantId: string }
> = {
  cloudRegion: "k8sregionone",
  cloudOwner: "CloudOwner",
  tenantId: "bench-tenant",
};

const MINUTE = 60_000;

/** Mutable generator state: the PRNG and the cluster-wide resourceVersion counter. */
interface Gen {
  random: () => number;
  resourceVersion: number;
}

/** A lower-case hex string of `length` pseudo-random digits. */
function hex(gen: Gen, length: number): string {
  let out = "";
  while (out.length < length) {
    out += Math.floor(gen.random() * 0x100000000).toString(16).padStart(8, "0");
  }
  return out.slice(0, length);
}

/** A pseudo-random RFC 4122-shaped UID. */
function uid(gen: Gen): string {
  const h = hex(gen, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${
    h.slice(17, 20)
  }-${h.slice(20)}`;
}

/** Kubernetes' pod-name suffix alphabet (no vowels, no confusable digits). */
function podSuffix(gen: Gen, length: number): string {
  const alphabet = "bcdfghjklmnpqrstvwxz2456789";
  let out = "";
  for (let i = 0; i < length; i++) {
    out += alphabet[Math.floor(gen.random() * alphabet.length)];
  }
  return out;
}

/** The next cluster-wide resourceVersion, as Kubernetes writes it (a decimal string). */
function nextResourceVersion(gen: Gen): string {
  gen.resourceVersion += 1 + Math.floor(gen.random() * 7);
  return String(gen.resourceVersion);
}

/** Everything the object builders of one instance share. */
interface Release {
  id: string;
  index: number;
  namespace: string;
  release: string;
  chart: string;
  created: string;
  nodes: string[];
}

/** The labels Helm charts put on everything they render. */
function chartLabels(r: Release, component: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": component,
    "app.kubernetes.io/instance": r.release,
    "app.kubernetes.io/managed-by": "Helm",
    "app.kubernetes.io/part-of": r.chart,
    "helm.sh/chart": `${r.chart}-1.4.2`,
    [INSTANCE_LABEL]: r.id,
  };
}

/** Object metadata of a chart resource, with Helm's annotations and a managedFields entry. */
function chartMetadata(
  gen: Gen,
  r: Release,
  apiVersion: string,
  name: string,
  component: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const labels = chartLabels(r, component);
  return {
    name,
    namespace: r.namespace,
    uid: uid(gen),
    resourceVersion: nextResourceVersion(gen),
    generation: 1,
    creationTimestamp: r.created,
    labels,
    annotations: {
      "meta.helm.sh/release-name": r.release,
      "meta.helm.sh/release-namespace": r.namespace,
    },
    managedFields: [{
      manager: "k8splugin",
      operation: "Update",
      apiVersion,
      time: r.created,
      fieldsType: "FieldsV1",
      fieldsV1: {
        "f:metadata": {
          "f:annotations": {
            ".": {},
            "f:meta.helm.sh/release-name": {},
            "f:meta.helm.sh/release-namespace": {},
          },
          "f:labels": Object.fromEntries(
            [".", ...Object.keys(labels).map((k) => `f:${k}`)].map((k) => [
              k,
              {},
            ]),
          ),
        },
        "f:spec": {},
      },
    }],
    ...extra,
  };
}

/** A container spec as charts write them (image, ports, env, probes, resources, mounts). */
function containerSpec(
  component: string,
  port: number,
): Record<string, unknown> {
  return {
    name: component,
    image: `nexus3.onap.org:10001/onap/${component}:1.4.2`,
    imagePullPolicy: "IfNotPresent",
    ports: [{ name: "http", containerPort: port, protocol: "TCP" }],
    env: [
      { name: "LOG_LEVEL", value: "INFO" },
      {
        name: "POD_NAME",
        valueFrom: {
          fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" },
        },
      },
      {
        name: "DB_PASSWORD",
        valueFrom: {
          secretKeyRef: { name: `${component}-secret`, key: "password" },
        },
      },
    ],
    resources: {
      limits: { cpu: "1", memory: "1Gi" },
      requests: { cpu: "100m", memory: "256Mi" },
    },
    livenessProbe: {
      httpGet: { path: "/healthz", port, scheme: "HTTP" },
      initialDelaySeconds: 30,
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    },
    readinessProbe: {
      httpGet: { path: "/ready", port, scheme: "HTTP" },
      initialDelaySeconds: 5,
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    },
    volumeMounts: [
      { name: "config", mountPath: "/etc/app", readOnly: true },
      {
        name: "kube-api-access",
        mountPath: "/var/run/secrets/kubernetes.io/serviceaccount",
        readOnly: true,
      },
    ],
    terminationMessagePath: "/dev/termination-log",
    terminationMessagePolicy: "File",
  };
}

/** A pod template spec (the part a Deployment/StatefulSet and its pods share). */
function podSpec(
  r: Release,
  component: string,
  port: number,
): Record<string, unknown> {
  return {
    containers: [containerSpec(component, port)],
    volumes: [
      {
        name: "config",
        configMap: { name: `${r.release}-config`, defaultMode: 420 },
      },
    ],
    restartPolicy: "Always",
    terminationGracePeriodSeconds: 30,
    dnsPolicy: "ClusterFirst",
    serviceAccountName: `${r.release}-sa`,
    securityContext: { runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 },
    schedulerName: "default-scheduler",
  };
}

/** A healthy pod owned by `owner`, started `startedMsAgo` before `now`. */
function pod(
  gen: Gen,
  r: Release,
  options: {
    name: string;
    component: string;
    port: number;
    selector: Record<string, string>;
    extraLabels: Record<string, string>;
    owner: { apiVersion: string; kind: string; name: string; uid: string };
    started: string;
  },
): ScenarioObject {
  const spec = podSpec(r, options.component, options.port);
  const node = r.nodes[Math.floor(gen.random() * r.nodes.length)]!;
  const podIp = `10.244.${Math.floor(gen.random() * 250)}.${
    2 + Math.floor(gen.random() * 250)
  }`;
  spec.volumes = [
    ...(spec.volumes as unknown[]),
    {
      name: "kube-api-access",
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
          {
            configMap: {
              name: "kube-root-ca.crt",
              items: [{ key: "ca.crt", path: "ca.crt" }],
            },
          },
        ],
      },
    },
  ];
  spec.nodeName = node;
  spec.tolerations = [
    {
      key: "node.kubernetes.io/not-ready",
      operator: "Exists",
      effect: "NoExecute",
      tolerationSeconds: 300,
    },
    {
      key: "node.kubernetes.io/unreachable",
      operator: "Exists",
      effect: "NoExecute",
      tolerationSeconds: 300,
    },
  ];
  spec.enableServiceLinks = true;
  spec.preemptionPolicy = "PreemptLowerPriority";
  spec.priority = 0;
  const condition = (type: string) => ({
    type,
    status: "True",
    lastProbeTime: null,
    lastTransitionTime: options.started,
  });
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: options.name,
      namespace: r.namespace,
      uid: uid(gen),
      resourceVersion: nextResourceVersion(gen),
      creationTimestamp: options.started,
      labels: {
        ...options.selector,
        ...options.extraLabels,
        [INSTANCE_LABEL]: r.id,
      },
      ownerReferences: [{
        apiVersion: options.owner.apiVersion,
        kind: options.owner.kind,
        name: options.owner.name,
        uid: options.owner.uid,
        controller: true,
        blockOwnerDeletion: true,
      }],
    },
    spec,
    status: {
      phase: "Running",
      conditions: [
        condition("PodReadyToStartContainers"),
        condition("Initialized"),
        condition("Ready"),
        condition("ContainersReady"),
        condition("PodScheduled"),
      ],
      hostIP: `192.168.10.${1 + (r.nodes.indexOf(node) % 200)}`,
      hostIPs: [{ ip: `192.168.10.${1 + (r.nodes.indexOf(node) % 200)}` }],
      podIP: podIp,
      podIPs: [{ ip: podIp }],
      startTime: options.started,
      containerStatuses: [{
        name: options.component,
        state: { running: { startedAt: options.started } },
        lastState: {},
        ready: true,
        restartCount: 0,
        image: `nexus3.onap.org:10001/onap/${options.component}:1.4.2`,
        imageID: `nexus3.onap.org:10001/onap/${options.component}@sha256:${
          hex(gen, 64)
        }`,
        containerID: `containerd://${hex(gen, 64)}`,
        started: true,
      }],
      qosClass: "Burstable",
    },
  };
}

/** The generator's record of a Deployment it built, for churn. */
interface WorkloadRecord {
  instance: number;
  /** Index of the workload in the instance's object list. */
  objectIndex: number;
  /** Indexes of its pods in the instance's object list. */
  podIndexes: number[];
  /** For Deployment pods: what a replacement pod needs. */
  replace?: {
    podTemplateHash: string;
    selector: Record<string, string>;
    replicaSet: { name: string; uid: string };
    component: string;
    port: number;
  };
}

/** Builds a Deployment with `replicas` healthy pods; pushes them onto `objects`. */
function deployment(
  gen: Gen,
  r: Release,
  objects: ScenarioObject[],
  workloads: WorkloadRecord[],
  component: string,
  replicas: number,
): void {
  const name = `${r.release}-${component}`;
  const port = 8080 + (objects.length % 10);
  const selector = {
    "app.kubernetes.io/name": component,
    "app.kubernetes.io/instance": r.release,
  };
  const template = podSpec(r, component, port);
  const metadata = chartMetadata(gen, r, "apps/v1", name, component);
  (metadata.annotations as Record<string, string>)[
    "deployment.kubernetes.io/revision"
  ] = "1";
  const podTemplateHash = podSuffix(gen, 10);
  const replicaSet = { name: `${name}-${podTemplateHash}`, uid: uid(gen) };
  objects.push({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata,
    spec: {
      replicas,
      selector: { matchLabels: selector },
      strategy: {
        type: "RollingUpdate",
        rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" },
      },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      template: {
        metadata: { labels: { ...selector, [INSTANCE_LABEL]: r.id } },
        spec: template,
      },
    },
    status: {
      observedGeneration: 1,
      replicas,
      updatedReplicas: replicas,
      readyReplicas: replicas,
      availableReplicas: replicas,
      conditions: [
        {
          type: "Available",
          status: "True",
          lastUpdateTime: r.created,
          lastTransitionTime: r.created,
          reason: "MinimumReplicasAvailable",
          message: "Deployment has minimum availability.",
        },
        {
          type: "Progressing",
          status: "True",
          lastUpdateTime: r.created,
          lastTransitionTime: r.created,
          reason: "NewReplicaSetAvailable",
          message:
            `ReplicaSet "${replicaSet.name}" has successfully progressed.`,
        },
      ],
    },
  });
  const record: WorkloadRecord = {
    instance: r.index,
    objectIndex: objects.length - 1,
    podIndexes: [],
    replace: { podTemplateHash, selector, replicaSet, component, port },
  };
  for (let i = 0; i < replicas; i++) {
    record.podIndexes.push(objects.length);
    objects.push(pod(gen, r, {
      name: `${replicaSet.name}-${podSuffix(gen, 5)}`,
      component,
      port,
      selector,
      extraLabels: { "pod-template-hash": podTemplateHash },
      owner: { apiVersion: "apps/v1", kind: "ReplicaSet", ...replicaSet },
      started: r.created,
    }));
  }
  workloads.push(record);
}

/** Builds a StatefulSet with `replicas` healthy ordinal pods; pushes them onto `objects`. */
function statefulSet(
  gen: Gen,
  r: Release,
  objects: ScenarioObject[],
  workloads: WorkloadRecord[],
  component: string,
  replicas: number,
): void {
  const name = `${r.release}-${component}`;
  const port = 5432;
  const selector = {
    "app.kubernetes.io/name": component,
    "app.kubernetes.io/instance": r.release,
  };
  const metadata = chartMetadata(gen, r, "apps/v1", name, component);
  const revision = `${name}-${podSuffix(gen, 10)}`;
  const setUid = uid(gen);
  metadata.uid = setUid;
  objects.push({
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata,
    spec: {
      replicas,
      serviceName: `${name}-headless`,
      podManagementPolicy: "OrderedReady",
      selector: { matchLabels: selector },
      updateStrategy: {
        type: "RollingUpdate",
        rollingUpdate: { partition: 0 },
      },
      revisionHistoryLimit: 10,
      persistentVolumeClaimRetentionPolicy: {
        whenDeleted: "Retain",
        whenScaled: "Retain",
      },
      template: {
        metadata: { labels: { ...selector, [INSTANCE_LABEL]: r.id } },
        spec: podSpec(r, component, port),
      },
      volumeClaimTemplates: [{
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: "data" },
        spec: {
          accessModes: ["ReadWriteOnce"],
          resources: { requests: { storage: "8Gi" } },
          volumeMode: "Filesystem",
        },
      }],
    },
    status: {
      observedGeneration: 1,
      replicas,
      readyReplicas: replicas,
      currentReplicas: replicas,
      updatedReplicas: replicas,
      availableReplicas: replicas,
      currentRevision: revision,
      updateRevision: revision,
      collisionCount: 0,
    },
  });
  const record: WorkloadRecord = {
    instance: r.index,
    objectIndex: objects.length - 1,
    podIndexes: [],
  };
  for (let i = 0; i < replicas; i++) {
    record.podIndexes.push(objects.length);
    objects.push(pod(gen, r, {
      name: `${name}-${i}`,
      component,
      port,
      selector,
      extraLabels: {
        "controller-revision-hash": revision,
        "statefulset.kubernetes.io/pod-name": `${name}-${i}`,
        "apps.kubernetes.io/pod-index": String(i),
      },
      owner: { apiVersion: "apps/v1", kind: "StatefulSet", name, uid: setUid },
      started: r.created,
    }));
  }
  workloads.push(record);
}

/** A ClusterIP (or headless) Service. */
function service(
  gen: Gen,
  r: Release,
  component: string,
  name: string,
  headless: boolean,
): ScenarioObject {
  const clusterIp = headless
    ? "None"
    : `10.96.${Math.floor(gen.random() * 250)}.${
      1 + Math.floor(gen.random() * 250)
    }`;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: chartMetadata(gen, r, "v1", name, component),
    spec: {
      type: "ClusterIP",
      clusterIP: clusterIp,
      clusterIPs: [clusterIp],
      ipFamilies: ["IPv4"],
      ipFamilyPolicy: "SingleStack",
      internalTrafficPolicy: "Cluster",
      sessionAffinity: "None",
      selector: {
        "app.kubernetes.io/name": component,
        "app.kubernetes.io/instance": r.release,
      },
      ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: "http" }],
    },
    status: { loadBalancer: {} },
  };
}

/** A ConfigMap with a few keys of chart configuration. */
function configMap(gen: Gen, r: Release, name: string): ScenarioObject {
  const metadata = chartMetadata(gen, r, "v1", name, "config");
  delete metadata.generation;
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata,
    data: {
      "application.yaml":
        `server:\n  port: 8080\nlogging:\n  level: INFO\nrelease: ${r.release}\n`,
      "LOG_LEVEL": "INFO",
      "PEER_URL": `http://${r.release}-api.${r.namespace}.svc:80`,
    },
  };
}

/** An Opaque Secret. */
function secret(gen: Gen, r: Release, name: string): ScenarioObject {
  const metadata = chartMetadata(gen, r, "v1", name, "secret");
  delete metadata.generation;
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata,
    type: "Opaque",
    data: { username: btoa("onap"), password: btoa(hex(gen, 16)) },
  };
}

/** A ServiceAccount. */
function serviceAccount(gen: Gen, r: Release, name: string): ScenarioObject {
  const metadata = chartMetadata(gen, r, "v1", name, "sa");
  delete metadata.generation;
  return { apiVersion: "v1", kind: "ServiceAccount", metadata };
}

/** A Bound PersistentVolumeClaim. */
function pvc(gen: Gen, r: Release, name: string): ScenarioObject {
  const metadata = chartMetadata(gen, r, "v1", name, "storage");
  delete metadata.generation;
  (metadata.annotations as Record<string, string>)[
    "pv.kubernetes.io/bind-completed"
  ] = "yes";
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata,
    spec: {
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "1Gi" } },
      storageClassName: "standard",
      volumeMode: "Filesystem",
      volumeName: `pvc-${uid(gen)}`,
    },
    status: {
      phase: "Bound",
      accessModes: ["ReadWriteOnce"],
      capacity: { storage: "1Gi" },
    },
  };
}

/** A unit of a chart: how many objects it adds and how to build it. */
interface Unit {
  size: number;
  build: (
    gen: Gen,
    r: Release,
    objects: ScenarioObject[],
    workloads: WorkloadRecord[],
    suffix: string,
  ) => void;
}

/** The default chart, 15 objects in this order; larger charts repeat it with a suffix. */
const CHART: readonly Unit[] = [
  {
    size: 3,
    build(gen, r, objects, workloads, suffix) {
      deployment(gen, r, objects, workloads, `web${suffix}`, 2);
    },
  },
  {
    size: 1,
    build(gen, r, objects, _workloads, suffix) {
      objects.push(
        service(gen, r, `web${suffix}`, `${r.release}-web${suffix}`, false),
      );
    },
  },
  {
    size: 1,
    build(gen, r, objects, _workloads, suffix) {
      objects.push(configMap(gen, r, `${r.release}-config${suffix}`));
    },
  },
  {
    size: 1,
    build(gen, r, objects, _workloads, suffix) {
      objects.push(secret(gen, r, `${r.release}-secret${suffix}`));
    },
  },
  {
    size: 3,
    build(gen, r, objects, workloads, suffix) {
      statefulSet(gen, r, objects, workloads, `db${suffix}`, 2);
    },
  },
  {
    size: 1,
    build(gen, r, objects, _workloads, suffix) {
      objects.push(
        service(
          gen,
          r,
          `db${suffix}`,
          `${r.release}-db${suffix}-headless`,
          true,
        ),
      );
    },
  },
  {
    size: 2,
    build(gen, r, objects, workloads, suffix) {
      deployment(gen, r, objects, workloads, `api${suffix}`, 1);
    },
  },
  {
    size: 1,
    build(gen, r, objects, _workloads, suffix) {
      objects.push(serviceAccount(gen, r, `${r.release}-sa${suffix}`));
    },
  },
  {
    size: 1,
    build(gen, r, objects, _workloads, suffix) {
      objects.push(pvc(gen, r, `${r.release}-data${suffix}`));
    },
  },
  {
    size: 1,
    build(gen, r, objects, _workloads, suffix) {
      objects.push(
        service(gen, r, `api${suffix}`, `${r.release}-api${suffix}`, false),
      );
    },
  },
];

/** Builds the objects of one instance: whole chart units while they fit, then ConfigMaps. */
function buildInstanceObjects(
  gen: Gen,
  r: Release,
  count: number,
  workloads: WorkloadRecord[],
): ScenarioObject[] {
  const objects: ScenarioObject[] = [];
  let round = 0;
  while (objects.length < count) {
    const suffix = round === 0 ? "" : `-${round + 1}`;
    let added = false;
    for (const unit of CHART) {
      if (objects.length + unit.size > count) continue;
      unit.build(gen, r, objects, workloads, suffix);
      added = true;
    }
    if (!added) {
      objects.push(
        configMap(gen, r, `${r.release}-extra${suffix}-${objects.length}`),
      );
    }
    round++;
  }
  return objects;
}

/** Deep copy of JSON data. */
function clone<T>(value: T): T {
  return structuredClone(value);
}

/** Picks `n` distinct items of `items` pseudo-randomly (partial Fisher–Yates). */
function pick<T>(gen: Gen, items: readonly T[], n: number): T[] {
  const copy = [...items];
  const count = Math.min(n, copy.length);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(gen.random() * (copy.length - i));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, count);
}

/** Marks a workload one replica short (Ready → Pending), with a new resourceVersion. */
function degrade(
  gen: Gen,
  object: ScenarioObject,
  now: string,
): ScenarioObject {
  const copy = clone(object);
  const metadata = copy.metadata as Record<string, unknown>;
  metadata.resourceVersion = nextResourceVersion(gen);
  const status = copy.status as Record<string, unknown> | undefined;
  const spec = copy.spec as Record<string, unknown> | undefined;
  if (status && typeof spec?.replicas === "number") {
    const short = Math.max(0, spec.replicas - 1);
    status.readyReplicas = short;
    status.availableReplicas = short;
    if (copy.kind === "Deployment" && short === 0) {
      const conditions = status.conditions as Record<string, unknown>[];
      conditions[0] = {
        ...conditions[0],
        status: "False",
        reason: "MinimumReplicasUnavailable",
        message: "Deployment does not have minimum availability.",
        lastUpdateTime: now,
        lastTransitionTime: now,
      };
    }
  } else {
    // A kind without replicas: it starts terminating, which is Pending too.
    metadata.deletionTimestamp = now;
    metadata.deletionGracePeriodSeconds = 30;
    metadata.finalizers = ["kubernetes.io/pvc-protection"];
  }
  return copy;
}

/** A new resourceVersion and nothing else (a status heartbeat). */
function heartbeat(gen: Gen, object: ScenarioObject): ScenarioObject {
  const copy = { ...object };
  copy.metadata = {
    ...(object.metadata as Record<string, unknown>),
    resourceVersion: nextResourceVersion(gen),
  };
  return copy;
}

/**
 * Generates the benchmark scenario and the counts that describe it. The same
 * options always give the same scenario (seeded PRNG, fixed clock).
 *
 * @example
 * ```ts
 * import { generateScenario } from "./generate.ts";
 * const { scenario, stats } = generateScenario({ instances: 20, resourcesPerInstance: 6 });
 * console.log(scenario.steps.length, stats.resources); // 3 120
 * ```
 */
export function generateScenario(
  options: GenerateOptions = {},
): { scenario: GeneratedScenario; stats: ScenarioStats } {
  const instanceCount = options.instances ?? DEFAULT_SCALE.instances;
  const perInstance = options.resourcesPerInstance ??
    DEFAULT_SCALE.resourcesPerInstance;
  if (!Number.isInteger(instanceCount) || instanceCount < 1) {
    throw new RangeError(
      `Cannot generate a scenario: instances must be a positive integer, got "${instanceCount}"`,
    );
  }
  if (!Number.isInteger(perInstance) || perInstance < 1) {
    throw new RangeError(
      `Cannot generate a scenario: resources per instance must be a positive integer, got "${perInstance}"`,
    );
  }
  const base = options.now ?? new Date("2026-11-25T10:00:00Z");
  const churnNow = new Date(base.getTime() + 5 * MINUTE);
  const deleteNow = new Date(base.getTime() + 10 * MINUTE);
  const gen: Gen = {
    random: mulberry32(options.seed ?? 7),
    resourceVersion: 4_200_000,
  };
  const width = String(instanceCount).length;
  const nodes = Array.from(
    { length: Math.max(3, Math.ceil(instanceCount / 40)) },
    (_, i) => `worker-${String(i + 1).padStart(3, "0")}`,
  );

  const workloads: WorkloadRecord[] = [];
  const instances: ScenarioInstance[] = [];
  const vfModules: GeneratedScenario["aai"]["vfModules"] = [];
  for (let i = 0; i < instanceCount; i++) {
    const n = String(i + 1).padStart(width, "0");
    const id = `bench-${n}`;
    const release = `rel${n}`;
    const created = new Date(base.getTime() - 24 * 60 * MINUTE - i * 1000)
      .toISOString().replace(/\.\d{3}Z$/, "Z");
    const r: Release = {
      id,
      index: i,
      namespace: `cnf-${n}`,
      release,
      chart: "bench-cnf",
      created,
      nodes,
    };
    instances.push({
      id,
      request: {
        "rb-name": "bench-cnf",
        "rb-version": "v1",
        "profile-name": "default",
        "release-name": release,
        "cloud-region": BENCH_PLACEMENT.cloudRegion,
        labels: null,
        "override-values": null,
      },
      namespace: r.namespace,
      releaseName: release,
      objects: buildInstanceObjects(gen, r, perInstance, workloads),
    });
    vfModules.push({
      vnfId: `vnf-${n}`,
      vfModuleId: `vfm-${n}`,
      heatStackId: id,
    });
  }
  const resources = instanceCount * perInstance;
  const pods = instances.reduce(
    (sum, inst) => sum + inst.objects.filter((o) => o.kind === "Pod").length,
    0,
  );

  // Churn: verdict changes on workloads (other kinds only if there are too few).
  const churnObjects = instances.map((inst) => inst.objects);
  const touched = new Set<number>();
  const verdictTargets = Math.max(
    1,
    Math.round(resources * (options.verdictChangeRate ?? 0.01)),
  );
  const candidates: [number, number][] = workloads.map((
    w,
  ) => [w.instance, w.objectIndex]);
  if (candidates.length < verdictTargets) {
    instances.forEach((inst, i) =>
      inst.objects.forEach((o, j) => {
        if (
          o.kind !== "Pod" &&
          !workloads.some((w) => w.instance === i && w.objectIndex === j)
        ) {
          candidates.push([i, j]);
        }
      })
    );
  }
  const degraded = pick(gen, candidates, verdictTargets);
  const copyOnWrite = (i: number): ScenarioObject[] => {
    if (!touched.has(i)) {
      churnObjects[i] = [...churnObjects[i]!];
      touched.add(i);
    }
    return churnObjects[i]!;
  };
  for (const [i, j] of degraded) {
    copyOnWrite(i)[j] = degrade(
      gen,
      churnObjects[i]![j]!,
      churnNow.toISOString(),
    );
  }
  const degradedKeys = new Set(degraded.map(([i, j]) => `${i}/${j}`));

  // Churn: replace Deployment pods (StatefulSet pods keep their names).
  const replaceable: [WorkloadRecord, number][] = workloads.flatMap((w) =>
    w.replace ? w.podIndexes.map((p) => [w, p] as [WorkloadRecord, number]) : []
  );
  const replaceCount = pods === 0
    ? 0
    : Math.max(1, Math.round(pods * (options.podReplaceRate ?? 0.01)));
  const replaced = pick(gen, replaceable, replaceCount);
  let heartbeats = 0;
  const heartbeatKeys = new Set<string>();
  for (const [w, podIndex] of replaced) {
    const objects = copyOnWrite(w.instance);
    const inst = instances[w.instance]!;
    const r: Release = {
      id: inst.id,
      index: w.instance,
      namespace: inst.namespace,
      release: inst.releaseName,
      chart: "bench-cnf",
      created: new Date(base.getTime() - 24 * 60 * MINUTE).toISOString(),
      nodes,
    };
    const rep = w.replace!;
    objects[podIndex] = pod(gen, r, {
      name: `${rep.replicaSet.name}-${podSuffix(gen, 5)}`,
      component: rep.component,
      port: rep.port,
      selector: rep.selector,
      extraLabels: { "pod-template-hash": rep.podTemplateHash },
      owner: { apiVersion: "apps/v1", kind: "ReplicaSet", ...rep.replicaSet },
      started: new Date(churnNow.getTime() - 3 * MINUTE).toISOString().replace(
        /\.\d{3}Z$/,
        "Z",
      ),
    });
    const ownerKey = `${w.instance}/${w.objectIndex}`;
    if (!degradedKeys.has(ownerKey) && !heartbeatKeys.has(ownerKey)) {
      objects[w.objectIndex] = heartbeat(gen, objects[w.objectIndex]!);
      heartbeatKeys.add(ownerKey);
      heartbeats++;
    }
  }
  const churnInstances = instances.map((inst, i) =>
    touched.has(i) ? { ...inst, objects: churnObjects[i]! } : inst
  );

  // Delete: remove 5 % of the instances (spread evenly, deterministic).
  const removeCount = Math.max(
    1,
    Math.round(instanceCount * (options.deleteRate ?? 0.05)),
  );
  const removed = new Set(
    pick(gen, churnInstances.map((_, i) => i), removeCount),
  );
  const deleteInstances = churnInstances.filter((_, i) => !removed.has(i));
  const resourcesRemoved = [...removed].reduce(
    (sum, i) => sum + churnInstances[i]!.objects.length,
    0,
  );

  const stamp = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");
  const scenario: GeneratedScenario = {
    description:
      `Benchmark scenario: ${instanceCount} instances × ${perInstance} resources (pods included); steps base, churn (${degraded.length} verdict changes, ${replaced.length} pods replaced), delete (${removed.size} instances removed)`,
    regions: [{
      cloudRegion: BENCH_PLACEMENT.cloudRegion,
      cloudOwner: BENCH_PLACEMENT.cloudOwner,
    }],
    aai: {
      cloudRegions: [{
        cloudOwner: BENCH_PLACEMENT.cloudOwner,
        cloudRegionId: BENCH_PLACEMENT.cloudRegion,
        tenants: [{ tenantId: BENCH_PLACEMENT.tenantId, tenantName: "bench" }],
      }],
      vfModules,
    },
    steps: [
      { name: "base", now: stamp(base), instances },
      { name: "churn", now: stamp(churnNow), instances: churnInstances },
      { name: "delete", now: stamp(deleteNow), instances: deleteInstances },
    ],
  };
  const stats: ScenarioStats = {
    instances: instanceCount,
    resourcesPerInstance: perInstance,
    resources,
    pods,
    churn: {
      verdictChanges: degraded.length,
      podsReplaced: replaced.length,
      heartbeats,
      changedObjects: degraded.length + 2 * replaced.length,
    },
    delete: { instancesRemoved: removed.size, resourcesRemoved },
  };
  return { scenario, stats };
}
