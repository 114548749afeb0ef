/**
 * Where a pass's instances live in A&AI and what it finds there: each
 * region's cloud owner and tenant (DESIGN §7.2), an instance's vf-module
 * (§7.1), the kube clients of the regions in play, and the objects A&AI
 * holds under our `data-owner` that the snapshot lost (rebuild, §6).
 *
 * @module
 */

import type { LimitFunction } from "p-limit";
import { aaiPath, aaiQuery, type VfModuleRef } from "../adapters/aai.ts";
import {
  inInstallation,
  installationOf,
  type InstallationScope,
  isK8sResourcePath,
  regionOfPath,
} from "./guard.ts";
import {
  instanceIdOfLabels,
  type InstanceSummary,
} from "../adapters/k8splugin.ts";
import type { KubeSource } from "../adapters/kube.ts";
import { ruleOptions } from "./config.ts";
import {
  type DesiredObject,
  type EvaluatedResource,
  fingerprintOf,
  k8sResourcePath,
  k8sResourcesPath,
  mapResource,
  ownedFieldsOf,
  type Placement,
  readinessOfLabels,
} from "./mapping.ts";
import type { OwnershipPolicy } from "./plan.ts";
import { inScope, type Scope } from "./deletion.ts";
import type { Pass } from "./pass.ts";
import { pendingMarksOf } from "./pending.ts";
import { describeError, type ReadOptions } from "./source.ts";

/** Each region's placement, or why it has none. */
export type Placements = Map<string, Placement | { error: string }>;

/** Resolves cloud owner and tenant of each region, caching them in the snapshot. */
export async function resolvePlacements(
  pass: Pass,
  regions: string[],
): Promise<Placements> {
  const { config, snapshot, deps } = pass;
  const out: Placements = new Map();
  for (const region of regions) {
    const rc = config.regions[region] ?? {};
    const cached = pass.rebuild ? undefined : snapshot.regions[region];
    let cloudOwner = rc.cloudOwner ?? cached?.cloudOwner;
    let tenantId = rc.tenantId ?? config.tenantId ?? cached?.tenantId;
    try {
      if (!cloudOwner) {
        try {
          cloudOwner = (await deps.k8splugin.getConnectivityInfo(region))
            .cloudOwner || undefined;
        } catch (error) {
          if (!config.cloudOwner) {
            throw new Error(
              `no cloud owner: set regions.${region}.cloudOwner or AAI_CLOUD_OWNER (k8splugin connectivity-info failed: ${
                describeError(error)
              })`,
            );
          }
        }
        cloudOwner ??= config.cloudOwner;
      }
      if (!cloudOwner) {
        throw new Error(
          `no cloud owner: set regions.${region}.cloudOwner or AAI_CLOUD_OWNER`,
        );
      }
      // A key no A&AI path can carry (`..`) fails this region only (14.5).
      aaiPath(cloudOwner, region);
      if (!tenantId) {
        const tenants = await deps.aai.listTenants(cloudOwner, region);
        if (tenants.length === 0) {
          throw new Error(
            `cloud region "${cloudOwner}/${region}" has no tenant in A&AI; create one or set regions.${region}.tenantId`,
          );
        }
        if (tenants.length > 1) {
          throw new Error(
            `cloud region "${cloudOwner}/${region}" has ${tenants.length} tenants (${
              tenants.map((t) => `"${t}"`).join(", ")
            }); choose one with regions.${region}.tenantId or AAI_TENANT_ID`,
          );
        }
        tenantId = tenants[0]!;
      }
      aaiPath(tenantId);
      out.set(region, { cloudOwner, cloudRegion: region, tenantId });
      const known = snapshot.regions[region];
      if (known?.cloudOwner !== cloudOwner || known.tenantId !== tenantId) {
        pass.changed();
        snapshot.regions[region] = {
          cloudOwner,
          tenantId,
          checkedAt: pass.now.toISOString(),
        };
      }
    } catch (error) {
      out.set(region, {
        error: `Cannot place instances of region "${region}" in A&AI: ${
          describeError(error)
        }`,
      });
    }
  }
  return out;
}

/**
 * The instance's vf-module (cached in the snapshot; lookups retried later).
 * A lookup is an A&AI request: under `limit`, it shares the writes'
 * concurrency.
 */
export async function vfModuleOf(
  pass: Pass,
  instanceId: string,
  limit?: LimitFunction,
): Promise<VfModuleRef | undefined> {
  const known = pass.snapshot.instances[instanceId];
  const retryDue = !known?.vfModuleCheckedAt ||
    pass.now.getTime() - Date.parse(known.vfModuleCheckedAt) >=
      pass.config.vfModuleRetry;
  if (known?.vfModule && !pass.rebuild) return known.vfModule;
  if (known?.vfModule === null && !retryDue && !pass.rebuild) return undefined;
  try {
    const lookup = () => pass.deps.aai.findVfModules(instanceId);
    const found = await (limit ? limit(lookup) : lookup());
    if (found.length > 1) {
      pass.report.warnings.push(
        `Instance "${instanceId}" has ${found.length} vf-modules in A&AI with that heat-stack-id; relating to the first`,
      );
    }
    const vf = found[0] ?? null;
    if (known) {
      known.vfModule = vf;
      known.vfModuleCheckedAt = pass.now.toISOString();
      pass.changed();
    }
    return vf ?? undefined;
  } catch (error) {
    pass.log.warn(
      `Cannot look up the vf-module of instance "${instanceId}" in A&AI: ${
        describeError(error)
      }`,
      { instanceId },
    );
    return undefined;
  }
}

