/**
 * The subscription audit of a `sync --watch` list pass (issue 17): per
 * region kept by k8splugin subscriptions, one region-wide `GET /v1/query`
 * per kind the instances use, compared by {@linkcode NotifierAudit} with
 * what each instance's last read returned. A few requests per region
 * instead of one `/status` per instance.
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

/**
 * Audits the given instances (those kept by subscriptions), region by
 * region. A region whose queries fail leaves its instances `unaudited`
 * (a k8splugin older than Honolulu has no `/v1/query`).
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
    const ids = members.map((s) => s.id);
    const answers = new Map<string, ResourceStatus[]>();
    for (const query of audit.queriesFor(region)) {
      result.queries++;
      try {
        answers.set(
          `${query.apiVersion}|${query.kind}`,
          await k8splugin.queryRegion(region, {
            ...query,
            labels: INSTANCE_LABEL,
          }),
        );
      } catch (error) {
        // The other kinds would most likely fail alike (no `/v1/query`
        // before Honolulu, the cluster unreachable): the region is read.
        result.problems.push(
          `region "${region}": ${
            (error as Error).message
          } (its instances are read instead)`,
        );
        answers.clear();
        break;
      }
    }
    const findings = audit.compare(region, ids, answers);
    result.changed.push(...findings.changed);
    result.unaudited.push(...findings.unaudited);
  }
  return result;
}
