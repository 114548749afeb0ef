/**
 * One instance read, evaluated and planned without writing anything: what
 * `deno task check` shows. It reads and plans exactly as a pass does, with
 * the same planner ({@linkcode planWrites}), against the snapshot or, with
 * `verify`, against what A&AI holds.
 *
 * @module
 */

import type { AaiObject } from "../adapters/aai.ts";
import type { InstanceSummary } from "../adapters/k8splugin.ts";
import { type Readiness, rollup } from "../rules/mod.ts";
import type { PlannedOperation } from "./diff.ts";
import { readHeld } from "./held.ts";
import {
  createBody,
  type EvaluatedResource,
  type Placement,
  relationshipsFor,
} from "./mapping.ts";
import {
  type Pass,
  QUIET,
  type ReportedOperation,
  type SyncDeps,
  type SyncOptions,
} from "./pass.ts";
import {
  desiredObjects,
  discoverOwned,
  kubeClients,
  ownershipOf,
  readOptions,
  resolvePlacements,
  vfModuleOf,
} from "./placement.ts";
import {
  annotateForeign,
  planAnnotations,
  vnfPlacementOf,
} from "./annotate.ts";
import { planWrites } from "./plan.ts";
import { newReport, toReported } from "./report.ts";
import { emptySnapshot, readSnapshot, type Snapshot } from "./snapshot.ts";
import { type InstanceRead, readInstances } from "./source.ts";

/** k8splugin does not list the instance asked for. */
export class InstanceNotListedError extends Error {
  /** The instance asked for. */
  readonly instanceId: string;
  /** How many instances k8splugin listed. */
  readonly listed: number;
  /** Builds the error. */
  constructor(instanceId: string, listed: number) {
    super(`Cannot find instance "${instanceId}" in k8splugin's instance list`);
    this.name = "InstanceNotListedError";
    this.instanceId = instanceId;
    this.listed = listed;
  }
}

/** What {@linkcode planInstance} does besides what a pass does. */
export interface PlanInstanceOptions
  extends Pick<SyncOptions, "config" | "verify" | "source" | "takeOwnership"> {
  /** Also read what A&AI holds for the instance (`check --aai`). */
  aai?: boolean | undefined;
  /**
   * Place and plan the instance (default true); `false` only reads and
   * judges it, without a request to A&AI (`check` without A&AI settings).
   */
  plan?: boolean | undefined;
}

/** What `check` shows for one instance. */
export interface InstancePlan {
  /** The instance as k8splugin lists it. */
  instance: InstanceSummary;
  /** Its resources with their verdicts. */
  resources: EvaluatedResource[];
  /** The instance verdict (worst resource decides, named). */
  rollup: Readiness;
  /** k8splugin's own `ready` flag (Helm's checker), when it was read. */
  k8spluginReady?: boolean | undefined;
  /** What a sync would send for it now. */
  planned: PlannedOperation[];
  /** The same, as the HTTP requests a sync would send. */
  operations: ReportedOperation[];
  /** The desired A&AI objects (create bodies). */
  aai: Record<string, unknown>[];
  /** With `aai` or `verify`: what A&AI holds at the paths the plan touches. */
  held: AaiObject[];
  /** Where its objects live in A&AI. */
  placement?: Placement;
  /**
   * Which source placed it: `generic-vnf` (its vf-module's generic-vnf's
   * tenant, as SO places it) or `region` (config, connectivity-info, the
   * region's only tenant).
   */
  placementSource?: "generic-vnf" | "region";
  /** Why it cannot be placed in A&AI, when it cannot. */
  error?: string;
  /** Things worth knowing that did not stop the plan. */
  warnings: string[];
}

/**
 * Reads, evaluates and plans one instance without writing anything (for
 * `check`).
 *
 * @param instanceId The k8splugin instance id.
 * @param deps The peers and the clock.
 * @param options The config, `verify` (plan against A&AI) and `aai` (read A&AI's copies).
 * @returns The resources, the roll-up and what a sync would send.
 * @throws {InstanceNotListedError} when k8splugin does not list the instance.
 * @throws {Error} when the instance cannot be read.
 */
