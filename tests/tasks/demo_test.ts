import assert from "node:assert/strict";
import { stripVTControlCharacters } from "node:util";
import { DEMO_SCENARIO_URL, loadScenario } from "../../sim/mod.ts";
import type { AaiExchange } from "../../adapters/mod.ts";
import type { RunReport } from "../../sync/mod.ts";
import {
  demoPasses,
  explainRequests,
  readableWhy,
  runDemo,
} from "../../tasks/demo.ts";

const demo = await loadScenario(DEMO_SCENARIO_URL);

/** The demo's output split into passes (heading line first). */
async function demoOutput(emptyListGuard?: number): Promise<
  { code: number; text: string; passes: string[] }
> {
  const lines: string[] = [];
  const code = await runDemo({
    out: (line) => lines.push(stripVTControlCharacters(line)),
    ...(emptyListGuard === undefined ? {} : { emptyListGuard }),
  });
  const text = lines.join("\n");
  const passes = text.split(/\n(?=── Pass )/).slice(1);
  return { code, text, passes };
}

Deno.test("demoPasses() plays every step, one unchanged pass, and the misses before a delete", () => {
  const passes = demoPasses(demo, { deleteAfterMisses: 2, emptyListGuard: 2 });
  assert.deepEqual(
    passes.map((
      p,
    ) => [
      demo.steps[p.step]!.name,
      p.laterMinutes,
      p.allowMassDelete,
      p.heldBack,
    ]),
    [
      ["rollout-started", 0, false, false],
      ["rolled-out", 0, false, false],
      ["rolled-out", 1, false, false],
      ["crash-loop", 0, false, false],
      ["recovered", 0, false, false],
      ["deleted", 0, false, false],
      ["deleted", 1, false, false],
    ],
  );
});

Deno.test("demoPasses() shows the empty-list guard and the operator's --allow-mass-delete when it applies", () => {
  const passes = demoPasses(demo, { deleteAfterMisses: 2, emptyListGuard: 1 });
  assert.deepEqual(
    passes.slice(5).map((p) => [p.laterMinutes, p.allowMassDelete, p.heldBack]),
    // The held pass counts miss 1, so one forced pass deletes (14.14).
    [[0, false, true], [1, true, false]],
  );
  assert.match(passes[6]!.title, /--allow-mass-delete/);
});

Deno.test("readableWhy() names resources Kind/name", () => {
  assert.equal(
    readableWhy(
      "new Service /v1/Service/testns2/edgex-core-data (Ready/ClusterIP)",
    ),
    "create Service/edgex-core-data (Ready, ClusterIP)",
  );
  assert.equal(
    readableWhy(
      "apps/v1/Deployment/testns2/web: readiness Ready/Available → Failed/CrashLoopBackOff",
    ),
    "Deployment/web: readiness Ready/Available → Failed/CrashLoopBackOff",
  );
  assert.equal(readableWhy("something else"), "something else");
});

Deno.test("runDemo() tells the whole story over HTTP and exits 0", async () => {
  const { code, text, passes } = await demoOutput();
  assert.equal(code, 0, text);
  assert.equal(passes.length, 7, text);
  assert.match(text, /k8splugin http:.* · A&AI http:.* · Kubernetes API http:/);
  const [rollout, rolledOut, unchanged, crash, recovered, firstMiss, deleted] =
    passes as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];

  // 1: the rollout starts: every resource is created in A&AI, Pending or Ready.
  assert.match(rollout, /edgex-1: Pending/);
  // Where readiness lands in A&AI: the object's labels.
  assert.match(
    rollout,
    /k8s-aai-sync\/readiness=(Pending|Ready) {2}k8s-aai-sync\/reason=\w+/,
  );
  assert.equal(
    rollout.match(/^ {2}PUT .* 201 {2}create /gm)?.length,
    5,
    rollout,
  );

  // 2: rollout complete: only PATCHes of what turned Ready.
  assert.match(rolledOut, /edgex-1: Pending → Ready/);
  assert.match(rolledOut, /readiness Pending\/\w+ → Ready\/\w+/);
  assert.doesNotMatch(rolledOut, /^ {2}(PUT|DELETE) /m);

  // 3: nothing changed: zero requests.
  assert.match(unchanged, /A&AI: 0 requests/);
  assert.match(unchanged, /no verdict changed/);

  // 4: the crash-loop: the pod turns Failed, A&AI gets PATCHes only.
  assert.match(crash, /edgex-1: Ready → Failed \(CrashLoopBackOff\)/);
  assert.match(
    crash,
    /Pod\/edgex-core-data-\S+ +Ready → Failed +CrashLoopBackOff/,
  );
  assert.match(
    crash,
    /PATCH .*Pod\/edgex-core-data-\S+: readiness Ready\/Running → Failed\/CrashLoopBackOff/,
  );
  assert.doesNotMatch(crash, /^ {2}(PUT|DELETE) /m);
  // Each PATCH comes after the pre-write guard's GET of its object.
  assert.equal(
    crash.match(/^ {2}GET .*pre-write guard/gm)?.length,
    crash.match(/^ {2}PATCH /gm)?.length,
  );

  // 5: recovery.
  assert.match(recovered, /edgex-1: Failed → Ready/);

  // 6–7: deletion safety: kept after one miss, deleted after the second.
  assert.match(firstMiss, /miss 1 of 2/);
  assert.match(firstMiss, /A&AI: 0 requests/);
  assert.equal(deleted.match(/^ {2}DELETE .* 204 /gm)?.length, 5, deleted);
  assert.match(text, /A&AI now holds 0 k8s-resource object\(s\)\./);
});

