/**
 * Running next to SO's CNF adapter (issue 13): where SO places an
 * instance's objects, and when this tool reads and annotates the objects
 * another owner (SO, `data-owner: CnfAdapter`) writes.
 *
 * SO rewrites every object of an instance whose compared fields differ
 * (labels included) on every k8splugin notification, i.e. after any
 * `resourceVersion` change in the instance, and its full PUT drops our
 * readiness labels. So a change seen in the `/status` read this tool does
 * anyway predicts SO's rewrite of all the instance's annotated objects
 * within about `min-notify-interval` (30 s) plus k8splugin's poll. The tool
 * records when it first saw the change (`soSince`), waits
 * `soRewriteDelay`, then reads each such object once and merges its
 * readiness labels back with one resource-version checked PUT (publish.ts
 * `annotate`). An object whose `data-source-version` is not yet the
 * `resourceVersion` we read is left for the next pass (SO has not caught
 * up); after four delays SO is taken as not running for the instance and
 * the labels are merged anyway. Between changes nothing is read.
 *
 * @module
 */

import type { LimitFunction } from "p-limit";
import {
  aaiPath,
  type AaiRelationship,
  type VfModuleRef,
} from "../adapters/aai.ts";
import type { PlannedOperation } from "./diff.ts";
import type { DesiredObject, Placement } from "./mapping.ts";
import type { Pass } from "./pass.ts";
import { type OwnershipPolicy, policyOf, type WritePlan } from "./plan.ts";
import type { SnapshotInstance } from "./snapshot.ts";
import { describeError } from "./source.ts";

/** After this many `soRewriteDelay`s without SO catching up, annotate anyway. */
export const SO_GIVE_UP_DELAYS = 4;

/**
 * The placement SO hashes into its ids for an instance with a vf-module:
 * its generic-vnf's `BelongsTo` tenant (cloud owner, region and tenant from
 * the relationship-data) — one GET, cached in the snapshot. `undefined` when
 * the generic-vnf cannot be read now (asked again next time), `null` when it
 * names no tenant.
 */
export async function vnfPlacementOf(
  pass: Pass,
  known: SnapshotInstance,
  vf: VfModuleRef,
  limit?: LimitFunction,
): Promise<Placement | null | undefined> {
  if (known.vnfPlacement !== undefined) return known.vnfPlacement;
  try {
    const read = () =>
      pass.deps.aai.get(
        aaiPath("network", "generic-vnfs", "generic-vnf", vf.vnfId),
      );
    const vnf = await (limit ? limit(read) : read());
    const placement = vnf ? placementOfVnf(vnf) : null;
    known.vnfPlacement = placement;
    pass.changed();
    return placement;
  } catch (error) {
    pass.log.warn(
      `Cannot read generic-vnf "${vf.vnfId}" in A&AI for its placement: ${
        describeError(error)
      }`,
      { vnfId: vf.vnfId },
    );
    return undefined;
  }
}

/** Cloud owner, region and tenant of a generic-vnf's `tenant` relationship, else `null`. */
export function placementOfVnf(vnf: Record<string, unknown>): Placement | null {
  const list = (vnf["relationship-list"] as { relationship?: unknown })
    ?.relationship;
  if (!Array.isArray(list)) return null;
  for (const r of list) {
    if (typeof r !== "object" || r === null) continue;
    const rel = r as Record<string, unknown>;
    if (
      rel["related-to"] !== "tenant" || !Array.isArray(rel["relationship-data"])
    ) {
      continue;
    }
    const data = new Map<string, string>();
    for (const d of rel["relationship-data"] as Record<string, unknown>[]) {
      data.set(String(d["relationship-key"]), String(d["relationship-value"]));
    }
    const cloudOwner = data.get("cloud-region.cloud-owner");
    const cloudRegion = data.get("cloud-region.cloud-region-id");
    const tenantId = data.get("tenant.tenant-id");
    if (cloudOwner && cloudRegion && tenantId) {
      return { cloudOwner, cloudRegion, tenantId };
    }
  }
  return null;
}

