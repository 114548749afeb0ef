/**
 * The one planner: what one instance's read needs A&AI to be sent, against a
 * reference that is either the snapshot (a normal pass) or what A&AI
 * returned (`sync --verify`, a lost snapshot, `check --aai --verify`).
 * `sync`, `sync --verify`, `check --aai` and `check --aai --verify` all call
 * {@linkcode planWrites}; whose objects may be changed is decided here once,
 * by {@linkcode mayChange}. Pure functions of data.
 *
 * @module
 */

import type { AaiObject, AaiRelationship } from "../adapters/aai.ts";
import {
  diffAgainstAai,
  diffInstance,
  leftAlone,
  type PlannedOperation,
} from "./diff.ts";
import type { DesiredObject } from "./mapping.ts";
import type { SnapshotObject } from "./snapshot.ts";

/** Whose objects a pass may change. */
export interface OwnershipPolicy {
  /** Our `data-owner`. */
  owner: string;
  /** Change objects of another `data-owner` too (`--take-ownership`). */
  takeOwnership: boolean;
  /** Per other `data-owner`: `skip`, `annotate` or `take` (config `owners`; absent: `skip`). */
  owners?: Readonly<Record<string, OwnerPolicy>> | undefined;
}

/** What a pass does to another `data-owner`'s object (config `owners`). */
export type OwnerPolicy = "skip" | "annotate" | "take";

/**
 * What a pass does to an object A&AI holds *now* under `heldOwner`:
 * `ours` (ours or unowned), else that owner's policy — `take` under
 * `--take-ownership`, `skip` for an owner the config does not name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { policyOf } from "./plan.ts";
 * const policy = { owner: "k8s-aai-sync", takeOwnership: false, owners: { CnfAdapter: "annotate" as const } };
 * assert.equal(policyOf("k8s-aai-sync", policy), "ours");
 * assert.equal(policyOf("CnfAdapter", policy), "annotate");
 * assert.equal(policyOf("Other", policy), "skip");
 * assert.equal(policyOf("Other", { ...policy, takeOwnership: true }), "take");
 * ```
 */
export function policyOf(
  heldOwner: unknown,
  policy: OwnershipPolicy,
): "ours" | OwnerPolicy {
  if (
    typeof heldOwner !== "string" || heldOwner === "" ||
    heldOwner === policy.owner
  ) return "ours";
  if (policy.takeOwnership) return "take";
  return Object.hasOwn(policy.owners ?? {}, heldOwner)
    ? policy.owners![heldOwner]!
    : "skip";
}

/**
 * Whether a pass may change an object that A&AI holds *now* under
 * `heldOwner` (the object's `data-owner`): ours, unowned, or
 * `--take-ownership`. A delete (`action` `"delete"`) needs an owner: ours,
 * or another one with `--take-ownership`, never an unowned object. The one
 * ownership rule of the planner and of publish's pre-write guard
 * (`guardHeld()`: a 412 on create, a PATCH, a relationship PUT, a delete).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mayChange } from "./plan.ts";
 * const policy = { owner: "k8s-aai-sync", takeOwnership: false };
 * assert.equal(mayChange("k8s-aai-sync", policy), true);
 * assert.equal(mayChange("", policy), true);
 * assert.equal(mayChange("", policy, "delete"), false);
 * assert.equal(mayChange("CnfAdapter", policy), false);
 * assert.equal(mayChange("CnfAdapter", { ...policy, takeOwnership: true }), true);
 * ```
 */
export function mayChange(
  heldOwner: unknown,
  policy: OwnershipPolicy,
  action: "write" | "delete" = "write",
): boolean {
  const owner = typeof heldOwner === "string" ? heldOwner : "";
  if (owner === "") return action === "write";
  const decided = policyOf(owner, policy);
  return decided === "ours" || decided === "take";
}

/**
 * What the desired objects are compared to. `snapshot`: the fingerprints
 * last published (objects the snapshot records as another owner's stay
 * theirs; only A&AI's current owner can change that). `aai`: what A&AI
 * returned per desired path, `null` for none; a path missing from `held`
 * could not be read and is left out of the plan.
 */
export type PlanReference =
  | { from: "snapshot" }
  | { from: "aai"; held: ReadonlyMap<string, AaiObject | null> };

/** What {@linkcode planWrites} plans against. */
export interface PlanOptions {
  /** The instance the objects belong to. */
  instanceId: string;
  /** The instance's objects in the snapshot, keyed by path. */
  previous: Readonly<Record<string, SnapshotObject>>;
  /** The instance's relationships when its vf-module is known, else `[]`. */
  relationships: AaiRelationship[];
  /** What the desired objects are compared to. */
  reference: PlanReference;
  /** Whose objects may be changed. */
  ownership: OwnershipPolicy;
}

/** One instance's plan. */
export interface WritePlan {
  /** Creates, updates and relates, in the order of the desired objects. */
  writes: PlannedOperation[];
  /** Objects gone from the instance (subject to nothing: the read succeeded). */
  deletes: PlannedOperation[];
  /** Desired objects A&AI holds under another owner: left alone. */
  foreign: { desired: DesiredObject; owner: string }[];
  /** Against A&AI: desired objects A&AI already holds as they should be. */
  inStep: DesiredObject[];
  /**
   * Set while an SO-managed instance waits for SO's rewrite before its
   * objects are annotated (annotate.ts): the instance must not settle.
   */
  pending?: boolean;
}

/**
 * Plans one instance's A&AI operations: create what is new, patch what
 * differs, relate what lacks its edges, delete what vanished from the
 * instance, and leave other owners' objects alone.
 *
 * @param desired What A&AI should hold for the instance's resources.
 * @param options The instance, its snapshot objects, the reference and the ownership policy.
 * @returns The writes, the deletes, and the objects left alone or already right.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { planWrites } from "./plan.ts";
 * const plan = planWrites([], {
 *   instanceId: "app-1",
 *   previous: {},
 *   relationships: [],
 *   reference: { from: "snapshot" },
 *   ownership: { owner: "k8s-aai-sync", takeOwnership: false },
 * });
 * assert.deepEqual(plan.writes, []);
 * ```
 */
export function planWrites(
  desired: readonly DesiredObject[],
  options: PlanOptions,
): WritePlan {
  const { instanceId, previous, relationships, reference, ownership } = options;
  const plan: WritePlan = { writes: [], deletes: [], foreign: [], inStep: [] };
  if (reference.from === "snapshot") {
    for (const op of diffInstance(desired, options)) {
      (op.op === "delete" ? plan.deletes : plan.writes).push(op);
    }
    return plan;
  }
  const wanted = new Set<string>();
  for (const d of desired) {
    wanted.add(d.path);
    const held = reference.held.get(d.path);
    if (held === undefined) continue;
    const owner = held?.["data-owner"];
    if (held && !mayChange(owner, ownership)) {
      plan.foreign.push({ desired: d, owner: String(owner) });
      continue;
    }
    const op = diffAgainstAai(d, held ?? undefined, relationships);
    if (op) plan.writes.push(op);
    else plan.inStep.push(d);
  }
  for (const [path, before] of Object.entries(previous)) {
    if (wanted.has(path) || leftAlone(before)) continue;
    plan.deletes.push({
      op: "delete",
      path,
      instanceId,
      key: before.key,
      why: `${before.key}: gone from instance ${instanceId}`,
    });
  }
  return plan;
}
