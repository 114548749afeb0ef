/**
 * The A&AI simulator's engine: every rule, shared by single requests
 * and bulk operations.
 *
 * @module
 */
import type { SimAaiObject } from "./aai.ts";
import { AaiObjectStore } from "./_aai_store.ts";
import { SimError } from "./_aai_errors.ts";
import {
  decodePath,
  type ObjectRef,
  parseSegments,
  relativeUri,
} from "./_aai_paths.ts";
import {
  type EdgeRule,
  edgeRule,
  isContainment,
  type PropType,
  type TypeDef,
  TYPES,
} from "./_aai_schema.ts";

/** Query parameters that are options, not property filters, of a GET. */
export const RESERVED_QUERY = new Set([
  "depth",
  "nodes-only",
  "nodesOnly",
  "skip-related-to",
  "format",
  "resultIndex",
  "resultSize",
  "resource-version",
  "cleanup",
]);

/** The bypass value of `aai.resourceversion.disabled.uuid` (DELETE only). */
const RV_BYPASS = "38cf3090-6a0c-4e9d-8142-4332a7352846";

/** An answer of the simulator before it is serialised (JSON or XML). */
export interface Reply {
  /** The HTTP status. */
  status: number;
  /** The body, when there is one. */
  body?: unknown;
  /** XML root element name. */
  root?: string;
  /** Extra response headers. */
  headers?: Record<string, string>;
}

/** The simulated A&AI: its store and every rule of reads and writes. */
export class Engine {
  readonly store = new AaiObjectStore();
  #lastRv = 0;
  #vertex = 0;

