/**
 * A&AI paths: parsing, canonical encoding and aai-resources'
 * `ValidateEncoding`.
 *
 * @module
 */
import { SimError } from "./_aai_errors.ts";
import { type TypeDef, TYPES } from "./_aai_schema.ts";

/** One modelled object a path names. */
export interface ObjectRef {
  /** Its type. */
  type: TypeDef;
  /** Canonical path, e.g. `/network/generic-vnfs/generic-vnf/v1`. */
  path: string;
  /** This object's key values, in `type.keys` order. */
  keys: string[];
  /** Ancestors, root first. */
  ancestors: ObjectRef[];
  /** Path of the collection holding it. */
  collectionPath: string;
}

/** What a path names: an object, a collection, or an object's relationship-list or relationship. */
export type ParsedPath =
  | { kind: "object"; ref: ObjectRef }
  | {
    kind: "collection";
    type: TypeDef;
    path: string;
    parent: ObjectRef | undefined;
  }
  | { kind: "relationship-list"; ref: ObjectRef }
  | { kind: "relationship"; ref: ObjectRef };

/** Joins segments into a path, each percent-encoded behind a `/`. */
export function encodeSegments(segments: string[]): string {
  return segments.map((s) => "/" + encodeURIComponent(s)).join("");
}

/** Parses decoded segments (without `/aai/{v}`); undefined when not a modelled path. */
export function parseSegments(segments: string[]): ParsedPath | undefined {
  let type: TypeDef | undefined;
  let index: number;
  if (
    segments[0] === "cloud-infrastructure" && segments[1] === "cloud-regions"
  ) {
    type = TYPES["cloud-region"];
  } else if (segments[0] === "network" && segments[1] === "generic-vnfs") {
    type = TYPES["generic-vnf"];
  }
  if (!type) return undefined;
  index = 2;
  let parent: ObjectRef | undefined;
  let prefix = encodeSegments(segments.slice(0, 2));
  for (;;) {
    if (index === segments.length) {
      return { kind: "collection", type, path: prefix, parent };
    }
    if (segments[index] !== type.name) return undefined;
    const keys = segments.slice(index + 1, index + 1 + type.keys.length);
    if (keys.length < type.keys.length) return undefined;
    const path = prefix + encodeSegments([type.name, ...keys]);
    const ref: ObjectRef = {
      type,
      path,
      keys,
      ancestors: parent ? [...parent.ancestors, parent] : [],
      collectionPath: prefix,
    };
    index += 1 + type.keys.length;
    if (index === segments.length) return { kind: "object", ref };
    if (segments[index] === "relationship-list") {
      if (index + 1 === segments.length) {
        return { kind: "relationship-list", ref };
      }
      if (
        segments[index + 1] === "relationship" && index + 2 === segments.length
      ) {
        return { kind: "relationship", ref };
      }
      return undefined;
    }
    const childName = type.children[segments[index] as string];
    if (!childName) return undefined;
    parent = ref;
    prefix = path + encodeSegments([segments[index] as string]);
    type = TYPES[childName] as TypeDef;
    index += 1;
  }
}

/** Splits and percent-decodes a path (throws SimError 3008 on bad encoding). */
export function decodePath(path: string): string[] {
  const trimmed = path.replace(/^\/+/, "").replace(/\/+$/, "");
  if (trimmed === "") return [];
  try {
    return trimmed.split("/").map((s) => decodeURIComponent(s));
  } catch {
    throw new SimError("3008", `cannot decode ${path}`);
  }
}

/** The object a path names; throws a TypeError when it names none. */
export function parseObjectPath(path: string): ObjectRef {
  const parsed = parseSegments(decodePath(path));
  if (parsed?.kind !== "object") {
    throw new TypeError(
      `Cannot use "${path}" as an A&AI object path in the simulator`,
    );
  }
  return parsed.ref;
}

/** The object-relative URI A&AI puts in 412 messages (Introspector.getURI). */
export function relativeUri(ref: ObjectRef): string {
  const own = encodeSegments([ref.type.name, ...ref.keys]);
  return ref.type.parent ? encodeSegments(ref.type.collection) + own : ref.path;
}

/** Spring's `UriUtils.encode(s, UTF-8)`: everything but RFC 3986 unreserved characters, upper-case hex. */
export function springEncode(text: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(text)) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c)
      ? c
      : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** Spring's `UriUtils.decode`: percent-decoding (no `+` → space), throwing on a bad escape. */
function springDecode(text: string): string {
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "%") {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) {
        throw new SimError(
          "3008",
          `invalid encoded sequence "${text.slice(i)}"`,
        );
      }
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(...encoder.encode(c));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/**
 * aai-resources' `ValidateEncoding`: every raw path segment, query key and
 * query value must equal `UriUtils.encode(UriUtils.decode(it))`, else 400
 * AAI_3008 (so `! ' ( ) *` left raw by `encodeURIComponent`, `+` for a
 * space, or lower-case hex are refused).
 */
export function validateEncoding(url: URL): void {
  const raw = [...url.pathname.split("/")];
  const query = url.search.replace(/^\?/, "");
  if (query !== "") {
    for (const pair of query.split("&")) {
      const equals = pair.indexOf("=");
      if (equals < 0) raw.push(pair);
      else raw.push(pair.slice(0, equals), pair.slice(equals + 1));
    }
  }
  for (const segment of raw) {
    if (springEncode(springDecode(segment)) !== segment) {
      throw new SimError("3008", `uri=${url.pathname.replace(/^\//, "")}`);
    }
  }
}
