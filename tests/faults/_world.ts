/**
 * The world of a hostile test: the k8splugin and A&AI simulators on loopback
 * with a scenario, a config loaded the way the CLI loads it, the real HTTP
 * clients, and helpers that read outcomes (what A&AI holds, which requests it
 * received). Only public surfaces: `sim/mod.ts`, `sync/mod.ts`
 * (`loadConfig`, `runSync`), `adapters/mod.ts` (the clients `tasks/` builds),
 * the snapshot file and the `sync` task as a subprocess. Ids are computed
 * with node:crypto, independently of sync/mapping.ts; the placement
 * constants, `sha()` and `service()` are those of the sync end-to-end tests
 * (`tests/sync/_scenario.ts`).
 *
 * @module
 */

import { HttpAaiClient, HttpK8spluginClient } from "../../adapters/mod.ts";
import {
  type AaiSim,
  type AaiSimSeed,
  type K8spluginSim,
  parseScenario,
  type Scenario,
  startAai,
  startK8splugin,
} from "../../sim/mod.ts";
import {
  type Config,
  loadConfig,
  type RunReport,
  runSync,
  type SyncDeps,
  type SyncOptions,
} from "../../sync/mod.ts";
import {
  LONG_AGO,
  NS,
  OWNER,
  REGION,
  service,
  sha,
  TENANT,
} from "../sync/_scenario.ts";

export { LONG_AGO, NS, OWNER, REGION, service, sha, TENANT };

type Obj = Record<string, unknown>;

/** A pod of `app`, ready or crash-looping. */
export function pod(
  instance: string,
  app: string,
  suffix = "aaaaa",
  state: "ready" | "crash" = "ready",
): Obj {
  const name = `${app}-5d8f7c6b9-${suffix}`;
  const ready = state === "ready";
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: NS,
      uid: `uid-${instance}-${name}`,
      resourceVersion: ready ? "100" : "101",
      creationTimestamp: LONG_AGO,
      labels: { app, "k8splugin.io/rb-instance-id": instance },
    },
    spec: { containers: [{ name: app, image: `registry/${app}:1` }] },
    status: {
      phase: "Running",
      startTime: LONG_AGO,
      conditions: [
        { type: "Ready", status: ready ? "True" : "False" },
        { type: "ContainersReady", status: ready ? "True" : "False" },
        { type: "PodScheduled", status: "True" },
      ],
      containerStatuses: [
        ready
          ? {
            name: app,
            image: `registry/${app}:1`,
            ready: true,
            started: true,
            restartCount: 0,
            state: { running: { startedAt: LONG_AGO } },
          }
          : {
            name: app,
            image: `registry/${app}:1`,
            ready: false,
            started: false,
            restartCount: 7,
            state: {
              waiting: { reason: "CrashLoopBackOff", message: "back-off" },
            },
            lastState: {
              terminated: {
                exitCode: 1,
                reason: "Error",
                startedAt: "2026-11-25T09:58:00Z",
                finishedAt: "2026-11-25T09:58:01Z",
              },
            },
          },
      ],
    },
  };
}

/** A ConfigMap (always Ready). */
export function configMap(name: string): Obj {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name,
      namespace: NS,
      uid: `uid-cm-${name}`,
      resourceVersion: "400",
    },
    data: { key: "value" },
  };
}

/** One k8splugin instance of a scenario step. */
export function instance(
  id: string,
  objects: Obj[],
  region = REGION,
): Obj {
  return {
    id,
    request: {
      "rb-name": "app",
      "rb-version": "v1",
      "profile-name": "p1",
      "release-name": id,
      "cloud-region": region,
      labels: null,
      "override-values": null,
    },
    namespace: NS,
    releaseName: id,
    objects,
  };
}

/** A standard instance: a Service and a pod (ready or crash-looping). */
export function app(id: string, state: "ready" | "crash" = "ready"): Obj {
  return instance(id, [
    service(`${id}-web`),
    pod(id, `${id}-web`, "aaaaa", state),
  ]);
}

/** A vf-module whose heat-stack-id is an instance id (the seed form). */
export interface VfSeed {
  vnfId: string;
  vfModuleId: string;
  heatStackId: string;
}

