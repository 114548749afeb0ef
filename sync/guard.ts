/**
 * The pre-write guard (issue 14: 14.11, 14.12, and the seam of 14.1): before
 * any write to an object A&AI already holds (PATCH, relationship PUT,
 * DELETE, adoption after a 412), the object A&AI returns *now* is checked:
 *
 * - the path is a `k8s-resource` under a tenant ({@linkcode isK8sResourcePath});
 * - its identity (`group/version/kind/namespace/name` and k8splugin's
 *   instance label) is the one we mean: SO's id formula is a plain
 *   concatenation, so `col`+`a` and `co`+`la` share one id, and a mismatch
 *   is an id collision, never a write;
 * - its `data-owner` passes `mayChange()` (for a delete: exactly ours,
 *   never empty);
 * - it is in this installation's scope ({@linkcode inInstallation}): its
 *   `selflink` points at our k8splugin and its region is one of ours (14.10).
 *
 * Pure functions of data; `publish()` does the read (one GET per write to an
 * existing object; a pass that changes nothing sends nothing).
 *
 * @module
 */

import type { AaiObject } from "../adapters/aai.ts";
import { instanceIdOfLabels } from "../adapters/k8splugin.ts";
import type { Config } from "./config_type.ts";
import { mayChange, type OwnershipPolicy } from "./plan.ts";

/**
 * A `k8s-resource` under a tenant, without `/aai/{v}`: the only kind of
 * object this tool ever writes or deletes.
 */
