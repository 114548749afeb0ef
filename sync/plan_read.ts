/**
 * One instance's read → its A&AI plan, inside a pass: unknown when it could
 * not be read or placed, nothing for a settled instance read unchanged, else
 * {@linkcode planWrites} against the snapshot or against A&AI (a rebuild),
 * with SO's placement and the annotate step for SO-managed instances, and
 * the in-pass id-collision check.
 *
 * @module
 */

import type { LimitFunction } from "p-limit";
import { leftAlone } from "./diff.ts";
import { readHeld } from "./held.ts";
import { type DesiredObject, relationshipsFor } from "./mapping.ts";
import type { Pass } from "./pass.ts";
import {
  desiredObjects,
  ownershipOf,
  type Placements,
  touchInstance,
  vfModuleOf,
} from "./placement.ts";
import { planWrites, type WritePlan } from "./plan.ts";
import {
  annotateForeign,
  planAnnotations,
  vnfPlacementOf,
} from "./annotate.ts";
import { recordAnnotated, recordForeign, recordInStep } from "./report.ts";
import type { InstanceRead } from "./source.ts";

/**
 * Plans one instance's writes from its read: `undefined` for an instance
 * that could not be read or placed (it is unknown this run), nothing for a
 * settled one read unchanged, else {@linkcode planWrites} against the
 * snapshot, or against A&AI itself when rebuilding (`--verify`, lost
 * snapshot). Objects A&AI holds under another owner, or already right, are
 * committed as such.
 */
export async function planRead(
  pass: Pass,
  read: InstanceRead,
  placements: Placements,
  aaiLimit: LimitFunction,
  claimed: Map<string, string>,
): Promise<WritePlan | undefined> {
  const { report, log, config, snapshot } = pass;
  const id = read.summary.id;
  touchInstance(pass, read.summary);
  if (!read.ok) {
    report.instances.unknown.push(id);
    report.instances.failed.push({ id, error: read.error });
    report.errors.push(read.error);
    log.error(read.error, { instanceId: id });
    return undefined;
  }
  const known = snapshot.instances[id]!;
  // Counted only for an empty read: a pass reads thousands of instances.
  const held = !read.unchanged && read.resources.length === 0
    ? Object.values(known.objects).filter((o) => !leftAlone(o)).length
    : 0;
  if (held > 0 && !(pass.options.allowMassDelete ?? false)) {
    // A 200 with an empty (or null) list is as suspicious as an empty
    // instance list: k8splugin lost track, the resources did not all vanish
    // at once (14.3). Unknown this run; nothing is deleted.
    const error =
      `Instance "${id}": k8splugin's status lists no resources while A&AI holds ${held} of its objects: deleting nothing (rerun with --allow-mass-delete if they are really gone)`;
    report.instances.unknown.push(id);
    report.instances.failed.push({ id, error });
    report.errors.push(error);
    log.error(error, { instanceId: id });
    return undefined;
  }
  if (read.unchanged) {
    const verdicts = known.settled!.verdicts;
    for (const v of ["Ready", "Pending", "Failed"] as const) {
      report.resources[v] += verdicts[v];
    }
    report.instances.synced++;
    report.instances.unchanged++;
    return { writes: [], deletes: [], foreign: [], inStep: [] };
  }
  const regionPlacement = placements.get(read.summary.cloudRegion)!;
  const previous = known.objects;
  const needsLookup = pass.rebuild ||
    Object.keys(previous).length === 0 ||
    Object.values(previous).some((o) => !o.edges && !leftAlone(o)) ||
    ("error" in regionPlacement && known.vnfPlacement === undefined);
  const vf = needsLookup || known.vfModule
    ? await vfModuleOf(pass, id, aaiLimit)
    : undefined;
  // An instance with a vf-module is placed where its generic-vnf is, as SO
  // places it (its ids then match SO's whatever the config says).
  const vnfPlacement = vf
    ? await vnfPlacementOf(pass, known, vf, aaiLimit)
    : undefined;
  const placement = vnfPlacement ?? regionPlacement;
  if ("error" in placement) {
    report.instances.failed.push({ id, error: placement.error });
    report.instances.unknown.push(id);
    if (!report.errors.includes(placement.error)) {
      report.errors.push(placement.error);
      log.error(placement.error, { region: read.summary.cloudRegion });
    }
    return undefined;
  }
  // Judged afresh: settled again only once its writes are confirmed.
  if (known.settled) {
    delete known.settled;
    pass.changed();
  }
  for (const r of read.resources) report.resources[r.readiness.verdict]++;
  const desired = unclaimed(
    pass,
    desiredObjects(pass, read.resources, placement),
    claimed,
  );
  const relationships = vf ? relationshipsFor(vf, config.aai.apiVersion) : [];
  report.instances.synced++;
  const reference = pass.rebuild
    ? {
      from: "aai" as const,
      held: await readHeld(desired.map((d) => d.path), pass.deps.aai, {
        limit: aaiLimit,
        onError: (message, path) => {
          report.errors.push(message);
          log.error(message, { path });
        },
      }),
    }
    : { from: "snapshot" as const };
  const ownership = ownershipOf(pass);
  const plan = planWrites(desired, {
    instanceId: id,
    previous,
    relationships,
    reference,
    ownership,
  });
  if (vnfPlacement) {
    const right = annotateForeign(
      plan,
      {
        ownership,
        relationships,
        labelPrefix: config.labelPrefix,
      },
      reference.from === "aai" ? reference.held : undefined,
    );
    for (const { desired: d, owner } of right) recordAnnotated(pass, d, owner);
  }
  for (const { desired: d, owner } of plan.foreign) {
    recordForeign(pass, d, owner);
  }
  for (const d of plan.inStep) {
    recordInStep(pass, d, relationships.length > 0);
  }
  const annotating = vnfPlacement && !pass.rebuild &&
    Object.values(ownership.owners ?? {}).includes("annotate");
  if (annotating) {
    const wanted = new Set(desired.map((d) => d.path));
    for (const [path, before] of Object.entries(previous)) {
      // Another owner's object gone from the instance: theirs to delete.
      if (before.foreign && !wanted.has(path)) {
        delete previous[path];
        pass.changed();
      }
    }
    const since = known.soSince;
    plan.pending = planAnnotations(desired, plan, {
      known,
      ownership,
      relationships,
      labelPrefix: config.labelPrefix,
      nowMs: pass.now.getTime(),
      delayMs: config.soRewriteDelay,
    });
    if (known.soSince !== since) pass.changed();
  }
  return plan;
}

/**
 * The desired objects whose path no other resource of this pass claimed
 * first. SO's id formula concatenates without separators, so two resources
 * can share one id (`col`+`a`, `co`+`la`): the later one is an error and is
 * not planned (the pre-write guard catches the same against A&AI).
 */
function unclaimed(
  pass: Pass,
  desired: DesiredObject[],
  claimed: Map<string, string>,
): DesiredObject[] {
  return desired.filter((d) => {
    const by = claimed.get(d.path);
    if (by === undefined) {
      // Instance and key in one string: a pass holds one per object.
      claimed.set(d.path, `${d.instanceId}\n${d.key}`);
      return true;
    }
    const [instance, key] = by.split("\n");
    const message =
      `Cannot publish ${d.key} of instance "${d.instanceId}": ${d.path} is also the id of ${key} of instance "${instance}" in this pass (id collision of SO's formula)`;
    pass.report.errors.push(message);
    pass.log.error(message, { path: d.path, instanceId: d.instanceId });
    return false;
  });
}