Deno.test("runDemo() shows an empty list held back until the operator confirms", async () => {
  const { code, text, passes } = await demoOutput(1);
  assert.equal(code, 0, text);
  // The held pass counts its miss (14.14): the operator's one
  // --allow-mass-delete run deletes.
  assert.equal(passes.length, 7, text);
  assert.match(passes[5]!, /deletion held back \(miss 1 of 2\)/);
  assert.match(passes[5]!, /A&AI: 0 requests/);
  assert.match(passes[6]!, /--allow-mass-delete/);
  assert.equal(passes[6]!.match(/^ {2}DELETE .* 204 /gm)?.length, 5);
});

Deno.test("explainRequests() gives every A&AI exchange its reason", () => {
  const id = "ab".repeat(32);
  const path =
    `/cloud-infrastructure/cloud-regions/cloud-region/CloudOwner/r1/tenants/tenant/t1/k8s-resources/k8s-resource/${id}`;
  function exchange(method: string, url: string, status: number): AaiExchange {
    return {
      peer: "A&AI",
      method,
      url: `http://127.0.0.1:1/aai/v24${url}`,
      status,
      durationMs: 1,
      attempt: 1,
      requestHeaders: {},
      transactionId: crypto.randomUUID(),
    };
  }
  const report = {
    operations: [{
      method: "DELETE",
      path,
      why:
        "apps/v1/Deployment/ns/web: instance x gone from k8splugin for 2 runs",
      instanceId: "x",
    }, {
      method: "PATCH",
      path: path.replace(id, "cd".repeat(32)),
      why:
        "/v1/Pod/ns/web-1: readiness Ready/Running → Failed/CrashLoopBackOff",
      instanceId: "x",
    }],
  } as unknown as RunReport;
  const explained = explainRequests([
    exchange(
      "GET",
      "/cloud-infrastructure/cloud-regions/cloud-region/CloudOwner/r1/tenants?nodes-only=",
      200,
    ),
    exchange("GET", "/nodes/vf-modules?heat-stack-id=x", 404),
    exchange("GET", path, 200),
    exchange("DELETE", `${path}?resource-version=17`, 204),
    exchange("PATCH", path.replace(id, "cd".repeat(32)), 200),
  ], report);
  assert.deepEqual(explained.map((r) => [r.method, r.path, r.status, r.why]), [
    [
      "GET",
      "…/cloud-region/CloudOwner/r1/tenants?nodes-only=",
      200,
      "find the cloud region's tenant",
    ],
    [
      "GET",
      "/nodes/vf-modules?heat-stack-id=x",
      404,
      "find the vf-module whose heat-stack-id is the instance id",
    ],
    [
      "GET",
      "…/k8s-resource/abababababab…",
      200,
      "read the current resource-version before deleting",
    ],
    [
      "DELETE",
      "…/k8s-resource/abababababab…?resource-version=17",
      204,
      "Deployment/web: instance x gone from k8splugin for 2 runs",
    ],
    [
      "PATCH",
      "…/k8s-resource/cdcdcdcdcdcd…",
      200,
      "Pod/web-1: readiness Ready/Running → Failed/CrashLoopBackOff",
    ],
  ]);
});

Deno.test("demo --help prints usage and exits 0 before starting any simulator; --version prints the version; a bad flag exits 2", async () => {
  const { main } = await import("../../tasks/demo.ts");
  const { versionText } = await import("../../tasks/_version.ts");
  let out = "";
  let err = "";
  const io = {
    out: (line: string) => (out += line + "\n"),
    err: (line: string) => (err += line + "\n"),
  };
  assert.equal(await main(["--help"], io), 0);
  assert.match(out, /^Usage: deno task demo/);
  assert.match(out, /Exit codes:/);
  assert.doesNotMatch(out, /Pass|http:\/\/127\.0\.0\.1/);
  out = "";
  assert.equal(await main(["--version"], io), 0);
  assert.equal(out.trim(), versionText());
  assert.equal(await main(["--bogus"], io), 2);
  assert.match(err, /unknown option '--bogus'/);
});

Deno.test("runDemo() scenario 2: SO's objects get readiness, SO's rewrite drops it, the pass after soRewriteDelay restores it", async () => {
  const { code, text } = await demoOutput();
  assert.equal(code, 0, text);
  const so = text.slice(text.indexOf("Scenario 2: next to SO's CNF adapter"));
  assert.ok(so.length > 0, text);
  const sections = so.split(/\n(?=── SO )/).slice(1);
  const [instantiate, first, annotate, steady, crash, crashSeen, restored] =
    sections as string[];
  assert.match(instantiate!, /\[SO\] PUT +\/bulkprocess +201/);
  assert.match(first!, /0 request\(s\) from SO/);
  assert.doesNotMatch(first!, /\[us\] PUT/, "waits for SO");
  assert.equal(annotate!.match(/\[us\] PUT /g)?.length, 5);
  assert.equal(annotate!.match(/\[us\] GET /g)?.length, 5);
  assert.match(annotate!, /data-owner CnfAdapter.*readiness=Ready/);
  assert.match(steady!, /0 request\(s\) from SO, 0 from us/);
  assert.match(crash!, /no readiness labels/);
  assert.match(crashSeen!, /0 request\(s\) from SO, 0 from us/);
  assert.equal(restored!.match(/\[us\] PUT /g)?.length, 5);
  assert.match(
    restored!,
    /Pod\/edgex-core-data-\S+ \(data-owner CnfAdapter.*readiness=Failed reason=CrashLoopBackOff/,
  );
  assert.doesNotMatch(so, /\[us\] (PATCH|DELETE)/);
});