export async function planInstance(
  instanceId: string,
  deps: SyncDeps,
  options: PlanInstanceOptions,
): Promise<InstancePlan> {
  const {
    config,
    verify = false,
    aai = false,
    plan: planning = true,
  } = options;
  const now = (deps.now ?? (() => new Date()))();
  const warnings: string[] = [];
  if (aai && !verify && !(await exists(config.snapshot))) {
    warnings.push(
      `No snapshot at "${config.snapshot}": planning as if nothing were published yet (add --verify to plan against what A&AI holds)`,
    );
  }
  let snapshot: Snapshot;
  try {
    snapshot = await readSnapshot(config.snapshot);
  } catch {
    snapshot = emptySnapshot(now);
  }
  const pass: Pass = {
    deps,
    options: { ...options, dryRun: true },
    config,
    log: deps.log ?? QUIET,
    now,
    snapshot,
    report: newReport(now, true),
    rebuild: verify,
    changed: () => {},
  };
  const listed = await deps.k8splugin.listInstances();
  const summary = listed.find((s) => s.id === instanceId);
  if (!summary) throw new InstanceNotListedError(instanceId, listed.length);
  const kubes = await kubeClients(pass, [summary]);
  let read: InstanceRead | undefined;
  await readInstances([summary], {
    ...readOptions(pass, kubes),
    onRead: (r) => {
      read = r;
    },
  });
  if (!read) throw new Error(`Cannot read instance "${instanceId}"`);
  if (!read.ok) throw new Error(read.error, { cause: read.cause });
  // Without `isSettled` in the read options every read is evaluated.
  if (read.unchanged) throw new Error(`Instance "${instanceId}" not evaluated`);
  const base = {
    instance: summary,
    resources: read.resources,
    rollup: rollup(read.resources.map((r) => ({
      ...r.readiness,
      resource: `${r.gvk.kind}/${r.name}`,
    }))),
    k8spluginReady: read.k8spluginReady,
    warnings,
  };
  const unplanned = { planned: [], operations: [], aai: [], held: [] };
  if (!planning) return { ...base, ...unplanned };
  // As a pass does: an instance with a vf-module is placed where its
  // generic-vnf is (SO's placement), else by the region's sources.
  const vf = await vfModuleOf(pass, instanceId);
  const known = snapshot.instances[instanceId] ??
    { cloudRegion: summary.cloudRegion, misses: 0, objects: {} };
  const vnfPlacement = vf ? await vnfPlacementOf(pass, known, vf) : undefined;
  const placement = vnfPlacement ??
    (await resolvePlacements(pass, [summary.cloudRegion]))
      .get(summary.cloudRegion)!;
  if ("error" in placement) {
    return { ...base, ...unplanned, error: placement.error };
  }
  const placementSource = vnfPlacement
    ? "generic-vnf" as const
    : "region" as const;
  if (verify) {
    // As a rebuild does: our objects A&AI holds that the snapshot lacks.
    await discoverOwned(
      pass,
      { regions: [summary.cloudRegion], instances: [instanceId] },
      new Map([[summary.cloudRegion, placement]]),
    );
  }
  const desired = desiredObjects(pass, read.resources, placement);
  const relationships = vf ? relationshipsFor(vf, config.aai.apiVersion) : [];
  // A&AI's copies are what check shows: one it cannot read fails the check.
  const unreadable: string[] = [];
  const onError = (message: string) => unreadable.push(message);
  const held = aai || verify
    ? await readHeld(desired.map((d) => d.path), deps.aai, { onError })
    : new Map<string, AaiObject | null>();
  const plan = planWrites(desired, {
    instanceId,
    previous: snapshot.instances[instanceId]?.objects ?? {},
    relationships,
    reference: verify ? { from: "aai", held } : { from: "snapshot" },
    ownership: ownershipOf(pass),
  });
  // As a pass does for an instance SO placed (annotate.ts).
  const ownership = ownershipOf(pass);
  if (
    vnfPlacement &&
    Object.values(ownership.owners ?? {}).includes("annotate")
  ) {
    const options = {
      ownership,
      relationships,
      labelPrefix: config.labelPrefix,
    };
    if (verify) annotateForeign(plan, options, held);
    else {
      const pending = planAnnotations(desired, plan, {
        ...options,
        known: structuredClone(known),
        nowMs: now.getTime(),
        delayMs: config.soRewriteDelay,
      });
      if (pending) {
        warnings.push(
          `Instance "${instanceId}" is SO-managed: SO's objects get their readiness labels ${
            config.soRewriteDelay / 1000
          } s after a change, once SO has rewritten them (not planned here)`,
        );
      }
    }
  }
  const planned = [...plan.writes, ...plan.deletes];
  if (aai) {
    const gone = plan.deletes.map((d) => d.path);
    for (const [path, object] of await readHeld(gone, deps.aai, { onError })) {
      held.set(path, object);
    }
  }
  if (unreadable.length > 0) throw new Error(unreadable[0]);
  for (const { desired: d, owner } of plan.foreign) {
    warnings.push(
      `Leaving ${d.key} alone in A&AI: it belongs to data-owner "${owner}"`,
    );
  }
  return {
    ...base,
    planned,
    operations: planned.map(toReported),
    aai: desired.map((d) => createBody(d, relationships)),
    held: aai
      ? [...held.values()].filter((o): o is AaiObject => o !== null)
      : [],
    placement,
    placementSource,
  };
}

/** Whether a file exists. */
async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
