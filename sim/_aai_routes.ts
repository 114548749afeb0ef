/**
 * A&AI read routes (object, collection, relationship-list, nodes) and
 * the write router.
 *
 * @module
 */
import {
  type Engine,
  notFound,
  type RenderOptions,
  type Reply,
  RESERVED_QUERY,
} from "./_aai_engine.ts";
import { SimError } from "./_aai_errors.ts";
import type { ParsedPath } from "./_aai_paths.ts";
import { pluralOf, PLURALS, type TypeDef, TYPES } from "./_aai_schema.ts";

/** The answer to a GET of an object, a collection or a relationship-list. */
export function getReply(
  engine: Engine,
  parsed: ParsedPath,
  query: URLSearchParams,
  version: string,
): Reply {
  const depthText = query.get("depth");
  let depth = 0;
  if (depthText === "all") depth = Infinity;
  else if (depthText !== null) {
    depth = Number(depthText);
    if (!/^\d+$/.test(depthText)) {
      throw new SimError("4016", `depth=${depthText}`);
    }
  }
  const options: RenderOptions = {
    depth,
    nodesOnly: query.has("nodes-only") || query.get("nodesOnly") === "true",
    skipRelatedTo: query.get("skip-related-to") === "true",
    version,
  };
  switch (parsed.kind) {
    case "object": {
      if (!engine.store.has(parsed.ref.path)) {
        throw notFound(parsed.ref.path, parsed.ref.type.name);
      }
      if (query.get("format") === "count") {
        // What SO's exists() asks for (k8sResourceExistsResponse.json).
        return {
          status: 200,
          body: { results: [{ [parsed.ref.type.name]: 1 }] },
          root: "results",
        };
      }
      return {
        status: 200,
        body: engine.render(parsed.ref.path, options),
        root: parsed.ref.type.name,
        headers: { "vertex-id": engine.vertexId() },
      };
    }
    case "collection":
      return listReply(
        engine,
        parsed.type,
        engine.store.members(parsed.path),
        query,
        options,
        parsed.path,
      );
    case "relationship-list": {
      if (!engine.store.has(parsed.ref.path)) {
        throw notFound(parsed.ref.path, parsed.ref.type.name);
      }
      const relationships = engine.relationships(
        parsed.ref.path,
        version,
        options.skipRelatedTo,
      );
      if (relationships.length === 0) {
        throw new SimError(
          "6149",
          `No relationships found for ${parsed.ref.path}`,
        );
      }
      return {
        status: 200,
        body: { relationship: relationships },
        root: "relationship-list",
      };
    }
    case "relationship":
      throw new SimError("3012", "GET is not allowed on a relationship");
  }
}

/** A plural answer: filters, pagination, format; 404 when empty. */
function listReply(
  engine: Engine,
  type: TypeDef,
  paths: Iterable<string>,
  query: URLSearchParams,
  options: RenderOptions,
  shownPath: string,
): Reply {
  const filters = [...query].filter(([key]) => !RESERVED_QUERY.has(key));
  let matches: string[] = [];
  for (const path of paths) {
    const object = engine.store.get(path);
    if (
      object &&
      filters.every(([key, value]) => propertyMatches(object[key], value))
    ) {
      matches.push(path);
    }
  }
  if (matches.length === 0) throw notFound(shownPath, type.name);
  const headers: Record<string, string> = {};
  const index = Number(query.get("resultIndex") ?? "");
  const size = Number(query.get("resultSize") ?? "");
  if (index > 0 && size > 0) {
    headers["total-results"] = String(matches.length);
    headers["total-pages"] = String(Math.ceil(matches.length / size));
    matches = matches.slice((index - 1) * size, index * size);
    if (matches.length === 0) throw notFound(shownPath, type.name);
  }
  const format = query.get("format");
  const plural = pluralOf(type.name);
  if (format === "count") {
    return {
      status: 200,
      body: { results: [{ [type.name]: matches.length }] },
      root: "results",
      headers,
    };
  }
  if (format === "pathed") {
    return {
      status: 200,
      body: {
        results: matches.map((path) => ({
          "resource-type": type.name,
          "resource-link": `/aai/${options.version}${path}`,
        })),
      },
      root: "results",
      headers,
    };
  }
  if (format === "resource_and_url" || format === "resource") {
    return {
      status: 200,
      body: {
        results: matches.map((path) => ({
          [type.name]: engine.render(path, options),
          ...(format === "resource_and_url"
            ? { url: `/aai/${options.version}${path}` }
            : {}),
        })),
      },
      root: "results",
      headers,
    };
  }
  return {
    status: 200,
    body: {
      [type.name]: matches.map((path) => engine.render(path, options)),
    },
    root: plural,
    headers,
  };
}

/** The answer to a GET under `/nodes`: `/nodes/{plural}` lists a type, `/nodes/{type}/{keys}` finds one object under any parent. */
export function nodesReply(
  engine: Engine,
  segments: string[],
  query: URLSearchParams,
  version: string,
): Reply {
  const options: RenderOptions = {
    depth: query.get("depth") === "all"
      ? Infinity
      : Number(query.get("depth") ?? 0) || 0,
    nodesOnly: query.has("nodes-only") || query.get("nodesOnly") === "true",
    skipRelatedTo: query.get("skip-related-to") === "true",
    version,
  };
  const shown = "nodes/" + segments.map(encodeURIComponent).join("/");
  const pluralType = segments.length === 1
    ? PLURALS[segments[0] as string]
    : undefined;
  if (pluralType) {
    return listReply(
      engine,
      TYPES[pluralType] as TypeDef,
      engine.store.ofType(pluralType),
      query,
      options,
      shown,
    );
  }
  const type = TYPES[segments[0] ?? ""];
  if (type && segments.length === 1 + type.keys.length) {
    const keys = segments.slice(1);
    const found = [...engine.store.ofType(type.name)].filter((path) => {
      const ref = engine.store.ref(path);
      return ref !== undefined && ref.keys.every((k, i) => k === keys[i]);
    });
    if (found.length === 0) throw notFound(shown, type.name);
    return {
      status: 200,
      body: engine.render(found[0] as string, options),
      root: type.name,
    };
  }
  throw new SimError("6115", `the simulator does not model /${shown}`);
}

/** The answer to a PUT, PATCH or DELETE of an object or a relationship. */
export function writeReply(
  engine: Engine,
  method: string,
  parsed: ParsedPath,
  body: unknown,
  rv: string | null,
): Reply {
  if (parsed.kind === "object") {
    if (method === "PUT") {
      if (body === undefined) throw new SimError("3102", "the body is empty");
      return engine.putObject(parsed.ref, body, method);
    }
    if (method === "PATCH") {
      if (body === undefined) throw new SimError("3102", "the body is empty");
      return engine.patchObject(parsed.ref, body, method);
    }
    if (method === "DELETE") return engine.deleteObject(parsed.ref, rv);
  }
  if (parsed.kind === "relationship") {
    if (method === "PUT") {
      if (body === undefined) throw new SimError("3102", "the body is empty");
      return engine.putEdge(parsed.ref, body, method);
    }
    if (method === "DELETE") {
      return engine.deleteEdge(parsed.ref, body, method);
    }
  }
  throw new SimError("3000", `${method} is not supported on this path`);
}

function propertyMatches(value: unknown, wanted: string): boolean {
  if (Array.isArray(value)) return value.some((v) => String(v) === wanted);
  return value !== undefined && String(value) === wanted;
}
