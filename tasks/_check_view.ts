/**
 * What `check` shows of one instance, and how: the view model (also the
 * JSON/YAML document) built from {@linkcode planInstance}'s result, and the
 * kubectl-style renderers. Shared by `check` and the demo.
 *
 * @module
 */

import Table from "cli-table3";
import { styleText } from "node:util";
import { stringify as stringifyYaml } from "yaml";
import type { AaiObject } from "../adapters/aai.ts";
import type { Verdict } from "../rules/mod.ts";
import { type InstancePlan, readinessOfLabels } from "../sync/mod.ts";

/** Output formats of `-o`. */
export type OutputFormat = "table" | "wide" | "json" | "yaml";

/** One resource of the instance as `check` shows it (and prints in JSON/YAML). */
export interface CheckResource {
  /** Kubernetes Kind, e.g. `Deployment`. */
  kind: string;
  /** API group, `""` for core. */
  group: string;
  /** API version of the group, e.g. `v1`. */
  version: string;
  /** `metadata.name`. */
  name: string;
  /** `""` for cluster-scoped resources. */
  namespace: string;
  /** Ready, Pending or Failed. */
  verdict: Verdict;
  /** Short CamelCase code, e.g. `CrashLoopBackOff`. */
  reason: string;
  /** Human sentence naming what decided. */
  message: string;
  /** Things worth knowing that did not change the verdict. */
  warnings: string[];
  /** `metadata.creationTimestamp`, when the object has one. */
  createdAt?: string;
}

/** A planned A&AI request, as a sync pass would send it. */
export interface CheckOperation {
  /** HTTP method: PUT, PATCH or DELETE. */
  method: string;
  /** A&AI object path without `/aai/{version}`. */
  path: string;
  /** Why sync would send it. */
  why: string;
  /** The request body, when it has one. */
  body?: unknown;
}

/** The whole result of `check`, also the JSON/YAML document. */
export interface CheckView {
  /** The k8splugin instance: id, Resource Bundle, profile and placement. */
  instance: {
    id: string;
    rbName: string;
    rbVersion: string;
    profileName: string;
    releaseName: string;
    cloudRegion: string;
    namespace: string;
  };
  /** When the evaluation happened (ISO 8601). */
  checkedAt: string;
  /** The roll-up of every resource's verdict. */
  verdict: Verdict;
  /** Reason of the resource that decided the roll-up. */
  reason: string;
  /** Message naming the resource that decided, with the counts per verdict. */
  message: string;
  /** k8splugin's own `ready` flag (Helm's checker), for comparison only. */
  k8spluginReady?: boolean;
  /**
   * Where its objects live in A&AI and which source placed it: `generic-vnf`
   * (its vf-module's generic-vnf's tenant, as SO places it) or `region`.
   */
  placement?: {
    cloudOwner: string;
    cloudRegion: string;
    tenantId: string;
    source: "generic-vnf" | "region";
  };
  /** Every resource k8splugin (or the cluster) reports for the instance, pods included. */
  resources: CheckResource[];
  /** With `--aai`: what A&AI holds for the instance and what a sync would send. */
  aai?: {
    objects: AaiObject[];
    operations: CheckOperation[];
    /** Why no operations could be planned (e.g. the region's tenant is unknown). */
    error?: string;
  };
}

/** How the table is drawn. */
export interface TableOptions {
  /** Adds the MESSAGE and K8SPLUGIN-READY columns. */
  wide?: boolean;
  /** Prints the header row and the roll-up lines (`--no-headers` turns them off). */
  headers?: boolean;
  /** Colours the VERDICT column. */
  color?: boolean;
  /** Reference time for the AGE column; defaults to `view.checkedAt`. */
  now?: Date;
  /** Prefix of the readiness labels A&AI's objects carry (default `k8s-aai-sync/`). */
  labelPrefix?: string;
}

/**
 * Formats a duration like kubectl's AGE column (`45s`, `3m12s`, `5h`, `2d4h`,
 * `400d`); `<invalid>` for a time in the future by more than a second.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 8) {
    return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  }
  if (days < 365 * 2) return `${days}d`;
  const years = Math.floor(days / 365);
  if (days < 365 * 8) {
    return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`;
  }
  return `${years}y`;
}

/** The AGE cell of a resource: `<unknown>` without a creation timestamp. */
export function ageOf(resource: CheckResource, now: Date): string {
  if (!resource.createdAt) return "<unknown>";
  const created = Date.parse(resource.createdAt);
  if (Number.isNaN(created)) return "<unknown>";
  return humanDuration(now.getTime() - created);
}

/** Colours a verdict (green, yellow, red) when `color` is on. */
export function paintVerdict(verdict: Verdict, color: boolean): string {
  if (!color) return verdict;
  const format = verdict === "Ready"
    ? "green"
    : verdict === "Pending"
    ? "yellow"
    : "red";
  return styleText(format, verdict, { validateStream: false });
}

/** The kind column: `Deployment.apps` style for non-core groups, like kubectl. */
export function kindLabel(resource: { kind: string; group: string }): string {
  return resource.group ? `${resource.kind}.${resource.group}` : resource.kind;
}

