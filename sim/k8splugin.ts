/**
 * k8splugin simulator: serves ONAP multicloud-k8s's instance and status API
 * over real HTTP on loopback, driven by a {@linkcode Scenario} timeline.
 *
 * Reproduced from `reference/k8splugin.md` (Montreal behaviour by default):
 * - `GET /v1/instance[?rb-name=&rb-version=&profile-name=]`: zero instances →
 *   500 `Listing Instances: Did not find any objects with tag: instance`; a
 *   filter matching nothing → 200 `null`.
 * - `GET /v1/instance/{id}[?full=true]`, unknown id → 500 (404 with
 *   `quirks.notFoundStatus`) `Get Instance: Error finding master table: mongo: no documents in result`.
 * - `GET /v1/instance/{id}/status`: chart resources in install order, then the
 *   pods (sorted by name, GVK `{"","v1","Pod"}`, no apiVersion/kind inside);
 *   `ready` computed like Helm 3.5's ready checker; a resource listed in
 *   `missing` → 500 `Getting Resources Status:\nGetting object status: …`;
 *   `statusError` → 500 with that text; a Job without `spec.completions`
 *   drops the connection (k8splugin's nil-pointer panic).
 * - `GET /v1/instance/{id}/query?ApiVersion=&Kind=[&Name=&Labels=]`, with its
 *   400s and the handler bug (500 text followed by the JSON body);
 *   `GET /v1/query?CloudRegion=&ApiVersion=&Kind=[&Namespace=&Name=&Labels=]`
 *   over every instance of the region, with the same bug.
 * - `GET /v1/connectivity-info/{region}` (kubeconfig base64), `GET /v1/healthcheck`.
 * - Status subscriptions (`…/status/subscription[/{name}]`) and their
 *   notifiers: see `k8splugin_subscriptions.ts`.
 * - The step advances on `state.advance()`, `POST /_sim/advance` or a timer
 *   (`advanceEveryMs`); each change is recorded with its time
 *   (`state.changes`, `GET /_sim/changes`); an instance that leaves the
 *   scenario takes its subscriptions with it.
 *
 * Errors are written like Go's `http.Error` (`text/plain; charset=utf-8`,
 * `X-Content-Type-Options: nosniff`, body + `\n`); JSON like Go's
 * `json.Encoder` (struct field order, Kubernetes objects with sorted keys,
 * HTML-escaped, trailing `\n`).
 *
 * Permissions: `--allow-net`; `--allow-read` when no scenario is given (the
 * demo scenario file is read).
 *
 * @module
 */
import {
  type Faults,
  type InjectedLatency,
  quietServerError,
  resetInjectedLatency,
  withFaults,
} from "./faults.ts";
import {
  chartResourceRefs,
  clusterObjects,
  DEMO_SCENARIO_URL,
  INSTANCE_LABEL,
  parseScenario,
  type Scenario,
  type ScenarioInstance,
  type ScenarioObject,
  type ScenarioStep,
} from "./scenario.ts";
import { parse as parseYaml } from "yaml";
import { gvkOf } from "../adapters/k8splugin.ts";
import {
  matchesLabels,
  parseLabelSelector,
  type Requirement,
  SelectorError,
} from "./_kube_selectors.ts";
import { helmReady, JobPanic } from "./_helm_ready.ts";
import { goError, goJson, goJsonText, jsonText, sortKeys } from "./_go_http.ts";
import {
  type SimResourceStatus,
  StatusSubscriptions,
  type SubscriptionSeed,
  type SubscriptionTiming,
} from "./k8splugin_subscriptions.ts";

/** Deviations from the default (Montreal) behaviour, to reproduce other k8splugin versions. */
export interface K8spluginQuirks {
  /** Status of `GET /v1/instance/{id}` for an unknown id: 500 up to Montreal, 404 on master since Dec 2025. */
  notFoundStatus?: 404 | 500;
  /** Pods carry `{"Group":"","Version":"","Kind":""}` (real Guilin output). */
  emptyPodGvk?: boolean;
  /** `ready` is always false (Guilin's hard-coded FIXME). */
  readyAlwaysFalse?: boolean;
  /** Instance documents without `release-name` (rows written by El Alto). */
  omitReleaseName?: boolean;
  /** Status entries hold only the object's `status` block (older documents). */
  statusBlockOnly?: boolean;
}

