import assert from "node:assert/strict";
import { stripVTControlCharacters } from "node:util";
import { DEMO_SCENARIO_URL, loadScenario } from "../../sim/mod.ts";
import { demoPasses, readableWhy, runDemo } from "../../tasks/demo.ts";

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
    [[0, false, true], [1, true, false], [2, true, false]],
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
  assert.doesNotMatch(crash, /^ {2}(PUT|DELETE|GET) /m);

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
  assert.equal(passes.length, 8, text);
  assert.match(passes[5]!, /deletion held back/);
  assert.match(passes[5]!, /A&AI: 0 requests/);
  assert.match(passes[6]!, /miss 1 of 2/);
  assert.equal(passes[7]!.match(/^ {2}DELETE .* 204 /gm)?.length, 5);
});
