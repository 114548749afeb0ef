/**
 * Test helpers for the sync end-to-end tests: scenario builders (healthy and
 * crash-looping Deployments with their pods, Services), the simulators, the
 * real HTTP clients, and the A&AI bodies we expect, computed independently of
 * sync/mapping.ts (node:crypto, hand-written label lists).
 *
 * @module
 */

import { createHash } from "node:crypto";
import { HttpAaiClient, HttpK8spluginClient } from "../../adapters/mod.ts";
import { KubeClients } from "../../adapters/kube.ts";
import { startKube } from "../../sim/kube.ts";
import { parseScenario, type Scenario } from "../../sim/scenario.ts";
import { type AaiSimSeed, startAai } from "../../sim/aai.ts";
import { simKubeconfig, startK8splugin } from "../../sim/k8splugin.ts";
import { type Config, makeConfig, type SyncDeps } from "../../sync/mod.ts";

export const OWNER = "CloudOwner";
export const REGION = "k8sregionone";
export const TENANT = "tenant-1";
export const NS = "testns";
export const LONG_AGO = "2026-11-25T08:00:00Z";
/** The A&AI URL path of the scenario tenant's k8s-resources (e.g. to aim faults at). */
export const K8S_RESOURCES_URL =
  `/aai/v24/cloud-infrastructure/cloud-regions/cloud-region/${OWNER}/${REGION}/tenants/tenant/${TENANT}/k8s-resources`;

/** The vf-module (and generic-vnf) of instance `app-1`, as a scenario seeds it. */
export const VF = { vnfId: "vnf-1", vfModuleId: "vfm-1", heatStackId: "app-1" };

type Obj = Record<string, unknown>;

/** A pod: ready, crash-looping or pending. */
export function pod(
  instance: string,
  app: string,
  suffix: string,
  state: "ready" | "crash" | "pending" = "ready",
  rv = "100",
): Obj {
  const name = `${app}-5d8f7c6b9-${suffix}`;
  const container = state === "ready"
    ? {
      name: app,
      image: `registry/${app}:1`,
      ready: true,
      started: true,
      restartCount: 0,
      state: { running: { startedAt: LONG_AGO } },
    }
    : state === "crash"
    ? {
      name: app,
      image: `registry/${app}:1`,
      ready: false,
      started: false,
      restartCount: 7,
      state: {
        waiting: {
          reason: "CrashLoopBackOff",
          message: `back-off 5m0s restarting failed container=${app}`,
        },
      },
      lastState: {
        terminated: {
          exitCode: 1,
          reason: "Error",
          startedAt: "2026-11-25T09:58:00Z",
          finishedAt: "2026-11-25T09:58:01Z",
        },
      },
    }
    : {
      name: app,
      image: `registry/${app}:1`,
      ready: false,
      started: false,
      restartCount: 0,
      state: { waiting: { reason: "ContainerCreating" } },
    };
  const ready = state === "ready" ? "True" : "False";
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: NS,
      uid: `uid-${name}`,
      resourceVersion: rv,
      creationTimestamp: LONG_AGO,
      labels: {
        app,
        "pod-template-hash": "5d8f7c6b9",
        "k8splugin.io/rb-instance-id": instance,
      },
      ownerReferences: [{
        apiVersion: "apps/v1",
        kind: "ReplicaSet",
        name: `${app}-5d8f7c6b9`,
        uid: `uid-rs-${app}`,
        controller: true,
        blockOwnerDeletion: true,
      }],
    },
    spec: {
      containers: [{ name: app, image: `registry/${app}:1` }],
      restartPolicy: "Always",
      nodeName: "node-1",
    },
    status: {
      phase: state === "pending" ? "Pending" : "Running",
      startTime: LONG_AGO,
      conditions: [
        { type: "Initialized", status: "True", lastTransitionTime: LONG_AGO },
        { type: "Ready", status: ready, lastTransitionTime: LONG_AGO },
        {
          type: "ContainersReady",
          status: ready,
          lastTransitionTime: LONG_AGO,
        },
        { type: "PodScheduled", status: "True", lastTransitionTime: LONG_AGO },
      ],
      containerStatuses: [container],
    },
  };
}

