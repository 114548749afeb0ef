/**
 * SO's CNF adapter writing A&AI: `AaiRepository` (GET, compare, queue) and
 * its `AAITransactionHelper` (three stores — creates and connects, updates,
 * deletes — of `AAITransactionalClient`s of at most 30 operations, each a
 * legacy `PUT bulkprocess`), for the SO simulator.
 *
 * @module
 */
import type { SoAaiRequest, SoSimCounts } from "./so.ts";
import {
  path,
  RunFailed,
  sameAs,
  soK8sResource,
  type StatusEntry,
} from "./_so_resource.ts";
import { springEncode } from "./_aai_paths.ts";

/** What the repository needs: where A&AI is and how SO calls it. */
export interface SoAaiRepositoryOptions {
  /** A&AI base URL. */
  aaiUrl: string;
  /** API version in the paths (SO: v24). */
  version: string;
  /** X-FromAppId. */
  fromAppId: string;
  /** Basic auth, if any. */
  auth: { username: string; password: string } | undefined;
  /** Operations per bulk request. */
  bulkLimit: number;
  /** Counters to update. */
  counts: SoSimCounts;
  /** Aborts every call (the simulator closing). */
  signal: AbortSignal;
}

/** Increments a counter. */
function count(table: Record<string, number>, key: string): void {
  table[key] = (table[key] ?? 0) + 1;
}

