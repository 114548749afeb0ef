/**
 * Kubernetes API simulator: a read-only kube-apiserver on loopback, serving
 * the objects of a scenario step (the same files as the k8splugin sim) plus
 * any extra cluster objects (StorageClasses, Nodes, CRDs, …).
 *
 * It serves `/version`, discovery (`/api`, `/api/v1`, `/apis`,
 * `/apis/<group>`, `/apis/<group>/<version>`), GET and LIST of namespaced and
 * cluster-scoped resources (all namespaces too) with label selectors
 * (`=`, `==`, `!=`, `in`, `notin`, `key`, `!key`, `>`/`<`), field selectors
 * (`metadata.name`, `metadata.namespace`, and a few pod fields),
 * `limit`/`continue` pagination with opaque tokens that expire (410) once
 * {@linkcode KubeSimState.compact} is called or too many changes happened,
 * `resourceVersion` on every list, Kubernetes `Status` errors (401, 403, 404,
 * 405, 410, 400), bearer-token authentication, an RBAC knob
 * ({@linkcode KubeSimState.forbidden}), fault injection and HTTPS. The
 * unmodified `@kubernetes/client-node` (its `KubernetesObjectApi` included) and
 * `kubectl` (`get`, `-l`, `-A`, `-o json`, `api-resources`) work against it.
 *
 * What it serves at a step: every object of every instance of
 * `scenario.steps[state.step]` (the scenario parser already added the label
 * `k8splugin.io/rb-instance-id` and the instance namespace), minus each
 * instance's `missing` resources, plus `extraObjects`; Namespaces are
 * synthesised for every namespace in use. LIST items of built-in kinds carry
 * no `apiVersion`/`kind`, like a real API server (custom resources keep
 * theirs); GET answers always carry them. Kinds are resolved through a
 * built-in table of common resources, the CRD objects served, and, for any
 * other kind found in the objects, a naive plural (`Widget` → `widgets`).
 *
 * Permissions: `--allow-net`; `tls: true` also needs `--allow-run` (openssl),
 * `--allow-write` and `--allow-read` (a temporary folder).
 *
 * @module
 */
import { type Faults, withFaults } from "./faults.ts";
import {
  clusterObjects,
  DEMO_SCENARIO_URL,
  loadScenario,
  type Scenario,
} from "./scenario.ts";

/** A Kubernetes object as served: apiVersion, kind and metadata.name at least. */
export type KubeSimObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown> & { name: string; namespace?: string };
};

/** One entry of a discovery `APIResourceList`. */
export interface KubeSimResource {
  /** API group (`""` for core). */
  group: string;
  /** API version. */
  version: string;
  /** Plural resource name, e.g. `deployments`. */
  name: string;
  /** Singular name, e.g. `deployment`. */
  singularName: string;
  /** Kind, e.g. `Deployment`. */
  kind: string;
  /** True for namespaced kinds. */
  namespaced: boolean;
  /** Verbs advertised (`get`, `list`). */
  verbs: string[];
  /** kubectl short names, e.g. `deploy`. */
  shortNames?: string[];
  /** Built-in kinds omit apiVersion/kind in LIST items; custom resources keep them. */
  builtin: boolean;
}

/** Counters of what the simulator answered, for tests and benchmarks. */
export interface KubeSimRequests {
  /** Every request received (faulty ones included). */
  total: number;
  /** `GET`s of single objects. */
  get: number;
  /** LIST pages. */
  list: number;
  /** `/version`, `/api…`, `/apis…` discovery documents. */
  discovery: number;
  /** Per `"<VERB> <resource>[.<group>]"`, e.g. `"list pods"`, `"get deployments.apps"`. */
  byResource: Record<string, number>;
}

/** The mutable state of a running Kubernetes API simulator. */
export interface KubeSimState {
  /** Index of the scenario step served. */
  step: number;
  /** Serves step `n` (a RangeError when out of range); bumps the resourceVersion. */
  setStep(n: number): void;
  /** Serves the next step (stays on the last one). */
  advance(): void;
  /** Objects served besides the scenario's (StorageClasses, Nodes, CRDs, …). */
  extraObjects: KubeSimObject[];
  /** Replaces {@linkcode extraObjects}; bumps the resourceVersion. */
  setExtraObjects(objects: KubeSimObject[]): void;
  /**
   * RBAC knob: each entry forbids a resource, kubectl-style
   * `"<resource>[.<group>]"` (`"nodes"`, `"deployments.apps"`), optionally
   * prefixed by one verb (`"list pods"`), optionally suffixed by
   * `" in <namespace>"` (`"list pods in testns2"`).
   */
  forbidden: Set<string>;
  /**
   * RBAC allow-list, same syntax as {@linkcode forbidden}: when set, only the
   * requests some entry matches are allowed (e.g. built from a ClusterRole).
   */
  allowed: Set<string> | undefined;
  /** Faults injected (sim/faults.ts), read on every request. */
  faults: Faults | undefined;
  /** The current resourceVersion of the store (a decimal string on the wire). */
  readonly resourceVersion: number;
  /** Forgets old snapshots: continue tokens issued before now answer 410 Expired. */
  compact(): void;
  /** The objects served right now (complete, apiVersion/kind included). */
  objects(): KubeSimObject[];
  /** Request counters. */
  requests: KubeSimRequests;
  /** Zeroes {@linkcode requests}. */
  resetRequests(): void;
}

