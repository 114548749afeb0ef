/**
 * Sends planned operations to A&AI as DESIGN §7.3 says, with bounded
 * concurrency, and reports each confirmed outcome (the caller commits it to
 * the snapshot right away).
 *
 * Every write to an object A&AI already holds is preceded by a GET and the
 * pre-write guard (`guardHeld()`: k8s-resource path, identity, owner through
 * `mayChange()`); a refused write is `skipped`, never sent.
 *
 * - create: PUT without `resource-version`; 412 (ERR.5.4.6130) → GET and
 *   adopt it when the guard passes (owner ours, empty, or
 *   `takeOwnership`), else skip with a warning (or an error: collision).
 * - update: GET + guard, merge-PATCH of the changed owned fields; 404 (on
 *   the GET or the PATCH) → re-create with every edge of the instance.
 * - delete: GET (guard, `resource-version`), then DELETE; 404 = gone; 412
 *   → re-GET and retry (bounded, through the shared `retry()`).
 * - relate: GET + guard, PUT each relationship (idempotent).
 * - annotate (another owner's object, `owners.<owner>: annotate`): GET; the
 *   owner A&AI holds now decides (`policyOf()`): missing → create, ours or
 *   `take` → adopt, `skip` → skipped, `annotate` → our readiness labels
 *   merged into its labels by a full PUT with its `resource-version` once
 *   it has written the `resourceVersion` we read (or the op is forced);
 *   412 → re-GET and retry (bounded).
 * - bulk (optional): `POST /bulk/single-transaction` in chunks of 30; a
 *   failed chunk falls back to single operations to isolate the culprit.
 *
 * 5xx and transport errors are retried by the HTTP layer; what still fails is
 * left for the next run (the snapshot is not touched for it).
 *
 * @module
 */

import pLimit, { type LimitFunction } from "p-limit";
import {
  type AaiClient,
  AaiError,
  type AaiObject,
  type AaiRelationship,
} from "../adapters/aai.ts";
import { isPeerUnavailable } from "../adapters/http.ts";
import { retry } from "../adapters/retry.ts";
import { diffAgainstAai, type PlannedOperation } from "./diff.ts";
import { createBody } from "./mapping.ts";
import { guardHeld, type InstallationScope } from "./guard.ts";
import { type OwnerPolicy, policyOf } from "./plan.ts";
import { publishBulk } from "./publish_bulk.ts";
import { describeError } from "./source.ts";

/** What happened to one planned operation. */
export type Outcome =
  | "created"
  | "updated"
  | "adopted"
  | "related"
  | "deleted"
  | "gone"
  | "unchanged"
  | "skipped"
  | "annotated"
  | "waiting"
  | "failed";

/** The result of one operation, as committed to the snapshot and reported. */
export interface OperationResult {
  /** The operation this result is about. */
  op: PlannedOperation;
  /** What happened (`failed` results are not committed). */
  outcome: Outcome;
  /** Whether the object now has its relationships (create/update/relate/adopt). */
  edges: boolean;
  /** HTTP status of the decisive request, when known. */
  status?: number | undefined;
  /** Set when the object belongs to another `data-owner`. */
  foreignOwner?: string;
  /**
   * Set when the pre-write guard refused the write for another reason than
   * the owner: an id collision, or a path that is no k8s-resource under a
   * tenant. The message; reported as an error.
   */
  refused?: string;
  /** Why it failed (one line, no response dump). */
  error?: string;
  /** Requests sent for this operation. */
  requests: number;
  /** The failure was A&AI being unreachable (no HTTP response after retries). */
  unreachable?: boolean | undefined;
  /** The X-TransactionId of the decisive request, when the client reports it. */
  transactionId?: string;
  /** A&AI no longer has the vf-module/generic-vnf (ERR.5.4.6129): forget it. */
  edgeTargetMissing?: boolean | undefined;
}

