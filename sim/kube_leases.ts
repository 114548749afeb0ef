/**
 * `coordination.k8s.io/v1` Leases in the Kubernetes API simulator, enough for
 * leader election with `@kubernetes/client-node`: GET, LIST, create (POST),
 * update (PUT, optimistic on `metadata.resourceVersion`: a stale one → 409
 * Conflict), PATCH (merge patch, strategic merge patch treated as a merge
 * patch, and JSON patch; a `metadata.resourceVersion` in the patch is checked
 * too) and DELETE. Create of an existing name → 409 AlreadyExists; a missing
 * one → 404 NotFound. Leases have their own resourceVersion sequence (they
 * are not part of the scenario snapshots).
 *
 * @module
 */
import { statusResponse } from "./_kube_status.ts";

/** A Lease as stored. */
export type SimLease = Record<string, unknown> & {
  metadata: Record<string, unknown> & { name: string; namespace: string };
};

const RESOURCE = "leases.coordination.k8s.io";

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** RFC 7386 merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return patch;
  const out: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

/** RFC 6902 JSON patch (add, replace, remove, test); throws on a bad path. */
function jsonPatch(target: unknown, operations: unknown[]): unknown {
  const document = structuredClone(target) as Record<string, unknown>;
  for (const operation of operations) {
    if (!isRecord(operation) || typeof operation.path !== "string") {
      throw new Error("invalid JSON patch operation");
    }
    const keys = operation.path.split("/").slice(1).map((k) =>
      k.replaceAll("~1", "/").replaceAll("~0", "~")
    );
    const last = keys.pop();
    if (last === undefined) throw new Error("empty JSON patch path");
    let parent: Record<string, unknown> = document;
    for (const key of keys) {
      const next = parent[key];
      if (!isRecord(next) && !Array.isArray(next)) {
        throw new Error(`missing path "${operation.path}"`);
      }
      parent = next as Record<string, unknown>;
    }
    switch (operation.op) {
      case "add":
      case "replace":
        parent[last] = operation.value;
        break;
      case "remove":
        delete parent[last];
        break;
      case "test":
        if (JSON.stringify(parent[last]) !== JSON.stringify(operation.value)) {
          throw new Error(`test failed at "${operation.path}"`);
        }
        break;
      default:
        throw new Error(`unsupported JSON patch op "${operation.op}"`);
    }
  }
  return document;
}

/** The simulator's Leases. */
export class LeaseStore {
  #leases = new Map<string, SimLease>();
  #resourceVersion = 0;

  /** The stored Leases (copies). */
  list(): SimLease[] {
    return [...this.#leases.values()].map((l) => structuredClone(l));
  }

  /** Serves a Lease request (`name` undefined for the collection). */
  async handle(
    request: Request,
    namespace: string | undefined,
    name: string | undefined,
  ): Promise<Response> {
    const method = request.method;
    if (name === undefined) {
      if (method === "GET") return this.#listResponse(namespace);
      if (method === "POST" && namespace !== undefined) {
        return this.#create(namespace, await request.text());
      }
    } else if (namespace !== undefined) {
      const key = `${namespace}/${name}`;
      if (method === "GET") {
        const lease = this.#leases.get(key);
        return lease ? Response.json(lease) : this.#notFound(name);
      }
      if (method === "PUT") {
        return this.#update(key, name, await request.text());
      }
      if (method === "PATCH") {
        return this.#patch(
          key,
          name,
          await request.text(),
          request.headers.get("content-type") ?? "",
        );
      }
      if (method === "DELETE") {
        const lease = this.#leases.get(key);
        if (!lease) return this.#notFound(name);
        this.#leases.delete(key);
        return Response.json({
          kind: "Status",
          apiVersion: "v1",
          metadata: {},
          status: "Success",
          details: {
            name,
            group: "coordination.k8s.io",
            kind: "leases",
            uid: lease.metadata.uid,
          },
        });
      }
    }
    return statusResponse(
      405,
      "MethodNotAllowed",
      "the server does not allow this method on the requested resource",
    );
  }