export const K8S_RESOURCE_PATH =
  /^\/cloud-infrastructure\/cloud-regions\/cloud-region\/[^/?#]+\/[^/?#]+\/tenants\/tenant\/[^/?#]+\/k8s-resources\/k8s-resource\/[^/?#]+$/;

/**
 * Whether `path` is a `k8s-resource` under a tenant (no `.`/`..` segment).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isK8sResourcePath } from "./guard.ts";
 * assert.ok(isK8sResourcePath("/cloud-infrastructure/cloud-regions/cloud-region/o/r/tenants/tenant/t/k8s-resources/k8s-resource/abc"));
 * assert.ok(!isK8sResourcePath("/network/generic-vnfs/generic-vnf/vnf-1"));
 * ```
 */
export function isK8sResourcePath(path: string): boolean {
  return K8S_RESOURCE_PATH.test(path) &&
    !path.split("/").some((s) => s === "." || s === "..");
}

/** Who we mean an existing object to be. */
export interface ExpectedIdentity {
  /** `group/version/kind/namespace/name` (a desired object's or a snapshot entry's `key`). */
  key: string;
  /** The k8splugin instance it belongs to. */
  instanceId: string;
}

/** The `group/version/kind/namespace/name` of an object A&AI returned. */
export function keyOfHeld(held: AaiObject): string {
  const s = (field: string) =>
    typeof held[field] === "string" ? held[field] as string : "";
  return `${s("group")}/${s("version")}/${s("kind")}/${s("namespace")}/${
    s("name")
  }`;
}

/** The instance id in an A&AI object's labels, when it has one. */
export function instanceOfHeld(held: AaiObject): string | undefined {
  const labels = Array.isArray(held.labels)
    ? held.labels.filter((l): l is string => typeof l === "string")
    : [];
  return instanceIdOfLabels(labels);
}

/**
 * What one installation may adopt and delete: objects whose `selflink`
 * starts with one of `selflinkPrefixes` (its k8splugin, and former URLs of
 * it), in `regions` when set (a shard).
 */
export interface InstallationScope {
  /** `{k8splugin}/v1/instance/` of the current and former k8splugin URLs. */
  selflinkPrefixes: string[];
  /** Its cloud regions; absent: every region. */
  regions?: readonly string[] | undefined;
}

/** The selflink prefix of objects published for instances of `k8spluginUrl`. */
function selflinkPrefix(k8spluginUrl: string): string {
  return `${k8spluginUrl.replace(/\/+$/, "")}/v1/instance/`;
}

/**
 * This installation's scope from its config: `k8splugin.url` and
 * `scope.formerK8spluginUrls` give the selflink prefixes, `scope.regions`
 * the regions.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { installationOf } from "./guard.ts";
 * const config = { k8splugin: { url: "http://k8s:9015/" }, scope: { formerK8spluginUrls: [] } };
 * assert.deepEqual(installationOf(config).selflinkPrefixes, ["http://k8s:9015/v1/instance/"]);
 * ```
 */
export function installationOf(
  config: Pick<Config, "scope"> & { k8splugin: { url: string } },
): InstallationScope {
  return {
    selflinkPrefixes: [
      config.k8splugin.url,
      ...config.scope.formerK8spluginUrls,
    ].map(selflinkPrefix),
    regions: config.scope.regions,
  };
}

/** The cloud region of a k8s-resource path (decoded), when it is one. */
export function regionOfPath(path: string): string | undefined {
  if (!isK8sResourcePath(path)) return undefined;
  try {
    return decodeURIComponent(path.split("/")[5]!);
  } catch {
    return undefined;
  }
}

/**
 * Whether the object A&AI holds at `path` is this installation's to adopt
 * or delete: its `selflink` points at our k8splugin, and its region is in
 * our regions (when the scope names them).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inInstallation } from "./guard.ts";
 * const scope = { selflinkPrefixes: ["http://k8s-a/v1/instance/"] };
 * const path = "/cloud-infrastructure/cloud-regions/cloud-region/o/r/tenants/tenant/t/k8s-resources/k8s-resource/x";
 * assert.ok(inInstallation(scope, path, { selflink: "http://k8s-a/v1/instance/i/query?Kind=Pod" }));
 * assert.ok(!inInstallation(scope, path, { selflink: "http://k8s-b/v1/instance/i/query?Kind=Pod" }));
 * ```
 */
export function inInstallation(
  scope: InstallationScope,
  path: string,
  held: AaiObject,
): boolean {
  const selflink = typeof held.selflink === "string" ? held.selflink : "";
  if (!scope.selflinkPrefixes.some((p) => selflink.startsWith(p))) {
    return false;
  }
  if (!scope.regions?.length) return true;
  const region = regionOfPath(path);
  return region !== undefined && scope.regions.includes(region);
}

/** What the guard decided about one write. */
export type GuardVerdict =
  | { ok: true }
  /** Not a k8s-resource under a tenant: never written. */
  | { ok: false; reason: "path"; message: string }
  /** Another owner's (or, for a delete, an unowned) object: left alone. */
  | { ok: false; reason: "owner"; owner: string; message: string }
  /** Another resource behind the same id: an error, never a write. */
  | { ok: false; reason: "collision"; message: string }
  /** Another installation's object (or another shard's): never written. */
  | { ok: false; reason: "scope"; message: string };

/**
 * Checks the object A&AI holds at `path` before we write to it (`write`:
 * PATCH, relationship PUT, adoption) or delete it (`delete`).
 *
 * @param path The object's A&AI path (without `/aai/{v}`).
 * @param held What A&AI returned for it just now.
 * @param expected The resource we mean (key and instance).
 * @param policy Whose objects may be changed (`mayChange()`).
 * @param action `write` or `delete` (a delete needs the owner exactly ours).
 * @param installation This installation's scope; absent: not checked.
 * @returns `{ ok: true }`, or why the write must not happen.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { guardHeld } from "./guard.ts";
 * const path = "/cloud-infrastructure/cloud-regions/cloud-region/o/r/tenants/tenant/t/k8s-resources/k8s-resource/x";
 * const held = { name: "a", group: "", version: "v1", kind: "ConfigMap", namespace: "ns", "data-owner": "k8s-aai-sync", labels: ["k8splugin.io/rb-instance-id=col"] };
 * const policy = { owner: "k8s-aai-sync", takeOwnership: false };
 * assert.equal(guardHeld(path, held, { key: "/v1/ConfigMap/ns/a", instanceId: "col" }, policy, "delete").ok, true);
 * assert.equal(guardHeld(path, held, { key: "/v1/ConfigMap/ns/la", instanceId: "co" }, policy, "write").ok, false);
 * ```
 */
export function guardHeld(
  path: string,
  held: AaiObject,
  expected: ExpectedIdentity,
  policy: OwnershipPolicy,
  action: "write" | "delete",
  installation?: InstallationScope,
): GuardVerdict {
  if (!isK8sResourcePath(path)) {
    return {
      ok: false,
      reason: "path",
      message:
        `Not writing to ${path} in A&AI: it is not a k8s-resource under a tenant`,
    };
  }
  const key = keyOfHeld(held);
  const instance = instanceOfHeld(held);
  if (
    key !== expected.key ||
    (instance !== undefined && instance !== expected.instanceId)
  ) {
    return {
      ok: false,
      reason: "collision",
      message: `Cannot ${
        action === "delete" ? "delete" : "publish"
      } ${expected.key} of instance "${expected.instanceId}": A&AI object ${path} is ${key} of instance "${
        instance ?? "(unlabelled)"
      }" (id collision of SO's formula)`,
    };
  }
  const owner = typeof held["data-owner"] === "string"
    ? held["data-owner"] as string
    : "";
  if (!mayChange(owner, policy, action)) {
    return {
      ok: false,
      reason: "owner",
      owner,
      message: action === "delete"
        ? `Not deleting ${expected.key} (${path}) from A&AI: it belongs to data-owner "${owner}"`
        : `Leaving ${expected.key} alone in A&AI: it belongs to data-owner "${owner}" (use --take-ownership to take it over)`,
    };
  }
  // The selflink tells installations that share an owner apart; another
  // owner's object taken over (--take-ownership) carries its own selflink.
  if (
    installation &&
    !inInstallation(
      owner === policy.owner
        ? installation
        : { ...installation, selflinkPrefixes: [""] },
      path,
      held,
    )
  ) {
    return {
      ok: false,
      reason: "scope",
      message: `Not ${
        action === "delete" ? "deleting" : "writing to"
      } ${expected.key} (${path}) in A&AI: it is outside this installation's scope (selflink "${
        String(held.selflink ?? "")
      }"; see scope in the README)`,
    };
  }
  return { ok: true };
}