/** A scenario: steps of instances, one region and tenant, optional vf-modules. */
export function scenario(
  steps: Obj[][],
  options: {
    vfModules?: VfSeed[];
    regions?: { cloudRegion: string; cloudOwner: string; tenant: string }[];
    /** Regions k8splugin knows but A&AI does not (default none). */
    unknownToAai?: string[];
  } = {},
): Scenario {
  const regions = options.regions ??
    [{ cloudRegion: REGION, cloudOwner: OWNER, tenant: TENANT }];
  const extra = (options.unknownToAai ?? []).map((cloudRegion) => ({
    cloudRegion,
    cloudOwner: OWNER,
  }));
  return parseScenario({
    regions: [
      ...regions.map((r) => ({
        cloudRegion: r.cloudRegion,
        cloudOwner: r.cloudOwner,
      })),
      ...extra,
    ],
    aai: {
      cloudRegions: regions.map((r) => ({
        cloudOwner: r.cloudOwner,
        cloudRegionId: r.cloudRegion,
        tenants: [{ tenantId: r.tenant }],
      })),
      vfModules: options.vfModules ?? [],
    },
    steps: steps.map((instances, i) => ({
      name: `step-${i}`,
      now: new Date(Date.parse("2026-11-25T10:00:00Z") + i * 60_000)
        .toISOString(),
      instances,
    })),
  }, "hostile test scenario");
}

/** Simulators, clients and config of one test. */
export interface World extends AsyncDisposable {
  k8s: K8spluginSim;
  aai: AaiSim;
  deps: SyncDeps;
  config: Config;
  /** The config file's content (JSON), as loaded into `config`. */
  configFile: string;
  dir: string;
  snapshot: string;
  /** One pass with this world's config (plus options). */
  run(options?: Partial<SyncOptions>): Promise<RunReport>;
}

/** Loads `settings` through a config file, as `deno task sync --config` does. */
export async function configFrom(
  dir: string,
  settings: Record<string, unknown>,
  env: Record<string, string> = {},
): Promise<{ config: Config; file: string }> {
  const file = `${dir}/config-${crypto.randomUUID().slice(0, 8)}.json`;
  await Deno.writeTextFile(file, JSON.stringify(settings));
  return { config: await loadConfig(file, env), file };
}

/** The real clients, as tasks/ builds them (no retries worth waiting for). */
export function clients(
  k8splugin: string,
  aai: string,
  now?: () => Date,
): SyncDeps {
  return {
    k8splugin: new HttpK8spluginClient({
      baseUrl: k8splugin,
      retries: 0,
      timeoutMs: 5_000,
    }),
    aai: new HttpAaiClient({
      baseUrl: aai,
      retries: 1,
      minBackoffMs: 5,
      maxBackoffMs: 20,
      timeoutMs: 5_000,
    }),
    ...(now ? { now } : {}),
  };
}

/** Starts the simulators with `sc` and loads a config pointing at them. */
export async function world(
  sc: Scenario,
  settings: Record<string, unknown> = {},
  options: { dir?: string; aai?: AaiSim } = {},
): Promise<World> {
  const k8s = await startK8splugin({ scenario: sc });
  const ownAai = options.aai === undefined;
  const aai = options.aai ??
    await startAai({ seed: (sc.aai ?? {}) as AaiSimSeed });
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? await Deno.makeTempDir({ prefix: "faults-" });
  const snapshot = `${dir}/state-${
    crypto.randomUUID().slice(0, 8)
  }/snapshot.json`;
  const { config, file } = await configFrom(dir, {
    k8splugin: { url: k8s.url },
    snapshot,
    ...settings,
    aai: {
      url: aai.url,
      concurrency: 4,
      ...settings.aai as Record<string, unknown> | undefined,
    },
  });
  const now = () => new Date(k8s.state.current.now);
  const deps = clients(k8s.url, aai.url, now);
  return {
    k8s,
    aai,
    deps,
    config,
    configFile: file,
    dir,
    snapshot,
    run(more = {}) {
      return runSync(deps, { config, ...more });
    },
    async [Symbol.asyncDispose]() {
      await k8s.close();
      if (ownAai) await aai.close();
      if (ownDir) await Deno.remove(dir, { recursive: true });
    },
  };
}

/** The A&AI path (without `/aai/{v}`) of a resource, by SO's id formula. */
export function pathOf(
  instanceId: string,
  kind: string,
  group: string,
  version: string,
  name: string,
  placement = { owner: OWNER, region: REGION, tenant: TENANT },
): string {
  const id = sha(
    instanceId + name + NS + kind + group + version + placement.owner +
      placement.region + placement.tenant,
  );
  return `/cloud-infrastructure/cloud-regions/cloud-region/${placement.owner}/${placement.region}/tenants/tenant/${placement.tenant}/k8s-resources/k8s-resource/${id}`;
}

