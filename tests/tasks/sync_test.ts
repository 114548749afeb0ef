import assert from "node:assert/strict";
import { HttpTransportError, K8spluginError } from "../../adapters/mod.ts";
import {
  acquireStateLock,
  ConfigError,
  LockHeldError,
} from "../../sync/mod.ts";
import { CommanderError } from "@commander-js/extra-typings";
import { EXIT_CODES_HELP, exitCodeFor } from "../../tasks/_exit.ts";
import { verifyDue } from "../../tasks/_last_run.ts";
import {
  deployment,
  expectedPath,
  healthy,
  instance,
  k8sResources,
  pod,
  readiness,
  scenario,
  service,
  type World,
  world,
} from "../sync/_scenario.ts";

const SYNC = new URL("../../tasks/sync.ts", import.meta.url).pathname;
const STATUS = new URL("../../tasks/status.ts", import.meta.url).pathname;
const VF = { vnfId: "vnf-1", vfModuleId: "vfm-1", heatStackId: "app-1" };

function env(
  w: World,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    K8SPLUGIN_URL: w.k8s.url,
    AAI_URL: w.aai.url,
    K8S_AAI_SYNC_SNAPSHOT: w.config.snapshot,
    NO_COLOR: "1",
    ...extra,
  };
}

function command(
  args: string[],
  environment: Record<string, string>,
): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SYNC, ...args],
    env: environment,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  });
}

async function sync(
  args: string[],
  environment: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await command(args, environment).output();
  const decoder = new TextDecoder();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

/** A bigger scenario: `n` instances of a Service, a Deployment with 3 pods. */
function many(n: number, state: "ready" | "crash" = "ready") {
  const instances = [];
  for (let i = 0; i < n; i++) {
    const id = `app-${i}`;
    instances.push(instance(id, [
      service(`${id}-web`),
      deployment(`${id}-web`, 3),
      pod(id, `${id}-web`, "aaaaa", state),
      pod(id, `${id}-web`, "bbbbb"),
      pod(id, `${id}-web`, "ccccc"),
    ]));
  }
  return instances;
}

Deno.test("sync task: exits 2 naming K8SPLUGIN_URL and AAI_URL when unconfigured", async () => {
  const result = await sync(["--once"], { NO_COLOR: "1" });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /Set K8SPLUGIN_URL and AAI_URL/);
});

Deno.test("sync task: exits 2 on a usage error", async () => {
  const result = await sync(["--no-such-flag"], { NO_COLOR: "1" });
  assert.equal(result.code, 2);
});

Deno.test("sync task: one pass prints a summary line, logs JSON lines with transaction ids, writes metrics", async () => {
  await using w = await world(scenario([[healthy("app-1")]], [VF]));
  const metrics = `${w.dir}/sync.prom`;
  const result = await sync(
    ["--once", "--metrics-file", metrics],
    env(w, { AAI_PASSWORD: "hunter2-secret" }),
  );
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.trim().split("\n");
  assert.equal(lines.length, 1);
  // Not on a terminal: the summary is a JSON line too (cron mixes stdout and stderr).
  const summary = JSON.parse(lines[0]!);
  assert.match(summary.message, /1\/1 instances .* 3 create/);
  assert.equal(summary.properties.exitCode, 0);
  const logs = result.stderr.trim().split("\n").map((l) => JSON.parse(l));
  // One line per write: the pass's outcome, with the transaction id.
  const writes = logs.filter((l) => l.properties.outcome === "created");
  assert.equal(writes.length, 3);
  assert.equal(logs.filter((l) => /PUT/.test(l.message)).length, 3);
  for (const l of writes) {
    assert.match(l.properties.transactionId, /^[0-9a-f-]{36}$/);
  }
  assert.doesNotMatch(result.stderr, /hunter2/);
  const text = await Deno.readTextFile(metrics);
  assert.match(text, /k8s_aai_sync_resources\{verdict="Ready"\} 3/);
  assert.match(text, /k8s_aai_sync_writes\{op="create"\} 3/);
  assert.match(text, /k8s_aai_sync_last_success_timestamp_seconds \d/);
  assert.equal((await Deno.stat(w.config.snapshot)).mode! & 0o777, 0o600);
});