/** A borderless, kubectl-like table. */
function plainTable(head: string[], headers: boolean): Table.Table {
  const none = "";
  return new Table({
    ...(headers ? { head } : {}),
    chars: {
      top: none,
      "top-mid": none,
      "top-left": none,
      "top-right": none,
      bottom: none,
      "bottom-mid": none,
      "bottom-left": none,
      "bottom-right": none,
      left: none,
      "left-mid": none,
      mid: none,
      "mid-mid": none,
      right: none,
      "right-mid": none,
      middle: "   ",
    },
    style: { head: [], border: [], "padding-left": 0, "padding-right": 0 },
  });
}

/** Renders rows of cells without trailing blanks (cli-table3 pads the last column). */
function render(table: Table.Table): string {
  return table.toString().split("\n").map((line) => line.trimEnd()).join(
    "\n",
  );
}

/** The roll-up line(s) printed above the table. */
export function renderSummary(
  view: CheckView,
  options: TableOptions = {},
): string {
  const i = view.instance;
  const lines = [
    `Instance ${i.id}: ${i.rbName} ${i.rbVersion}, profile ${i.profileName}, release ${i.releaseName}, region ${i.cloudRegion}, namespace ${i.namespace}`,
    `Verdict: ${
      paintVerdict(view.verdict, options.color ?? false)
    } (${view.reason}): ${view.message}`,
  ];
  if (options.wide && view.k8spluginReady !== undefined) {
    lines.push(
      `k8splugin's own ready flag (Helm's checker, for comparison): ${view.k8spluginReady}`,
    );
  }
  if (options.wide && view.placement) {
    const p = view.placement;
    lines.push(
      `A&AI placement: ${p.cloudOwner}/${p.cloudRegion}, tenant ${p.tenantId} (from ${
        p.source === "generic-vnf"
          ? "the vf-module's generic-vnf, as SO places it"
          : "the region: config, connectivity-info or its only tenant"
      })`,
    );
  }
  return lines.join("\n");
}

/**
 * The resources table: KIND, NAME, NAMESPACE, VERDICT, REASON, AGE, and with
 * `wide` also MESSAGE and K8SPLUGIN-READY (k8splugin's instance-level flag).
 */
export function renderTable(
  view: CheckView,
  options: TableOptions = {},
): string {
  const now = options.now ?? new Date(view.checkedAt);
  const head = ["KIND", "NAME", "NAMESPACE", "VERDICT", "REASON", "AGE"];
  if (options.wide) head.push("MESSAGE", "K8SPLUGIN-READY");
  const table = plainTable(head, options.headers ?? true);
  for (const r of view.resources) {
    const row = [
      kindLabel(r),
      r.name,
      r.namespace || "<none>",
      paintVerdict(r.verdict, options.color ?? false),
      r.reason,
      ageOf(r, now),
    ];
    if (options.wide) {
      row.push(
        r.message,
        view.k8spluginReady === undefined
          ? "<unknown>"
          : String(view.k8spluginReady),
      );
    }
    table.push(row);
  }
  return render(table);
}

/**
 * Shortens an A&AI object path for people: a k8s-resource path becomes
 * `…/k8s-resource/3f2a9c1e7b5d…` (plus any sub-path and query), long hex ids
 * elsewhere are cut to 12 characters.
 */
