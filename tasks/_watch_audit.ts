/**
 * The subscription audit of a `sync --watch` list pass (issue 17): per
 * region kept by k8splugin subscriptions, region-wide `GET /v1/query` LISTs
 * (one per kind, per {@linkcode AUDIT_CHUNK} instances), compared by
 * {@linkcode NotifierAudit} with what each instance's last read returned:
 * a few requests per region instead of one `/status` per instance.
 *
 * @module
 */
import {
  INSTANCE_LABEL,
  type InstanceSummary,
  type ResourceStatus,
} from "../adapters/k8splugin.ts";
import type { NotifierAudit } from "../sync/watch/mod.ts";

/** The region-wide query {@linkcode auditSubscriptions} needs (`HttpK8spluginClient.queryRegion`). */
export interface RegionQuery {
  /** `GET /v1/query`: one kind in a region, by label. */
  queryRegion(
    cloudRegion: string,
    query: { apiVersion: string; kind: string; labels?: string },
  ): Promise<ResourceStatus[]>;
}

/** What {@linkcode auditSubscriptions} found across the regions. */
export interface SubscriptionAudit {
  /** Instances whose objects moved since their last read. */
  changed: string[];
  /** Instances to read instead (never read, or a query of their region failed). */
  unaudited: string[];
  /** Requests sent. */
  queries: number;
  /** One line per region whose queries failed. */
  problems: string[];
}

/** Instances per query: bounds each answer (a whole region's pods can be tens of MB). */
export const AUDIT_CHUNK = 200;

/** A valid label value: what k8splugin can have labelled objects with. */
const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;

/**
 * Audits the given instances (those kept by subscriptions), region by
 * region, {@linkcode AUDIT_CHUNK} instances at a time: one query per kind
 * the chunk uses, selecting `k8splugin.io/rb-instance-id in (…)`. A chunk
 * whose queries fail leaves its instances `unaudited` (a k8splugin older
 * than Honolulu has no `/v1/query`); so does an id that cannot be a label
 * value.
 */
export async function auditSubscriptions(
  audit: NotifierAudit,
  k8splugin: RegionQuery,
  instances: readonly InstanceSummary[],
): Promise<SubscriptionAudit> {
  const result: SubscriptionAudit = {
    changed: [],
    unaudited: [],
    queries: 0,
    problems: [],
  };
  const byRegion = Map.groupBy(instances, (s) => s.cloudRegion);
  for (const [region, members] of byRegion) {
    const ids: string[] = [];
    for (const { id } of members) {
      if (LABEL_VALUE.test(id)) ids.push(id);
      else result.unaudited.push(id);
    }
    ids.sort();
    for (let at = 0; at < ids.length; at += AUDIT_CHUNK) {
      const chunk = ids.slice(at, at + AUDIT_CHUNK);
      const answers = new Map<string, ResourceStatus[]>();
      for (const query of audit.queriesFor(region, chunk)) {
        result.queries++;
        try {
          answers.set(
            `${query.apiVersion}|${query.kind}`,
            await k8splugin.queryRegion(region, {
              ...query,
              labels: `${INSTANCE_LABEL} in (${chunk.join(",")})`,
            }),
          );
        } catch (error) {
          // The other kinds would most likely fail alike (no `/v1/query`
          // before Honolulu, the cluster unreachable): the chunk is read.
          result.problems.push(
            `region "${region}": ${
              (error as Error).message
            } (${chunk.length} instance(s) read instead)`,
          );
          answers.clear();
          break;
        }
      }
      const findings = audit.compare(region, chunk, answers);
      result.changed.push(...findings.changed);
      result.unaudited.push(...findings.unaudited);
    }
  }
  return result;
}
