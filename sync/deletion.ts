/**
 * Deletion safety (DESIGN §8) as a pure function of data: an instance is
 * gone only after `deleteAfterMisses` consecutive successful lists omitted
 * it; an empty list while the snapshot holds many instances deletes nothing
 * (its misses still count, so one `--allow-mass-delete` run ends it);
 * a run deletes at most `maxDeletesPerRun` objects (default
 * {@linkcode defaultMaxDeletes}); `--allow-mass-delete` lifts both guards;
 * `--region`/`--instance` limit which instances count at all.
 *
 * @module
 */

import { leftAlone, type PlannedOperation } from "./diff.ts";
import type { SnapshotInstance } from "./snapshot.ts";

/** The default delete cap: max(20, 10 % of owned objects). */
export function defaultMaxDeletes(owned: number): number {
  return Math.max(20, Math.ceil(owned * 0.1));
}

/** Which instances a pass may touch (`--region`, `--instance`); empty = all. */
export interface Scope {
  /** Only instances of these cloud regions. */
  regions?: readonly string[];
  /** Only these instance ids. */
  instances?: readonly string[];
}

/** Whether an instance of `region` is in `scope`. */
export function inScope(scope: Scope, id: string, region: string): boolean {
  return (!scope.regions?.length || scope.regions.includes(region)) &&
    (!scope.instances?.length || scope.instances.includes(id));
}

/**
 * What in `scope` matches no listed instance, one warning each: a mistyped
 * `--region` or `--instance` would otherwise pass silently doing nothing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { unmatchedScope } from "./deletion.ts";
 * const listed = [{ id: "a", cloudRegion: "r1" }];
 * assert.deepEqual(unmatchedScope({ regions: ["r1"], instances: ["a"] }, listed), []);
 * assert.equal(unmatchedScope({ regions: ["r2"] }, listed).length, 1);
 * ```
 */
export function unmatchedScope(
  scope: Scope,
  listed: readonly { id: string; cloudRegion: string }[],
): string[] {
  const regions = new Set(listed.map((s) => s.cloudRegion));
  const ids = new Set(listed.map((s) => s.id));
  return [
    ...(scope.regions ?? []).filter((r) => !regions.has(r)).map((r) =>
      `--region "${r}" matches no instance k8splugin lists (${regions.size} region(s) listed)`
    ),
    ...(scope.instances ?? []).filter((id) => !ids.has(id)).map((id) =>
      `--instance "${id}" matches no instance k8splugin lists`
    ),
  ];
}

/** What {@linkcode planDeletions} decides with. */
export interface DeletionOptions {
  /** The ids of a successful k8splugin list (the whole list, not only the scope). */
  listed: ReadonlySet<string>;
  /** Deletes already planned this run: resources gone from instances read successfully. */
  vanished?: readonly PlannedOperation[];
  /** `--region`/`--instance`. */
  scope?: Scope;
  /** Consecutive misses before an instance's objects go. */
  deleteAfterMisses: number;
  /** Instances with objects in the snapshot from which an empty list is suspicious. */
  emptyListGuard: number;
  /** The per-run cap; default {@linkcode defaultMaxDeletes} of the owned objects. */
  maxDeletesPerRun?: number | undefined;
  /** `--allow-mass-delete`: lift the cap and the empty-list guard. */
  allowMassDelete?: boolean;
}

/** What a pass does about deletions. */
export interface DeletionPlan {
  /** The deletes to send (none when a guard holds them). */
  deletes: PlannedOperation[];
  /** Deletes held back by the cap. */
  held: number;
  /** New miss counts of instances the list omitted. */
  misses: Record<string, number>;
  /** Instances to forget: gone long enough and owning nothing in A&AI. */
  forget: string[];
  /** Omitted instances whose objects stay for now, with their misses. */
  waiting: { instanceId: string; misses: number }[];
  /** Why deletes were held, one line each (they fail the pass). */
  errors: string[];
}

/**
 * Decides which objects a pass deletes, from the snapshot's instances and
 * the list it read. Mutates nothing: the caller applies `misses` and
 * `forget` to the snapshot.
 *
 * @param instances The snapshot's instances, by id.
 * @param options The list, the scope and the limits.
 * @returns The deletes allowed, the ones held, and the snapshot bookkeeping.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { planDeletions } from "./deletion.ts";
 * const gone = {
 *   cloudRegion: "r1",
 *   misses: 1,
 *   objects: { "/p/1": { key: "k", fieldsDigest: "", labelsDigest: "", verdict: "Ready" as const, reason: "", publishedAt: "", edges: true } },
 * };
 * const plan = planDeletions({ gone }, {
 *   listed: new Set(["other"]),
 *   deleteAfterMisses: 2,
 *   emptyListGuard: 5,
 * });
 * assert.deepEqual(plan.deletes.map((d) => d.path), ["/p/1"]);
 * assert.deepEqual(plan.misses, { gone: 2 });
 * ```
 */
export function planDeletions(
  instances: Readonly<Record<string, SnapshotInstance>>,
  options: DeletionOptions,
): DeletionPlan {
  const {
    listed,
    vanished = [],
    scope = {},
    deleteAfterMisses,
    emptyListGuard,
    maxDeletesPerRun,
    allowMassDelete = false,
  } = options;
  const plan: DeletionPlan = {
    deletes: [],
    held: 0,
    misses: {},
    forget: [],
    waiting: [],
    errors: [],
  };
  const deletes = [...vanished];
  const scoped = Object.entries(instances).filter(([id, i]) =>
    inScope(scope, id, i.cloudRegion)
  );
  const withObjects =
    scoped.filter(([, i]) => Object.keys(i.objects).length > 0).length;
  // A suddenly empty list holds every delete but still counts the misses,
  // so that one --allow-mass-delete run, once an operator has checked,
  // deletes what has been gone long enough (14.14).
  const suspicious = listed.size === 0 && !allowMassDelete &&
    withObjects >= emptyListGuard;
  if (suspicious) {
    plan.errors.push(
      `k8splugin listed no instances while the snapshot holds ${scoped.length}: deleting nothing (rerun with --allow-mass-delete if they are really gone)`,
    );
  }
  for (const [id, known] of scoped) {
    if (listed.has(id)) continue;
    const misses = known.misses + 1;
    plan.misses[id] = misses;
    if (misses < deleteAfterMisses || suspicious) {
      plan.waiting.push({ instanceId: id, misses });
      continue;
    }
    const owned = Object.entries(known.objects).filter(([, o]) =>
      !leftAlone(o)
    );
    if (owned.length === 0) plan.forget.push(id);
    for (const [path, o] of owned) {
      deletes.push({
        op: "delete",
        path,
        instanceId: id,
        key: o.key,
        why: `${o.key}: instance ${id} gone from k8splugin for ${misses} runs`,
      });
    }
  }
  const cap = maxDeletesPerRun ?? defaultMaxDeletes(ownedCount(instances));
  if (deletes.length > cap && !allowMassDelete) {
    plan.errors.push(
      `Refusing to delete ${deletes.length} objects from A&AI in one run (limit ${cap}, maxDeletesPerRun): deleting none; rerun with --allow-mass-delete if this is intended`,
    );
    plan.held = deletes.length;
  } else {
    plan.deletes = deletes;
  }
  return plan;
}

/** Objects we own (not another owner's) across the snapshot's instances. */
function ownedCount(
  instances: Readonly<Record<string, SnapshotInstance>>,
): number {
  let count = 0;
  for (const instance of Object.values(instances)) {
    for (const o of Object.values(instance.objects)) if (!leftAlone(o)) count++;
  }
  return count;
}
