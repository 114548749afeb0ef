/**
 * The rules' stall memory kept in the snapshot (issue 16): since when each
 * object has been Pending with the same reason. An object whose status has
 * no timestamps (many custom resources, a Pod stuck in ContainerCreating)
 * would otherwise stay Pending forever, because the stall timeout needs a
 * clock. Pure functions of data.
 *
 * @module
 */

import type { PendingMark } from "../rules/types.ts";
import type { EvaluatedResource } from "./mapping.ts";
import type { SnapshotInstance } from "./snapshot.ts";

/**
 * The marks a snapshot instance remembers, keyed by resource key
 * (`group/version/kind/namespace/name`, as `SnapshotObject.key`).
 */
export function pendingMarksOf(
  instance: SnapshotInstance | undefined,
): Map<string, PendingMark> {
  const marks = new Map<string, PendingMark>();
  if (!instance) return marks;
  for (const path in instance.objects) {
    const object = instance.objects[path]!;
    const mark = object.pendingSince;
    if (mark === undefined) continue;
    const since = new Date(mark.since);
    if (Number.isNaN(since.getTime())) continue;
    marks.set(object.key, { reason: mark.reason, since });
  }
  return marks;
}

/**
 * Stores each judged resource's mark on its snapshot object (found by key),
 * dropping marks the rules no longer keep. Objects without a snapshot entry
 * (not published yet) keep nothing. Returns whether anything changed, so the
 * caller writes the file; A&AI is not involved.
 */
export function keepPendingMarks(
  instance: SnapshotInstance | undefined,
  resources: readonly EvaluatedResource[],
): boolean {
  if (!instance) return false;
  const byKey = new Map<string, PendingMark | undefined>();
  for (const r of resources) {
    const { group, version, kind } = r.gvk;
    byKey.set(
      `${group}/${version}/${kind}/${r.namespace}/${r.name}`,
      r.pendingSince,
    );
  }
  let changed = false;
  for (const path in instance.objects) {
    const object = instance.objects[path]!;
    if (!byKey.has(object.key)) continue;
    const mark = byKey.get(object.key);
    const stored = mark === undefined
      ? undefined
      : { reason: mark.reason, since: mark.since.toISOString() };
    const old = object.pendingSince;
    if (old?.reason === stored?.reason && old?.since === stored?.since) {
      continue;
    }
    changed = true;
    if (stored === undefined) delete object.pendingSince;
    else object.pendingSince = stored;
  }
  return changed;
}