/** SO's AaiRepository over HTTP: `update` (after the status read) and `remove`. */
export function soAaiRepository(
  options: SoAaiRepositoryOptions,
): {
  update(request: SoAaiRequest, entries: StatusEntry[]): Promise<void>;
  remove(request: SoAaiRequest): Promise<void>;
} {
  const { aaiUrl, version, fromAppId, auth, bulkLimit, counts, signal } =
    options;
  /** One A&AI call; answers status and parsed JSON body (undefined when empty). */
  async function aaiCall(
    method: string,
    uri: string,
    kind: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown }> {
    count(counts.aaiRequests, `${method} ${kind}`);
    const headers: Record<string, string> = {
      "Accept": "application/json",
      "X-FromAppId": fromAppId,
      "X-TransactionId": crypto.randomUUID(),
    };
    if (auth) {
      headers.Authorization = `Basic ${
        btoa(`${auth.username}:${auth.password}`)
      }`;
    }
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(`${aaiUrl}/aai/${version}${uri}`, {
      method,
      headers,
      signal,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: response.status, json };
  }

  function tenantPath(request: SoAaiRequest): string {
    return path(
      "cloud-infrastructure",
      "cloud-regions",
      "cloud-region",
      request.cloudOwner,
      request.cloudRegion,
      "tenants",
      "tenant",
      request.tenantId,
    );
  }

  function vnfPath(request: SoAaiRequest): string {
    return path("network", "generic-vnfs", "generic-vnf", request.genericVnfId);
  }

  function vfModulePath(request: SoAaiRequest): string {
    return vnfPath(request) +
      path("vf-modules", "vf-module", request.vfModuleId);
  }

  /** Sends one store: requests of ≤ bulkLimit operations, one transaction object each. */
  async function sendStore(
    kind: "put" | "delete",
    operations: { uri: string; body?: unknown }[],
  ): Promise<void> {
    for (let i = 0; i < operations.length; i += bulkLimit) {
      const chunk = operations.slice(i, i + bulkLimit);
      const answer = await aaiCall("PUT", "/bulkprocess", "bulkprocess", {
        transactions: [{ [kind]: chunk }],
      });
      if (answer.status !== 201) {
        throw new RunFailed(
          `A&AI bulkprocess answered ${answer.status}: ${
            JSON.stringify(answer.json)
          }`,
        );
      }
      // AAITransactionalClient scans $..body for keys that are not 2xx.
      const failures: string[] = [];
      const transactions =
        (answer.json as { transaction?: unknown[] })?.transaction ?? [];
      for (const transaction of transactions) {
        for (
          const result of Object.values(transaction as object).flat() as {
            uri?: string;
            body?: Record<string, unknown>;
          }[]
        ) {
          for (const [code, detail] of Object.entries(result.body ?? {})) {
            if (!/^2\d\d$/.test(code)) {
              failures.push(`${code} on ${result.uri}: ${detail}`);
            }
          }
        }
      }
      if (failures.length > 0) {
        throw new RunFailed(`A&AI bulkprocess failed: ${failures.join("; ")}`);
      }
    }
  }

  /** The three stores of AaiRepository.AAITransactionHelper, executed in this order. */
  interface Stores {
    /** Creates and connects, interleaved as queued. */
    create: { uri: string; body: unknown }[];
    update: { uri: string; body: unknown }[];
    delete: { uri: string }[];
  }

  function k8sResourcePath(request: SoAaiRequest, id: string): string {
    return `${tenantPath(request)}${path("k8s-resources", "k8s-resource", id)}`;
  }

  /** AaiRepository.update for one resource: GETs now, writes queued. */
  async function queueUpdate(
    request: SoAaiRequest,
    wanted: Record<string, unknown>,
    stores: Stores,
  ): Promise<void> {
    const uri = k8sResourcePath(request, wanted.id as string);
    const found = await aaiCall("GET", uri, "k8s-resource");
    if (found.status !== 200 && found.status !== 404) {
      throw new RunFailed(`A&AI GET k8s-resource answered ${found.status}`);
    }
    const stored = found.status === 200
      ? found.json as Record<string, unknown>
      : undefined;
    if (!stored) {
      stores.create.push({ uri, body: wanted });
      counts.operations.create++;
    } else if (!sameAs(wanted, stored)) {
      stores.update.push({
        uri,
        body: { ...wanted, "resource-version": stored["resource-version"] },
      });
      counts.operations.update++;
    }
    const related = ((stored?.["relationship-list"] as {
      relationship?: { "related-to"?: string }[];
    })?.relationship ?? []).map((r) => r["related-to"]);
    const edge = `${uri}/relationship-list/relationship`;
    // The vf-module and the generic-vnf are read again for every resource.
    const module = await aaiCall("GET", vfModulePath(request), "vf-module");
    if (module.status === 200 && !related.includes("vf-module")) {
      stores.create.push({
        uri: edge,
        body: { "related-link": vfModulePath(request) },
      });
      counts.operations.connect++;
    }
    const vnf = await aaiCall("GET", vnfPath(request), "generic-vnf");
    if (vnf.status === 200 && !related.includes("generic-vnf")) {
      stores.create.push({
        uri: edge,
        body: { "related-link": vnfPath(request) },
      });
      counts.operations.connect++;
    }
  }

  /**
   * AaiRepository.delete: the k8s-resources linked to the vf-module whose ids
   * are not kept, each read (asBean), checked (exists) and read again for its
   * resource-version when queued.
   */
  async function queueDeletes(
    request: SoAaiRequest,
    keep: Set<string>,
    stores: Stores,
  ): Promise<void> {
    const answer = await aaiCall("GET", vfModulePath(request), "vf-module");
    if (answer.status !== 200) return;
    const relationships = ((answer.json as {
      "relationship-list"?: { relationship?: unknown[] };
    })?.["relationship-list"]?.relationship ?? []) as {
      "related-to"?: string;
      "related-link"?: string;
    }[];
    for (const relationship of relationships) {
      if (relationship["related-to"] !== "k8s-resource") continue;
      const link = relationship["related-link"]?.replace(
        /^\/aai\/v[0-9]+/,
        "",
      );
      if (!link) continue;
      const bean = await aaiCall("GET", link, "k8s-resource");
      const id = (bean.json as Record<string, unknown> | undefined)?.id;
      if (bean.status !== 200 || typeof id !== "string" || keep.has(id)) {
        continue;
      }
      const uri = k8sResourcePath(request, id);
      const exists = await aaiCall(
        "GET",
        `${uri}?format=count&resultIndex=0&resultSize=1`,
        "k8s-resource",
      );
      if (exists.status !== 200) continue;
      const current = await aaiCall("GET", uri, "k8s-resource");
      if (current.status !== 200) continue;
      const rv = (current.json as Record<string, unknown>)["resource-version"];
      stores.delete.push({
        uri: `${uri}?resource-version=${springEncode(String(rv))}`,
      });
      counts.operations.delete++;
    }
  }

  /** AAITransactionHelper.execute: the create, update and delete stores in turn. */
  async function commit(stores: Stores): Promise<void> {
    await sendStore("put", stores.create);
    await sendStore("put", stores.update);
    await sendStore("delete", stores.delete);
  }

  /** AaiService.aaiUpdate after the status read: every GET first, then the writes. */
  async function update(
    request: SoAaiRequest,
    entries: StatusEntry[],
  ): Promise<void> {
    const stores: Stores = { create: [], update: [], delete: [] };
    const keep = new Set<string>();
    for (const entry of entries) {
      const wanted = await soK8sResource(request, entry);
      keep.add(wanted.id as string);
      await queueUpdate(request, wanted, stores);
    }
    await queueDeletes(request, keep, stores);
    await commit(stores);
  }

  /** AaiService.aaiDelete: every k8s-resource linked to the vf-module. */
  async function remove(request: SoAaiRequest): Promise<void> {
    const stores: Stores = { create: [], update: [], delete: [] };
    await queueDeletes(request, new Set(), stores);
    await commit(stores);
  }

  return { update, remove };
}