/** Settings of {@linkcode publish}. */
export interface PublishOptions {
  /** Where to send the operations. */
  aai: AaiClient;
  /** Operations in flight at once. */
  concurrency: number;
  /**
   * A limiter shared with other publishes of the same run (it then bounds
   * the requests of all of them together); default: one of `concurrency`.
   */
  limit?: LimitFunction;
  /** Our `data-owner`. */
  owner: string;
  /** Adopt/delete objects of another `data-owner` too. */
  takeOwnership: boolean;
  /** Per other `data-owner`: `skip`, `annotate` or `take` (see `policyOf()`). */
  owners?: Readonly<Record<string, OwnerPolicy>> | undefined;
  /** This installation's scope; absent: not checked (see `guardHeld()`). */
  installation?: InstallationScope | undefined;
  /** Send creates, patches and deletes in single transactions. */
  bulk: boolean;
  /** Called for each result as soon as A&AI confirmed it (commit point). */
  onResult: (result: OperationResult) => void;
  /** Called for warnings (foreign owners, bulk fallbacks). */
  warn?: (message: string, properties?: Record<string, unknown>) => void;
  /** Bound of 412 retries (default 3). */
  maxConflictRetries?: number;
  /** Backoff base for 412 retries in ms (default 50). */
  conflictBackoffMs?: number;
}

/** A planned operation that writes the object (everything but a delete). */
type WriteOperation = Exclude<PlannedOperation, { op: "delete" }>;

/** HTTP status of a thrown {@linkcode AaiError}. */
function statusOf(error: unknown): number | undefined {
  return error instanceof AaiError ? error.status : undefined;
}

/** ERR code (`ERR.5.4.6130`) of a thrown {@linkcode AaiError}, else `""`. */
function codeOf(error: unknown): string {
  return error instanceof AaiError ? error.code ?? "" : "";
}

/** `{ transactionId }` when known (HttpAaiClient reports it on PUT and on errors). */
function txid(value: unknown): { transactionId?: string } {
  return typeof value === "string" && value ? { transactionId: value } : {};
}

/** PUT, with the transaction id when the client reports one (HttpAaiClient does). */
async function putWithId(
  aai: AaiClient,
  path: string,
  body: AaiObject,
): Promise<{ status: number; transactionId?: unknown }> {
  return await aai.put(path, body);
}

/** Whether two label lists hold the same strings. */
function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const x = [...a].sort();
  const y = [...b].sort();
  return x.length === y.length && x.every((l, i) => l === y[i]);
}

/** The `data-owner` of an A&AI object, `""` when unset. */
function ownerOf(object: AaiObject): string {
  const owner = object["data-owner"];
  return typeof owner === "string" ? owner : "";
}

/**
 * Sends the operations and returns one result per operation (same order).
 * Never throws for an operation's failure: it is a `failed` result.
 */