/** Options of {@linkcode startK8splugin}. */
export interface K8spluginSimOptions {
  /**
   * Hears about errors of the server (a handler that threw, a response body
   * that broke, as injected resets do); by default they are answered with a
   * quiet 500 and not printed.
   */
  onError?: ((error: unknown) => void) | undefined;
  /** TCP port; 0 or absent picks a free one. */
  port?: number;
  /** Default `127.0.0.1`. */
  hostname?: string;
  /** The timeline to serve; default the demo scenario. */
  scenario?: Scenario;
  /** Faults to inject (mutable later through `state.faults`). */
  faults?: Faults;
  /** Kubeconfig text served for a region without its own (e.g. pointing at the kube sim). */
  kubeconfigFor?: (cloudRegion: string) => string;
  /** Version quirks (mutable later through `state.quirks`). */
  quirks?: K8spluginQuirks;
  /** Starting step (default 0). */
  step?: number;
  /** Timings of the status subscriptions (defaults are k8splugin's: 5 s, 5 s, 5 s, 10 s). */
  subscriptionTiming?: SubscriptionTiming;
  /** Subscriptions already in k8splugin's DB: restored `restoreDelayMs` after start, like after a restart. */
  subscriptions?: SubscriptionSeed[];
  /** Advance one step every so many ms until the last step (records each change in `state.changes`). */
  advanceEveryMs?: number;
}

/** One change of the served step. */
export interface SimStepChange {
  /** The step served from then on. */
  step: number;
  /** Its name. */
  name: string;
  /** When it was applied (epoch ms, sub-millisecond). */
  at: number;
}

/** Request counters of the simulator. */
export interface K8spluginSimRequests {
  /** Every request received. */
  total: number;
  /** Keyed by route, e.g. `GET /v1/instance/{id}/status`. */
  byRoute: Record<string, number>;
}

/** The simulator's mutable state, for tests, the demo and the bench. */
export interface K8spluginSimState {
  /** Index of the step being served. */
  step: number;
  /** Serves step `n` (a RangeError when out of range). */
  setStep(n: number): void;
  /** Serves the next step (stays on the last one). */
  advance(): void;
  /** The step being served. */
  readonly current: ScenarioStep;
  /** The timeline. */
  readonly scenario: Scenario;
  /** Replaces the timeline (and goes back to step 0 unless `step` is given). */
  setScenario(scenario: Scenario, step?: number): void;
  /** Every step change (the starting step included), oldest first, for freshness measurements. */
  changes: SimStepChange[];
  /** The status subscriptions, their notifiers and the notifications sent. */
  readonly subscriptions: StatusSubscriptions;
  /** Simulates a k8splugin restart: notifiers stop and are restored `restoreDelayMs` later. */
  restart(): void;
  /** Faults injected from now on (`undefined` for none). */
  faults: Faults | undefined;
  /** Version quirks in effect. */
  quirks: K8spluginQuirks;
  /** Requests received (faulty ones included). */
  requests: K8spluginSimRequests;
  /** Latency injected by `faults.latencyMs`, as actually waited. */
  injectedLatency: InjectedLatency;
  /** Sets the counters (and `injectedLatency`) back to zero. */
  resetRequests(): void;
}