/** A Deployment whose status says all `replicas` are ready (or `ready` of them). */
export function deployment(
  app: string,
  replicas = 1,
  ready = replicas,
  rv = "200",
): Obj {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: app,
      namespace: NS,
      uid: `uid-${app}`,
      generation: 1,
      resourceVersion: rv,
      creationTimestamp: LONG_AGO,
      labels: { app, release: "r" },
    },
    spec: {
      replicas,
      selector: { matchLabels: { app } },
      template: {
        metadata: { labels: { app } },
        spec: { containers: [{ name: app, image: `registry/${app}:1` }] },
      },
    },
    status: {
      observedGeneration: 1,
      replicas,
      updatedReplicas: replicas,
      readyReplicas: ready,
      availableReplicas: ready,
      ...(ready < replicas ? { unavailableReplicas: replicas - ready } : {}),
      conditions: [
        {
          type: "Available",
          status: ready >= replicas ? "True" : "False",
          reason: ready >= replicas
            ? "MinimumReplicasAvailable"
            : "MinimumReplicasUnavailable",
          lastUpdateTime: LONG_AGO,
          lastTransitionTime: LONG_AGO,
        },
        {
          type: "Progressing",
          status: "True",
          reason: "NewReplicaSetAvailable",
          lastUpdateTime: LONG_AGO,
          lastTransitionTime: LONG_AGO,
        },
      ],
    },
  };
}

/** A ClusterIP Service. */
export function service(app: string): Obj {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: app,
      namespace: NS,
      uid: `uid-svc-${app}`,
      resourceVersion: "300",
      labels: { app },
    },
    spec: { type: "ClusterIP", clusterIP: "10.0.0.1", ports: [{ port: 80 }] },
    status: { loadBalancer: {} },
  };
}

/** One k8splugin instance of a scenario step. */
export function instance(id: string, objects: Obj[], extra: Obj = {}): Obj {
  return {
    id,
    request: {
      "rb-name": "app",
      "rb-version": "v1",
      "profile-name": "p1",
      "release-name": id,
      "cloud-region": REGION,
      labels: null,
      "override-values": null,
    },
    namespace: NS,
    releaseName: id,
    objects,
    ...extra,
  };
}

/** A healthy standard instance: Service + Deployment (1 replica) + its pod. */
export function healthy(id: string, podSuffix = "aaaaa", rv = "100"): Obj {
  return instance(id, [
    service(`${id}-web`),
    deployment(`${id}-web`),
    pod(id, `${id}-web`, podSuffix, "ready", rv),
  ]);
}

/** A scenario with the given steps (each a list of instances). */
export function scenario(
  steps: Obj[][],
  vfModules: { vnfId: string; vfModuleId: string; heatStackId: string }[] = [],
): Scenario {
  return parseScenario({
    regions: [{ cloudRegion: REGION, cloudOwner: OWNER }],
    aai: {
      cloudRegions: [{
        cloudOwner: OWNER,
        cloudRegionId: REGION,
        tenants: [{ tenantId: TENANT }],
      }],
      vfModules,
    },
    steps: steps.map((instances, i) => ({
      name: `step-${i}`,
      now: new Date(Date.parse("2026-11-25T10:00:00Z") + i * 60_000)
        .toISOString(),
      instances,
    })),
  }, "test scenario");
}

