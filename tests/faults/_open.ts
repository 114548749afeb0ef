/**
 * Defects of the hostile test campaign (issue 14) that are still open. A test
 * in `tests/faults/` that fails on today's code is registered with
 * `ignore: OPEN.has("<id>")`; whoever fixes a defect removes its id here, and
 * its tests must then pass.
 *
 * @module
 */

/** Ids of the open defects, one comment each. */
export const OPEN: ReadonlySet<string> = new Set([]);
