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
  // 14.3: /status 200 with an empty or null list deletes the instance's objects.
  "14.3-empty-status",
  // 14.4: a PATCH answered 404 re-creates the object without its relationships.
  "14.4-recreate-edges",
  // 14.5: a region that cannot form an A&AI path (`..`) crashes every pass.
  "14.5-bad-path-key",
  // 14.9: a missing snapshot means orphans in A&AI are never deleted.
  "14.9-missing-snapshot",
  // 14.10: a second installation adopts, then deletes, the first one's objects.
  "14.10-second-installation",
  // 14.13: after AAI_URL changes, the new A&AI is never filled.
  "14.13-aai-url-changed",
  // 14.14: one --allow-mass-delete run after an empty list deletes nothing.
  "14.14-allow-mass-delete-once",
  // 14.19: no pass deadline against a hanging A&AI.
  "14.19-pass-deadline",
  // 14: `! ' ( ) *` are sent raw in A&AI path segments (AAI_3008).
  "14-path-encoding",
  // 14: the state folder is created world-readable instead of 0700.
  "14-state-dir-mode",
]);