  nextRv(): string {
    const now = Date.now();
    this.#lastRv = now > this.#lastRv ? now : this.#lastRv + 1;
    return String(this.#lastRv);
  }

  vertexId(): string {
    return String(4096 + (++this.#vertex) * 8);
  }

  /** Validates a PUT body against the schema; returns the properties to store. */
  validateBody(ref: ObjectRef, body: unknown, method: string): SimAaiObject {
    if (!isRecord(body)) {
      throw new SimError(
        "3000",
        `the body of a ${method} must be a JSON object`,
      );
    }
    const out: SimAaiObject = {};
    ref.type.keys.forEach((key, i) => {
      const given = body[key];
      const fromUri = ref.keys[i] as string;
      if (given !== undefined && given !== null && String(given) !== fromUri) {
        throw new SimError("3000", "uri and payload keys don't match");
      }
      out[key] = fromUri;
    });
    for (const [name, value] of Object.entries(body)) {
      const type = ref.type.props[name];
      if (!type || ref.type.keys.includes(name) || value === null) continue;
      if (!matchesType(value, type)) {
        throw new SimError(
          "3000",
          `property ${name} of ${ref.type.name} must be ${typeWord(type)}`,
        );
      }
      out[name] = Array.isArray(value) ? [...value] : value;
    }
    return out;
  }

  /** Resolves the target of a relationship body; throws 404 6129 when missing. */
  relatedTarget(
    body: unknown,
    method: string,
  ): { ref: ObjectRef; label: string | undefined } {
    if (!isRecord(body)) {
      throw new SimError("3000", "a relationship must be a JSON object");
    }
    const label = typeof body["relationship-label"] === "string"
      ? body["relationship-label"]
      : undefined;
    let segments: string[] | undefined;
    const link = body["related-link"];
    if (typeof link === "string" && link !== "") {
      const path = link.replace(/^[a-z]+:\/\/[^/]+/i, "").replace(/\?.*$/, "")
        .replace(/^\/aai\/(v[0-9]+|latest)(?=\/)/, "");
      segments = decodePath(path);
    } else if (typeof body["related-to"] === "string") {
      segments = segmentsFromData(
        body["related-to"],
        body["relationship-data"],
      );
    }
    const parsed = segments ? parseSegments(segments) : undefined;
    if (!parsed || parsed.kind !== "object") {
      throw new SimError(
        "3000",
        `cannot find the object of relationship ${
          JSON.stringify(link ?? body["related-to"] ?? null)
        }`,
      );
    }
    if (!this.store.has(parsed.ref.path)) {
      throw new SimError(
        "6129",
        `Node of type ${parsed.ref.type.name} not found at ${parsed.ref.path} (${method})`,
        [parsed.ref.type.name, describeKeys(parsed.ref)],
      );
    }
    return { ref: parsed.ref, label };
  }

  /** The rule for an edge between `ref` and `target`; throws the A&AI error when none. */
  ruleFor(
    ref: ObjectRef,
    target: ObjectRef,
    label: string | undefined,
  ): EdgeRule {
    if (isContainment(ref.type.name, target.type.name)) {
      throw new SimError(
        "6145",
        `${ref.type.name} and ${target.type.name} are related by containment`,
      );
    }
    const rule = edgeRule(ref.type.name, target.type.name);
    if (!rule || (label !== undefined && label !== rule.label)) {
      throw new SimError(
        "6120",
        `No EdgeRule found for passed nodeTypes: ${ref.type.name}, ${target.type.name}${
          label ? ` with label ${label}` : ""
        }.`,
      );
    }
    return rule;
  }

  /** Throws 6140 when linking `a`–`b` breaks the rule's multiplicity (ignoring edges of `replacing`). */
  checkMultiplicity(
    a: ObjectRef,
    b: ObjectRef,
    rule: EdgeRule,
    replacing?: string,
    planned: string[] = [],
  ): void {
    if (rule.multiplicity !== "ONE2MANY") return;
    const [from, to] = a.type.name === rule.from ? [a, b] : [b, a];
    // When `to` itself is being given a new relationship-list, its current
    // edges are about to go and do not count.
    const existing = replacing === to.path
      ? []
      : [...this.store.edgesOf(to.path)].filter(([other, label]) =>
        label === rule.label && other !== from.path &&
        this.store.ref(other)?.type.name === rule.from
      ).map(([other]) => other);
    const others = [...existing, ...planned.filter((p) => p !== from.path)];
    if (others.length > 0) {
      throw new SimError(
        "6140",
        `multiplicity rule breaks with this edge creation: ${to.type.name} ${to.path} already has a ${rule.label} edge from ${rule.from} ${
          others[0]
        }`,
      );
    }
  }

  /** PUT an object (create 201 / replace 200) with every rule. */
  putObject(
    ref: ObjectRef,
    body: unknown,
    method: string,
    checkRv = true,
  ): Reply {
    const properties = this.validateBody(ref, body, method);
    for (const name of ref.type.required) {
      if (properties[name] === undefined) {
        throw new SimError("3000", `Missing required property: ${name}`);
      }
    }
    const existing = this.store.get(ref.path);
    const rv = isRecord(body) ? body["resource-version"] : undefined;
    if (checkRv) {
      if (existing && (rv === undefined || rv === null || rv === "")) {
        throw new SimError(
          "6130",
          `resource-version not passed for update of ${relativeUri(ref)}`,
        );
      }
      if (existing && String(rv) !== existing["resource-version"]) {
        throw new SimError(
          "6131",
          `resource-version MISMATCH for update of ${relativeUri(ref)}`,
        );
      }
      if (!existing && rv !== undefined && rv !== null && rv !== "") {
        throw new SimError(
          "6135",
          `resource-version passed for create of ${relativeUri(ref)}`,
        );
      }
    }
    const parent = ref.ancestors.at(-1);
    if (parent && !this.store.has(parent.path)) {
      throw new SimError(
        "6114",
        `No Node of type ${parent.type.name} found at: ${parent.path.slice(1)}`,
      );
    }
    // A present relationship-list replaces the edges: validate all first.
    let edges: { ref: ObjectRef; rule: EdgeRule }[] | undefined;
    const list = isRecord(body) ? body["relationship-list"] : undefined;
    if (isRecord(list)) {
      const items = Array.isArray(list.relationship) ? list.relationship : [];
      edges = [];
      for (const item of items) {
        const { ref: target, label } = this.relatedTarget(item, method);
        const rule = this.ruleFor(ref, target, label);
        const planned = edges.filter((e) =>
          e.rule === rule && ref.type.name === rule.to
        )
          .map((e) => e.ref.path);
        this.checkMultiplicity(ref, target, rule, ref.path, planned);
        edges.push({ ref: target, rule });
      }
    }
    properties["resource-version"] = this.nextRv();
    this.store.set(ref.path, properties);
    if (edges) {
      for (const other of [...this.store.edgesOf(ref.path).keys()]) {
        this.store.unlink(ref.path, other);
      }
      for (const edge of edges) {
        this.store.link(ref.path, edge.ref.path, edge.rule.label);
      }
    }
    return {
      status: existing ? 200 : 201,
      headers: { "vertex-id": this.vertexId() },
    };
  }

  /** Merge-PATCH (RFC 7386): no rv check, rv bumped, 404 when missing. */
  patchObject(ref: ObjectRef, body: unknown, method: string): Reply {
    const existing = this.store.get(ref.path);
    if (!existing) throw notFound(ref.path);
    if (!isRecord(body)) {
      throw new SimError(
        "3000",
        `the body of a ${method} must be a JSON object`,
      );
    }
    const next: SimAaiObject = { ...existing };
    ref.type.keys.forEach((key, i) => {
      const given = body[key];
      if (
        given !== undefined && given !== null && String(given) !== ref.keys[i]
      ) {
        throw new SimError("3000", "uri and payload keys don't match");
      }
    });
    for (const [name, value] of Object.entries(body)) {
      const type = ref.type.props[name];
      if (
        !type || ref.type.keys.includes(name) || name === "resource-version"
      ) continue;
      if (value === null) {
        delete next[name];
        continue;
      }
      if (!matchesType(value, type)) {
        throw new SimError(
          "3000",
          `property ${name} of ${ref.type.name} must be ${typeWord(type)}`,
        );
      }
      next[name] = Array.isArray(value) ? [...value] : value;
    }
    next["resource-version"] = this.nextRv();
    this.store.set(ref.path, next);
    return { status: 200, headers: { "vertex-id": this.vertexId() } };
  }

  /** DELETE with `?resource-version=`. */
  deleteObject(ref: ObjectRef, rv: string | null): Reply {
    const existing = this.store.get(ref.path);
    if (!existing) throw notFound(ref.path);
    if (rv !== RV_BYPASS) {
      if (rv === null || rv === "") {
        throw new SimError(
          "6130",
          `resource-version not passed for delete of ${ref.type.name}`,
        );
      }
      if (rv !== existing["resource-version"]) {
        throw new SimError(
          "6131",
          `resource-version MISMATCH for delete of ${ref.type.name}`,
        );
      }
    }
    this.#checkPreventDelete(ref.path);
    this.store.delete(ref.path);
    return { status: 204 };
  }

  /** Prevent-delete: a tenant with k8s-resources (also when reached by cascade). */
  #checkPreventDelete(path: string): void {
    const ref = this.store.ref(path);
    if (!ref) return;
    if (
      ref.type.name === "tenant" &&
      this.store.members(`${path}/k8s-resources`).size > 0
    ) {
      throw new SimError(
        "6110",
        `Object is being reference by additional objects preventing it from being deleted. Please clean up references from the following types [k8s-resource]`,
      );
    }
    for (const collection of Object.keys(ref.type.children)) {
      for (const child of this.store.members(`${path}/${collection}`)) {
        this.#checkPreventDelete(child);
      }
    }
  }

  /** PUT `…/relationship-list/relationship` (idempotent, bumps the rv). */
  putEdge(ref: ObjectRef, body: unknown, method: string): Reply {
    const existing = this.store.get(ref.path);
    if (!existing) throw notFound(ref.path);
    const { ref: target, label } = this.relatedTarget(body, method);
    const rule = this.ruleFor(ref, target, label);
    this.checkMultiplicity(ref, target, rule);
    this.store.link(ref.path, target.path, rule.label);
    this.store.set(ref.path, {
      ...existing,
      "resource-version": this.nextRv(),
    });
    return { status: 200 };
  }

  /** DELETE `…/relationship-list/relationship` with the relationship as body (idempotent, bumps the rv). */
  deleteEdge(ref: ObjectRef, body: unknown, method: string): Reply {
    const existing = this.store.get(ref.path);
    if (!existing) throw notFound(ref.path);
    if (body === undefined) {
      throw new SimError(
        "3102",
        "a relationship body is required to delete an edge",
      );
    }
    const { ref: target } = this.relatedTarget(body, method);
    this.store.unlink(ref.path, target.path);
    this.store.set(ref.path, {
      ...existing,
      "resource-version": this.nextRv(),
    });
    return { status: 204 };
  }

  /** The relationships of an object, as a GET shows them. */
  relationships(
    path: string,
    version: string,
    skipRelatedTo: boolean,
  ): unknown[] {
    const out: unknown[] = [];
    for (const [other, label] of this.store.edgesOf(path)) {
      const ref = this.store.ref(other);
      const object = this.store.get(other);
      if (!ref || !object) continue;
      const relationship: Record<string, unknown> = {
        "related-to": ref.type.name,
        "relationship-label": label,
        "related-link": `/aai/${version}${ref.path}`,
        "relationship-data": [...ref.ancestors, ref].flatMap((r) =>
          r.type.keys.map((key, i) => ({
            "relationship-key": `${r.type.name}.${key}`,
            "relationship-value": r.keys[i],
          }))
        ),
      };
      if (!skipRelatedTo) {
        const properties = ref.type.nameProps.filter((p) =>
          object[p] !== undefined
        )
          .map((p) => ({
            "property-key": `${ref.type.name}.${p}`,
            "property-value": String(object[p]),
          }));
        if (properties.length > 0) {
          relationship["related-to-property"] = properties;
        }
      }
      out.push(relationship);
    }
    return out;
  }

  /** An object as a GET renders it. */
  render(path: string, options: RenderOptions): SimAaiObject {
    const object: SimAaiObject = { ...this.store.get(path) };
    if (!options.nodesOnly) {
      const relationships = this.relationships(
        path,
        options.version,
        options.skipRelatedTo,
      );
      if (relationships.length > 0) {
        object["relationship-list"] = { relationship: relationships };
      }
    }
    const ref = this.store.ref(path);
    if (ref && options.depth > 0) {
      for (const [collection, childType] of Object.entries(ref.type.children)) {
        const members = this.store.members(`${path}/${collection}`);
        if (members.size === 0) continue;
        object[collection] = {
          [childType]: [...members].map((child) =>
            this.render(child, { ...options, depth: options.depth - 1 })
          ),
        };
      }
    }
    return object;
  }
}

/** How a GET renders objects (its query parameters). */
export interface RenderOptions {
  /** `depth`: levels of children included (`all`: Infinity). */
  depth: number;
  /** `nodes-only`: without relationship-lists. */
  nodesOnly: boolean;
  /** `skip-related-to`: relationships without `related-to-property`. */
  skipRelatedTo: boolean;
  /** The API version of the request (`v24`). */
  version: string;
}

/** AAI_6114 (Node Not Found) for `path`. */
export function notFound(path: string, type?: string): SimError {
  const shown = path.replace(/^\//, "");
  const typeName = type ?? decodePath(path).at(-2) ?? "object";
  return new SimError("6114", `No Node of type ${typeName} found at: ${shown}`);
}

/** Whether a value is a plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function matchesType(value: unknown, type: PropType): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "boolean":
      return typeof value === "boolean";
    case "integer":
      return Number.isInteger(value);
    case "strings":
      return Array.isArray(value) && value.every((v) => typeof v === "string");
  }
}

function typeWord(type: PropType): string {
  return type === "strings" ? "a list of strings" : `a ${type}`;
}

function describeKeys(ref: ObjectRef): string {
  return [...ref.ancestors, ref].flatMap((r) =>
    r.type.keys.map((key, i) => `${r.type.name}.${key}:${r.keys[i]}`)
  ).join(",");
}

/** Segments of an object from `related-to` + `relationship-data` (no `related-link`). */
function segmentsFromData(
  relatedTo: string,
  data: unknown,
): string[] | undefined {
  const type = TYPES[relatedTo];
  if (!type || !Array.isArray(data)) return undefined;
  const values = new Map<string, string>();
  for (const item of data) {
    if (isRecord(item) && typeof item["relationship-key"] === "string") {
      values.set(item["relationship-key"], String(item["relationship-value"]));
    }
  }
  const chain: TypeDef[] = [];
  for (
    let t: TypeDef | undefined = type;
    t;
    t = t.parent ? TYPES[t.parent] : undefined
  ) {
    chain.unshift(t);
  }
  const segments: string[] = [];
  for (const t of chain) {
    segments.push(...t.collection, t.name);
    for (const key of t.keys) {
      const value = values.get(`${t.name}.${key}`);
      if (value === undefined) return undefined;
      segments.push(value);
    }
  }
  return segments;
}
