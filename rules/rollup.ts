/**
 * Rolls the verdicts of an instance's resources up into one.
 *
 * @module
 */
import type { Readiness, Verdict } from "./types.ts";

/**
 * A verdict with the resource it belongs to: `resource` (`"Deployment/web"`),
 * or `kind` and `name` from which that label is built.
 */
export interface RollupItem extends Readiness {
  /** Names the resource in the roll-up's message and warnings. */
  resource?: string;
  /** Kind of the resource, used with `name` when `resource` is absent. */
  kind?: string;
  /** Name of the resource, used with `kind` when `resource` is absent. */
  name?: string;
}

/** The roll-up of several verdicts. */
export interface Rollup extends Readiness {
  /** How many items had each verdict. */
  counts: Record<Verdict, number>;
  /** The resource that decided (first Failed, else first Pending), when named. */
  resource?: string;
}

/**
 * Rolls up verdicts: any Failed → Failed, else any Pending → Pending, else
 * Ready. The worst item (the first Failed, else the first Pending, in input
 * order) gives the `reason`, and the `message` names it:
 * `"Deployment/web: CrashLoopBackOff: pod \"web-1\": … (1 Failed, 1 Pending, 6 Ready)"`.
 * Warnings list every other non-Ready resource and every item's warnings,
 * each prefixed with its resource. An empty list is Ready `NoResources` with
 * a warning.
 *
 * @param items Verdicts, optionally named by `resource` (`"Kind/name"`) or
 *   by `kind` and `name`.
 * @returns The instance verdict plus per-verdict counts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rollup } from "./mod.ts";
 * const result = rollup([
 *   { verdict: "Ready", reason: "Available", message: "3/3", warnings: [], resource: "Deployment/web" },
 *   { verdict: "Pending", reason: "NoLoadBalancerAddress", message: "waiting", warnings: [], resource: "Service/web" },
 * ]);
 * assert.ok(result.verdict === "Pending" && result.reason === "NoLoadBalancerAddress");
 * assert.ok(result.message.startsWith("Service/web: "));
 * ```
 */
export function rollup(items: Iterable<RollupItem>): Rollup {
  const counts: Record<Verdict, number> = { Ready: 0, Pending: 0, Failed: 0 };
  const list = [...items];
  let worst: { item: RollupItem; name: string } | undefined;
  const notReady: string[] = [];
  const warnings: string[] = [];
  list.forEach((item, i) => {
    counts[item.verdict]++;
    const name = labelOf(item) ?? `resource #${i + 1}`;
    if (
      item.verdict !== "Ready" &&
      (worst === undefined ||
        (item.verdict === "Failed" && worst.item.verdict !== "Failed"))
    ) {
      worst = { item, name };
    }
    if (item.verdict !== "Ready") {
      notReady.push(`${name} is ${item.verdict} (${item.reason})`);
    }
    for (const warning of item.warnings) warnings.push(`${name}: ${warning}`);
  });
  if (list.length === 0) {
    return {
      verdict: "Ready",
      reason: "NoResources",
      message: "no resources",
      warnings: ["nothing to judge"],
      counts,
    };
  }
  const tally =
    `(${counts.Failed} Failed, ${counts.Pending} Pending, ${counts.Ready} Ready)`;
  if (worst === undefined) {
    return {
      verdict: "Ready",
      reason: "AllReady",
      message: `${counts.Ready}/${list.length} resources ready`,
      warnings,
      counts,
    };
  }
  const { item, name } = worst;
  const others = notReady.filter((line) => !line.startsWith(`${name} is `));
  const result: Rollup = {
    verdict: item.verdict,
    reason: item.reason,
    message: `${name}: ${item.reason}: ${item.message} ${tally}`,
    warnings: [...others, ...warnings],
    counts,
  };
  const label = labelOf(item);
  if (label !== undefined) result.resource = label;
  return result;
}

function labelOf(item: RollupItem): string | undefined {
  if (item.resource !== undefined) return item.resource;
  if (item.kind !== undefined && item.name !== undefined) {
    return `${item.kind}/${item.name}`;
  }
  return item.name;
}
