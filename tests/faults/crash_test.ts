/**
 * Issue 14, attack class "crash": a pass that cannot write its snapshot, and
 * a pass against an A&AI that hangs or crawls, which must end at a
 * configurable deadline (14.19). The deadline tests assume the setting is
 * `passDeadline` in the config file, `K8S_AAI_SYNC_PASS_DEADLINE` in the
 * environment (a duration, like every other one).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  app,
  k8sResources,
  scenario,
  syncCli,
  syncCommand,
  type World,
  world,
} from "./_world.ts";

const K8S_RESOURCES =
  "/aai/v24/cloud-infrastructure/cloud-regions/cloud-region/CloudOwner/k8sregionone/tenants/tenant/tenant-1/k8s-resources";
const DEADLINE_S = 3;
/** The deadline, one write in flight with its retries, and process start. */
const BUDGET_MS = (DEADLINE_S + 6) * 1000;

/** Ten instances of two resources each. */
function fleet() {
  return scenario([Array.from({ length: 10 }, (_, i) => app(`app-${i}`))]);
}

/** Env of the CLI: a config file with an A&AI timeout, one write at a time. */
async function cliEnv(
  w: World,
  timeout: string,
): Promise<Record<string, string>> {
  const file = `${w.dir}/cli-config.json`;
  await Deno.writeTextFile(
    file,
    JSON.stringify({
      k8splugin: { url: w.k8s.url },
      aai: { url: w.aai.url, timeout, concurrency: 1 },
      snapshot: w.snapshot,
      regions: {
        k8sregionone: { cloudOwner: "CloudOwner", tenantId: "tenant-1" },
      },
      vfModuleRetry: "1h",
    }),
  );
  return {
    K8S_AAI_SYNC_CONFIG: file,
    K8S_AAI_SYNC_PASS_DEADLINE: `${DEADLINE_S}s`,
  };
}

/** Runs the CLI; kills it (and fails) when it outlives `budgetMs`. */
async function syncWithin(
  env: Record<string, string>,
  budgetMs: number,
): Promise<{ code: number; stderr: string; elapsedMs: number }> {
  const started = performance.now();
  const child = syncCommand(["--once"], env).spawn();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outlived = new Promise<"outlived">((resolve) => {
    timer = setTimeout(() => resolve("outlived"), budgetMs);
  });
  const output = child.output();
  const first = await Promise.race([output, outlived]);
  clearTimeout(timer);
  if (first === "outlived") {
    child.kill("SIGKILL");
    await output;
    assert.fail(
      `sync still running ${budgetMs} ms after it started (pass deadline ${DEADLINE_S} s)`,
    );
  }
  return {
    code: first.code,
    stderr: new TextDecoder().decode(first.stderr),
    elapsedMs: performance.now() - started,
  };
}

/** The exit code line of `sync --help` for `code`. */
async function documented(code: number): Promise<string | undefined> {
  const help = await syncCli(["--help"], {});
  return help.stdout.split("\n").find((l) =>
    new RegExp(`^\\s*${code}\\s`).test(l)
  );
}

Deno.test({
  name:
    "sync task: a pass against a hanging A&AI stops at the pass deadline with a documented exit code and frees the lock",
  async fn() {
    await using w = await world(fleet());
    // Every write outlives the 1 s timeout: A&AI hangs, as far as the
    // client can tell. (The sim's `hangRate` cannot be used here: a hanging
    // handler never ends once the client process is gone, and the
    // simulator's close() then waits forever.)
    w.aai.state.faults = { latencyMs: 1_500, match: K8S_RESOURCES };
    const env = await cliEnv(w, "1s");
    const result = await syncWithin(env, BUDGET_MS);
    assert.ok(![0, 2].includes(result.code), `exit ${result.code}`);
    assert.match(result.stderr, /deadline/i);
    const line = await documented(result.code);
    assert.ok(line, `exit code ${result.code} is in sync --help`);
    assert.match(line, /deadline/i);
    // The lock is free: the next pass runs (not 75) and, A&AI healthy again, converges.
    w.aai.state.faults = undefined;
    const next = await syncWithin(env, BUDGET_MS);
    assert.equal(next.code, 0, next.stderr);
    assert.equal(k8sResources(w.aai).size, 20);
  },
});

Deno.test({
  name:
    "sync task: a pass against a crawling A&AI stops at the deadline and commits what A&AI confirmed",
  async fn() {
    await using w = await world(fleet());
    // Each write takes 0.7 s: 20 of them take 14 s at concurrency 1.
    w.aai.state.faults = { latencyMs: 700, match: K8S_RESOURCES };
    const env = await cliEnv(w, "5s");
    const result = await syncWithin(env, BUDGET_MS);
    assert.ok(![0, 2].includes(result.code), `exit ${result.code}`);
    // A write cut off at the deadline may still land in A&AI: let it.
    await new Promise((r) => setTimeout(r, 1_000));
    const confirmed = k8sResources(w.aai).size;
    assert.ok(confirmed > 0 && confirmed < 20, `${confirmed} written`);
    w.aai.state.faults = undefined;
    w.aai.state.resetCounts();
    const next = await syncWithin(env, BUDGET_MS);
    assert.equal(next.code, 0, next.stderr);
    assert.equal(k8sResources(w.aai).size, 20);
    // Only what was not confirmed is sent again (give or take the one write
    // in flight when the deadline struck).
    const resent = w.aai.state.counts.byMethod.PUT;
    assert.ok(
      resent >= 20 - confirmed && resent <= 20 - confirmed + 1,
      `${resent} PUTs for ${20 - confirmed} objects not written`,
    );
  },
});

Deno.test("runSync() that cannot write its snapshot fails naming it, and the next pass converges without duplicates", async () => {
  await using w = await world(fleet(), { aai: { concurrency: 1 } });
  w.aai.state.faults = { latencyMs: 100, match: K8S_RESOURCES };
  const pass = w.run();
  // Once the pass has loaded its (absent) snapshot and started writing to
  // A&AI, the snapshot path becomes a folder that cannot be replaced.
  while (w.aai.state.counts.byMethod.PUT === 0) {
    await new Promise((r) => setTimeout(r, 5));
  }
  await Deno.remove(w.snapshot).catch(() => {});
  await Deno.mkdir(`${w.snapshot}/blocker`, { recursive: true });
  const outcome = await pass.then(
    (report) => ({ report, error: undefined }),
    (error: Error) => ({ report: undefined, error }),
  );
  const said = outcome.error?.message ?? outcome.report!.errors.join("\n");
  assert.ok(
    outcome.error !== undefined || outcome.report!.exitCode !== 0,
    "not reported as a success",
  );
  assert.ok(said.includes(w.snapshot), `names the snapshot: ${said}`);
  await Deno.remove(w.snapshot, { recursive: true });
  w.aai.state.faults = undefined;
  const next = await w.run();
  assert.equal(next.exitCode, 0, next.errors.join("\n"));
  assert.equal(k8sResources(w.aai).size, 20, "every resource exactly once");
  w.aai.state.resetCounts();
  await w.run();
  assert.equal(w.aai.state.counts.total, 0, "converged");
});