Deno.test("sync task: --dry-run prints method, URI and body and sends nothing", async () => {
  await using w = await world(scenario([[healthy("app-1")]], [VF]));
  const result = await sync(["--dry-run", "--log-format", "text"], env(w));
  assert.equal(result.code, 0, result.stderr);
  const puts = result.stdout.split("\n").filter((l) =>
    l.startsWith("PUT /aai/v24/cloud-infrastructure/")
  );
  assert.equal(puts.length, 3);
  assert.match(puts[0]!, /"data-owner":"k8s-aai-sync"/);
  const json = await sync(["--dry-run", "--log-format", "json"], env(w));
  const planned = json.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(
    planned.filter((l) => l.properties.method === "PUT").length,
    3,
  );
  assert.equal(w.aai.state.counts.byMethod.PUT, 0);
});

Deno.test("sync task: a second run while one holds the lock exits 75 and touches nothing", async () => {
  await using w = await world(scenario([[healthy("app-1")]], [VF]));
  const lock = await acquireStateLock(w.config.snapshot);
  try {
    const result = await sync(["--once"], env(w));
    assert.equal(result.code, 75);
    assert.match(result.stderr, /another sync run holds it/);
    assert.equal(w.aai.state.counts.total, 0);
    assert.equal(w.k8s.state.requests.total, 0);
    await assert.rejects(
      () => Deno.stat(w.config.snapshot),
      Deno.errors.NotFound,
    );
  } finally {
    await lock.release();
  }
  assert.equal((await sync(["--once"], env(w))).code, 0);
});

Deno.test("sync task: a run killed with SIGKILL mid-publish is completed by the next run without duplicates or losses", async () => {
  await using w = await world(scenario([many(12), many(12, "crash")]), {
    vfModuleRetry: "1h",
  });
  w.aai.state.faults = { latencyMs: 40 };
  const child = command(
    ["--once"],
    env(w, { K8S_AAI_SYNC_SNAPSHOT: w.config.snapshot }),
  ).spawn();
  const deadline = Date.now() + 60_000;
  while (w.aai.state.counts.byMethod.PUT < 15 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 5));
  }
  child.kill("SIGKILL");
  const status = await child.status;
  assert.equal(status.signal, "SIGKILL");
  await child.stdout.cancel();
  await child.stderr.cancel();
  const partial = k8sResources(w).size;
  assert.ok(
    partial > 0 && partial < 60,
    `killed mid-publish (${partial} of 60 written)`,
  );
  w.aai.state.faults = undefined;
  const next = await sync(["--once"], env(w));
  assert.equal(next.code, 0, next.stderr);
  const objects = k8sResources(w);
  assert.equal(objects.size, 60, "every resource exactly once");
  for (let i = 0; i < 12; i++) {
    assert.ok(
      objects.has(
        expectedPath(`app-${i}`, "Deployment", "apps", "v1", `app-${i}-web`)
          .path,
      ),
    );
  }
  w.aai.state.resetCounts();
  assert.equal((await sync(["--once"], env(w))).code, 0);
  assert.equal(w.aai.state.counts.total, 0, "converged: nothing left to send");
  // And the next change still flows through.
  w.k8s.state.setStep(1);
  assert.equal((await sync(["--once"], env(w))).code, 0);
  const crashed = k8sResources(w).get(
    expectedPath("app-3", "Pod", "", "v1", "app-3-web-5d8f7c6b9-aaaaa").path,
  );
  assert.equal(readiness(crashed).verdict, "Failed");
});

