/**
 * Readiness of a PersistentVolumeClaim (reference §2.9, §4 "PersistentVolumeClaim").
 *
 * Fields read: `status.phase`, `status.allocatedResourceStatuses`,
 * `spec.storageClassName` (or the legacy
 * `volume.beta.kubernetes.io/storage-class` annotation),
 * `metadata.annotations["volume.kubernetes.io/selected-node"]`; from
 * `related`: the StorageClass (its `volumeBindingMode`, or the one annotated
 * as default when the claim names none).
 *
 * | Situation | Verdict | Reason |
 * |---|---|---|
 * | `Bound` with an `allocatedResourceStatuses` value ending `ResizeInfeasible` | Failed | `ResizeInfeasible` |
 * | `Bound` with a value ending `ResizeInProgress` / `ResizePending` | Pending | `Resizing` |
 * | `Bound` | Ready | `Bound` |
 * | `Lost` | Failed | `Lost` |
 * | `Pending`, StorageClass `WaitForFirstConsumer`, no selected node | Ready + warning | `WaitForFirstConsumer` |
 * | `Pending` otherwise (StorageClass missing from `related` included) | Pending | `Binding` |
 * | no phase | Pending | `NoStatus` |
 *
 * Traps avoided: a WaitForFirstConsumer claim whose consumer comes later is
 * not Pending forever (the sync-wave deadlock of argo-cd#12840); `Lost` is
 * Failed (Helm and kstatus wait forever); resize failures are seen.
 *
 * @module
 */
import { recordAt, stringAt } from "./_fields.ts";
import { failed, pending, ready } from "./_readiness.ts";
import { annotationsOf, relatedIndex } from "./_related.ts";
import type { KubeObject, Readiness, RuleContext } from "./types.ts";

/**
 * Every reason this rule names itself, for the guard test that requires a
 * fixture per reason (reasons copied from a condition or a container state
 * are not listed).
 */
export const REASONS: readonly string[] = [
  "Bound",
  "Binding",
  "WaitForFirstConsumer",
  "Lost",
  "ResizeInfeasible",
  "Resizing",
  "NoStatus",
];

/** Decides the readiness of a PersistentVolumeClaim. */
export function persistentVolumeClaimRule(
  claim: KubeObject,
  context: RuleContext,
): Readiness {
  const phase = stringAt(claim, "status.phase");
  switch (phase) {
    case "Bound":
      return bound(claim);
    case "Lost":
      return failed("Lost", "the bound PersistentVolume no longer exists");
    case "":
      return pending("NoStatus", "no status.phase reported yet");
    case "Pending":
      return unbound(claim, context);
    default:
      return pending("Binding", `phase ${phase}`);
  }
}

function bound(claim: KubeObject): Readiness {
  const statuses = recordAt(claim, "status.allocatedResourceStatuses") ?? {};
  for (const [resource, value] of Object.entries(statuses)) {
    if (typeof value !== "string") continue;
    if (value.endsWith("ResizeInfeasible")) {
      return failed("ResizeInfeasible", `resize of ${resource}: ${value}`);
    }
  }
  for (const [resource, value] of Object.entries(statuses)) {
    if (typeof value !== "string") continue;
    if (value.endsWith("ResizeInProgress") || value.endsWith("ResizePending")) {
      return pending("Resizing", `resize of ${resource}: ${value}`);
    }
  }
  return ready(
    "Bound",
    `bound to volume ${stringAt(claim, "spec.volumeName") || "(unnamed)"}`,
  );
}

function unbound(claim: KubeObject, context: RuleContext): Readiness {
  const annotations = annotationsOf(claim);
  const index = relatedIndex(context.related);
  const className = stringAt(claim, "spec.storageClassName") ||
    annotations["volume.beta.kubernetes.io/storage-class"] ||
    index.defaultStorageClass || "";
  if (className === "") {
    return pending("Binding", "waiting for a volume (no StorageClass)");
  }
  const storageClass = index.storageClasses.get(className);
  if (storageClass === undefined) {
    return pending(
      "Binding",
      `waiting for a volume; StorageClass "${className}" is not among the related objects`,
    );
  }
  const mode = stringAt(storageClass, "volumeBindingMode", "Immediate");
  const node = annotations["volume.kubernetes.io/selected-node"];
  if (mode === "WaitForFirstConsumer" && node === undefined) {
    return ready(
      "WaitForFirstConsumer",
      `StorageClass "${className}" binds when the first pod uses the claim`,
      [
        "not bound yet: binding waits for a consuming pod",
      ],
    );
  }
  return pending(
    "Binding",
    `waiting for a volume from StorageClass "${className}"${
      node === undefined ? "" : ` on node ${node}`
    }`,
  );
}
