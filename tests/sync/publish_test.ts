import assert from "node:assert/strict";
import {
  type AaiClient,
  AaiError,
  type AaiObject,
  type AaiRelationship,
  type BulkOperation,
} from "../../adapters/aai.ts";
import {
  type DesiredObject,
  type OperationResult,
  type PlannedOperation,
  publish,
} from "../../sync/mod.ts";

/** An AaiError (status + code), as the HTTP client throws. */
function aaiError(status: number, code = ""): Error {
  return new AaiError(`HTTP ${status} ${code}`, {
    kind: "Http",
    method: "GET",
    path: "/",
    status,
    code,
  });
}

/** Where the objects of these tests live: k8s-resources under a tenant. */
const TENANT =
  "/cloud-infrastructure/cloud-regions/cloud-region/o/r/tenants/tenant/t/k8s-resources/k8s-resource";

/** The A&AI path of object `n`. */
function pathOf(n: number): string {
  return `${TENANT}/${n}`;
}

/** Object paths as this fake keys and records them: `/p/<id>`. */
function short(path: string): string {
  return path.startsWith(`${TENANT}/`)
    ? `/p/${path.slice(TENANT.length + 1)}`
    : path;
}

/**
 * A plain in-memory A&AI with scripted failures; it keys objects and
 * records calls by their short path (`/p/1`).
 */