Deno.test("sync task: --watch repeats passes until SIGTERM and sends nothing once converged", async () => {
  await using w = await world(scenario([[healthy("app-1")]], [VF]));
  const child = command([
    "--watch",
    "--interval",
    "50ms",
    "--log-format",
    "text",
  ], env(w)).spawn();
  const deadline = Date.now() + 60_000;
  while (
    w.k8s.state.requests.byRoute["GET /v1/instance"] === undefined ||
    w.k8s.state.requests.byRoute["GET /v1/instance"]! < 4
  ) {
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill("SIGTERM");
  const out = await child.output();
  assert.equal(out.code, 0);
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  assert.ok(lines.length >= 3, `several passes (${lines.length})`);
  assert.match(lines[0]!, /3 create/);
  assert.match(lines[lines.length - 1]!, /0 create, 0 update, 0 delete/);
  assert.equal(w.aai.state.counts.byMethod.PUT, 3);
});

Deno.test("sync task: --source kube reads resources from the cluster (kubeconfig from connectivity-info)", async () => {
  await using w = await world(scenario([[healthy("app-1")]], [VF]), {}, {
    kube: true,
  });
  const result = await sync(["--once", "--source", "kube"], env(w));
  assert.equal(result.code, 0, result.stderr);
  assert.equal(k8sResources(w).size, 3);
  assert.equal(
    w.k8s.state.requests.byRoute["GET /v1/instance/{id}/status"] ?? 0,
    0,
  );
  assert.ok(w.kube!.state.requests.total > 0);
});

Deno.test("exitCodeFor() maps config, usage, lock and transport errors to 2, 2, 75, 75 and the rest to 1", () => {
  assert.equal(exitCodeFor(new ConfigError("bad")), 2);
  assert.equal(
    exitCodeFor(
      new CommanderError(1, "commander.unknownOption", "x"),
    ),
    2,
  );
  assert.equal(exitCodeFor(new LockHeldError("/s/.lock")), 75);
  assert.equal(
    exitCodeFor(
      new HttpTransportError({
        peer: "A&AI",
        method: "GET",
        url: "u",
        kind: "Refused",
        detail: "refused",
      }),
    ),
    75,
  );
  // A 5xx that persisted through the retries: the peer is unavailable.
  const unavailable = new K8spluginError(
    'Cannot list instances from k8splugin: HTTP 503 "busy"',
    { kind: "Transient", status: 503 },
  );
  assert.equal(exitCodeFor(unavailable), 75);
  const notFound = new K8spluginError("Cannot read instance", {
    kind: "NotFound",
    status: 404,
  });
  assert.equal(exitCodeFor(notFound), 1);
  assert.equal(exitCodeFor(new Error("boom")), 1);
  assert.match(
    EXIT_CODES_HELP,
    /^ {2}75 {2}another run holds the lock, or a peer is unavailable \(refused, timed out, 5xx after retries\) \(EX_TEMPFAIL\)/m,
  );
});

Deno.test("sync task: --verify-every makes the first pass and then one a day a --verify pass, recorded for status and metrics", async () => {
  await using w = await world(scenario([[healthy("app-1")]], [VF]));
  const metrics = `${w.dir}/sync.prom`;
  const args = ["--once", "--verify-every", "24h", "--metrics-file", metrics];
  const first = await sync(args, env(w));
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /This pass verifies every owned A&AI object/);
  const lastRun = JSON.parse(
    await Deno.readTextFile(`${w.dir}/state/last-run.json`),
  );
  assert.equal(lastRun.verify, true);
  assert.equal(lastRun.lastVerifySuccessAt, lastRun.startedAt);
  w.aai.state.resetCounts();
  const second = await sync(args, env(w));
  assert.equal(second.code, 0, second.stderr);
  assert.doesNotMatch(second.stderr, /This pass verifies/);
  assert.equal(w.aai.state.counts.total, 0, "a normal pass: nothing to send");
  const text = await Deno.readTextFile(metrics);
  assert.match(text, /^k8s_aai_sync_last_verify_success_timestamp_seconds \d/m);
  assert.match(text, /^k8s_aai_sync_build_info\{version="\d+\.\d+\.\d+"\} 1/m);
  const status = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", STATUS, "--snapshot", w.config.snapshot],
    env: { NO_COLOR: "1" },
    clearEnv: true,
    stdout: "piped",
  }).output();
  assert.equal(status.code, 0);
  const shown = new TextDecoder().decode(status.stdout);
  assert.match(shown, /^Last pass: {3}\S+ \(\d+s ago\), exit 0\n/);
  assert.match(shown, /^Last verify: {2}\S+ \(\d+s ago\)$/m);
});

Deno.test("verifyDue() waits a day after a success, and an hour after a failed verify", () => {
  const now = new Date("2026-12-04T12:00:00Z");
  const run = {
    version: "0.1.0",
    startedAt: "2026-12-04T11:59:00Z",
    finishedAt: "2026-12-04T11:59:02Z",
    exitCode: 0,
    verify: false,
    summary: "",
    errors: [],
  };
  const day = 86_400_000;
  assert.equal(verifyDue(undefined, day, now), true);
  assert.equal(verifyDue(run, day, now), true);
  assert.equal(
    verifyDue(
      { ...run, lastVerifySuccessAt: "2026-12-04T01:00:00Z" },
      day,
      now,
    ),
    false,
  );
  assert.equal(
    verifyDue(
      {
        ...run,
        lastVerifySuccessAt: "2026-12-02T01:00:00Z",
        lastVerifyAttemptAt: "2026-12-04T11:30:00Z",
      },
      day,
      now,
    ),
    false,
  );
  assert.equal(
    verifyDue(
      {
        ...run,
        lastVerifySuccessAt: "2026-12-02T01:00:00Z",
        lastVerifyAttemptAt: "2026-12-04T10:30:00Z",
      },
      day,
      now,
    ),
    true,
  );
});

