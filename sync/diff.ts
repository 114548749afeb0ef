/**
 * Desired objects against what we last published (the snapshot) or what A&AI
 * holds: the operations a run must send. Pure functions of data.
 *
 * Only owned fields are compared; `data-source-version` is published with
 * every change but never compared, so a heartbeat that only moves the
 * Kubernetes `resourceVersion` sends nothing.
 *
 * @module
 */

import type { AaiObject, AaiRelationship } from "../adapters/aai.ts";
import {
  createBody,
  type DesiredObject,
  type Fingerprint,
  fingerprintOf,
  MUTABLE_FIELDS,
  type OwnedFields,
  ownedFieldsOf,
} from "./mapping.ts";
import type { SnapshotObject } from "./snapshot.ts";

/** One A&AI write a run plans to send. */
export type PlannedOperation =
  | {
    op: "create";
    path: string;
    instanceId: string;
    body: AaiObject;
    desired: DesiredObject;
    relationships: AaiRelationship[];
    why: string;
  }
  | {
    op: "update";
    path: string;
    instanceId: string;
    /** Merge-patch body: changed owned fields plus `data-source-version`. */
    body: AaiObject;
    desired: DesiredObject;
    /** Edges to add after the PATCH (`[]` when the object has them). */
    relationships: AaiRelationship[];
    /**
     * Every edge of the instance: what a re-create carries when A&AI lost
     * the object (a PATCH or the guard's GET answered 404; 14.4).
     */
    recreateWith: AaiRelationship[];
    why: string;
  }
  | {
    op: "relate";
    path: string;
    instanceId: string;
    desired: DesiredObject;
    relationships: AaiRelationship[];
    why: string;
  }
  | {
    /**
     * Read the object and apply the policy of the owner A&AI holds now
     * (annotate.ts): another owner's with policy `annotate` gets our
     * readiness labels merged in by a resource-version checked PUT; a
     * missing one is created; ours is repaired like an adoption.
     */
    op: "annotate";
    path: string;
    instanceId: string;
    desired: DesiredObject;
    relationships: AaiRelationship[];
    /** Prefix of our readiness labels (the labels we may replace). */
    labelPrefix: string;
    /**
     * Merge even when the owner has not yet written the Kubernetes
     * `resourceVersion` we read (it seems not to be running).
     */
    force: boolean;
    why: string;
  }
  | {
    op: "delete";
    path: string;
    instanceId: string;
    /** The snapshot entry's `group/version/kind/namespace/name` (the guard's identity check). */
    key: string;
    why: string;
  };

/**
 * Whether a snapshot entry is one we leave alone: another owner's object
 * (`foreign`) or another resource behind the same id (`collision`).
 */
export function leftAlone(entry: SnapshotObject): boolean {
  return entry.foreign !== undefined || entry.collision !== undefined;
}

/** Owned field names that differ between `before` and `after` (labels as sets). */
export function changedFields(
  before: Partial<OwnedFields>,
  after: OwnedFields,
): (keyof OwnedFields)[] {
  const changed: (keyof OwnedFields)[] = [];
  for (const key of Object.keys(after) as (keyof OwnedFields)[]) {
    if (key === "labels") {
      const a = [...(before.labels ?? [])].sort();
      const b = [...after.labels].sort();
      if (a.length !== b.length || a.some((l, i) => l !== b[i])) {
        changed.push(key);
      }
    } else if (before[key] !== after[key]) {
      changed.push(key);
    }
  }
  return changed;
}

/**
 * Owned fields that differ from the ones a snapshot entry fingerprinted:
 * `labels` when the label set moved, the {@linkcode MUTABLE_FIELDS} when any
 * of them did (the rest are part of the id and cannot change).
 */
export function changedSince(
  before: Fingerprint,
  after: OwnedFields,
): (keyof OwnedFields)[] {
  const now = fingerprintOf(after);
  return [
    ...(now.labelsDigest === before.labelsDigest ? [] : ["labels" as const]),
    ...(now.fieldsDigest === before.fieldsDigest ? [] : MUTABLE_FIELDS),
  ];
}

/**
 * A short human explanation of what changed (for logs and `--dry-run`): the
 * readiness move when there is one, else the labels added and removed when
 * the previous labels are known, else the changed field names.
 */
export function explainChange(
  before: { verdict?: string; reason?: string; labels?: string[] },
  desired: DesiredObject,
  changed: (keyof OwnedFields)[],
): string {
  if (
    before.verdict !== undefined &&
    (before.verdict !== desired.readiness.verdict ||
      before.reason !== desired.readiness.reason)
  ) {
    return `readiness ${before.verdict}/${before.reason} → ${desired.readiness.verdict}/${desired.readiness.reason}`;
  }
  const parts: string[] = changed.filter((k) => k !== "labels");
  if (changed.includes("labels")) {
    const was = new Set(before.labels);
    const is = new Set(desired.fields.labels);
    const moves = [
      ...desired.fields.labels.filter((l) => !was.has(l)).map((l) => `+${l}`),
      ...(before.labels ?? []).filter((l) => !is.has(l)).map((l) => `-${l}`),
    ];
    parts.unshift(
      before.labels && moves.length ? `labels ${moves.join(" ")}` : "labels",
    );
  }
  return `changed ${parts.join(", ")}`;
}