  #listResponse(namespace: string | undefined): Response {
    const items = [...this.#leases.values()]
      .filter((l) =>
        namespace === undefined || l.metadata.namespace === namespace
      )
      .map(({ apiVersion: _a, kind: _k, ...rest }) => rest);
    return Response.json({
      kind: "LeaseList",
      apiVersion: "coordination.k8s.io/v1",
      metadata: { resourceVersion: String(this.#resourceVersion) },
      items,
    });
  }

  #notFound(name: string): Response {
    return statusResponse(404, "NotFound", `${RESOURCE} "${name}" not found`, {
      name,
      group: "coordination.k8s.io",
      kind: "leases",
    });
  }

  #conflict(name: string): Response {
    return statusResponse(
      409,
      "Conflict",
      `Operation cannot be fulfilled on ${RESOURCE} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      { name, group: "coordination.k8s.io", kind: "leases" },
    );
  }

  #parse(text: string): unknown {
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  }

  #badRequest(message: string): Response {
    return statusResponse(400, "BadRequest", message);
  }

  #store(lease: SimLease, created: boolean): Response {
    this.#resourceVersion++;
    lease.apiVersion = "coordination.k8s.io/v1";
    lease.kind = "Lease";
    lease.metadata.resourceVersion = String(this.#resourceVersion);
    this.#leases.set(
      `${lease.metadata.namespace}/${lease.metadata.name}`,
      lease,
    );
    return Response.json(lease, { status: created ? 201 : 200 });
  }

  #create(namespace: string, text: string): Response {
    const body = this.#parse(text);
    if (!isRecord(body) || !isRecord(body.metadata)) {
      return this.#badRequest("the body is not a Lease");
    }
    const name = body.metadata.name;
    if (typeof name !== "string" || name === "") {
      return statusResponse(
        422,
        "Invalid",
        `Lease.coordination.k8s.io "" is invalid: metadata.name: Required value: name or generateName is required`,
      );
    }
    if (this.#leases.has(`${namespace}/${name}`)) {
      return statusResponse(
        409,
        "AlreadyExists",
        `${RESOURCE} "${name}" already exists`,
        { name, group: "coordination.k8s.io", kind: "leases" },
      );
    }
    if (body.metadata.resourceVersion) {
      return this.#badRequest(
        "resourceVersion should not be set on objects to be created",
      );
    }
    const lease = structuredClone(body) as SimLease;
    lease.metadata = {
      ...lease.metadata,
      name,
      namespace,
      uid: crypto.randomUUID(),
      creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    };
    return this.#store(lease, true);
  }

  #update(key: string, name: string, text: string): Response {
    const existing = this.#leases.get(key);
    if (!existing) return this.#notFound(name);
    const body = this.#parse(text);
    if (!isRecord(body) || !isRecord(body.metadata)) {
      return this.#badRequest("the body is not a Lease");
    }
    const rv = body.metadata.resourceVersion;
    if (
      rv !== undefined && rv !== "" && rv !== existing.metadata.resourceVersion
    ) {
      return this.#conflict(name);
    }
    const lease = structuredClone(body) as SimLease;
    lease.metadata = {
      ...lease.metadata,
      name,
      namespace: existing.metadata.namespace,
      uid: existing.metadata.uid,
      creationTimestamp: existing.metadata.creationTimestamp,
    };
    return this.#store(lease, false);
  }

  #patch(
    key: string,
    name: string,
    text: string,
    contentType: string,
  ): Response {
    const existing = this.#leases.get(key);
    if (!existing) return this.#notFound(name);
    const body = this.#parse(text);
    let patched: unknown;
    try {
      if (/json-patch\+json/.test(contentType)) {
        if (!Array.isArray(body)) throw new Error("a JSON patch is an array");
        patched = jsonPatch(existing, body);
      } else if (/merge-patch\+json/.test(contentType)) {
        if (!isRecord(body)) throw new Error("a merge patch is an object");
        const rv = isRecord(body.metadata)
          ? body.metadata.resourceVersion
          : undefined;
        if (
          typeof rv === "string" && rv !== existing.metadata.resourceVersion
        ) {
          return this.#conflict(name);
        }
        patched = mergePatch(existing, body);
      } else {
        return statusResponse(
          415,
          "UnsupportedMediaType",
          `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
        );
      }
    } catch (error) {
      return this.#badRequest((error as Error).message);
    }
    if (!isRecord(patched) || !isRecord(patched.metadata)) {
      return this.#badRequest("the patch removed the metadata");
    }
    const rv = patched.metadata.resourceVersion;
    if (rv !== existing.metadata.resourceVersion) return this.#conflict(name);
    const lease = patched as SimLease;
    lease.metadata = {
      ...lease.metadata,
      name,
      namespace: existing.metadata.namespace,
    };
    return this.#store(lease, false);
  }
}