/** The desired A&AI objects of an instance's resources, placed and mapped as this pass's config says. */
export function desiredObjects(
  pass: Pass,
  resources: readonly EvaluatedResource[],
  placement: Placement,
): DesiredObject[] {
  const { k8splugin, owner, labelPrefix } = pass.config;
  const options = { k8spluginUrl: k8splugin.url, owner, labelPrefix };
  return resources.map((r) => mapResource(r, placement, options));
}

/** Whose objects this pass may change (see `mayChange()`). */
export function ownershipOf(pass: Pass): OwnershipPolicy {
  return {
    owner: pass.config.owner,
    takeOwnership: pass.options.takeOwnership ?? false,
    owners: pass.options.migrateOwner
      ? { ...pass.config.owners, [pass.options.migrateOwner]: "take" }
      : pass.config.owners,
  };
}

/** Resolves the kube clients and the A&AI placement of the regions in play. */
export async function prepare(
  pass: Pass,
  summaries: InstanceSummary[],
): Promise<{
  placements: Placements;
  kubes: Map<string, KubeSource | undefined>;
}> {
  const kubes = await kubeClients(pass, summaries);
  // A region whose instances are all placed by their generic-vnf (as SO
  // places them) needs no placement of its own: no tenant lookup per pass.
  const needed = new Set(
    summaries.filter((s) =>
      pass.rebuild || !pass.snapshot.instances[s.id]?.vnfPlacement
    ).map((s) => s.cloudRegion),
  );
  const placements = await resolvePlacements(
    pass,
    [...kubes.keys()].filter((r) => needed.has(r)),
  );
  for (const region of kubes.keys()) {
    if (!placements.has(region)) {
      placements.set(region, {
        error:
          `Cannot place instances of region "${region}" in A&AI: not resolved (its instances are placed by their generic-vnf)`,
      });
    }
  }
  return { placements, kubes };
}

/** The kube client of each region in play (`undefined` where it has none). */
export async function kubeClients(
  pass: Pass,
  summaries: InstanceSummary[],
): Promise<Map<string, KubeSource | undefined>> {
  const regions = [...new Set(summaries.map((s) => s.cloudRegion))].sort();
  const kubes = new Map<string, KubeSource | undefined>();
  for (const region of regions) {
    try {
      kubes.set(region, await pass.deps.kube?.(region));
    } catch (error) {
      pass.report.warnings.push(
        `Cannot build a kube client for region "${region}": ${
          describeError(error)
        }`,
      );
      kubes.set(region, undefined);
    }
  }
  return kubes;
}

/** How {@linkcode readInstances} reads for this pass (all but `onRead`). */
export function readOptions(
  pass: Pass,
  kubes: Map<string, KubeSource | undefined>,
): Omit<ReadOptions, "onRead"> {
  return {
    k8splugin: pass.deps.k8splugin,
    kubeFor: (region) => kubes.get(region),
    source: pass.options.source ?? pass.config.source,
    concurrency: pass.config.k8splugin.concurrency,
    now: pass.now,
    ruleOptions: ruleOptions(pass.config),
    memory: (id) => pendingMarksOf(pass.snapshot.instances[id]),
    catalog: pass.config.rules.catalog,
    warn: (message, properties) => pass.log.warn(message, properties),
    observe: pass.options.observeStatus,
  };
}

/** Marks an instance as seen in a successful list: no misses, its region. */
export function touchInstance(pass: Pass, summary: InstanceSummary): void {
  const known = pass.snapshot.instances[summary.id];
  if (known?.misses === 0 && known.cloudRegion === summary.cloudRegion) return;
  pass.changed();
  if (known) {
    known.misses = 0;
    known.cloudRegion = summary.cloudRegion;
  } else {
    pass.snapshot.instances[summary.id] = {
      cloudRegion: summary.cloudRegion,
      misses: 0,
      objects: {},
    };
  }
}

/** Objects per page of the nodes query of {@linkcode discoverOwned}. */
export const DISCOVERY_PAGE = 500;