/** A running simulator. */
export interface K8spluginSim {
  /** Base URL, e.g. `http://127.0.0.1:40123` (the API is under `/v1`). */
  url: string;
  /** Step, scenario, faults, quirks, counters and subscriptions, mutable by tests. */
  state: K8spluginSimState;
  /** Stops serving and waits for open requests. */
  close(): Promise<void>;
  /** Same as `close()` (`await using`). */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Text of k8splugin's "unknown instance" errors (mongo backend). */
export const NO_DOCUMENTS =
  "Get Instance: Error finding master table: mongo: no documents in result";

/** Text of `GET /v1/instance` when the database holds no instance. */
export const NO_INSTANCES =
  "Listing Instances: Did not find any objects with tag: instance";

/** Loads the demo scenario synchronously (so `startK8splugin` can stay synchronous). */
function demoScenario(): Scenario {
  const text = Deno.readTextFileSync(DEMO_SCENARIO_URL);
  return parseScenario(parseYaml(text), DEMO_SCENARIO_URL.pathname);
}

/** The wire form of an instance's request (every field present, like Go). */
function wireRequest(instance: ScenarioInstance): Record<string, unknown> {
  const r = instance.request;
  return {
    "rb-name": r["rb-name"],
    "rb-version": r["rb-version"],
    "profile-name": r["profile-name"],
    "release-name": r["release-name"] ?? "",
    "cloud-region": r["cloud-region"],
    labels: r.labels ?? null,
    "override-values": r["override-values"] ?? null,
  };
}

/** The zero-valued request Go encodes when it has none. */
const EMPTY_REQUEST = {
  "rb-name": "",
  "rb-version": "",
  "profile-name": "",
  "release-name": "",
  "cloud-region": "",
  labels: null,
  "override-values": null,
};

/** The release name k8splugin reports for an instance. */
function releaseName(instance: ScenarioInstance): string {
  return instance.releaseName ?? instance.request["release-name"] ?? "";
}

/** Go's `schema.GroupVersionKind` encoding. */
function wireGvk(apiVersion: string, kind: string): Record<string, string> {
  const { group, version } = gvkOf(apiVersion, kind);
  return { Group: group, Version: version, Kind: kind };
}

/** Lower-case plural resource name, like the RESTMapper's (`deployments`, `ingresses`, `networkpolicies`). */
function plural(kind: string): string {
  const lower = kind.toLowerCase();
  if (/(s|x|z|ch|sh)$/.test(lower)) return `${lower}es`;
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

/**
 * A kubeconfig for one region pointing at `server` (e.g. the Kubernetes API
 * simulator). Plain `http://` servers get `insecure-skip-tls-verify: true`,
 * which `@kubernetes/client-node` needs to accept them; `caCert` (PEM) is
 * embedded for HTTPS.
 */
export function simKubeconfig(
  cloudRegion: string,
  server: string,
  options: { token?: string; caCert?: string } = {},
): string {
  const cluster = options.caCert
    ? `    certificate-authority-data: ${base64(options.caCert)}`
    : "    insecure-skip-tls-verify: true";
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    `- name: ${cloudRegion}`,
    "  cluster:",
    `    server: ${server}`,
    cluster,
    "contexts:",
    `- name: ${cloudRegion}`,
    "  context:",
    `    cluster: ${cloudRegion}`,
    `    user: ${cloudRegion}-admin`,
    `current-context: ${cloudRegion}`,
    "users:",
    `- name: ${cloudRegion}-admin`,
    "  user:",
    `    token: ${options.token ?? "sim-token"}`,
    "",
  ].join("\n");
}

/** Base64 of UTF-8 text. */
function base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * A response whose body errors at once: the client sees the connection drop.
 * Deno logs the (string) reason once, like Go's `http: panic serving …` line.
 */
function droppedConnection(detail: string): Response {
  return new Response(
    new ReadableStream({
      start(controller) {
        controller.error(
          `k8splugin sim: http: panic serving: runtime error: invalid memory address or nil pointer dereference (${detail})`,
        );
      },
    }),
  );
}

/**
 * Starts a k8splugin simulator on loopback. Synchronous (the demo scenario is
 * read with a sync call when none is given), so `await` is optional.
 *
 * @example
 * ```ts ignore
 * await using sim = startK8splugin({ scenario });
 * const list = await fetch(`${sim.url}/v1/instance`);
 * sim.state.advance();
 * ```
 */
export function startK8splugin(
  options: K8spluginSimOptions = {},
): K8spluginSim {
  let scenario = options.scenario ?? demoScenario();
  let step = 0;
  const state: K8spluginSimState = {
    get step() {
      return step;
    },
    set step(n: number) {
      state.setStep(n);
    },
    setStep(n: number) {
      if (!Number.isInteger(n) || n < 0 || n >= scenario.steps.length) {
        throw new RangeError(
          `Cannot serve step ${n}: the scenario has steps 0 to ${
            scenario.steps.length - 1
          }`,
        );
      }
      step = n;
      changed();
    },
    advance() {
      if (step < scenario.steps.length - 1) state.setStep(step + 1);
    },
    get current() {
      return scenario.steps[step]!;
    },
    get scenario() {
      return scenario;
    },
    setScenario(next: Scenario, at = 0) {
      scenario = next;
      step = 0;
      state.setStep(at);
    },
    changes: [],
    get subscriptions() {
      return subscriptions;
    },
    restart() {
      subscriptions.restart();
    },
    faults: options.faults,
    quirks: { ...options.quirks },
    requests: { total: 0, byRoute: {} },
    injectedLatency: { requests: 0, totalMs: 0 },
    resetRequests() {
      state.requests = { total: 0, byRoute: {} };
      resetInjectedLatency(state.injectedLatency);
    },
  };
  // Lookups and status bodies are cached per step's instance objects (a new
  // step or scenario brings new objects), so a benchmark at 2,000 instances
  // measures the sync client, not the simulator (one scan and one deep copy
  // per request made the simulator the bottleneck).
  const byId = new WeakMap<object, Map<string, ScenarioInstance>>();
  const statusBodies = new WeakMap<
    ScenarioInstance,
    { quirks: string; body: string }
  >();

  let generation = 0;
  /** Records a step change; the informers of the subscriptions see it. */
  function changed(): void {
    generation++;
    state.changes.push({
      step,
      name: scenario.steps[step]!.name,
      at: performance.timeOrigin + performance.now(),
    });
    subscriptions.instancesChanged();
  }
  const subscriptions: StatusSubscriptions = new StatusSubscriptions(
    {
      hasInstance: (id) => find(id) !== undefined,
      instanceIds: () => state.current.instances.map((i) => i.id),
      status(id) {
        const instance = find(id);
        if (!instance) return { error: NO_DOCUMENTS };
        const result = computeStatus(instance, false);
        if ("panic" in result) return { error: result.panic };
        if ("error" in result) return result;
        return {
          entries: result.entries as unknown as SimResourceStatus[],
        };
      },
      generation: () => generation,
    },
    options.subscriptionTiming,
    options.subscriptions,
  );
  state.setStep(options.step ?? 0);
  const autoAdvance = options.advanceEveryMs === undefined
    ? undefined
    : setInterval(() => {
      if (step < scenario.steps.length - 1) state.advance();
    }, options.advanceEveryMs);

  function find(id: string): ScenarioInstance | undefined {
    const instances = state.current.instances;
    let index = byId.get(instances);
    if (!index) {
      index = new Map(instances.map((i) => [i.id, i]));
      byId.set(instances, index);
    }
    return index.get(id);
  }

  function list(url: URL): Response {
    const instances = state.current.instances;
    if (instances.length === 0) return goError(500, NO_INSTANCES);
    const rbName = url.searchParams.get("rb-name") ?? "";
    const rbVersion = url.searchParams.get("rb-version") ?? "";
    const profileName = url.searchParams.get("profile-name") ?? "";
    const matched = instances.filter((i) =>
      (!rbName || i.request["rb-name"] === rbName) &&
      (!rbVersion || i.request["rb-version"] === rbVersion) &&
      (!profileName || i.request["profile-name"] === profileName)
    );
    if (matched.length === 0) return goJson(null);
    return goJson(matched.map((instance) => ({
      id: instance.id,
      request: wireRequest(instance),
      ...(state.quirks.omitReleaseName
        ? {}
        : { "release-name": releaseName(instance) }),
      namespace: instance.namespace,
    })));
  }

  function get(id: string, url: URL): Response {
    const instance = find(id);
    if (!instance) {
      return goError(state.quirks.notFoundStatus ?? 500, NO_DOCUMENTS);
    }
    const resources = chartResourceRefs(instance).map((ref) => ({
      GVK: wireGvk(ref.apiVersion, ref.kind),
      Name: ref.name,
    }));
    const document: Record<string, unknown> = {
      id: instance.id,
      request: wireRequest(instance),
      namespace: instance.namespace,
    };
    if (url.searchParams.get("full") === "true") {
      // InstanceDbData field order.
      document.status = "DONE";
      if (!state.quirks.omitReleaseName) {
        document["release-name"] = releaseName(instance);
      }
      document.resources = resources;
      document.hooks = [];
      document["hook-progress"] = "";
      for (
        const name of [
          "PreInstallTimeout",
          "PostInstallTimeout",
          "PreDeleteTimeout",
          "PostDeleteTimeout",
          "PreUpgradeTimeout",
          "PostUpgradeTimeout",
        ]
      ) document[name] = 60;
      return goJson(document);
    }
    if (!state.quirks.omitReleaseName) {
      document["release-name"] = releaseName(instance);
    }
    document.resources = resources;
    return goJson(document);
  }

  function entry(
    name: string,
    gvk: Record<string, string>,
    object: ScenarioObject,
    stripTypeMeta: boolean,
  ): Record<string, unknown> {
    let body: Record<string, unknown> = object;
    if (stripTypeMeta) {
      const { apiVersion: _a, kind: _k, ...rest } = object;
      body = rest;
    }
    if (state.quirks.statusBlockOnly) {
      body = { status: (object as { status?: unknown }).status ?? {} };
    }
    return { name, GVK: gvk, status: sortKeys(body) };
  }

  function podGvk(): Record<string, string> {
    return state.quirks.emptyPodGvk
      ? { Group: "", Version: "", Kind: "" }
      : { Group: "", Version: "v1", Kind: "Pod" };
  }

  /**
   * k8splugin's `Status(id, checkReady)`: the entries and `ready`, or the
   * error text (500), or a Job panic (only while checking readiness).
   */
  function computeStatus(
    instance: ScenarioInstance,
    checkReady: boolean,
  ):
    | { entries: Record<string, unknown>[]; ready: boolean }
    | { error: string }
    | { panic: string } {
    if (instance.statusError) return { error: instance.statusError };
    const cluster = clusterObjects(instance);
    const pods = cluster.filter((o) => o.kind === "Pod")
      .sort((a, b) => a.metadata.name < b.metadata.name ? -1 : 1);
    const errors: string[] = [];
    const entries: Record<string, unknown>[] = [];
    let ready = true;
    for (const ref of chartResourceRefs(instance)) {
      if (ref.kind === "Pod") continue;
      const object = cluster.find((o) =>
        o.apiVersion === ref.apiVersion && o.kind === ref.kind &&
        o.metadata.name === ref.name
      );
      if (!object) {
        const { group } = gvkOf(ref.apiVersion, "");
        errors.push(
          `Getting object status: ${plural(ref.kind)}${
            group ? `.${group}` : ""
          } "${ref.name}" not found`,
        );
        ready = false;
        continue;
      }
      if (checkReady) {
        try {
          if (!helmReady(object, cluster)) ready = false;
        } catch (error) {
          if (error instanceof JobPanic) return { panic: error.message };
          throw error;
        }
      }
      entries.push(
        entry(ref.name, wireGvk(ref.apiVersion, ref.kind), object, false),
      );
    }
    if (errors.length > 0) {
      return { error: `Getting Resources Status:\n${errors.join("\n")}` };
    }
    for (const pod of pods) {
      entries.push(entry(pod.metadata.name, podGvk(), pod, true));
    }
    return { entries, ready: checkReady && ready };
  }

  function status(id: string): Response {
    const instance = find(id);
    if (!instance) return goError(500, NO_DOCUMENTS);
    if (instance.statusError) return goError(500, instance.statusError);
    const quirks = JSON.stringify(state.quirks);
    const cached = statusBodies.get(instance);
    if (cached?.quirks === quirks) return jsonText(cached.body);
    const result = computeStatus(instance, true);
    if ("panic" in result) return droppedConnection(result.panic);
    if ("error" in result) return goError(500, result.error);
    const body = goJsonText({
      request: wireRequest(instance),
      ready: result.ready && !state.quirks.readyAlwaysFalse,
      resourceCount: result.entries.length,
      resourcesStatus: result.entries,
    });
    statusBodies.set(instance, { quirks, body });
    return jsonText(body);
  }

  /**
   * instancehandler.go:242 and queryhandler.go: after an error the handler
   * writes the 500 text, then goes on and appends the (empty) JSON result.
   */
  function erredThenJson(message: string, result: unknown): Response {
    return new Response(`${message}\n` + goJsonText(result), {
      status: 500,
      headers: {
        "content-type": "text/plain; charset=utf-8",
        "x-content-type-options": "nosniff",
      },
    });
  }

  /** A `Labels` value as the API server parses it, or k8splugin's 500 when it cannot. */
  function labelSelector(
    text: string,
    empty: unknown,
  ): Requirement[] | Response {
    try {
      return parseLabelSelector(text);
    } catch (error) {
      if (!(error instanceof SelectorError)) throw error;
      return erredThenJson(
        `Querying Resources: Querying for resources: ${error.message}`,
        empty,
      );
    }
  }

  function query(id: string, url: URL): Response {
    const apiVersion = url.searchParams.get("ApiVersion") ?? "";
    const kind = url.searchParams.get("Kind") ?? "";
    if (!apiVersion) {
      return goError(400, "Missing ApiVersion mandatory parameter");
    }
    if (!kind) return goError(400, "Missing Kind mandatory parameter");
    const instance = find(id);
    const empty = {
      request: EMPTY_REQUEST,
      ready: false,
      resourceCount: 0,
      resourcesStatus: null,
    };
    if (!instance) return erredThenJson(NO_DOCUMENTS, empty);
    const name = url.searchParams.get("Name") ?? "";
    const labels = url.searchParams.get("Labels") ?? "";
    const selector = labelSelector(
      labels.toLowerCase().includes(INSTANCE_LABEL)
        ? labels
        : [labels, `${INSTANCE_LABEL}=${instance.id}`].filter(Boolean).join(
          ",",
        ),
      empty,
    );
    if (selector instanceof Response) return selector;
    const matched = clusterObjects(instance)
      .filter((o) =>
        o.apiVersion === apiVersion && o.kind === kind &&
        (o.metadata.namespace ?? instance.namespace) === instance.namespace &&
        matchesLabels(selector, o.metadata.labels ?? {}) &&
        (!name || o.metadata.name === name)
      )
      .sort((a, b) => a.metadata.name < b.metadata.name ? -1 : 1);
    const entries = matched.map((o) =>
      entry(o.metadata.name, wireGvk(apiVersion, kind), o, false)
    );
    return goJson({
      request: wireRequest(instance),
      ready: false,
      resourceCount: entries.length,
      resourcesStatus: entries,
    });
  }

  /**
   * `GET /v1/query` (queryhandler.go, app/query.go): one LIST of a kind in a
   * region — every namespace unless `Namespace` is given — filtered by
   * `Labels` alone (no instance label added) and, client-side, by `Name`.
   * Errors keep the handler bug: the 500 text, then the empty JSON result.
   */
  function regionQuery(url: URL): Response {
    const param = (name: string) => url.searchParams.get(name) ?? "";
    const region = param("CloudRegion");
    const apiVersion = param("ApiVersion");
    const kind = param("Kind");
    if (!region) return goError(400, "Missing CloudRegion mandatory parameter");
    if (!apiVersion) {
      return goError(400, "Missing ApiVersion mandatory parameter");
    }
    if (!kind) return goError(400, "Missing Kind mandatory parameter");
    const empty = { resourceCount: 0, resourcesStatus: null };
    const failed = (message: string) => erredThenJson(message, empty);
    if (!scenario.regions.some((r) => r.cloudRegion === region)) {
      return failed(
        `Getting CloudRegion Information: Get kubeconfig file: Downloading kubeconfig: ${NO_DOCUMENTS}`,
      );
    }
    const inRegion = state.current.instances.filter((i) =>
      i.request["cloud-region"] === region
    );
    const objects = inRegion.flatMap((i) =>
      clusterObjects(i).map((o) => ({ o, namespace: i.namespace }))
    );
    if (
      !objects.some(({ o }) => o.apiVersion === apiVersion && o.kind === kind)
    ) {
      // The RESTMapper knows the built-in kinds and whatever is served.
      const builtIn = /^(v1|apps\/v1|batch\/v1)$/.test(apiVersion);
      if (!builtIn) {
        return failed(
          `Querying Resources: Preparing mapper based on GVK: no matches for kind "${kind}" in version "${apiVersion}"`,
        );
      }
    }
    const namespace = param("Namespace");
    const selector = labelSelector(param("Labels"), empty);
    if (selector instanceof Response) return selector;
    const name = param("Name");
    const matched = objects
      .map(({ o, namespace: home }) => ({
        o,
        namespace: o.metadata.namespace ?? home,
      }))
      .filter(({ o, namespace: ns }) =>
        o.apiVersion === apiVersion && o.kind === kind &&
        (!namespace || ns === namespace) &&
        matchesLabels(selector, o.metadata.labels ?? {}) &&
        (!name || o.metadata.name === name)
      )
      // A LIST comes back in etcd key order: namespace, then name.
      .sort((a, b) =>
        a.namespace < b.namespace
          ? -1
          : a.namespace > b.namespace
          ? 1
          : a.o.metadata.name < b.o.metadata.name
          ? -1
          : 1
      );
    const entries = matched.map(({ o }) =>
      entry(o.metadata.name, wireGvk(apiVersion, kind), o, false)
    );
    return goJson({ resourceCount: entries.length, resourcesStatus: entries });
  }

  function connectivity(region: string): Response {
    const known = scenario.regions.find((r) => r.cloudRegion === region);
    if (!known) {
      return goError(
        404,
        "Get Connection: Error finding master table: mongo: no documents in result",
      );
    }
    const kubeconfig = known.kubeconfig ??
      options.kubeconfigFor?.(region) ??
      simKubeconfig(region, "https://kubernetes.default.svc:443");
    return goJson({
      "cloud-region": known.cloudRegion,
      "cloud-owner": known.cloudOwner,
      kubeconfig: base64(kubeconfig),
      "other-connectivity-list": { "connectivity-records": [] },
    });
  }

  /** Routes a request; returns the route name (for counters) and the response. */
  function route(
    request: Request,
  ): [string, () => Response | Promise<Response>] {
    const url = new URL(request.url);
    // Match on the raw path so percent-encoded ids keep their slashes.
    const parts = url.pathname.split("/").slice(1);
    const decode = (s: string): string => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    };
    const method = request.method;
    const only = (
      name: string,
      handler: () => Response,
    ): [string, () => Response] =>
      method === "GET"
        ? [`GET ${name}`, handler]
        : [`${method} ${name}`, () => new Response(null, { status: 405 })];
    if (parts[0] === "_sim" && parts.length === 2) {
      if (parts[1] === "advance" && method === "POST") {
        return ["POST /_sim/advance", () => {
          state.advance();
          return goJson(state.changes.at(-1));
        }];
      }
      if (parts[1] === "changes") {
        return only("/_sim/changes", () => goJson(state.changes));
      }
    }
    if (parts[0] === "v1") {
      if (parts.length === 2 && parts[1] === "healthcheck") {
        return only("/v1/healthcheck", () => new Response(null));
      }
      if (parts[1] === "instance") {
        if (parts.length === 2 || (parts.length === 3 && parts[2] === "")) {
          return only("/v1/instance", () => list(url));
        }
        const id = decode(parts[2]!);
        if (parts.length === 3) {
          return only("/v1/instance/{id}", () => get(id, url));
        }
        if (parts.length === 4 && parts[3] === "status") {
          return only("/v1/instance/{id}/status", () => status(id));
        }
        if (parts.length === 4 && parts[3] === "query") {
          return only("/v1/instance/{id}/query", () => query(id, url));
        }
        if (parts[3] === "status" && parts[4] === "subscription") {
          if (parts.length === 5) {
            return [
              `${method} /v1/instance/{id}/status/subscription`,
              () => subscriptions.handle(method, id, undefined, request),
            ];
          }
          if (parts.length === 6) {
            const name = decode(parts[5]!);
            return [
              `${method} /v1/instance/{id}/status/subscription/{name}`,
              () => subscriptions.handle(method, id, name, request),
            ];
          }
        }
      }
      if (parts.length === 2 && parts[1] === "query") {
        return only("/v1/query", () => regionQuery(url));
      }
      if (parts.length === 3 && parts[1] === "connectivity-info") {
        const region = decode(parts[2]!);
        return only(
          "/v1/connectivity-info/{region}",
          () => connectivity(region),
        );
      }
    }
    return [
      `${method} (unknown)`,
      () => goError(404, "404 page not found"),
    ];
  }

  const handler = withFaults(
    (request) => route(request)[1](),
    () => state.faults,
    state.injectedLatency,
  );
  const server = Deno.serve({
    port: options.port ?? 0,
    hostname: options.hostname ?? "127.0.0.1",
    onListen() {},
    onError: quietServerError(options.onError),
  }, (request) => {
    const [name] = route(request);
    state.requests.total++;
    state.requests.byRoute[name] = (state.requests.byRoute[name] ?? 0) + 1;
    return handler(request);
  });
  const address = server.addr;
  const host = address.hostname.includes(":")
    ? `[${address.hostname}]`
    : address.hostname;
  let closed: Promise<void> | undefined;
  function close(): Promise<void> {
    clearInterval(autoAdvance);
    closed ??= Promise.all([subscriptions.close(), server.shutdown()])
      .then(() => subscriptions.close());
    return closed;
  }
  return {
    url: `http://${host}:${address.port}`,
    state,
    close,
    [Symbol.asyncDispose]: close,
  };
}
