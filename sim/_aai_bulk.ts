/**
 * A&AI bulk APIs: `POST bulk/single-transaction` (all or nothing) and the
 * legacy `PUT bulkprocess` / `bulkadd` (one commit per transaction object).
 *
 * @module
 */
import { type Engine, isRecord, type Reply } from "./_aai_engine.ts";
import { errorReply, SimError } from "./_aai_errors.ts";
import { decodePath, parseSegments } from "./_aai_paths.ts";
import { writeReply } from "./_aai_routes.ts";

/** What a bulk request needs from the simulator. */
export interface BulkContext {
  engine: Engine;
  /** Operations allowed per request. */
  bulkLimit: number;
  /** Counts the operations a request carries (globally and for its client). */
  countOperations(n: number): void;
}

/** The answer to `POST /bulk/single-transaction`: every operation or none. */
export function bulkReply(
  context: BulkContext,
  body: unknown,
  version: string,
): Reply {
  const { engine, bulkLimit } = context;
  const operations = isRecord(body) ? body.operations : undefined;
  if (!Array.isArray(operations)) {
    throw new SimError("3000", 'the body must be {"operations":[…]}');
  }
  if (operations.length > bulkLimit) {
    throw new SimError(
      "6147",
      `Payload Limit Reached: ${operations.length} operations, the limit is ${bulkLimit}`,
    );
  }
  context.countOperations(operations.length);
  const responses: unknown[] = [];
  engine.store.begin();
  for (const [index, operation] of operations.entries()) {
    const action = isRecord(operation) && typeof operation.action === "string"
      ? operation.action.toLowerCase()
      : "";
    const uri = isRecord(operation) && typeof operation.uri === "string"
      ? operation.uri
      : "";
    const method = action === "put"
      ? "PUT"
      : action === "patch"
      ? "PATCH"
      : action === "delete"
      ? "DELETE"
      : action.toUpperCase();
    try {
      if (!["put", "patch", "delete"].includes(action)) {
        throw new SimError(
          "3000",
          `action (${action}) is not one of put, patch, delete`,
        );
      }
      if (!isRecord(operation) || !isRecord(operation.body)) {
        throw new SimError(
          "3000",
          "body is mandatory for every operation (use {} for delete)",
        );
      }
      const [pathPart = "", queryPart = ""] = uri.split("?", 2);
      const path = pathPart.replace(/^\/aai\/(v[0-9]+|latest)(?=\/)/, "");
      const parsed = parseSegments(decodePath(path));
      if (!parsed) {
        throw new SimError("6115", `the simulator does not model ${path}`);
      }
      const rv = new URLSearchParams(queryPart).get("resource-version");
      const result = writeReply(engine, method, parsed, operation.body, rv);
      responses.push({
        action,
        uri,
        "response-status-code": result.status,
        "response-body": null,
      });
    } catch (error) {
      engine.store.rollback();
      if (!(error instanceof SimError)) throw error;
      const inner = errorReply(error, method, uri.replace(/^\//, ""));
      const message =
        `Operation ${index} with action (${method}) on uri (${uri}) failed with status code (${inner.status}), error code (${inner.code}) and msg (${
          JSON.stringify(inner.body)
        })`;
      const outer = errorReply(
        new SimError("3000", message),
        "POST",
        `/aai/${version}/bulk/single-transaction`,
      );
      return { status: inner.status, body: outer.body };
    }
  }
  engine.store.commit();
  return {
    status: 201,
    body: { "operation-responses": responses },
    root: "operation-responses",
  };
}

/**
 * `PUT /aai/{v}/bulkprocess` and `/bulkadd` (BulkProcessConsumer,
 * BulkAddConsumer): each transaction object is committed or rolled back
 * on its own; its operations are all tried and each reports its status in
 * the body, which is 201 whatever happened. A transaction object holds one
 * action kind: the parser takes `put`, else `delete`, else `patch`, and
 * ignores any other kind beside it (SO-3845). bulkadd takes `put` only.
 */
export function legacyBulkReply(
  context: BulkContext,
  text: string,
  version: string,
  which: "bulkprocess" | "bulkadd",
): Reply {
  const { engine, bulkLimit } = context;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new SimError(
      "6111",
      `the body is not JSON: ${(error as Error).message}`,
    );
  }
  const transactions = isRecord(body) ? body.transactions : undefined;
  if (!Array.isArray(transactions) || transactions.length === 0) {
    throw new SimError(
      "6118",
      "at least one transaction is required in transactions",
    );
  }
  const kinds = which === "bulkadd" ? ["put"] : ["put", "delete", "patch"];
  const picked = transactions.map((transaction) => {
    const kind = isRecord(transaction)
      ? ["put", "delete", "patch"].find((k) => Array.isArray(transaction[k]))
      : undefined;
    const operations = kind && isRecord(transaction)
      ? transaction[kind] as unknown[]
      : [];
    return { kind, operations };
  });
  const total = picked.reduce((n, t) => n + t.operations.length, 0);
  if (total > bulkLimit) {
    throw new SimError(
      "6147",
      `Payload Limit Reached: ${total} operations, the limit is ${bulkLimit}`,
    );
  }
  context.countOperations(total);
  const results: unknown[] = [];
  for (const { kind, operations } of picked) {
    if (kind === undefined || !kinds.includes(kind)) {
      const error = errorReply(
        new SimError(
          "6118",
          `a transaction must hold one of ${kinds.join(", ")}`,
        ),
        "PUT",
        `/aai/${version}/${which}`,
      );
      results.push({
        [kind ?? "put"]: [{
          uri: null,
          body: { [error.status]: JSON.stringify(error.body) },
        }],
      });
      continue;
    }
    const method = kind.toUpperCase();
    const outcomes: unknown[] = [];
    let failed = false;
    engine.store.begin();
    for (const operation of operations) {
      const uri = isRecord(operation) && typeof operation.uri === "string"
        ? operation.uri
        : "";
      try {
        const [pathPart = "", queryPart = ""] = uri.split("?", 2);
        const path = pathPart.replace(
          /^\/aai\/(v[0-9]+|latest)(?=\/)/,
          "",
        );
        if (uri === "") throw new SimError("6118", "uri is missing");
        const parsed = parseSegments(decodePath(path));
        if (!parsed) {
          throw new SimError("6115", `the simulator does not model ${path}`);
        }
        const operationBody = isRecord(operation) ? operation.body : undefined;
        if (method !== "DELETE" && !isRecord(operationBody)) {
          throw new SimError("3102", "body is missing");
        }
        const rv = new URLSearchParams(queryPart).get("resource-version");
        const result = writeReply(engine, method, parsed, operationBody, rv);
        outcomes.push({ uri, body: { [result.status]: null } });
      } catch (error) {
        if (!(error instanceof SimError)) {
          engine.store.rollback();
          throw error;
        }
        failed = true;
        const e = errorReply(error, method, uri.replace(/^\//, ""));
        outcomes.push({ uri, body: { [e.status]: JSON.stringify(e.body) } });
      }
    }
    if (failed) engine.store.rollback();
    else engine.store.commit();
    results.push({ [kind]: outcomes });
  }
  return { status: 201, body: { transaction: results }, root: "transaction" };
}