/** The merge-patch body for the given changed fields. */
export function patchBody(
  desired: DesiredObject,
  changed: (keyof OwnedFields)[],
): AaiObject {
  const body: AaiObject = {};
  for (const key of changed) {
    body[key] = key === "labels"
      ? [...desired.fields.labels]
      : desired.fields[key];
  }
  body["data-source-version"] = desired.sourceVersion;
  return body;
}

/** What {@linkcode diffInstance} diffs against. */
export interface DiffOptions {
  /** The instance the objects belong to. */
  instanceId: string;
  /** The instance's objects in the snapshot, keyed by path. */
  previous: Readonly<Record<string, SnapshotObject>>;
  /** The instance's relationships when its vf-module is known, else `[]`. */
  relationships: AaiRelationship[];
}

/**
 * Plans the writes for one instance whose resources were read successfully,
 * against the snapshot: create what is new, patch what changed, relate what
 * lacks its edges, delete what vanished from the instance. Objects recorded
 * as another owner's are left alone. (The planner, `planWrites()`, calls it
 * for a snapshot reference.)
 */
export function diffInstance(
  desired: readonly DesiredObject[],
  options: DiffOptions,
): PlannedOperation[] {
  const { instanceId, previous, relationships } = options;
  const context = { relationships };
  const ops: PlannedOperation[] = [];
  const seen = new Set<string>();
  for (const d of desired) {
    seen.add(d.path);
    const before = previous[d.path];
    if (!before) {
      ops.push({
        op: "create",
        path: d.path,
        instanceId: d.instanceId,
        body: createBody(d, context.relationships),
        desired: d,
        relationships: context.relationships,
        why:
          `new ${d.fields.kind} ${d.key} (${d.readiness.verdict}/${d.readiness.reason})`,
      });
      continue;
    }
    if (leftAlone(before)) continue;
    const changed = changedSince(before, d.fields);
    if (changed.length > 0) {
      ops.push({
        op: "update",
        path: d.path,
        instanceId: d.instanceId,
        body: patchBody(d, changed),
        desired: d,
        relationships: before.edges ? [] : context.relationships,
        recreateWith: context.relationships,
        why: `${d.key}: ${explainChange(before, d, changed)}`,
      });
    } else if (!before.edges && context.relationships.length > 0) {
      ops.push({
        op: "relate",
        path: d.path,
        instanceId: d.instanceId,
        desired: d,
        relationships: context.relationships,
        why: `${d.key}: vf-module found, adding relationships`,
      });
    }
  }
  for (const [path, before] of Object.entries(previous)) {
    if (seen.has(path) || leftAlone(before)) continue;
    ops.push({
      op: "delete",
      path,
      instanceId,
      key: before.key,
      why: `${before.key}: gone from instance ${instanceId}`,
    });
  }
  return ops;
}

/**
 * Plans the write for one desired object against what A&AI actually holds
 * (`--verify`, adoption after a 412): `undefined` object → create; same
 * owned fields → nothing; else a patch of the differing fields.
 */
export function diffAgainstAai(
  desired: DesiredObject,
  actual: AaiObject | undefined,
  relationships: AaiRelationship[],
): PlannedOperation | undefined {
  if (!actual) {
    return {
      op: "create",
      path: desired.path,
      instanceId: desired.instanceId,
      body: createBody(desired, relationships),
      desired,
      relationships,
      why: `${desired.key}: missing in A&AI`,
    };
  }
  const before = ownedFieldsOf(actual);
  const changed = changedFields(before, desired.fields);
  const missingEdges = relationships.filter((r) => !hasRelationship(actual, r));
  if (changed.length > 0) {
    return {
      op: "update",
      path: desired.path,
      instanceId: desired.instanceId,
      body: patchBody(desired, changed),
      desired,
      relationships: missingEdges,
      recreateWith: relationships,
      why: `${desired.key}: A&AI differs (${
        explainChange(before, desired, changed)
      })`,
    };
  }
  if (missingEdges.length > 0) {
    return {
      op: "relate",
      path: desired.path,
      instanceId: desired.instanceId,
      desired,
      relationships: missingEdges,
      why: `${desired.key}: relationships missing in A&AI`,
    };
  }
  return undefined;
}

/** Whether an A&AI object already has a relationship to the same target. */
export function hasRelationship(
  object: AaiObject,
  relationship: AaiRelationship,
): boolean {
  const list = (object["relationship-list"] as { relationship?: unknown })
    ?.relationship;
  if (!Array.isArray(list)) return false;
  const target = stripVersion(relationship["related-link"]);
  return list.some((r) =>
    typeof r === "object" && r !== null &&
    stripVersion(String((r as Record<string, unknown>)["related-link"])) ===
      target
  );
}

/** `/aai/v24/network/…` → `/network/…`. */
function stripVersion(link: string): string {
  return link.replace(/^\/aai\/v[0-9]+/, "");
}