/** The A&AI path of the pod of {@linkcode app}`(instanceId)`. */
export function appPodPath(instanceId: string): string {
  return pathOf(
    instanceId,
    "Pod",
    "",
    "v1",
    `${instanceId}-web-5d8f7c6b9-aaaaa`,
  );
}

/** The k8s-resource objects an A&AI simulator holds, by path. */
export function k8sResources(aai: AaiSim): Map<string, Obj> {
  const out = new Map<string, Obj>();
  for (const path of aai.state.objects.keys()) {
    if (path.includes("/k8s-resources/k8s-resource/")) {
      out.set(path, aai.state.get(path)!);
    }
  }
  return out;
}

/** The instance label value of an A&AI object. */
export function instanceOf(object: Obj | undefined): string | undefined {
  const labels = (object?.labels ?? []) as string[];
  return labels.find((l) => l.startsWith("k8splugin.io/rb-instance-id="))
    ?.split("=")[1];
}

/** The readiness verdict label of an A&AI object. */
export function verdictOf(object: Obj | undefined): string | undefined {
  const labels = (object?.labels ?? []) as string[];
  return labels.find((l) => l.startsWith("k8s-aai-sync/readiness="))
    ?.split("=")[1];
}

/** The related-links of an A&AI object (version prefix dropped), sorted. */
export function edgesOf(object: Obj | undefined): string[] {
  const list = (object?.["relationship-list"] as
    | { relationship?: { "related-link": string }[] }
    | undefined)?.relationship ?? [];
  return list.map((r) => r["related-link"].replace(/^\/aai\/v\d+/, "")).sort();
}

/** Requests the A&AI simulator received (method and raw path+query). */
export function requests(aai: AaiSim): { method: string; url: string }[] {
  return aai.state.requests.map((r) => ({ method: r.method, url: r.url }));
}

/** Every message of a report (errors and warnings), one per line. */
export function messages(report: RunReport): string {
  return [...report.errors, ...report.warnings].join("\n");
}

const SYNC = new URL("../../tasks/sync.ts", import.meta.url).pathname;

/** `deno task sync` as a subprocess with only `env` (NO_COLOR added). */
export function syncCommand(
  args: string[],
  env: Record<string, string>,
): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-sys",
      SYNC,
      ...args,
    ],
    env: { NO_COLOR: "1", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  });
}

/** Runs `deno task sync` to the end. */
export async function syncCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await syncCommand(args, env).output();
  const decoder = new TextDecoder();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

/** A vf-module (and its generic-vnf) put into A&AI by someone else. */
export function addVfModule(aai: AaiSim, vf: VfSeed): void {
  aai.state.put(`/network/generic-vnfs/generic-vnf/${vf.vnfId}`, {
    "vnf-id": vf.vnfId,
    "vnf-type": "t",
    "in-maint": false,
    "is-closed-loop-disabled": false,
  });
  aai.state.put(
    `/network/generic-vnfs/generic-vnf/${vf.vnfId}/vf-modules/vf-module/${vf.vfModuleId}`,
    {
      "vf-module-id": vf.vfModuleId,
      "heat-stack-id": vf.heatStackId,
      "is-base-vf-module": true,
      "automated-assignment": false,
    },
  );
}

/** An HTTP proxy in front of a simulator that may rewrite JSON answers. */
export interface Proxy extends AsyncDisposable {
  url: string;
}

/**
 * Serves `target` on another loopback port; `rewrite(pathname, body)` may
 * replace the parsed JSON body of a 200 answer (return undefined to keep it).
 */
export function rewritingProxy(
  target: string,
  rewrite: (pathname: string, body: unknown) => unknown,
): Proxy {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const url = new URL(request.url);
      const upstream = await fetch(`${target}${url.pathname}${url.search}`, {
        method: request.method,
        headers: request.headers,
        ...(request.body ? { body: await request.arrayBuffer() } : {}),
      });
      const text = await upstream.text();
      let body: unknown;
      try {
        body = upstream.status === 200 ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      const replaced = body === undefined
        ? undefined
        : rewrite(url.pathname, body);
      return new Response(
        replaced === undefined ? text : JSON.stringify(replaced),
        { status: upstream.status, headers: upstream.headers },
      );
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}