class FakeAai implements AaiClient {
  objects = new Map<string, AaiObject>();
  calls: string[] = [];
  failures: ((method: string, path: string) => Error | undefined)[] = [];
  #rv = 1;
  #fail(method: string, path: string): void {
    this.calls.push(`${method} ${path}`);
    for (const f of this.failures) {
      const error = f(method, path);
      if (error) throw error;
    }
  }
  get(path: string): Promise<AaiObject | undefined> {
    path = short(path);
    this.#fail("GET", path);
    const o = this.objects.get(path);
    return Promise.resolve(o ? structuredClone(o) : undefined);
  }
  put(path: string, body: AaiObject): Promise<{ status: number }> {
    path = short(path);
    this.#fail("PUT", path);
    const held = this.objects.get(path);
    const rv = body["resource-version"];
    if (held && rv !== undefined) {
      // A replace: only with the current resource-version.
      if (held["resource-version"] !== rv) {
        return Promise.reject(aaiError(412, "ERR.5.4.6131"));
      }
      this.objects.set(path, {
        ...body,
        "resource-version": String(this.#rv++),
      });
      return Promise.resolve({ status: 200 });
    }
    if (held) {
      return Promise.reject(aaiError(412, "ERR.5.4.6130"));
    }
    this.objects.set(path, { ...body, "resource-version": String(this.#rv++) });
    return Promise.resolve({ status: 201 });
  }
  patch(path: string, body: AaiObject): Promise<void> {
    path = short(path);
    this.#fail("PATCH", path);
    const o = this.objects.get(path);
    if (!o) return Promise.reject(aaiError(404, "ERR.5.4.6114"));
    this.objects.set(path, {
      ...o,
      ...body,
      "resource-version": String(this.#rv++),
    });
    return Promise.resolve();
  }
  delete(path: string, rv: string): Promise<boolean> {
    path = short(path);
    this.#fail("DELETE", path);
    const o = this.objects.get(path);
    if (!o) return Promise.resolve(false);
    if (o["resource-version"] !== rv) {
      return Promise.reject(aaiError(412, "ERR.5.4.6131"));
    }
    this.objects.delete(path);
    return Promise.resolve(true);
  }
  putRelationship(path: string): Promise<void> {
    path = short(path);
    this.#fail("PUT", `${path}/relationship-list/relationship`);
    return Promise.resolve();
  }
  deleteRelationship(): Promise<void> {
    return Promise.resolve();
  }
  findVfModules(): Promise<[]> {
    return Promise.resolve([]);
  }
  listTenants(): Promise<string[]> {
    return Promise.resolve(["t"]);
  }
  bulk(operations: BulkOperation[]): Promise<number[]> {
    this.#fail("POST", "/bulk/single-transaction");
    const before = new Map(this.objects);
    const statuses: number[] = [];
    try {
      for (const op of operations) {
        const [long, query] = op.uri.split("?");
        const path = short(long!);
        if (op.action === "put") {
          if (this.objects.has(path!)) throw aaiError(412, "ERR.5.4.6130");
          this.objects.set(path!, {
            ...op.body,
            "resource-version": String(this.#rv++),
          });
          statuses.push(201);
        } else if (op.action === "patch") {
          const o = this.objects.get(path!);
          if (!o) throw aaiError(404);
          this.objects.set(path!, { ...o, ...op.body });
          statuses.push(200);
        } else {
          const rv = new URLSearchParams(query).get("resource-version");
          if (this.objects.get(path!)?.["resource-version"] !== rv) {
            throw aaiError(412, "ERR.5.4.6131");
          }
          this.objects.delete(path!);
          statuses.push(204);
        }
      }
    } catch (error) {
      this.objects = before;
      return Promise.reject(error);
    }
    return Promise.resolve(statuses);
  }
}

function desired(n: number, owner = "k8s-aai-sync"): DesiredObject {
  return {
    path: pathOf(n),
    instanceId: "i",
    cloudRegion: "r",
    key: `/v1/Pod/ns/n${n}`,
    fields: {
      id: String(n),
      name: `n${n}`,
      group: "",
      version: "v1",
      kind: "Pod",
      namespace: "ns",
      labels: ["x/readiness=Ready"],
      selflink: "s",
      "data-owner": owner,
      "data-source": "k8splugin",
    },
    sourceVersion: "1",
    readiness: {
      verdict: "Ready",
      reason: "Running",
      message: "",
      warnings: [],
    },
  };
}

function create(n: number): PlannedOperation {
  const d = desired(n);
  return {
    op: "create",
    path: d.path,
    instanceId: "i",
    body: { ...d.fields, "data-source-version": "1" },
    desired: d,
    relationships: [],
    why: "new",
  };
}

async function run(
  aai: FakeAai,
  ops: PlannedOperation[],
  extra: { bulk?: boolean; takeOwnership?: boolean } = {},
): Promise<OperationResult[]> {
  return await publish(ops, {
    aai,
    concurrency: 4,
    owner: "k8s-aai-sync",
    takeOwnership: extra.takeOwnership ?? false,
    bulk: extra.bulk ?? false,
    onResult() {},
    conflictBackoffMs: 1,
  });
}

Deno.test("publish() adopts an existing object of ours after a 412 and patches only what differs", async () => {
  const aai = new FakeAai();
  aai.objects.set("/p/1", {
    ...desired(1).fields,
    labels: ["x/readiness=Pending"],
    "resource-version": "9",
  });
  const [result] = await run(aai, [create(1)]);
  assert.equal(result!.outcome, "adopted");
  assert.deepEqual(aai.calls, ["PUT /p/1", "GET /p/1", "PATCH /p/1"]);
  assert.deepEqual(aai.objects.get("/p/1")!.labels, ["x/readiness=Ready"]);
});

Deno.test("publish() skips an existing object of another owner unless taking ownership", async () => {
  const aai = new FakeAai();
  aai.objects.set("/p/1", {
    ...desired(1, "CnfAdapter").fields,
    "resource-version": "9",
  });
  const [skipped] = await run(aai, [create(1)]);
  assert.equal(skipped!.outcome, "skipped");
  assert.equal(skipped!.foreignOwner, "CnfAdapter");
  assert.equal(aai.objects.get("/p/1")!["data-owner"], "CnfAdapter");
  const [taken] = await run(aai, [create(1)], { takeOwnership: true });
  assert.equal(taken!.outcome, "adopted");
  assert.equal(aai.objects.get("/p/1")!["data-owner"], "k8s-aai-sync");
});

/** An update of object `n` whose instance has `recreateWith` edges. */
function update(n: number, recreateWith: AaiRelationship[] = []) {
  const d = desired(n);
  return {
    op: "update" as const,
    path: d.path,
    instanceId: "i",
    body: { labels: d.fields.labels },
    desired: d,
    relationships: [],
    recreateWith,
    why: "x",
  };
}

const EDGE = { "related-link": "/aai/v24/network/generic-vnfs/generic-vnf/v" };

Deno.test("publish() re-creates an object the guard's read finds gone, with every edge of the instance (14.4)", async () => {
  const aai = new FakeAai();
  const [result] = await run(aai, [update(1, [EDGE])]);
  assert.equal(result!.outcome, "created");
  assert.equal(result!.edges, true);
  assert.deepEqual(aai.calls, ["GET /p/1", "PUT /p/1"]);
  assert.deepEqual(aai.objects.get("/p/1")!["relationship-list"], {
    relationship: [EDGE],
  });
});

Deno.test("publish() re-creates an object whose PATCH answers 404, with every edge of the instance (14.4)", async () => {
  const aai = new FakeAai();
  aai.objects.set("/p/1", { ...desired(1).fields, "resource-version": "1" });
  aai.failures.push((method, path) => {
    if (method === "PATCH" && path === "/p/1") aai.objects.delete("/p/1");
    return undefined;
  });
  const [result] = await run(aai, [update(1, [EDGE])]);
  assert.equal(result!.outcome, "created");
  assert.equal(result!.edges, true);
  assert.deepEqual(aai.calls, ["GET /p/1", "PATCH /p/1", "PUT /p/1"]);
});

Deno.test("publish() guard: one GET before a PATCH, and none of another owner's is patched", async () => {
  const aai = new FakeAai();
  aai.objects.set("/p/1", { ...desired(1).fields, "resource-version": "1" });
  aai.objects.set("/p/2", {
    ...desired(2, "CnfAdapter").fields,
    "resource-version": "1",
  });
  const results = await run(aai, [update(1), update(2)]);
  assert.deepEqual(results.map((r) => r.outcome), ["updated", "skipped"]);
  assert.equal(results[1]!.foreignOwner, "CnfAdapter");
  assert.deepEqual(aai.calls.sort(), ["GET /p/1", "GET /p/2", "PATCH /p/1"]);
});

Deno.test("publish() guard: an id collision is refused, never written, for a PATCH, an adoption, edges or a delete (14.11)", async () => {
  const aai = new FakeAai();
  // Another resource (name "other", instance "j") behind id 1.
  const theirs = {
    ...desired(1).fields,
    name: "other",
    labels: ["k8splugin.io/rb-instance-id=j"],
    "resource-version": "1",
  };
  for (
    const op of [
      update(1),
      create(1),
      { ...create(1), op: "relate" as const, relationships: [EDGE] },
      {
        op: "delete" as const,
        path: pathOf(1),
        instanceId: "i",
        key: "/v1/Pod/ns/n1",
        why: "gone",
      },
    ] as PlannedOperation[]
  ) {
    aai.objects.set("/p/1", structuredClone(theirs));
    aai.calls = [];
    const [result] = await run(aai, [op]);
    assert.equal(result!.outcome, "skipped", op.op);
    assert.match(result!.refused!, /id collision/, op.op);
    assert.deepEqual(aai.objects.get("/p/1"), theirs, op.op);
    assert.ok(
      aai.calls.every((c) => c.startsWith("GET") || c === "PUT /p/1"),
      `${op.op}: ${aai.calls}`,
    );
  }
});

Deno.test("publish() guard: never deletes an unowned object, nor anything but a k8s-resource under a tenant (14.12)", async () => {
  const aai = new FakeAai();
  const { "data-owner": _, ...ownerless } = desired(1).fields;
  aai.objects.set("/p/1", { ...ownerless, "resource-version": "1" });
  const vfModule = "/network/generic-vnfs/generic-vnf/v/vf-modules/vf-module/m";
  aai.objects.set(vfModule, { "resource-version": "1" });
  const results = await run(aai, [
    {
      op: "delete",
      path: pathOf(1),
      instanceId: "i",
      key: "/v1/Pod/ns/n1",
      why: "gone",
    },
    { op: "delete", path: vfModule, instanceId: "i", key: "k", why: "gone" },
  ]);
  assert.deepEqual(results.map((r) => r.outcome), ["skipped", "skipped"]);
  assert.ok(results[1]!.refused);
  assert.ok(aai.objects.has("/p/1") && aai.objects.has(vfModule));
  assert.ok(!aai.calls.some((c) => c.startsWith("DELETE")));
});

Deno.test("publish() re-reads and retries a DELETE answered 412, within a bound", async () => {
  const aai = new FakeAai();
  aai.objects.set("/p/1", { ...desired(1).fields, "resource-version": "1" });
  let conflicts = 1;
  aai.failures.push((method) =>
    method === "DELETE" && conflicts-- > 0
      ? aaiError(412, "ERR.5.4.6131")
      : undefined
  );
  const [ok] = await run(aai, [{
    op: "delete",
    path: pathOf(1),
    instanceId: "i",
    key: "/v1/Pod/ns/n1",
    why: "gone",
  }]);
  assert.equal(ok!.outcome, "deleted");
  assert.deepEqual(aai.calls, [
    "GET /p/1",
    "DELETE /p/1",
    "GET /p/1",
    "DELETE /p/1",
  ]);
  aai.objects.set("/p/2", { ...desired(2).fields, "resource-version": "1" });
  aai.failures.push((method) =>
    method === "DELETE" ? aaiError(412, "ERR.5.4.6131") : undefined
  );
  const [failed] = await run(aai, [{
    op: "delete",
    path: pathOf(2),
    instanceId: "i",
    key: "/v1/Pod/ns/n2",
    why: "gone",
  }]);
  assert.equal(failed!.outcome, "failed");
  assert.ok(aai.objects.has("/p/2"));
});

Deno.test("publish() treats a DELETE of an object already gone as done", async () => {
  const aai = new FakeAai();
  const [result] = await run(aai, [{
    op: "delete",
    path: pathOf(1),
    instanceId: "i",
    key: "/v1/Pod/ns/n1",
    why: "gone",
  }]);
  assert.equal(result!.outcome, "gone");
  assert.deepEqual(aai.calls, ["GET /p/1"]);
});

Deno.test("publish() batches in single transactions of at most 30 and isolates a failing operation", async () => {
  const aai = new FakeAai();
  aai.objects.set("/p/7", { ...desired(7).fields, "resource-version": "1" });
  const ops = Array.from({ length: 45 }, (_, i) => create(i));
  const results = await run(aai, ops, { bulk: true });
  assert.equal(aai.objects.size, 45);
  assert.ok(
    results.every((r) => r.outcome === "created" || r.outcome === "adopted"),
  );
  assert.equal(results[7]!.outcome, "adopted");
  const posts = aai.calls.filter((c) => c.startsWith("POST"));
  assert.equal(
    posts.length,
    2,
    "30 + 15; the failing chunk fell back to single operations",
  );
  assert.equal(
    aai.calls.filter((c) => c.startsWith("PUT")).length,
    30,
    "only the failed chunk was replayed",
  );
});

Deno.test("publish() reports transient failures without throwing", async () => {
  const aai = new FakeAai();
  aai.failures.push((method, path) =>
    method === "PUT" && path === "/p/2" ? aaiError(503) : undefined
  );
  const results = await run(aai, [create(1), create(2), create(3)]);
  assert.deepEqual(results.map((r) => r.outcome), [
    "created",
    "failed",
    "created",
  ]);
  assert.match(results[1]!.error!, /503/);
});

Deno.test("publish() creates without the edges when their vf-module is gone (404 ERR.5.4.6129), and says so", async () => {
  const aai = new FakeAai();
  const withEdges = {
    ...create(1),
    relationships: [{
      "related-link": "/aai/v24/network/generic-vnfs/generic-vnf/gone",
    }],
  } as PlannedOperation;
  aai.failures.push((method, path) =>
    method === "PUT" && path === "/p/1" && aai.calls.length === 1
      ? aaiError(404, "ERR.5.4.6129")
      : undefined
  );
  const [result] = await run(aai, [withEdges]);
  assert.equal(result!.outcome, "created");
  assert.equal(result!.edges, false);
  assert.equal(result!.edgeTargetMissing, true);
  assert.deepEqual(aai.calls, ["PUT /p/1", "PUT /p/1"]);
  assert.equal(aai.objects.get("/p/1")!["relationship-list"], undefined);
});

Deno.test("publish() re-creates an object deleted between its 412 and the GET", async () => {
  const aai = new FakeAai();
  aai.objects.set("/p/1", { ...desired(1).fields, "resource-version": "9" });
  aai.failures.push((method, path) => {
    if (method === "GET" && path === "/p/1") aai.objects.delete("/p/1");
    return undefined;
  });
  const [result] = await run(aai, [create(1)]);
  assert.equal(result!.outcome, "created");
  assert.deepEqual(aai.calls, ["PUT /p/1", "GET /p/1", "PUT /p/1"]);
  assert.ok(aai.objects.has("/p/1"));
});

/** SO's object `n` as its CNF adapter writes it. */
function soObject(n: number, extra: AaiObject = {}): AaiObject {
  return {
    id: String(n),
    name: `n${n}`,
    group: "",
    version: "v1",
    kind: "Pod",
    namespace: "ns",
    labels: ["app=web", "k8splugin.io/rb-instance-id=i"],
    selflink: "http://so-cnf-adapter:8090/api/cnf-adapter/v1/instance/i/query",
    "data-owner": "CnfAdapter",
    "data-source": "K8sPlugin",
    "data-source-version": "1",
    "resource-version": "100",
    ...extra,
  };
}

function annotateOp(n: number, force = false): PlannedOperation {
  const d = desired(n);
  d.fields.labels = [
    "app=web",
    "k8splugin.io/rb-instance-id=i",
    "x/readiness=Failed",
    "x/reason=CrashLoopBackOff",
  ];
  return {
    op: "annotate",
    path: d.path,
    instanceId: "i",
    desired: d,
    relationships: [],
    labelPrefix: "x/",
    force,
    why: "test",
  };
}

const ANNOTATE = {
  concurrency: 2,
  owner: "k8s-aai-sync",
  takeOwnership: false,
  owners: { CnfAdapter: "annotate" as const },
  bulk: false,
  onResult: () => {},
  conflictBackoffMs: 1,
};

Deno.test("publish() annotate merges only our readiness labels into SO's object by an rv-checked PUT; every SO field stays", async () => {
  const aai = new FakeAai();
  aai.objects.set(
    "/p/1",
    soObject(1, {
      labels: [
        "app=web",
        "k8splugin.io/rb-instance-id=i",
        "x/readiness=Ready",
        "x/reason=Running",
      ],
    }),
  );
  const [result] = await publish([annotateOp(1)], { aai, ...ANNOTATE });
  assert.equal(result!.outcome, "annotated");
  assert.equal(result!.foreignOwner, "CnfAdapter");
  assert.deepEqual(aai.calls, ["GET /p/1", "PUT /p/1"]);
  const { "resource-version": _rv, labels, ...fields } = aai.objects.get(
    "/p/1",
  )!;
  const { "resource-version": _old, labels: _l, ...so } = soObject(1);
  assert.deepEqual(fields, so, "SO's fields as SO wrote them");
  assert.deepEqual(labels, [
    "app=web",
    "k8splugin.io/rb-instance-id=i",
    "x/readiness=Failed",
    "x/reason=CrashLoopBackOff",
  ]);
});

Deno.test("publish() annotate: a 412 (SO wrote in between) reads again and merges into what SO wrote", async () => {
  const aai = new FakeAai();
  aai.objects.set("/p/1", soObject(1));
  let first = true;
  aai.failures.push((method) => {
    if (method !== "PUT" || !first) return undefined;
    first = false;
    // SO's rewrite lands between our GET and our PUT.
    aai.objects.set(
      "/p/1",
      soObject(1, { labels: ["app=web2"], "resource-version": "101" }),
    );
    return aaiError(412, "ERR.5.4.6131");
  });
  const [result] = await publish([annotateOp(1)], { aai, ...ANNOTATE });
  assert.equal(result!.outcome, "annotated");
  assert.deepEqual(aai.calls, ["GET /p/1", "PUT /p/1", "GET /p/1", "PUT /p/1"]);
  assert.deepEqual(aai.objects.get("/p/1")!.labels, [
    "app=web2",
    "x/readiness=Failed",
    "x/reason=CrashLoopBackOff",
  ]);
});

Deno.test("publish() annotate waits while SO has not written the resourceVersion we read, unless forced; labels already right send no PUT", async () => {
  const aai = new FakeAai();
  aai.objects.set("/p/1", soObject(1, { "data-source-version": "0" }));
  const [waiting] = await publish([annotateOp(1)], { aai, ...ANNOTATE });
  assert.equal(waiting!.outcome, "waiting");
  assert.deepEqual(aai.calls, ["GET /p/1"]);
  const [forced] = await publish([annotateOp(1, true)], { aai, ...ANNOTATE });
  assert.equal(forced!.outcome, "annotated");
  aai.calls.length = 0;
  const [again] = await publish([annotateOp(1, true)], { aai, ...ANNOTATE });
  assert.equal(again!.outcome, "unchanged");
  assert.deepEqual(aai.calls, ["GET /p/1"]);
});

Deno.test("publish() annotate leaves a skip-policy owner alone and creates what SO did not", async () => {
  const aai = new FakeAai();
  aai.objects.set("/p/1", soObject(1, { "data-owner": "Other" }));
  const [skipped, created] = await publish([annotateOp(1), annotateOp(2)], {
    aai,
    ...ANNOTATE,
  });
  assert.equal(skipped!.outcome, "skipped");
  assert.equal(skipped!.foreignOwner, "Other");
  assert.equal(created!.outcome, "created");
  assert.equal(aai.objects.get("/p/1")!["data-owner"], "Other");
  assert.equal(aai.objects.get("/p/2")!["data-owner"], "k8s-aai-sync");
});
