/**
 * The one-instance path of `sync --watch` (issue 17): an event marked some
 * instances dirty; read, plan, publish and commit just those, through the
 * same pass as a full one (`runSync`: the one planner, `planWrites()`, the
 * same snapshot commits), with the instance list of the last full pass and
 * no instance-level deletion: only a full pass decides that an instance is
 * gone.
 *
 * @module
 */
import type { InstanceSummary } from "../adapters/k8splugin.ts";
import type { RunReport, SyncDeps, SyncOptions } from "./pass.ts";
import { runSync } from "./run.ts";

/** What {@linkcode syncInstances} needs beyond a pass's options. */
export interface SyncInstancesOptions extends SyncOptions {
  /** The instances the last full pass listed (their regions place them). */
  listed: readonly InstanceSummary[];
}

/**
 * Reads, plans, publishes and commits the given instances. Ids the list does
 * not hold are skipped (an instance created since the last full pass is
 * picked up by the caller re-listing, or by the next full pass). Never
 * deletes an instance's objects for its absence; resources gone from an
 * instance read fine are deleted as in a pass.
 *
 * @param ids The dirty instance ids.
 * @param deps The peers, as for a pass.
 * @param options The config, the last list, and what a pass is asked.
 * @returns The pass report of these instances (`instances.listed` = those
 *   read), or `undefined` when the list holds none of them.
 *
 * @example
 * ```ts ignore
 * const report = await syncInstances(["practical_nobel"], deps, { config, listed });
 * ```
 */
export async function syncInstances(
  ids: readonly string[],
  deps: SyncDeps,
  options: SyncInstancesOptions,
): Promise<RunReport | undefined> {
  const known = new Set(options.listed.map((s) => s.id));
  const wanted = ids.filter((id) => known.has(id));
  if (wanted.length === 0) return undefined;
  return await runSync(deps, {
    ...options,
    instances: wanted,
    eventDriven: true,
  });
}