/**
 * Rebuild/verify: finds the objects A&AI holds under our `data-owner` and
 * adds those the snapshot does not know, keyed to their instance by
 * k8splugin's instance label. Without `placements`, A&AI's nodes API is
 * asked for every `k8s-resource` of our owner wherever it is
 * (`GET /nodes/k8s-resources?data-owner=…&format=resource_and_url`, paged
 * with `resultIndex`/`resultSize`), so objects of regions with no listed
 * instance left are found too; with `placements` (one instance's check),
 * each tenant's collection. Only objects in this installation's scope
 * (`installationOf()`: its k8splugin's selflinks, its regions) and in
 * `scope` (`--region`/`--instance`) are taken. Vanished resources of
 * instances read this run are then deleted, and objects of instances
 * k8splugin no longer lists go through the usual misses (DESIGN §8), so a
 * lost snapshot loses nothing.
 *
 * @returns Whether discovery finished (false: a query failed; warned).
 */
export async function discoverOwned(
  pass: Pass,
  scope: Scope,
  placements?: Placements,
): Promise<boolean> {
  const installation = installationOf(pass.config);
  const take = (object: Record<string, unknown>, path: string) =>
    takeDiscovered(pass, object, path, scope, installation);
  if (placements) {
    let complete = true;
    for (const [region, placement] of placements) {
      if ("error" in placement) continue;
      const collection = k8sResourcesPath(placement);
      try {
        const body = await pass.deps.aai.get(
          `${collection}${aaiQuery({ "data-owner": pass.config.owner })}`,
        );
        const list = body?.["k8s-resource"];
        for (const object of Array.isArray(list) ? list : []) {
          const id = ownedFieldsOf(object).id;
          if (id) take(object, k8sResourcePath(placement, id));
        }
      } catch (error) {
        complete = false;
        pass.report.warnings.push(
          `Cannot list our objects in A&AI for region "${region}": ${
            describeError(error)
          }`,
        );
      }
    }
    return complete;
  }
  for (let index = 1;; index++) {
    let results: unknown[];
    try {
      const page = await pass.deps.aai.get(
        `/nodes/k8s-resources${
          aaiQuery({
            "data-owner": pass.config.owner,
            format: "resource_and_url",
            resultIndex: String(index),
            resultSize: String(DISCOVERY_PAGE),
          })
        }`,
      );
      results = Array.isArray(page?.results) ? page.results : [];
    } catch (error) {
      const message =
        `Cannot list our objects in A&AI (nodes query, page ${index}): ${
          describeError(error)
        }; the rebuild resumes next pass`;
      pass.report.warnings.push(message);
      pass.log.warn(message);
      return false;
    }
    for (const result of results) {
      const r = result as Record<string, unknown>;
      const object = r["k8s-resource"];
      const url = typeof r.url === "string" ? r.url : "";
      if (typeof object !== "object" || object === null) continue;
      const path = canonicalPath(url.replace(/^\/aai\/v[0-9]+/, ""));
      if (path) take(object as Record<string, unknown>, path);
    }
    if (results.length < DISCOVERY_PAGE) return true;
  }
}

/**
 * The path of a `k8s-resource` A&AI returned (`url` of the nodes query),
 * re-encoded as this tool builds it, or `undefined` when it is no
 * k8s-resource under a tenant.
 */
function canonicalPath(path: string): string | undefined {
  if (!isK8sResourcePath(path)) return undefined;
  const s = path.split("/").map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      return undefined;
    }
  });
  const [owner, region, tenant, id] = [s[4], s[5], s[8], s[11]];
  if (!owner || !region || !tenant || !id) return undefined;
  try {
    return k8sResourcePath(
      { cloudOwner: owner, cloudRegion: region, tenantId: tenant },
      id,
    );
  } catch {
    return undefined;
  }
}

/** Adds one discovered object to the snapshot when it is ours and in scope. */
function takeDiscovered(
  pass: Pass,
  object: Record<string, unknown>,
  path: string,
  scope: Scope,
  installation: InstallationScope,
): void {
  const fields = ownedFieldsOf(object);
  if (!fields.id || object["data-owner"] !== pass.config.owner) return;
  if (!path.endsWith(`/${aaiPath(fields.id).slice(1)}`)) return;
  if (!inInstallation(installation, path, object)) return;
  const region = regionOfPath(path);
  const instanceId = instanceIdOfLabels(fields.labels ?? []);
  if (
    region === undefined || instanceId === undefined ||
    !inScope(scope, instanceId, region)
  ) {
    return;
  }
  const instance = pass.snapshot.instances[instanceId] ??= {
    cloudRegion: region,
    misses: 0,
    objects: {},
  };
  if (instance.objects[path]) return;
  pass.changed();
  const readiness = readinessOfLabels(
    fields.labels ?? [],
    pass.config.labelPrefix,
  );
  instance.objects[path] = {
    key:
      `${fields.group}/${fields.version}/${fields.kind}/${fields.namespace}/${fields.name}`,
    ...fingerprintOf(fields),
    verdict: readiness?.verdict ?? "Pending",
    reason: readiness?.reason ?? "",
    publishedAt: pass.now.toISOString(),
    edges: hasEdges(object),
  };
}

/** Whether an A&AI object carries any relationship. */
function hasEdges(object: Record<string, unknown>): boolean {
  const list = (object["relationship-list"] as { relationship?: unknown })
    ?.relationship;
  return Array.isArray(list) && list.length > 0;
}
