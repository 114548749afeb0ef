/**
 * Readiness of a PersistentVolume, for charts that ship static volumes
 * (reference §2.9 covers the claim side).
 *
 * Fields read: `status.phase`, `status.message`, `spec.claimRef`.
 *
 * | Situation | Verdict | Reason |
 * |---|---|---|
 * | `Available` or `Bound` | Ready | the phase |
 * | `Released` (its claim was deleted; the volume is not reused automatically) | Ready + warning | `Released` |
 * | `Failed` (reclamation failed) | Failed | `Failed` |
 * | `Pending` or no phase | Pending | `Pending` / `NoStatus` |
 *
 * Trap avoided: the generic rule sees a status without conditions and would
 * call a `Failed` volume Ready; Helm, kstatus and Argo CD do not look.
 *
 * @module
 */
import { stringAt } from "./_fields.ts";
import { failed, pending, ready } from "./_readiness.ts";
import type { KubeObject, Readiness, RuleContext } from "./types.ts";

/**
 * Every reason this rule names itself, for the guard test that requires a
 * fixture per reason (reasons copied from a condition or a container state
 * are not listed).
 */
export const REASONS: readonly string[] = [
  "Bound",
  "Available",
  "Released",
  "Failed",
  "Pending",
  "NoStatus",
];

/** Decides the readiness of a PersistentVolume. */
export function persistentVolumeRule(
  volume: KubeObject,
  _context: RuleContext,
): Readiness {
  const phase = stringAt(volume, "status.phase");
  const message = stringAt(volume, "status.message");
  const claim = stringAt(volume, "spec.claimRef.name");
  switch (phase) {
    case "Available":
      return ready("Available", "available for a claim");
    case "Bound":
      return ready("Bound", `bound to claim ${claim || "(unnamed)"}`);
    case "Released":
      return ready("Released", `released by claim ${claim || "(unnamed)"}`, [
        "the claim was deleted; the volume is not reused until reclaimed",
      ]);
    case "Failed":
      return failed("Failed", message || "reclamation of the volume failed");
    case "":
      return pending("NoStatus", "no status.phase reported yet");
    default:
      return pending(
        phase === "Pending" ? "Pending" : "UnknownPhase",
        `phase ${phase}`,
      );
  }
}