Deno.test("sync task: a --verify that cannot get the lock within --wait-lock says so and exits 75; one that can, waits and runs", async () => {
  await using w = await world(scenario([[healthy("app-1")]], [VF]));
  const lock = await acquireStateLock(w.config.snapshot);
  try {
    const lost = await sync(
      ["--once", "--verify", "--wait-lock", "1s", "--log-format", "text"],
      env(w),
    );
    assert.equal(lost.code, 75);
    assert.match(
      lost.stderr,
      /The --verify pass did not run: another pass held the lock for the 1s it waited \(--wait-lock\)/,
    );
  } finally {
    await lock.release();
  }
  const held = await acquireStateLock(w.config.snapshot);
  const child = command(
    ["--once", "--verify", "--wait-lock", "30s", "--log-format", "text"],
    env(w),
  ).spawn();
  await new Promise((r) => setTimeout(r, 1500));
  await held.release();
  const out = await child.output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  assert.match(stderr, /Waiting up to 30s for the pass that holds/);
});

Deno.test("sync task: --version prints the version; logs carry it", async () => {
  const result = await sync(["--version"], { NO_COLOR: "1" });
  assert.equal(result.code, 0);
  assert.match(
    result.stdout,
    /^k8s-aai-sync \d+\.\d+\.\d+ \(deno \d+\.\d+\.\d+\)\n$/,
  );
  const unconfigured = await sync(["--once", "--log-format", "json"], {
    NO_COLOR: "1",
  });
  assert.match(
    JSON.parse(unconfigured.stderr.trim()).properties.version,
    /^\d+\.\d+\.\d+$/,
  );
});

Deno.test("sync task: --pushgateway pushes the pass's metrics, grouped by its regions", async () => {
  await using w = await world(scenario([[healthy("app-1")]], [VF]));
  const pushed: { method: string; path: string; body: string }[] = [];
  const gateway = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    async (request) => {
      pushed.push({
        method: request.method,
        path: new URL(request.url).pathname,
        body: await request.text(),
      });
      return new Response("", { status: 200 });
    },
  );
  try {
    const result = await sync([
      "--once",
      "--region",
      "k8sregionone",
      "--pushgateway",
      `http://127.0.0.1:${gateway.addr.port}`,
    ], env(w));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(pushed.length, 1);
    assert.equal(pushed[0]!.method, "PUT");
    assert.equal(
      pushed[0]!.path,
      "/metrics/job/k8s-aai-sync/regions/k8sregionone",
    );
    assert.match(pushed[0]!.body, /k8s_aai_sync_writes\{op="create"\} 3/);
  } finally {
    await gateway.shutdown();
  }
  const failed = await sync(
    ["--once", "--pushgateway", "http://127.0.0.1:1/", "--log-format", "text"],
    env(w),
  );
  assert.equal(failed.code, 1);
  assert.match(
    failed.stderr,
    /Cannot push metrics to the Pushgateway "http:\/\/127\.0\.0\.1:1\/" \(--pushgateway \/ K8S_AAI_SYNC_PUSHGATEWAY\): /,
  );
});

Deno.test("sync task: on a terminal the logs and the summary are text; elsewhere both are JSON", async () => {
  const { main } = await import("../../tasks/sync.ts");
  await using w = await world(scenario([[healthy("app-1")]], [VF]));
  for (const isTerminal of [true, false]) {
    let stdout = "";
    let stderr = "";
    const code = await main(["--once"], env(w), {
      stdout: (t) => void (stdout += t),
      stderr: (t) => void (stderr += t),
      isTerminal,
    });
    assert.equal(code, 0, stderr);
    const lines = `${stdout}${stderr}`.split("\n").filter((l) => l);
    assert.ok(lines.length > 0);
    for (const line of lines) {
      if (isTerminal) assert.ok(!line.startsWith("{"), line);
      else JSON.parse(line);
    }
    if (isTerminal) assert.match(stdout, /^sync · 1\/1 instances/);
  }
});

Deno.test("sayOnce() drops an immediately repeated prefix and nothing else", async () => {
  const { sayOnce } = await import("../../tasks/_output.ts");
  assert.equal(
    sayOnce(
      "Cannot list instances from k8splugin: Cannot list instances from k8splugin: GET http://k/v1/instance: timed out",
    ),
    "Cannot list instances from k8splugin: GET http://k/v1/instance: timed out",
  );
  assert.equal(sayOnce("a: a: b"), "a: a: b", "short prefixes are left alone");
  assert.equal(
    sayOnce('Cannot read "x": Cannot parse y'),
    'Cannot read "x": Cannot parse y',
  );
});