export function shortPath(path: string, idLength = 12): string {
  const marker = "/k8s-resources/k8s-resource/";
  const at = path.indexOf(marker);
  const short = at >= 0
    ? "…/k8s-resource/" + path.slice(at + marker.length)
    : path.replace(/^\/cloud-infrastructure\/cloud-regions\//, "…/");
  return short.replace(
    /\/([0-9a-f]{64})(?=[/?]|$)/g,
    (_all, id: string) => `/${id.slice(0, idLength)}…`,
  );
}

/** The `--aai` part of the table output: the objects A&AI holds, then the planned requests. */
export function renderAai(view: CheckView, options: TableOptions = {}): string {
  const aai = view.aai;
  if (!aai) return "";
  const parts: string[] = [];
  if (aai.objects.length === 0) {
    parts.push("A&AI holds no k8s-resource for this instance.");
  } else {
    parts.push(`A&AI holds ${aai.objects.length} k8s-resource object(s):`);
    const table = plainTable(
      ["KIND", "NAME", "READINESS", "REASON", "DATA-OWNER", "RESOURCE-VERSION"],
      options.headers ?? true,
    );
    for (const o of aai.objects) {
      const labels = Array.isArray(o.labels) ? o.labels.map(String) : [];
      const readiness = readinessOfLabels(
        labels,
        options.labelPrefix ?? "k8s-aai-sync/",
      );
      table.push([
        String(o.kind ?? ""),
        String(o.name ?? ""),
        readiness?.verdict ?? "",
        readiness?.reason ?? "",
        String(o["data-owner"] ?? ""),
        String(o["resource-version"] ?? ""),
      ]);
    }
    parts.push(render(table));
  }
  if (aai.error) {
    parts.push(`A sync pass cannot publish this instance: ${aai.error}`);
  } else if (aai.operations.length === 0) {
    parts.push("A sync pass would send A&AI nothing: it is up to date.");
  } else {
    parts.push(`A sync pass would send ${aai.operations.length} request(s):`);
    const table = plainTable(
      ["METHOD", "PATH", "WHY"],
      options.headers ?? true,
    );
    for (const op of aai.operations) {
      table.push([op.method, shortPath(op.path), op.why]);
    }
    parts.push(render(table));
  }
  return parts.join("\n");
}

/** The complete output of `check` for one format (no trailing newline). */
export function renderView(
  view: CheckView,
  format: OutputFormat,
  options: TableOptions = {},
): string {
  if (format === "json") return JSON.stringify(view, null, 2);
  if (format === "yaml") return stringifyYaml(view).trimEnd();
  const wide = format === "wide";
  const table = renderTable(view, { ...options, wide });
  if (options.headers === false) {
    return [table, view.aai ? renderAai(view, options) : ""].filter(Boolean)
      .join("\n");
  }
  const parts = [renderSummary(view, { ...options, wide }), "", table];
  if (view.aai) parts.push("", renderAai(view, options));
  return parts.join("\n");
}

/** What changed between two polls, as lines for `--watch` (empty when nothing did). */
export function watchLines(
  before: CheckView | undefined,
  after: CheckView,
): string[] {
  const lines: string[] = [];
  const time = after.checkedAt;
  const key = (r: CheckResource) => `${kindLabel(r)}/${r.namespace}/${r.name}`;
  const old = new Map((before?.resources ?? []).map((r) => [key(r), r]));
  const seen = new Set<string>();
  for (const r of after.resources) {
    seen.add(key(r));
    const was = old.get(key(r));
    if (was && was.verdict === r.verdict && was.reason === r.reason) continue;
    const change = was ? `${was.verdict} → ${r.verdict}` : `new, ${r.verdict}`;
    lines.push(
      `${time}  ${
        kindLabel(r)
      }/${r.name}  ${change}  ${r.reason}: ${r.message}`,
    );
  }
  for (const [k, r] of old) {
    if (!seen.has(k)) lines.push(`${time}  ${kindLabel(r)}/${r.name}  gone`);
  }
  if (
    !before || before.verdict !== after.verdict ||
    before.reason !== after.reason
  ) {
    const change = before
      ? `${before.verdict} → ${after.verdict}`
      : after.verdict;
    lines.push(
      `${time}  instance ${after.instance.id}  ${change}  ${after.reason}: ${after.message}`,
    );
  }
  return lines;
}

/** Decides colour: `NO_COLOR` wins, then `--color never|always`, else only on a terminal. */
export function useColor(
  mode: "auto" | "never" | "always",
  env: { noColor?: string | undefined; isTerminal: boolean },
): boolean {
  if (env.noColor !== undefined && env.noColor !== "") return false;
  if (mode === "never") return false;
  if (mode === "always") return true;
  return env.isTerminal;
}

/** The parts of {@linkcode planInstance}'s result that `check` shows. */
export type PlanLike = Pick<
  InstancePlan,
  | "instance"
  | "resources"
  | "rollup"
  | "k8spluginReady"
  | "placement"
  | "placementSource"
  | "operations"
  | "held"
  | "error"
>;

/** Builds the view (and JSON/YAML document) of a plan; `aai` keeps the A&AI part. */
export function toView(plan: PlanLike, now: Date, aai: boolean): CheckView {
  const i = plan.instance;
  const view: CheckView = {
    instance: {
      id: i.id,
      rbName: i.rbName,
      rbVersion: i.rbVersion,
      profileName: i.profileName,
      releaseName: i.releaseName,
      cloudRegion: i.cloudRegion,
      namespace: i.namespace,
    },
    checkedAt: now.toISOString(),
    verdict: plan.rollup.verdict,
    reason: plan.rollup.reason,
    message: plan.rollup.message,
    resources: plan.resources.map((r) => {
      const metadata = r.object.metadata as
        | { creationTimestamp?: unknown }
        | undefined;
      const created = metadata?.creationTimestamp;
      return {
        kind: r.gvk.kind,
        group: r.gvk.group,
        version: r.gvk.version,
        name: r.name,
        namespace: r.namespace,
        verdict: r.readiness.verdict,
        reason: r.readiness.reason,
        message: r.readiness.message,
        warnings: r.readiness.warnings,
        ...(typeof created === "string" ? { createdAt: created } : {}),
      };
    }),
  };
  if (plan.k8spluginReady !== undefined) {
    view.k8spluginReady = plan.k8spluginReady;
  }
  if (plan.placement) {
    view.placement = {
      ...plan.placement,
      source: plan.placementSource ?? "region",
    };
  }
  if (aai) {
    view.aai = {
      objects: plan.held,
      operations: plan.operations.map(({ method, path, why, body }) =>
        body === undefined ? { method, path, why } : { method, path, why, body }
      ),
      ...(plan.error === undefined ? {} : { error: plan.error }),
    };
  }
  return view;
}