/** What {@linkcode planAnnotations} needs. */
export interface AnnotateOptions {
  /** The instance's snapshot entry (`soSince` is read and set here). */
  known: SnapshotInstance;
  /** Whose objects may be changed, and how. */
  ownership: OwnershipPolicy;
  /** The instance's relationships (for a create when SO made none). */
  relationships: AaiRelationship[];
  /** Prefix of our readiness labels. */
  labelPrefix: string;
  /** This pass's time, in ms. */
  nowMs: number;
  /** `soRewriteDelay`, in ms. */
  delayMs: number;
}

/**
 * Turns an SO-managed instance's plan into the annotate flow: objects the
 * snapshot records under an owner whose policy is `annotate`, and new
 * objects (SO creates them at instantiation), are taken out of the plain
 * plan; when one of them changed (resourceVersion or readiness), the
 * instance is marked pending (`soSince`) and, `delayMs` later, one
 * `annotate` operation per such object is planned. Mutates `plan` and
 * `known.soSince`; returns whether the instance is still pending (it must
 * not settle).
 */
export function planAnnotations(
  desired: readonly DesiredObject[],
  plan: WritePlan,
  options: AnnotateOptions,
): boolean {
  const { known, ownership, nowMs, delayMs } = options;
  const candidates = desired.filter((d) => {
    const before = known.objects[d.path];
    return !before ||
      (before.foreign !== undefined &&
        policyOf(before.foreign, ownership) === "annotate");
  });
  if (candidates.length === 0) {
    delete known.soSince;
    return false;
  }
  const paths = new Set(candidates.map((d) => d.path));
  plan.writes = plan.writes.filter((op) => !paths.has(op.path));
  const changed = candidates.some((d) => {
    const before = known.objects[d.path];
    return !before || !before.annotated ||
      before.sourceVersion !== d.sourceVersion ||
      before.verdict !== d.readiness.verdict ||
      before.reason !== d.readiness.reason;
  });
  if (!changed && known.soSince === undefined) return false;
  known.soSince ??= new Date(nowMs).toISOString();
  const waited = nowMs - Date.parse(known.soSince);
  if (waited < delayMs) return true;
  const force = waited >= SO_GIVE_UP_DELAYS * delayMs;
  for (const d of candidates) {
    const op: PlannedOperation = {
      op: "annotate",
      path: d.path,
      instanceId: d.instanceId,
      desired: d,
      relationships: options.relationships,
      labelPrefix: options.labelPrefix,
      force,
      why:
        `${d.key}: readiness ${d.readiness.verdict}/${d.readiness.reason} after the instance changed (SO rewrites its objects)`,
    };
    plan.writes.push(op);
  }
  return true;
}

/**
 * Against A&AI (`--verify`, a rebuild, `check --aai --verify`): the desired
 * objects A&AI holds under an `annotate` owner, taken out of `plan.foreign`
 * and planned as `annotate` operations right away (A&AI was just read, so
 * there is no rewrite to wait for), or, when `held` shows them carrying our
 * current readiness labels already, returned (nothing to send). The rest of
 * `plan.foreign` stays.
 */
export function annotateForeign(
  plan: WritePlan,
  options: Pick<AnnotateOptions, "ownership" | "relationships" | "labelPrefix">,
  held?: ReadonlyMap<string, Record<string, unknown> | null>,
): WritePlan["foreign"] {
  const prefix = options.labelPrefix;
  const right: WritePlan["foreign"] = [];
  plan.foreign = plan.foreign.filter(({ desired: d, owner }) => {
    if (policyOf(owner, options.ownership) !== "annotate") return true;
    // Already carrying our current readiness labels: nothing to send.
    const labels = held?.get(d.path)?.labels;
    if (Array.isArray(labels)) {
      const have = labels.filter((l) =>
        typeof l === "string" && l.startsWith(prefix)
      ).sort().join("\n");
      const want = d.fields.labels.filter((l) => l.startsWith(prefix)).sort()
        .join("\n");
      if (have === want) {
        right.push({ desired: d, owner });
        return false;
      }
    }
    plan.writes.push({
      op: "annotate",
      path: d.path,
      instanceId: d.instanceId,
      desired: d,
      relationships: options.relationships,
      labelPrefix: options.labelPrefix,
      force: true,
      why:
        `${d.key}: readiness ${d.readiness.verdict}/${d.readiness.reason} on data-owner "${owner}"'s object`,
    });
    return false;
  });
  return right;
}