export async function publish(
  operations: PlannedOperation[],
  options: PublishOptions,
): Promise<OperationResult[]> {
  const limit = options.limit ?? pLimit(options.concurrency);
  const aai = options.aai;
  /** Retry options of a read-then-write that a 412 (the rv moved) repeats. */
  const onConflict = {
    retries: options.maxConflictRetries ?? 3,
    shouldRetry: (error: unknown) => statusOf(error) === 412,
    minBackoffMs: options.conflictBackoffMs ?? 50,
  };

  function done(result: OperationResult): OperationResult {
    options.onResult(result);
    return result;
  }

  async function relate(
    path: string,
    relationships: AaiRelationship[],
  ): Promise<number> {
    for (const r of relationships) await aai.putRelationship(path, r);
    return relationships.length;
  }

  /**
   * The result of a write the pre-write guard refused, or `undefined` when
   * the guard passes for `held` (what A&AI returned for `op.path` just now).
   */
  function refusal(
    op: PlannedOperation,
    held: AaiObject,
    requests: number,
    override: { takeOwnership?: boolean } = {},
  ): OperationResult | undefined {
    const action = op.op === "delete" ? "delete" : "write";
    const key = op.op === "delete" ? op.key : op.desired.key;
    const verdict = guardHeld(
      op.path,
      held,
      { key, instanceId: op.instanceId },
      { ...options, ...override },
      action,
      options.installation,
    );
    if (verdict.ok) return undefined;
    if (verdict.reason === "owner") {
      options.warn?.(verdict.message, {
        path: op.path,
        owner: verdict.owner,
      });
      return done({
        op,
        outcome: "skipped",
        edges: false,
        foreignOwner: verdict.owner,
        requests,
      });
    }
    return done({
      op,
      outcome: "skipped",
      edges: false,
      refused: verdict.message,
      requests,
    });
  }

  /** PUTs the object as new (no resource-version) and reports it created. */
  async function putNew(
    op: WriteOperation,
    relationships: AaiRelationship[],
    wanted: AaiRelationship[],
    requests: number,
  ): Promise<OperationResult> {
    const { status, transactionId } = await putWithId(
      aai,
      op.path,
      createBody(op.desired, relationships),
    );
    return done({
      op,
      outcome: "created",
      edges: relationships.length > 0,
      status,
      ...txid(transactionId),
      requests: requests + 1,
      edgeTargetMissing: relationships.length < wanted.length,
    });
  }

  /** After a 412 on create: read it, adopt it if the guard passes, else leave it alone. */
  async function adopt(
    op: WriteOperation,
    wanted: AaiRelationship[],
    requests: number,
    read?: AaiObject,
  ): Promise<OperationResult> {
    const actual = read ?? await aai.get(op.path);
    requests++;
    if (!actual) {
      // Deleted between our PUT and GET: create once more.
      return await putNew(op, wanted, wanted, requests);
    }
    const refused = refusal(op, actual, requests);
    if (refused) return refused;
    const repair = diffAgainstAai(op.desired, actual, wanted);
    if (repair?.op === "update") {
      await aai.patch(op.path, repair.body);
      requests++;
    }
    if (repair && (repair.op === "update" || repair.op === "relate")) {
      requests += await relate(op.path, repair.relationships);
    }
    return done({
      op,
      outcome: "adopted",
      edges: wanted.length > 0,
      requests,
    });
  }

  /**
   * PUTs the object as new with `wanted` edges: a 412 adopts it (guarded),
   * a vanished edge target (ERR.5.4.6129) publishes it without edges.
   */
  async function create(
    op: WriteOperation,
    wanted: AaiRelationship[],
    requests: number,
  ): Promise<OperationResult> {
    try {
      return await putNew(op, wanted, wanted, requests);
    } catch (error) {
      requests++;
      if (statusOf(error) === 412) return await adopt(op, wanted, requests);
      if (
        statusOf(error) === 404 && codeOf(error).endsWith("6129") &&
        wanted.length > 0
      ) {
        // The vf-module/generic-vnf is gone: publish without the edges.
        return await putNew(op, [], wanted, requests);
      }
      throw error;
    }
  }

  async function update(
    op: Extract<PlannedOperation, { op: "update" }>,
  ): Promise<OperationResult> {
    // A&AI's PATCH is not resource-version checked: read first (the guard).
    const held = await aai.get(op.path);
    if (!held) return await create(op, op.recreateWith, 1);
    const refused = refusal(op, held, 1);
    if (refused) return refused;
    try {
      await aai.patch(op.path, op.body);
    } catch (error) {
      if (statusOf(error) === 404) return await create(op, op.recreateWith, 2);
      throw error;
    }
    if (op.relationships.length === 0) {
      return done({
        op,
        outcome: "updated",
        edges: false,
        status: 200,
        requests: 2,
      });
    }
    try {
      const requests = 2 + await relate(op.path, op.relationships);
      return done({
        op,
        outcome: "updated",
        edges: true,
        status: 200,
        requests,
      });
    } catch (error) {
      // The patch is in; the edges are retried later.
      options.warn?.(
        `Cannot relate ${op.desired.key} to its vf-module in A&AI: ${
          describeError(error)
        }`,
        { path: op.path },
      );
      return done({
        op,
        outcome: "updated",
        edges: false,
        status: 200,
        requests: 2 + op.relationships.length,
        edgeTargetMissing: statusOf(error) === 404,
      });
    }
  }

  async function addEdges(
    op: Extract<PlannedOperation, { op: "relate" }>,
  ): Promise<OperationResult> {
    const held = await aai.get(op.path);
    if (!held) return await create(op, op.relationships, 1);
    const refused = refusal(op, held, 1);
    if (refused) return refused;
    const requests = 1 + await relate(op.path, op.relationships);
    return done({ op, outcome: "related", edges: true, status: 200, requests });
  }

  async function remove(
    op: Extract<PlannedOperation, { op: "delete" }>,
  ): Promise<OperationResult> {
    let requests = 0;
    // A 412 means the resource-version moved under us: read it again.
    return await retry(async () => {
      const actual = await aai.get(op.path);
      requests++;
      if (!actual) {
        return done({
          op,
          outcome: "gone",
          edges: false,
          status: 404,
          requests,
        });
      }
      const refused = refusal(op, actual, requests);
      if (refused) return refused;
      const rv = String(actual["resource-version"] ?? "");
      try {
        const existed = await aai.delete(op.path, rv);
        requests++;
        return done({
          op,
          outcome: existed ? "deleted" : "gone",
          edges: false,
          status: existed ? 204 : 404,
          requests,
        });
      } catch (error) {
        requests++;
        throw error;
      }
    }, onConflict);
  }

  /**
   * Reads the object and applies the policy of the owner A&AI holds now:
   * missing → create; ours/`take` → repair like an adoption; `skip` → left
   * alone; `annotate` → our readiness labels merged into the owner's labels
   * by a full PUT of the object as read (its resource-version, no
   * relationship-list, so its edges stay), nothing else changed. A 412 means
   * the owner wrote in between: read again (bounded).
   */
  async function annotate(
    op: Extract<PlannedOperation, { op: "annotate" }>,
  ): Promise<OperationResult> {
    let requests = 0;
    return await retry(async () => {
      const held = await aai.get(op.path);
      requests++;
      if (!held) return await create(op, op.relationships, requests);
      const owner = ownerOf(held);
      const decided = policyOf(owner, options);
      if (decided === "ours" || decided === "take") {
        return await adopt(op, op.relationships, requests - 1, held);
      }
      // The pre-write guard's path and identity checks (the owner is
      // decided above, by its policy).
      const refused = refusal(op, held, requests, { takeOwnership: true });
      if (refused) return refused;
      if (decided === "skip") {
        return done({
          op,
          outcome: "skipped",
          edges: false,
          foreignOwner: owner,
          requests,
        });
      }
      const theirs = Array.isArray(held.labels)
        ? held.labels.filter((l): l is string => typeof l === "string")
        : [];
      const ours = op.desired.fields.labels.filter((l) =>
        l.startsWith(op.labelPrefix)
      );
      const labels = [
        ...theirs.filter((l) => !l.startsWith(op.labelPrefix)),
        ...ours,
      ].sort();
      const caughtUp =
        String(held["data-source-version"] ?? "") === op.desired.sourceVersion;
      if (!caughtUp && !op.force) {
        // The owner has not written this resourceVersion yet: it is about to
        // rewrite the object (dropping our labels); wait for it.
        return done({
          op,
          outcome: "waiting",
          edges: false,
          foreignOwner: owner,
          requests,
        });
      }
      if (sameSet(labels, theirs)) {
        return done({
          op,
          outcome: "unchanged",
          edges: false,
          foreignOwner: owner,
          requests,
        });
      }
      const { "relationship-list": _edges, ...body } = held;
      body.labels = labels;
      try {
        const { status, transactionId } = await putWithId(aai, op.path, body);
        requests++;
        return done({
          op,
          outcome: "annotated",
          edges: false,
          status,
          ...txid(transactionId),
          foreignOwner: owner,
          requests,
        });
      } catch (error) {
        requests++;
        throw error;
      }
    }, onConflict);
  }

  async function single(op: PlannedOperation): Promise<OperationResult> {
    try {
      switch (op.op) {
        case "annotate":
          return await annotate(op);
        case "create":
          return await create(op, op.relationships, 0);
        case "update":
          return await update(op);
        case "relate":
          return await addEdges(op);
        case "delete":
          return await remove(op);
      }
    } catch (error) {
      return done({
        op,
        outcome: "failed",
        edges: false,
        error: describeError(error),
        status: statusOf(error),
        ...txid(error instanceof AaiError ? error.transactionId : undefined),
        unreachable: isPeerUnavailable(error),
        edgeTargetMissing: op.op === "relate" && statusOf(error) === 404,
        requests: 0,
      });
    }
  }

  if (!options.bulk) {
    return await Promise.all(operations.map((op) => limit(() => single(op))));
  }
  return await publishBulk(operations, {
    aai,
    limit,
    single,
    done,
    refusal,
    warn: options.warn,
  });
}
