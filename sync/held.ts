/**
 * What A&AI holds at a set of paths: the reference of a plan against A&AI
 * (`--verify`, `check --aai`). One GET per path, under the A&AI limiter
 * when one is given; a path that cannot be read is reported and left out.
 *
 * @module
 */

import type { LimitFunction } from "p-limit";
import type { AaiClient, AaiObject } from "../adapters/aai.ts";
import { describeError } from "./source.ts";

/** How {@linkcode readHeld} reads. */
export interface ReadHeldOptions {
  /** Bounds the GETs (the pass's A&AI limiter); default: all at once. */
  limit?: LimitFunction;
  /** Told about each path that could not be read. */
  onError?: (message: string, path: string) => void;
}

/**
 * GETs each path from A&AI: the object, `null` when A&AI has none; paths
 * that could not be read are missing from the map.
 */
export async function readHeld(
  paths: Iterable<string>,
  aai: Pick<AaiClient, "get">,
  options: ReadHeldOptions = {},
): Promise<Map<string, AaiObject | null>> {
  const { limit, onError } = options;
  const held = new Map<string, AaiObject | null>();
  await Promise.all([...paths].map(async (path) => {
    const get = () => aai.get(path);
    try {
      held.set(path, (await (limit ? limit(get) : get())) ?? null);
    } catch (error) {
      onError?.(`Cannot read ${path} from A&AI: ${describeError(error)}`, path);
    }
  }));
  return held;
}
