/**
 * How an object maps to a key of the rule registry.
 *
 * @module
 */
import { isRecord } from "./_fields.ts";

/**
 * The registry key of an object: `"group/Kind"` (`"apps/Deployment"`), or the
 * bare Kind for the core group (`"Pod"`); `undefined` when `kind` is not a
 * non-empty string.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ruleKeyOf } from "./mod.ts";
 * assert.equal(ruleKeyOf({ apiVersion: "apps/v1", kind: "Deployment" }), "apps/Deployment");
 * assert.equal(ruleKeyOf({ apiVersion: "v1", kind: "Pod" }), "Pod");
 * ```
 */
export function ruleKeyOf(object: unknown): string | undefined {
  if (!isRecord(object)) return undefined;
  const kind = object["kind"];
  if (typeof kind !== "string" || kind === "") return undefined;
  const apiVersion = object["apiVersion"];
  if (typeof apiVersion !== "string") return kind;
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? kind : `${apiVersion.slice(0, slash)}/${kind}`;
}

/**
 * A short name for messages and roll-ups: `"Deployment/web"`, or
 * `"Deployment/ns/web"` with `withNamespace`. Tolerates any input.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resourceLabel } from "./mod.ts";
 * const object = { kind: "Service", metadata: { name: "web", namespace: "demo" } };
 * assert.equal(resourceLabel(object), "Service/web");
 * assert.equal(resourceLabel(object, true), "Service/demo/web");
 * ```
 */
export function resourceLabel(object: unknown, withNamespace = false): string {
  if (!isRecord(object)) return "(not an object)";
  const kind = typeof object["kind"] === "string" && object["kind"] !== ""
    ? object["kind"]
    : "(no kind)";
  const metadata = isRecord(object["metadata"]) ? object["metadata"] : {};
  const name = typeof metadata["name"] === "string"
    ? metadata["name"]
    : "(no name)";
  const namespace = typeof metadata["namespace"] === "string"
    ? metadata["namespace"]
    : "";
  return withNamespace && namespace !== ""
    ? `${kind}/${namespace}/${name}`
    : `${kind}/${name}`;
}
