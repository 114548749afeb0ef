/**
 * Bulk publishing: writes go to A&AI in single-transaction requests of at
 * most {@linkcode AAI_BULK_LIMIT} operations; a chunk that fails is sent again
 * one operation at a time to isolate the culprit (DESIGN §7.3).
 *
 * @module
 */

import type { LimitFunction } from "p-limit";
import {
  AAI_BULK_LIMIT,
  type AaiClient,
  type AaiObject,
  type BulkOperation,
  springEncode,
} from "../adapters/aai.ts";
import type { PlannedOperation } from "./diff.ts";
import type { OperationResult, PublishOptions } from "./publish.ts";
import { describeError } from "./source.ts";

/** Bulk mode: chunks of single-transaction operations, single ops on failure. */
export async function publishBulk(
  operations: PlannedOperation[],
  context: {
    aai: AaiClient;
    limit: LimitFunction;
    single: (op: PlannedOperation) => Promise<OperationResult>;
    done: (result: OperationResult) => OperationResult;
    refusal: (
      op: PlannedOperation,
      held: AaiObject,
      requests: number,
    ) => OperationResult | undefined;
    warn: PublishOptions["warn"];
  },
): Promise<OperationResult[]> {
  const { aai, limit, single, done, refusal } = context;
  const results = new Map<PlannedOperation, OperationResult>();
  // Relationship-only operations and updates that add edges go one by one.
  const batchable: { op: PlannedOperation; bulk: BulkOperation }[] = [];
  const singles: PlannedOperation[] = [];
  await Promise.all(operations.map((op) =>
    limit(async () => {
      if (op.op === "create") {
        batchable.push({
          op,
          bulk: { action: "put", uri: op.path, body: op.body },
        });
      } else if (op.op === "update" && op.relationships.length === 0) {
        // The guard's read comes before batching, as a delete's does.
        try {
          const actual = await aai.get(op.path);
          if (!actual) return void singles.push(op);
          const refused = refusal(op, actual, 1);
          if (refused) return void results.set(op, refused);
        } catch {
          return void singles.push(op);
        }
        batchable.push({
          op,
          bulk: { action: "patch", uri: op.path, body: op.body },
        });
      } else if (op.op === "delete") {
        try {
          const actual = await aai.get(op.path);
          if (!actual) {
            results.set(
              op,
              done({
                op,
                outcome: "gone",
                edges: false,
                status: 404,
                requests: 1,
              }),
            );
            return;
          }
          const refused = refusal(op, actual, 1);
          if (refused) return void results.set(op, refused);
          const rv = springEncode(
            String(actual["resource-version"] ?? ""),
          );
          batchable.push({
            op,
            bulk: {
              action: "delete",
              uri: `${op.path}?resource-version=${rv}`,
              body: {},
            },
          });
        } catch {
          singles.push(op);
        }
      } else {
        singles.push(op);
      }
    })
  ));
  const chunks: (typeof batchable)[] = [];
  for (let i = 0; i < batchable.length; i += AAI_BULK_LIMIT) {
    chunks.push(batchable.slice(i, i + AAI_BULK_LIMIT));
  }
  await Promise.all(chunks.map((chunk) =>
    limit(async () => {
      try {
        const statuses = await aai.bulk(chunk.map((c) => c.bulk));
        chunk.forEach((c, i) => {
          const op = c.op;
          const outcome = op.op === "create"
            ? "created"
            : op.op === "update"
            ? "updated"
            : "deleted";
          const edges = (op.op === "create" || op.op === "update") &&
            op.relationships.length > 0;
          results.set(
            op,
            done({
              op,
              outcome,
              edges,
              status: statuses[i],
              requests: 1 / chunk.length,
            }),
          );
        });
      } catch (error) {
        context.warn?.(
          `Bulk transaction of ${chunk.length} operations failed, sending them one by one: ${
            describeError(error)
          }`,
        );
        singles.push(...chunk.map((c) => c.op));
      }
    })
  ));
  await Promise.all(singles.map((op) =>
    limit(async () => {
      results.set(op, await single(op));
    })
  ));
  return operations.map((op) => results.get(op)!);
}