/** TLS material for the simulator (PEM). */
export interface KubeSimTls {
  /** Server certificate (PEM). */
  cert: string;
  /** Its private key (PEM). */
  key: string;
  /** The CA that signed `cert` (returned as `caCert` by {@linkcode startKube}). */
  caCert?: string;
}

/** Options of {@linkcode startKube}. */
export interface StartKubeOptions {
  /** Port to listen on (127.0.0.1); 0 or undefined picks a free one. */
  port?: number;
  /** A parsed scenario or a path/URL to one (default: the demo scenario); `null` serves only `extraObjects`. */
  scenario?: Scenario | string | URL | null;
  /** Step served first (default 0). */
  step?: number;
  /** Cluster objects served at every step (StorageClasses, Nodes, CRDs, …). */
  extraObjects?: KubeSimObject[];
  /** Faults to inject (sim/faults.ts). */
  faults?: Faults;
  /** HTTPS: `true` generates a CA and a server certificate (needs openssl), or give the PEMs. */
  tls?: boolean | KubeSimTls;
  /** When set, every request needs `Authorization: Bearer <token>` (else 401). */
  token?: string;
  /** User named in 403 messages (default `system:serviceaccount:onap-k8s-aai-sync:k8s-aai-sync`, deploy/rbac.yaml's, or `system:anonymous` without a token). */
  user?: string;
  /** Reported by `/version` as `gitVersion` (default `v1.31.4`). */
  version?: string;
}

/** A running Kubernetes API simulator. */
export interface KubeSim {
  /** Base URL, e.g. `https://127.0.0.1:40123`. */
  url: string;
  /** The CA certificate (PEM) to trust when serving HTTPS. */
  caCert?: string;
  /** The mutable state (step, extra objects, RBAC, faults, counters). */
  state: KubeSimState;
  /** Stops the server. */
  close(): Promise<void>;
  /** Same as {@linkcode close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

const VERBS = ["get", "list"];

/** Built-in resources the simulator knows, with kubectl's short names. */
const BUILTIN_RESOURCES: KubeSimResource[] = [
  ["", "v1", "pods", "Pod", true, ["po"]],
  ["", "v1", "services", "Service", true, ["svc"]],
  ["", "v1", "configmaps", "ConfigMap", true, ["cm"]],
  ["", "v1", "secrets", "Secret", true, []],
  ["", "v1", "serviceaccounts", "ServiceAccount", true, ["sa"]],
  ["", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, ["pvc"]],
  ["", "v1", "persistentvolumes", "PersistentVolume", false, ["pv"]],
  ["", "v1", "endpoints", "Endpoints", true, ["ep"]],
  ["", "v1", "events", "Event", true, ["ev"]],
  ["", "v1", "replicationcontrollers", "ReplicationController", true, ["rc"]],
  ["", "v1", "namespaces", "Namespace", false, ["ns"]],
  ["", "v1", "nodes", "Node", false, ["no"]],
  ["apps", "v1", "deployments", "Deployment", true, ["deploy"]],
  ["apps", "v1", "replicasets", "ReplicaSet", true, ["rs"]],
  ["apps", "v1", "statefulsets", "StatefulSet", true, ["sts"]],
  ["apps", "v1", "daemonsets", "DaemonSet", true, ["ds"]],
  ["apps", "v1", "controllerrevisions", "ControllerRevision", true, []],
  ["batch", "v1", "jobs", "Job", true, []],
  ["batch", "v1", "cronjobs", "CronJob", true, ["cj"]],
  [
    "autoscaling",
    "v2",
    "horizontalpodautoscalers",
    "HorizontalPodAutoscaler",
    true,
    [
      "hpa",
    ],
  ],
  ["policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true, [
    "pdb",
  ]],
  ["networking.k8s.io", "v1", "ingresses", "Ingress", true, ["ing"]],
  ["networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true, [
    "netpol",
  ]],
  ["storage.k8s.io", "v1", "storageclasses", "StorageClass", false, ["sc"]],
  ["rbac.authorization.k8s.io", "v1", "roles", "Role", true, []],
  ["rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true, []],
  ["rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false, []],
  [
    "rbac.authorization.k8s.io",
    "v1",
    "clusterrolebindings",
    "ClusterRoleBinding",
    false,
    [],
  ],
  [
    "apiextensions.k8s.io",
    "v1",
    "customresourcedefinitions",
    "CustomResourceDefinition",
    false,
    ["crd", "crds"],
  ],
].map(([group, version, name, kind, namespaced, shortNames]) => ({
  group: group as string,
  version: version as string,
  name: name as string,
  singularName: (kind as string).toLowerCase(),
  kind: kind as string,
  namespaced: namespaced as boolean,
  verbs: VERBS,
  ...((shortNames as string[]).length > 0
    ? { shortNames: shortNames as string[] }
    : {}),
  builtin: true,
}));

// ---------------------------------------------------------------------------
// Label and field selectors (k8s.io/apimachinery/pkg/labels grammar)

/** One parsed label-selector requirement. */
interface Requirement {
  key: string;
  op: "=" | "!=" | "in" | "notin" | "exists" | "!" | "gt" | "lt";
  values: string[];
}

/** A selector the simulator cannot parse: answered as 400 BadRequest. */
class SelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SelectorError";
  }
}

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const char of text) {
    if (char === "(") depth++;
    if (char === ")") depth--;
    if (char === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else current += char;
  }
  parts.push(current);
  return parts;
}