/** The simulators, clients and config of one end-to-end test. */
export interface World extends AsyncDisposable {
  k8s: Awaited<ReturnType<typeof startK8splugin>>;
  aai: Awaited<ReturnType<typeof startAai>>;
  deps: SyncDeps;
  config: Config;
  dir: string;
  /** The scenario time of the current step. */
  now: () => Date;
  /** The Kubernetes API simulator, when started with `{ kube: true }`. */
  kube?: Awaited<ReturnType<typeof startKube>>;
  /** Serves step `n` on every simulator. */
  setStep(n: number): void;
  /** The deps with the clock stopped at `iso` instead of the step's time. */
  at(iso: string): SyncDeps;
}

/** Starts both simulators on loopback with the scenario and builds the real clients. */
export async function world(
  sc: Scenario,
  configOverrides: Record<string, unknown> = {},
  options: { kube?: boolean } = {},
): Promise<World> {
  const kube = options.kube ? await startKube({ scenario: sc }) : undefined;
  const k8s = await startK8splugin({
    scenario: sc,
    ...(kube
      ? { kubeconfigFor: (region: string) => simKubeconfig(region, kube.url) }
      : {}),
  });
  const aai = await startAai({ seed: (sc.aai ?? {}) as AaiSimSeed });
  const dir = await Deno.makeTempDir({ prefix: "sync-test-" });
  const config = makeConfig(
    {
      k8splugin: { url: k8s.url },
      aai: { url: aai.url, concurrency: 4 },
      snapshot: `${dir}/state/snapshot.json`,
      ...configOverrides,
    } as Parameters<typeof makeConfig>[0],
  );
  const now = () => new Date(k8s.state.current.now);
  const k8splugin = new HttpK8spluginClient({
    baseUrl: k8s.url,
    retries: 0,
    timeoutMs: 5_000,
  });
  const clients = kube
    ? new KubeClients({ k8splugin, retries: 0, timeoutMs: 5_000 })
    : undefined;
  const deps: SyncDeps = {
    k8splugin,
    ...(clients ? { kube: (region: string) => clients.get(region) } : {}),
    aai: new HttpAaiClient({
      baseUrl: aai.url,
      retries: 2,
      minBackoffMs: 5,
      maxBackoffMs: 20,
      timeoutMs: 5_000,
    }),
    now,
  };
  return {
    k8s,
    aai,
    deps,
    config,
    dir,
    now,
    ...(kube ? { kube } : {}),
    setStep(n: number) {
      k8s.state.setStep(n);
      kube?.state.setStep(n);
    },
    at(iso: string) {
      return { ...deps, now: () => new Date(iso) };
    },
    async [Symbol.asyncDispose]() {
      await clients?.close();
      await kube?.close();
      await k8s.close();
      await aai.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Lower-case hex SHA-256 (independent of sync/mapping.ts). */
export function sha(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The expected A&AI path and id of a resource of an instance. */
export function expectedPath(
  instanceId: string,
  kind: string,
  group: string,
  version: string,
  name: string,
  namespace = NS,
): { id: string; path: string } {
  const id = sha(
    instanceId + name + namespace + kind + group + version + OWNER + REGION +
      TENANT,
  );
  return {
    id,
    path:
      `/cloud-infrastructure/cloud-regions/cloud-region/${OWNER}/${REGION}/tenants/tenant/${TENANT}/k8s-resources/k8s-resource/${id}`,
  };
}

/** The k8s-resource objects the A&AI simulator holds under our tenant, by path. */
export function k8sResources(
  w: World,
): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const path of w.aai.state.objects.keys()) {
    if (path.includes("/k8s-resources/k8s-resource/")) {
      out.set(path, w.aai.state.get(path)!);
    }
  }
  return out;
}

/** The readiness label value of an A&AI object. */
export function readiness(object: Record<string, unknown> | undefined): {
  verdict: string | undefined;
  reason: string | undefined;
} {
  const labels = (object?.labels ?? []) as string[];
  const find = (key: string) =>
    labels.find((l) => l.startsWith(`k8s-aai-sync/${key}=`))?.split("=")[1];
  return { verdict: find("readiness"), reason: find("reason") };
}
