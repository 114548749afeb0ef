/**
 * Settled instances: an instance whose last full read was published without
 * a failure, a held delete or a missing relationship is *settled* under the
 * key of that read (status document, cluster context, config and code, see
 * `readKey()` in source.ts). While a later read has the same key and the
 * clock has not reached a time at which a verdict would change by itself
 * (`recheckAt`), the rules would give the same verdicts and the diff nothing
 * to send, so the document is neither parsed nor evaluated. Pure functions of
 * data; the clock is passed in.
 *
 * @module
 */

import { sha256 } from "../adapters/sha256.ts";
import manifest from "../deno.json" with { type: "json" };
import type { Verdict } from "../rules/types.ts";
import { type Config, ruleOptions } from "./config.ts";
import { leftAlone } from "./diff.ts";
import { DATA_SOURCE } from "./mapping.ts";
import type { Placements } from "./placement.ts";
import type { SnapshotInstance } from "./snapshot.ts";

/**
 * The longest a settlement holds (1 h): every instance is judged afresh at
 * least this often, so a rules change that kept the version number, or a
 * time-dependent verdict a rule failed to report, heals within the hour.
 */
export const SETTLED_MAX_AGE_MS = 60 * 60 * 1000;

/** What a snapshot instance keeps of its settled read. */
export interface Settlement {
  /** The read's key. */
  key: string;
  /** ISO time of the read's evaluation. */
  at: string;
  /** ISO time from which the verdicts must be evaluated again. */
  until: string;
  /** The instance's resources by verdict, for the run report. */
  verdicts: Record<Verdict, number>;
}

/**
 * The salt mixed into every read's key: the version of this code and every
 * input of the verdicts and the mapped objects that is not in the status
 * document or the cluster context. Values must be JSON.
 */
export function settlementSalt(inputs: Record<string, unknown>): string {
  return sha256(JSON.stringify([manifest.version, inputs]), "base64url");
}

/**
 * The salt of a pass: every setting that shapes verdicts or mapped objects
 * (rules, catalog, k8splugin URL, owner, label prefix, A&AI version, the
 * regions' placements) and the `data-source` value — a new one (k8splugin →
 * K8sPlugin) is a migration, so settled instances are read afresh once.
 */
export function passSalt(config: Config, placements: Placements): string {
  return settlementSalt({
    rules: ruleOptions(config),
    catalog: config.rules.catalog ?? [],
    k8splugin: config.k8splugin.url,
    owner: config.owner,
    labelPrefix: config.labelPrefix,
    dataSource: DATA_SOURCE,
    aai: config.aai.apiVersion,
    placements: [...placements].sort(([a], [b]) => a < b ? -1 : 1),
  });
}

/**
 * The settlement of a read judged at `nowMs`: it holds until the earliest
 * time a verdict would change by itself, and at most
 * {@linkcode SETTLED_MAX_AGE_MS}.
 */
export function settlementOf(
  key: string,
  verdicts: readonly Verdict[],
  nowMs: number,
  recheckAtMs?: number,
): Settlement {
  const counts: Record<Verdict, number> = { Ready: 0, Pending: 0, Failed: 0 };
  for (const verdict of verdicts) counts[verdict]++;
  const until = Math.min(recheckAtMs ?? Infinity, nowMs + SETTLED_MAX_AGE_MS);
  return {
    key,
    at: new Date(nowMs).toISOString(),
    until: new Date(until).toISOString(),
    verdicts: counts,
  };
}

/**
 * Whether `instance` is settled under `key` at `nowMs`: same key, the clock
 * within `[at, until)` (a clock set back counts as unknown), and every owned
 * object with its relationships (one without is due a vf-module lookup).
 */
export function isSettled(
  instance: SnapshotInstance | undefined,
  key: string,
  nowMs: number,
): boolean {
  const settled = instance?.settled;
  if (!instance || !settled || settled.key !== key) return false;
  if (nowMs < Date.parse(settled.at) || nowMs >= Date.parse(settled.until)) {
    return false;
  }
  for (const path in instance.objects) {
    const object = instance.objects[path]!;
    if (!object.edges && !leftAlone(object)) return false;
  }
  return true;
}