const LABEL_KEY =
  /^([a-z0-9A-Z]([-a-z0-9A-Z.]*[a-z0-9A-Z])?\/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Parses a label selector; throws SelectorError with apimachinery-like wording. */
function parseLabelSelector(text: string): Requirement[] {
  const requirements: Requirement[] = [];
  if (text.trim() === "") return requirements;
  for (const raw of splitTopLevel(text)) {
    const part = raw.trim();
    let match: RegExpExecArray | null;
    let requirement: Requirement;
    if ((match = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(part))) {
      const values = match[3]!.split(",").map((v) => v.trim());
      requirement = {
        key: match[1]!,
        op: match[2] as "in" | "notin",
        values: values.length === 1 && values[0] === "" ? [] : values,
      };
      if (requirement.values.length === 0) {
        throw new SelectorError(
          `unable to parse requirement: for 'in', 'notin' operators, values set can't be empty`,
        );
      }
    } else if (
      (match = /^([^\s=!<>]+)\s*(==|!=|=)\s*([^\s=!<>]*)$/.exec(part))
    ) {
      requirement = {
        key: match[1]!,
        op: match[2] === "!=" ? "!=" : "=",
        values: [match[3]!],
      };
    } else if ((match = /^([^\s=!<>]+)\s*([<>])\s*(\S+)$/.exec(part))) {
      if (!/^-?\d+$/.test(match[3]!)) {
        throw new SelectorError(
          `unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`,
        );
      }
      requirement = {
        key: match[1]!,
        op: match[2] === ">" ? "gt" : "lt",
        values: [match[3]!],
      };
    } else if ((match = /^!\s*([^\s=!<>(),]+)$/.exec(part))) {
      requirement = { key: match[1]!, op: "!", values: [] };
    } else if ((match = /^([^\s=!<>(),]+)$/.exec(part))) {
      requirement = { key: match[1]!, op: "exists", values: [] };
    } else {
      throw new SelectorError(
        `unable to parse requirement: found '${part}', expected: key, !key, key=value, key!=value, key in (...), key notin (...)`,
      );
    }
    if (!LABEL_KEY.test(requirement.key) || requirement.key.length > 317) {
      throw new SelectorError(
        `unable to parse requirement: invalid label key "${requirement.key}": name part must consist of alphanumeric characters, '-', '_' or '.'`,
      );
    }
    for (const value of requirement.values) {
      if (
        requirement.op !== "gt" && requirement.op !== "lt" &&
        (!LABEL_VALUE.test(value) || value.length > 63)
      ) {
        throw new SelectorError(
          `unable to parse requirement: invalid label value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.'`,
        );
      }
    }
    requirements.push(requirement);
  }
  return requirements;
}

/** True when `labels` satisfy every requirement. */
function matchesLabels(
  requirements: Requirement[],
  labels: Record<string, string>,
): boolean {
  return requirements.every(({ key, op, values }) => {
    const has = Object.hasOwn(labels, key);
    const value = labels[key];
    switch (op) {
      case "=":
        return has && value === values[0];
      case "!=":
        return !has || value !== values[0];
      case "in":
        return has && values.includes(value!);
      case "notin":
        return !has || !values.includes(value!);
      case "exists":
        return has;
      case "!":
        return !has;
      case "gt":
      case "lt": {
        if (!has || !/^-?\d+$/.test(value!)) return false;
        const n = Number(value);
        const bound = Number(values[0]);
        return op === "gt" ? n > bound : n < bound;
      }
    }
  });
}

/** Field-selector fields supported for every kind, plus a few per kind (like the real server). */
const FIELDS: Record<string, (object: KubeSimObject) => string> = {
  "metadata.name": (o) => o.metadata.name,
  "metadata.namespace": (o) => o.metadata.namespace ?? "",
};
const POD_FIELDS: Record<string, (object: KubeSimObject) => string> = {
  "spec.nodeName": (o) => String(dig(o, "spec", "nodeName") ?? ""),
  "status.phase": (o) => String(dig(o, "status", "phase") ?? ""),
  "spec.restartPolicy": (o) => String(dig(o, "spec", "restartPolicy") ?? ""),
  "spec.serviceAccountName": (o) =>
    String(dig(o, "spec", "serviceAccountName") ?? ""),
};

/** Reads a nested property without throwing. */
function dig(object: unknown, ...path: string[]): unknown {
  let current = object;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** A parsed field selector: a predicate. */
function parseFieldSelector(
  text: string,
  kind: string,
): (object: KubeSimObject) => boolean {
  const tests: ((object: KubeSimObject) => boolean)[] = [];
  if (text.trim() === "") return () => true;
  for (const raw of text.split(",")) {
    const match = /^\s*([^=!\s]+)\s*(==|!=|=)\s*(.*?)\s*$/.exec(raw);
    if (!match) {
      throw new SelectorError(
        `invalid selector: '${text}'; can't understand '${raw}'`,
      );
    }
    const [, field, op, value] = match as unknown as [
      string,
      string,
      string,
      string,
    ];
    const read = FIELDS[field] ??
      (kind === "Pod" ? POD_FIELDS[field] : undefined);
    if (!read) {
      throw new SelectorError(
        `field label not supported: ${field}`,
      );
    }
    tests.push(
      op === "!=" ? (o) => read(o) !== value : (o) => read(o) === value,
    );
  }
  return (object) => tests.every((test) => test(object));
}

// ---------------------------------------------------------------------------
// Status errors

/** A Kubernetes `Status` failure document. */
function statusResponse(
  code: number,
  reason: string,
  message: string,
  details?: Record<string, unknown>,
): Response {
  return Response.json({
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  }, { status: code });
}

/** `deployments.apps` or `pods`: how the API server names a resource in messages. */
function qualifiedName(resource: { name: string; group: string }): string {
  return resource.group ? `${resource.name}.${resource.group}` : resource.name;
}

// ---------------------------------------------------------------------------
// Server-side printing (`kubectl get` asks for `as=Table`)

/** True when the client asks for a `meta.k8s.io` Table (kubectl get without -o). */
function wantsTable(request: Request): boolean {
  return /(^|[;,\s])as=Table([;,\s]|$)/.test(
    request.headers.get("accept") ?? "",
  );
}

/** kubectl-style age of a timestamp: `45s`, `12m`, `5h`, `3d`. */
function ageOf(timestamp: unknown, now: number): string {
  const time = typeof timestamp === "string" ? Date.parse(timestamp) : NaN;
  if (Number.isNaN(time)) return "<unknown>";
  const seconds = Math.max(0, Math.floor((now - time) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 48 * 3600) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

/** A number at `path`, or `fallback`. */
function numberAt(
  object: unknown,
  fallback: number,
  ...path: string[]
): number {
  const value = dig(object, ...path);
  return typeof value === "number" ? value : fallback;
}

/** Kind-specific columns between NAME and AGE, like kubectl's printers. */
const TABLE_COLUMNS: Record<
  string,
  { names: string[]; cells: (object: KubeSimObject) => (string | number)[] }
> = {
  Pod: {
    names: ["Ready", "Status", "Restarts"],
    cells(pod) {
      const statuses = dig(pod, "status", "containerStatuses");
      const list = Array.isArray(statuses) ? statuses : [];
      const containers = dig(pod, "spec", "containers");
      const total = Array.isArray(containers) ? containers.length : list.length;
      const ready = list.filter((c) => dig(c, "ready") === true).length;
      const restarts = list.reduce(
        (sum, c) => sum + numberAt(c, 0, "restartCount"),
        0,
      );
      let status = String(dig(pod, "status", "phase") ?? "Unknown");
      for (const c of list) {
        const reason = dig(c, "state", "waiting", "reason") ??
          dig(c, "state", "terminated", "reason");
        if (typeof reason === "string") status = reason;
      }
      if (dig(pod, "metadata", "deletionTimestamp")) status = "Terminating";
      return [`${ready}/${total}`, status, restarts];
    },
  },
  Deployment: {
    names: ["Ready", "Up-to-date", "Available"],
    cells: (d) => [
      `${numberAt(d, 0, "status", "readyReplicas")}/${
        numberAt(d, 1, "spec", "replicas")
      }`,
      numberAt(d, 0, "status", "updatedReplicas"),
      numberAt(d, 0, "status", "availableReplicas"),
    ],
  },
  ReplicaSet: {
    names: ["Desired", "Current", "Ready"],
    cells: (r) => [
      numberAt(r, 1, "spec", "replicas"),
      numberAt(r, 0, "status", "replicas"),
      numberAt(r, 0, "status", "readyReplicas"),
    ],
  },
  Service: {
    names: ["Type", "Cluster-IP", "Port(s)"],
    cells(service) {
      const ports = dig(service, "spec", "ports");
      return [
        String(dig(service, "spec", "type") ?? "ClusterIP"),
        String(dig(service, "spec", "clusterIP") ?? "<none>"),
        Array.isArray(ports) && ports.length > 0
          ? ports.map((p) => `${dig(p, "port")}/${dig(p, "protocol") ?? "TCP"}`)
            .join(",")
          : "<none>",
      ];
    },
  },
};

/** A `meta.k8s.io/v1` Table of `objects` (kubectl's default `get` output). */
function tableOf(
  objects: KubeSimObject[],
  metadata: Record<string, unknown>,
  includeObject: string | null,
): Record<string, unknown> {
  const now = Date.now();
  const kind = objects[0]?.kind ?? "";
  const extra = TABLE_COLUMNS[kind];
  const column = (name: string, format = "") => ({
    name,
    type: "string",
    format,
    description: "",
    priority: 0,
  });
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata,
    columnDefinitions: [
      column("Name", "name"),
      ...(extra?.names ?? []).map((name) => column(name)),
      column("Age"),
    ],
    rows: objects.map((object) => ({
      cells: [
        object.metadata.name,
        ...(extra?.cells(object) ?? []),
        ageOf(object.metadata.creationTimestamp, now),
      ],
      object: includeObject === "Object"
        ? object
        : includeObject === "None"
        ? undefined
        : {
          kind: "PartialObjectMetadata",
          apiVersion: "meta.k8s.io/v1",
          metadata: object.metadata,
        },
    })),
  };
}

// ---------------------------------------------------------------------------
// Certificates

/** Runs openssl in `dir`; throws naming the failed subcommand. */
async function openssl(dir: string, ...args: string[]): Promise<void> {
  const { code, stderr } = await new Deno.Command("openssl", {
    args,
    cwd: dir,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(
      `Cannot generate test certificates: openssl ${args[0]} failed: ${
        new TextDecoder().decode(stderr).trim()
      }`,
    );
  }
}

/**
 * Generates a throw-away CA and a server certificate for 127.0.0.1/localhost
 * with `openssl` (needs `--allow-run`, `--allow-read`, `--allow-write`); for
 * tests, the demo and the CLI only.
 */
export async function generateTestCertificates(): Promise<
  Required<KubeSimTls>
> {
  const dir = await Deno.makeTempDir({ prefix: "kube-sim-tls-" });
  try {
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
    await openssl(
      dir,
      "req",
      "-x509",
      ...ec,
      "-nodes",
      "-keyout",
      "ca.key",
      "-out",
      "ca.crt",
      "-days",
      "2",
      "-subj",
      "/CN=kube-sim-ca",
    );
    await openssl(
      dir,
      "req",
      ...ec,
      "-nodes",
      "-keyout",
      "server.key",
      "-out",
      "server.csr",
      "-subj",
      "/CN=kube-sim",
    );
    await Deno.writeTextFile(
      `${dir}/ext.cnf`,
      "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n" +
        "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    );
    await openssl(
      dir,
      "x509",
      "-req",
      "-in",
      "server.csr",
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "server.crt",
      "-days",
      "2",
      "-extfile",
      "ext.cnf",
    );
    return {
      cert: await Deno.readTextFile(`${dir}/server.crt`),
      key: await Deno.readTextFile(`${dir}/server.key`),
      caCert: await Deno.readTextFile(`${dir}/ca.crt`),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

// ---------------------------------------------------------------------------
// The store

/** What the simulator serves at one resourceVersion. */
interface Snapshot {
  resourceVersion: number;
  /** Every object, grouped by `group/resource`, sorted by namespace/name (etcd key order). */
  byResource: Map<string, { key: string; object: KubeSimObject }[]>;
  /** Resources discoverable at this snapshot. */
  resources: KubeSimResource[];
}

/** `apps/v1` → `{group: "apps", version: "v1"}`. */
function groupVersionOf(
  apiVersion: string,
): { group: string; version: string } {
  const slash = apiVersion.lastIndexOf("/");
  return slash < 0 ? { group: "", version: apiVersion } : {
    group: apiVersion.slice(0, slash),
    version: apiVersion.slice(slash + 1),
  };
}

/** A naive English plural, as a fallback for kinds with no CRD served. */
function pluralOf(kind: string): string {
  const lower = kind.toLowerCase();
  if (/(s|x|z|ch|sh)$/.test(lower)) return `${lower}es`;
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

/** The resources a CRD object defines (one per served version). */
function resourcesOfCrd(crd: KubeSimObject): KubeSimResource[] {
  const group = dig(crd, "spec", "group");
  const names = dig(crd, "spec", "names") as
    | Record<string, unknown>
    | undefined;
  const versions = dig(crd, "spec", "versions");
  if (typeof group !== "string" || !names || !Array.isArray(versions)) {
    return [];
  }
  const kind = String(names.kind ?? "");
  const plural = String(names.plural ?? pluralOf(kind));
  const shortNames = Array.isArray(names.shortNames)
    ? names.shortNames.map(String)
    : [];
  return versions
    .filter((v) =>
      v && typeof v === "object" && (v as { served?: unknown }).served !== false
    )
    .map((v) => ({
      group,
      version: String((v as { name?: unknown }).name),
      name: plural,
      singularName: String(names.singular ?? kind.toLowerCase()),
      kind,
      namespaced: dig(crd, "spec", "scope") !== "Cluster",
      verbs: VERBS,
      ...(shortNames.length > 0 ? { shortNames } : {}),
      builtin: false,
    }));
}

/** Builds the snapshot of the objects given. */
function buildSnapshot(
  objects: KubeSimObject[],
  resourceVersion: number,
): Snapshot {
  const resources = [...BUILTIN_RESOURCES];
  const index = new Map<string, KubeSimResource>();
  const keyOf = (group: string, version: string, kind: string) =>
    `${group}/${version}/${kind}`;
  for (const resource of resources) {
    index.set(keyOf(resource.group, resource.version, resource.kind), resource);
  }
  for (const object of objects) {
    if (object.kind !== "CustomResourceDefinition") continue;
    for (const resource of resourcesOfCrd(object)) {
      const key = keyOf(resource.group, resource.version, resource.kind);
      if (!index.has(key)) {
        index.set(key, resource);
        resources.push(resource);
      }
    }
  }
  const namespaces = new Set<string>();
  const all = [...objects];
  for (const object of objects) {
    if (object.metadata.namespace) namespaces.add(object.metadata.namespace);
  }
  const declared = new Set(
    objects.filter((o) => o.kind === "Namespace").map((o) => o.metadata.name),
  );
  for (const name of [...namespaces].sort()) {
    if (declared.has(name)) continue;
    all.push({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        name,
        uid: `00000000-0000-4000-8000-${
          [...name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7)
            .toString(16).padStart(12, "0").slice(-12)
        }`,
        resourceVersion: "1",
        creationTimestamp: "2026-01-01T00:00:00Z",
        labels: { "kubernetes.io/metadata.name": name },
      },
      spec: { finalizers: ["kubernetes"] },
      status: { phase: "Active" },
    });
  }
  const byResource = new Map<
    string,
    { key: string; object: KubeSimObject }[]
  >();
  for (const object of all) {
    const { group, version } = groupVersionOf(object.apiVersion);
    let resource = index.get(keyOf(group, version, object.kind));
    if (!resource) {
      resource = {
        group,
        version,
        name: pluralOf(object.kind),
        singularName: object.kind.toLowerCase(),
        kind: object.kind,
        namespaced: object.metadata.namespace !== undefined,
        verbs: VERBS,
        builtin: false,
      };
      index.set(keyOf(group, version, object.kind), resource);
      resources.push(resource);
    }
    const bucketKey = `${resource.group}/${resource.name}`;
    let bucket = byResource.get(bucketKey);
    if (!bucket) byResource.set(bucketKey, bucket = []);
    bucket.push({
      key: `${object.metadata.namespace ?? ""}/${object.metadata.name}`,
      object,
    });
  }
  for (const bucket of byResource.values()) {
    bucket.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
  return { resourceVersion, byResource, resources };
}

/** The objects of a scenario step, minus each instance's `missing` resources. */
function objectsOfStep(
  scenario: Scenario | undefined,
  step: number,
): KubeSimObject[] {
  const current = scenario?.steps[step];
  if (!current) return [];
  return current.instances.flatMap((instance) =>
    clusterObjects(instance) as KubeSimObject[]
  );
}

/** Opaque continue token: base64url of the snapshot's resourceVersion and the last key sent. */
function encodeContinue(resourceVersion: number, start: string): string {
  return btoa(
    JSON.stringify({ v: "meta.k8s.io/v1", rv: resourceVersion, start }),
  )
    .replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
}

/** Decodes a continue token; undefined when it is not one of ours. */
function decodeContinue(
  token: string,
): { rv: number; start: string } | undefined {
  try {
    const json = atob(token.replaceAll("-", "+").replaceAll("_", "/"));
    const data = JSON.parse(json) as {
      v?: unknown;
      rv?: unknown;
      start?: unknown;
    };
    if (
      data.v !== "meta.k8s.io/v1" || typeof data.rv !== "number" ||
      typeof data.start !== "string"
    ) return undefined;
    return { rv: data.rv, start: data.start };
  } catch {
    return undefined;
  }
}

const EXPIRED_MESSAGE =
  "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

/** How many past snapshots stay available to continue tokens. */
const SNAPSHOTS_KEPT = 16;

// ---------------------------------------------------------------------------
// The server

/**
 * Starts the Kubernetes API simulator on 127.0.0.1.
 *
 * @example
 * ```ts ignore
 * await using kube = await startKube({ scenario: DEMO_SCENARIO_URL, token: "t" });
 * kube.state.setStep(2);
 * ```
 */
export async function startKube(
  options: StartKubeOptions = {},
): Promise<KubeSim> {
  const source = options.scenario === undefined
    ? DEMO_SCENARIO_URL
    : options.scenario;
  const scenario = source === null
    ? undefined
    : typeof source === "string" || source instanceof URL
    ? await loadScenario(source)
    : source;
  const lastStep = Math.max(0, (scenario?.steps.length ?? 1) - 1);
  const tls = options.tls === true
    ? await generateTestCertificates()
    : options.tls || undefined;
  const user = options.user ??
    (options.token === undefined
      ? "system:anonymous"
      : "system:serviceaccount:onap-k8s-aai-sync:k8s-aai-sync");
  const gitVersion = options.version ?? "v1.31.4";

  function checkStep(n: number): number {
    if (!Number.isInteger(n) || n < 0 || n > lastStep) {
      throw new RangeError(
        `Cannot serve step ${n}: the scenario has steps 0 to ${lastStep}`,
      );
    }
    return n;
  }
  let step = checkStep(options.step ?? 0);
  let extraObjects = [...(options.extraObjects ?? [])];
  let resourceVersion = 1000;
  const snapshots = new Map<number, Snapshot>();

  function current(): Snapshot {
    let snapshot = snapshots.get(resourceVersion);
    if (!snapshot) {
      snapshot = buildSnapshot(
        [...objectsOfStep(scenario, step), ...extraObjects],
        resourceVersion,
      );
      snapshots.set(resourceVersion, snapshot);
      while (snapshots.size > SNAPSHOTS_KEPT) {
        snapshots.delete(snapshots.keys().next().value!);
      }
    }
    return snapshot;
  }

  function emptyRequests(): KubeSimRequests {
    return { total: 0, get: 0, list: 0, discovery: 0, byResource: {} };
  }

  const state: KubeSimState = {
    get step() {
      return step;
    },
    set step(n: number) {
      state.setStep(n);
    },
    setStep(n: number) {
      step = checkStep(n);
      resourceVersion++;
    },
    advance() {
      state.setStep(Math.min(step + 1, lastStep));
    },
    get extraObjects() {
      return extraObjects;
    },
    set extraObjects(objects: KubeSimObject[]) {
      state.setExtraObjects(objects);
    },
    setExtraObjects(objects: KubeSimObject[]) {
      extraObjects = [...objects];
      resourceVersion++;
    },
    forbidden: new Set<string>(),
    allowed: undefined,
    faults: options.faults,
    get resourceVersion() {
      return resourceVersion;
    },
    compact() {
      const keep = current();
      snapshots.clear();
      snapshots.set(keep.resourceVersion, keep);
    },
    objects() {
      return [...current().byResource.values()].flatMap((bucket) =>
        bucket.map((entry) => entry.object)
      );
    },
    requests: emptyRequests(),
    resetRequests() {
      state.requests = emptyRequests();
    },
  };

  function count(verb: string, resource: KubeSimResource): void {
    const key = `${verb} ${qualifiedName(resource)}`;
    state.requests.byResource[key] = (state.requests.byResource[key] ?? 0) + 1;
    if (verb === "get") state.requests.get++;
    else state.requests.list++;
  }

  function isForbidden(
    verb: string,
    resource: KubeSimResource,
    namespace: string | undefined,
  ): boolean {
    const name = qualifiedName(resource);
    const candidates = [name, `${verb} ${name}`];
    if (namespace) {
      candidates.push(
        `${name} in ${namespace}`,
        `${verb} ${name} in ${namespace}`,
      );
    }
    return candidates.some((c) => state.forbidden.has(c)) ||
      (state.allowed !== undefined &&
        !candidates.some((c) => state.allowed!.has(c)));
  }

  function forbiddenResponse(
    verb: string,
    resource: KubeSimResource,
    namespace: string | undefined,
    name: string | undefined,
  ): Response {
    const subject = name === undefined
      ? qualifiedName(resource)
      : `${qualifiedName(resource)} "${name}"`;
    const scope = namespace === undefined
      ? "at the cluster scope"
      : `in the namespace "${namespace}"`;
    return statusResponse(
      403,
      "Forbidden",
      `${subject} is forbidden: User "${user}" cannot ${verb} resource "${resource.name}" in API group "${resource.group}" ${scope}`,
      {
        ...(name === undefined ? {} : { name }),
        ...(resource.group ? { group: resource.group } : {}),
        kind: resource.name,
      },
    );
  }

  function notFound(resource: KubeSimResource, name: string): Response {
    return statusResponse(
      404,
      "NotFound",
      `${qualifiedName(resource)} "${name}" not found`,
      {
        name,
        ...(resource.group ? { group: resource.group } : {}),
        kind: resource.name,
      },
    );
  }

  const pageNotFound = () =>
    statusResponse(
      404,
      "NotFound",
      "the server could not find the requested resource",
      {},
    );

  function discovery(
    url: URL,
    snapshot: Snapshot,
  ): Response | undefined {
    const path = url.pathname.replace(/\/+$/, "");
    const host = url.host;
    if (path === "/version") {
      const [, major = "1", minor = "31"] = /^v(\d+)\.(\d+)/.exec(gitVersion) ??
        [];
      return Response.json({
        major,
        minor,
        gitVersion,
        gitCommit: "0000000000000000000000000000000000000000",
        gitTreeState: "clean",
        buildDate: "2026-01-01T00:00:00Z",
        goVersion: "go1.23.0",
        compiler: "gc",
        platform: "linux/amd64",
      });
    }
    if (path === "/healthz" || path === "/livez" || path === "/readyz") {
      return new Response("ok", { headers: { "content-type": "text/plain" } });
    }
    if (path === "/api") {
      return Response.json({
        kind: "APIVersions",
        versions: ["v1"],
        serverAddressByClientCIDRs: [{
          clientCIDR: "0.0.0.0/0",
          serverAddress: host,
        }],
      });
    }
    const groups = new Map<string, string[]>();
    for (const r of snapshot.resources) {
      if (!r.group) continue;
      const versions = groups.get(r.group) ?? [];
      if (!versions.includes(r.version)) versions.push(r.version);
      groups.set(r.group, versions);
    }
    function groupDocument(name: string, versions: string[]) {
      const list = versions.map((version) => ({
        groupVersion: `${name}/${version}`,
        version,
      }));
      return { name, versions: list, preferredVersion: list[0] };
    }
    if (path === "/apis") {
      return Response.json({
        kind: "APIGroupList",
        apiVersion: "v1",
        groups: [...groups].map(([name, versions]) =>
          groupDocument(name, versions)
        ),
      });
    }
    const groupMatch = /^\/apis\/([^/]+)$/.exec(path);
    if (groupMatch) {
      const versions = groups.get(groupMatch[1]!);
      if (!versions) return pageNotFound();
      return Response.json({
        kind: "APIGroup",
        apiVersion: "v1",
        ...groupDocument(groupMatch[1]!, versions),
      });
    }
    const versionMatch = /^\/api\/(v1)$|^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
    if (versionMatch) {
      const group = versionMatch[2] ?? "";
      const version = versionMatch[1] ?? versionMatch[3]!;
      const resources = snapshot.resources.filter((r) =>
        r.group === group && r.version === version
      );
      if (resources.length === 0) return pageNotFound();
      return Response.json({
        kind: "APIResourceList",
        apiVersion: "v1",
        groupVersion: group ? `${group}/${version}` : version,
        resources: resources.map((r) => ({
          name: r.name,
          singularName: r.singularName,
          namespaced: r.namespaced,
          kind: r.kind,
          verbs: r.verbs,
          ...(r.shortNames ? { shortNames: r.shortNames } : {}),
        })),
      });
    }
    return undefined;
  }

  /** Adds apiVersion/kind to an object (GET answers, custom resources in lists). */
  function withType(
    object: KubeSimObject,
    resource: KubeSimResource,
  ): KubeSimObject {
    return {
      ...object,
      apiVersion: resource.group
        ? `${resource.group}/${resource.version}`
        : resource.version,
      kind: resource.kind,
    };
  }

  /** LIST items of built-in kinds carry no apiVersion/kind, like a real API server. */
  function asListItem(
    object: KubeSimObject,
    resource: KubeSimResource,
  ): Record<string, unknown> {
    if (!resource.builtin) return withType(object, resource);
    const { apiVersion: _apiVersion, kind: _kind, ...rest } = object;
    return rest;
  }

  function list(
    request: Request,
    url: URL,
    resource: KubeSimResource,
    namespace: string | undefined,
  ): Response {
    const params = url.searchParams;
    if (params.get("watch") === "true" || params.get("watch") === "1") {
      return statusResponse(
        405,
        "MethodNotAllowed",
        "the simulator does not support watch",
      );
    }
    let labels: Requirement[];
    let fields: (object: KubeSimObject) => boolean;
    try {
      labels = parseLabelSelector(params.get("labelSelector") ?? "");
      fields = parseFieldSelector(
        params.get("fieldSelector") ?? "",
        resource.kind,
      );
    } catch (error) {
      if (error instanceof SelectorError) {
        return statusResponse(400, "BadRequest", error.message);
      }
      throw error;
    }
    const limitText = params.get("limit");
    const limit = limitText === null ? 0 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 0) {
      return statusResponse(400, "BadRequest", `invalid limit: ${limitText}`);
    }
    const continueText = params.get("continue");
    let snapshot = current();
    let start = "";
    if (continueText) {
      const token = decodeContinue(continueText);
      if (!token) {
        return statusResponse(
          400,
          "BadRequest",
          "invalid continue token: continue key is not valid: illegal base64 data at input byte 0",
        );
      }
      const old = snapshots.get(token.rv);
      if (!old) return statusResponse(410, "Expired", EXPIRED_MESSAGE);
      snapshot = old;
      start = token.start;
    }
    const bucket =
      snapshot.byResource.get(`${resource.group}/${resource.name}`) ??
        [];
    const prefix = namespace === undefined ? "" : `${namespace}/`;
    const items: Record<string, unknown>[] = [];
    const matched: KubeSimObject[] = [];
    let last = "";
    let remaining = 0;
    for (const entry of bucket) {
      if (start && entry.key <= start) continue;
      if (prefix && !entry.key.startsWith(prefix)) continue;
      const object = entry.object;
      const objectLabels = (object.metadata.labels ?? {}) as Record<
        string,
        string
      >;
      if (!matchesLabels(labels, objectLabels) || !fields(object)) continue;
      if (limit > 0 && items.length >= limit) {
        remaining++;
        continue;
      }
      items.push(asListItem(object, resource));
      matched.push(withType(object, resource));
      last = entry.key;
    }
    const metadata: Record<string, unknown> = {
      resourceVersion: String(snapshot.resourceVersion),
    };
    if (remaining > 0) {
      metadata.continue = encodeContinue(snapshot.resourceVersion, last);
      metadata.remainingItemCount = remaining;
    }
    if (wantsTable(request)) {
      return Response.json(
        tableOf(matched, metadata, params.get("includeObject")),
      );
    }
    return Response.json({
      kind: `${resource.kind}List`,
      apiVersion: resource.group
        ? `${resource.group}/${resource.version}`
        : resource.version,
      metadata,
      items,
    });
  }

  function get(
    request: Request,
    url: URL,
    resource: KubeSimResource,
    namespace: string | undefined,
    name: string,
  ): Response {
    const bucket =
      current().byResource.get(`${resource.group}/${resource.name}`) ??
        [];
    const key = `${namespace ?? ""}/${name}`;
    const entry = bucket.find((e) => e.key === key);
    if (!entry) return notFound(resource, name);
    const object = withType(entry.object, resource);
    if (wantsTable(request)) {
      return Response.json(
        tableOf(
          [object],
          { resourceVersion: String(resourceVersion) },
          url.searchParams.get("includeObject"),
        ),
      );
    }
    return Response.json(object);
  }

  function handle(request: Request): Response {
    state.requests.total++;
    const url = new URL(request.url);
    if (options.token !== undefined) {
      const auth = request.headers.get("authorization") ?? "";
      if (auth !== `Bearer ${options.token}`) {
        return statusResponse(401, "Unauthorized", "Unauthorized");
      }
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      return statusResponse(
        405,
        "MethodNotAllowed",
        `the server does not allow this method on the requested resource`,
      );
    }
    const snapshot = current();
    const document = discovery(url, snapshot);
    if (document) {
      state.requests.discovery++;
      return document;
    }
    const match = /^\/api\/(v1)\/(.+)$|^\/apis\/([^/]+)\/([^/]+)\/(.+)$/.exec(
      url.pathname.replace(/\/+$/, ""),
    );
    if (!match) return pageNotFound();
    const group = match[3] ?? "";
    const version = match[1] ?? match[4]!;
    const segments = (match[2] ?? match[5]!).split("/").map(decodeURIComponent);
    let namespace: string | undefined;
    let resourceName: string;
    let name: string | undefined;
    if (segments[0] === "namespaces" && segments.length >= 3) {
      namespace = segments[1];
      resourceName = segments[2]!;
      name = segments[3];
      if (segments.length > 4) return pageNotFound();
    } else {
      resourceName = segments[0]!;
      name = segments[1];
      if (segments.length > 2) return pageNotFound();
    }
    const resource = snapshot.resources.find((r) =>
      r.group === group && r.version === version && r.name === resourceName
    );
    if (!resource) return pageNotFound();
    if (namespace !== undefined && !resource.namespaced) return pageNotFound();
    if (name !== undefined && resource.namespaced && namespace === undefined) {
      return pageNotFound();
    }
    const verb = name === undefined ? "list" : "get";
    count(verb, resource);
    if (isForbidden(verb, resource, namespace)) {
      return forbiddenResponse(verb, resource, namespace, name);
    }
    return name === undefined
      ? list(request, url, resource, namespace)
      : get(request, url, resource, namespace, name);
  }

  const handler = withFaults(handle, () => state.faults);
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
    onListen() {},
    ...(tls ? { cert: tls.cert, key: tls.key } : {}),
  }, handler);
  const url = `${tls ? "https" : "http"}://127.0.0.1:${server.addr.port}`;
  let closed: Promise<void> | undefined;
  function close(): Promise<void> {
    return closed ??= server.shutdown();
  }
  return {
    url,
    ...(tls?.caCert ? { caCert: tls.caCert } : {}),
    state,
    close,
    [Symbol.asyncDispose]: close,
  };
}
