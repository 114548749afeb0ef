/**
 * Defects of the hostile test campaign (issue 14) that are still open. A test
 * in `tests/faults/` that fails on today's code is registered with
 * `ignore: OPEN.has("<id>")`; whoever fixes a defect removes its id here, and
 * its tests must then pass.
 *
 * @module
 */

/** Ids of the open defects, one comment each. */
export const OPEN: ReadonlySet<string> = new Set([
  // 14.9: a missing snapshot means orphans in A&AI are never deleted.
  "14.9-missing-snapshot",
  // 14.10: a second installation adopts, then deletes, the first one's objects.
  "14.10-second-installation",
  // 14.13: after AAI_URL changes, the new A&AI is never filled.
  "14.13-aai-url-changed",
  // 14.19: no pass deadline against a hanging A&AI.
  "14.19-pass-deadline",
  // 14: the state folder is created world-readable instead of 0700.
  "14-state-dir-mode",
]);
