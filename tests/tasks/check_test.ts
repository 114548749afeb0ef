import assert from "node:assert/strict";
import { stripVTControlCharacters } from "node:util";
import { parse as parseYaml } from "yaml";
import { CommanderError } from "@commander-js/extra-typings";
import { main, parseArgs } from "../../tasks/check.ts";
import {
  type CheckView,
  humanDuration,
  renderView,
  shortPath,
  useColor,
  watchLines,
} from "../../tasks/_check_view.ts";
import { UsageError } from "../../tasks/_exit.ts";
import { versionText } from "../../tasks/_version.ts";
import { HttpAaiClient, HttpK8spluginClient } from "../../adapters/mod.ts";
import {
  DEMO_SCENARIO_URL,
  loadScenario,
  simKubeconfig,
  startAai,
  startK8splugin,
  startKube,
} from "../../sim/mod.ts";
import {
  ConfigError,
  makeConfig,
  runSync,
  toReported,
} from "../../sync/mod.ts";

function sampleView(overrides: Partial<CheckView> = {}): CheckView {
  return {
    instance: {
      id: "edgex-1",
      rbName: "edgex",
      rbVersion: "v1",
      profileName: "profile2",
      releaseName: "edgex",
      cloudRegion: "k8sregionone",
      namespace: "testns2",
    },
    checkedAt: "2026-11-25T10:10:00.000Z",
    verdict: "Failed",
    reason: "CrashLoopBackOff",
    message: "Pod edgex-core-data-x: container core-data is crash-looping",
    k8spluginReady: true,
    resources: [
      {
        kind: "Service",
        group: "",
        version: "v1",
        name: "edgex-core-data",
        namespace: "testns2",
        verdict: "Ready",
        reason: "ServiceReady",
        message: "ClusterIP service",
        warnings: [],
        createdAt: "2026-11-25T10:00:00Z",
      },
      {
        kind: "Deployment",
        group: "apps",
        version: "v1",
        name: "edgex-core-data",
        namespace: "testns2",
        verdict: "Failed",
        reason: "CrashLoopBackOff",
        message: "0/1 replicas ready",
        warnings: [],
        createdAt: "2026-11-23T08:00:00Z",
      },
    ],
    ...overrides,
  };
}

const quiet = { out() {}, err() {} };

Deno.test("humanDuration() formats ages like kubectl", () => {
  assert.equal(humanDuration(45_000), "45s");
  assert.equal(humanDuration(119_000), "119s");
  assert.equal(humanDuration(192_000), "3m12s");
  assert.equal(humanDuration(600_000), "10m");
  assert.equal(humanDuration(5 * 3_600_000), "5h");
  assert.equal(humanDuration(5 * 3_600_000 + 120_000), "5h2m");
  assert.equal(humanDuration(50 * 3_600_000), "2d2h");
  assert.equal(humanDuration(400 * 86_400_000), "400d");
  assert.equal(humanDuration(-500), "0s");
  assert.equal(humanDuration(-5000), "<invalid>");
});

Deno.test("renderView() prints the roll-up above a kubectl-style table", () => {
  const text = renderView(sampleView(), "table");
  const lines = text.split("\n");
  assert.match(lines[0]!, /^Instance edgex-1: edgex v1, profile profile2/);
  assert.match(lines[1]!, /^Verdict: Failed \(CrashLoopBackOff\): /);
  assert.match(lines[3]!, /^KIND\s+NAME\s+NAMESPACE\s+VERDICT\s+REASON\s+AGE$/);
  assert.match(
    lines[4]!,
    /^Service\s+edgex-core-data\s+testns2\s+Ready\s+ServiceReady\s+10m$/,
  );
  assert.match(
    lines[5]!,
    /^Deployment\.apps\s+edgex-core-data\s+testns2\s+Failed\s+CrashLoopBackOff\s+2d2h$/,
  );
  assert.ok(!text.includes("\x1b["));
  assert.doesNotMatch(text, /MESSAGE/);
});

Deno.test("renderView() -o wide adds MESSAGE and k8splugin's ready flag", () => {
  const text = renderView(sampleView(), "wide");
  assert.match(text, /VERDICT\s+REASON\s+AGE\s+MESSAGE\s+K8SPLUGIN-READY/);
  assert.match(text, /0\/1 replicas ready\s+true/);
  assert.match(text, /k8splugin's own ready flag .*: true/);
});

Deno.test("renderView() -o wide says which source placed the instance in A&AI", () => {
  const placement = {
    cloudOwner: "CloudOwner",
    cloudRegion: "k8sregionone",
    tenantId: "t1",
  };
  const so = renderView(
    sampleView({ placement: { ...placement, source: "generic-vnf" } }),
    "wide",
  );
  assert.match(
    so,
    /A&AI placement: CloudOwner\/k8sregionone, tenant t1 \(from the vf-module's generic-vnf, as SO places it\)/,
  );
  const region = renderView(
    sampleView({ placement: { ...placement, source: "region" } }),
    "wide",
  );
  assert.match(region, /\(from the region: config/);
  assert.doesNotMatch(
    renderView(
      sampleView({ placement: { ...placement, source: "region" } }),
      "table",
    ),
    /A&AI placement/,
  );
});

Deno.test("renderView() --no-headers prints only the rows", () => {
  const text = renderView(sampleView(), "table", { headers: false });
  assert.equal(text.split("\n").length, 2);
  assert.match(text, /^Service\s+edgex-core-data/);
});

Deno.test("renderView() colours verdicts only when asked", () => {
  const text = renderView(sampleView(), "table", { color: true });
  assert.ok(text.includes("\x1b[31mFailed\x1b[39m"));
  assert.ok(text.includes("\x1b[32mReady\x1b[39m"));
  // Columns stay aligned: colour codes do not count as width.
  const plain = renderView(sampleView(), "table");
  assert.equal(stripVTControlCharacters(text), plain);
});

Deno.test("renderView() -o json and -o yaml print one document", () => {
  const view = sampleView();
  assert.deepEqual(JSON.parse(renderView(view, "json")), view);
  assert.deepEqual(parseYaml(renderView(view, "yaml")), view);
});

Deno.test("renderView() with --aai lists A&AI's objects and the planned requests", () => {
  const id = "3f2a9c1e7b5d".padEnd(64, "0");
  const path =
    `/cloud-infrastructure/cloud-regions/cloud-region/CloudOwner/k8sregionone/tenants/tenant/t1/k8s-resources/k8s-resource/${id}`;
  const view = sampleView({
    aai: {
      objects: [{
        id,
        name: "edgex-core-data",
        kind: "Deployment",
        labels: [
          "app=x",
          "k8s-aai-sync/readiness=Ready",
          "k8s-aai-sync/reason=Available",
        ],
        "data-owner": "k8s-aai-sync",
        "resource-version": "1764064800000",
      }],
      operations: [{
        method: "PATCH",
        path,
        why: "readiness Ready → Failed (CrashLoopBackOff)",
      }],
    },
  });
  const text = renderView(view, "table");
  assert.match(text, /A&AI holds 1 k8s-resource object\(s\):/);
  assert.match(
    text,
    /Deployment\s+edgex-core-data\s+Ready\s+Available\s+k8s-aai-sync\s+1764064800000/,
  );
  assert.match(text, /A sync pass would send 1 request\(s\):/);
  assert.match(
    text,
    /PATCH\s+…\/k8s-resource\/3f2a9c1e7b5d…\s+readiness Ready → Failed/,
  );
  const none = renderView(
    sampleView({ aai: { objects: [], operations: [] } }),
    "table",
  );
  assert.match(none, /A&AI holds no k8s-resource for this instance\./);
  assert.match(none, /would send A&AI nothing/);
});

Deno.test("shortPath() keeps the k8s-resource part and shortens ids", () => {
  assert.equal(
    shortPath(
      `/cloud-infrastructure/x/k8s-resources/k8s-resource/${
        "b".repeat(64)
      }/relationship-list/relationship`,
    ),
    "…/k8s-resource/bbbbbbbbbbbb…/relationship-list/relationship",
  );
  assert.equal(
    shortPath(
      `/cloud-infrastructure/cloud-regions/cloud-region/o/r/tenants/tenant/t/k8s-resources/k8s-resource/${
        "a".repeat(64)
      }?resource-version=12`,
    ),
    "…/k8s-resource/aaaaaaaaaaaa…?resource-version=12",
  );
  assert.equal(shortPath("/nodes/vf-modules"), "/nodes/vf-modules");
});

Deno.test("watchLines() reports verdict changes and the roll-up, nothing when unchanged", () => {
  const before = sampleView();
  const after = sampleView({
    checkedAt: "2026-11-25T10:20:00.000Z",
    verdict: "Ready",
    reason: "AllReady",
    message: "2/2 resources ready",
    resources: [
      before.resources[0]!,
      {
        ...before.resources[1]!,
        verdict: "Ready",
        reason: "Available",
        message: "1/1 replicas ready",
      },
    ],
  });
  assert.deepEqual(watchLines(before, before), []);
  const lines = watchLines(before, after);
  assert.equal(lines.length, 2);
  assert.match(
    lines[0]!,
    /Deployment\.apps\/edgex-core-data {2}Failed → Ready {2}Available/,
  );
  assert.match(lines[1]!, /instance edgex-1 {2}Failed → Ready {2}AllReady/);
});

Deno.test("useColor() lets NO_COLOR win, then --color, then the terminal", () => {
  assert.equal(useColor("always", { noColor: "1", isTerminal: true }), false);
  assert.equal(useColor("always", { isTerminal: false }), true);
  assert.equal(useColor("never", { isTerminal: true }), false);
  assert.equal(useColor("auto", { isTerminal: true }), true);
  assert.equal(useColor("auto", { noColor: "", isTerminal: true }), true);
  assert.equal(useColor("auto", { isTerminal: false }), false);
});

Deno.test("parseArgs() reads every option", () => {
  const args = parseArgs([
    "edgex-1",
    "-o",
    "wide",
    "--aai",
    "--watch",
    "--interval",
    "500ms",
    "--no-headers",
    "--color",
    "never",
    "--config",
    "c.yaml",
    "--source",
    "kube",
    "--now",
    "2026-11-25T10:00:00Z",
  ], quiet);
  assert.deepEqual(args, {
    instanceId: "edgex-1",
    output: "wide",
    aai: true,
    verify: false,
    watch: true,
    intervalMs: 500,
    headers: false,
    color: "never",
    config: "c.yaml",
    source: "kube",
    now: new Date("2026-11-25T10:00:00Z"),
  });
});

Deno.test("parseArgs() rejects bad usage with a CommanderError or UsageError", () => {
  for (
    const bad of [[], ["x", "-o", "xml"], ["x", "--color", "sometimes"], [
      "x",
      "--bogus",
    ]]
  ) {
    assert.throws(
      () => parseArgs(bad, quiet),
      (e) => e instanceof CommanderError && e.exitCode !== 0,
      bad.join(" "),
    );
  }
  // --interval is bounded like sync --watch's (10ms to 1d).
  for (const interval of ["soon", "0s", "5ms", "48h"]) {
    assert.throws(
      () => parseArgs(["x", "--interval", interval], quiet),
      (e) => e instanceof ConfigError && /--interval/.test(e.message),
      interval,
    );
  }
  assert.equal(
    parseArgs(["x", "--interval", "1h"], quiet).intervalMs,
    3_600_000,
  );
  assert.throws(
    () => parseArgs(["x", "--now", "yesterday"], quiet),
    UsageError,
  );
  let help = "";
  assert.throws(
    () => parseArgs(["--help"], { out: (t) => (help += t), err() {} }),
    (e) => e instanceof CommanderError && e.exitCode === 0,
  );
  assert.match(help, /Exit codes/);
  assert.match(help, /0 {2}the instance is Ready/);
  assert.match(help, /4 {2}the instance is Failed/);
});

// ---------------------------------------------------------------------------
// Against the simulators: the real command, HTTP all the way.

const demo = await loadScenario(DEMO_SCENARIO_URL);

/** Runs `check` in-process and captures what it prints. */
async function runCheck(
  args: string[],
  env: Record<string, string | undefined>,
  extra: { sleep?: (ms: number) => Promise<void>; isTerminal?: boolean } = {},
): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(args, {
    out: (text) => (out += text + "\n"),
    err: (text) => (err += text + "\n"),
    env,
    isTerminal: extra.isTerminal ?? false,
    ...(extra.sleep ? { sleep: extra.sleep } : {}),
  });
  return { code, out, err };
}

/** Starts both simulators on the demo scenario at `step`, with a fresh state dir. */
async function simulators(step: number) {
  const k8splugin = startK8splugin({ scenario: demo, step });
  const aai = await startAai({ seed: demo.aai ?? {} });
  const dir = await Deno.makeTempDir({ prefix: "check-test-" });
  const env = {
    K8SPLUGIN_URL: k8splugin.url,
    AAI_URL: aai.url,
    K8S_AAI_SYNC_SNAPSHOT: `${dir}/snapshot.json`,
  };
  return {
    k8splugin,
    aai,
    env,
    now: demo.steps[step]!.now,
    async [Symbol.asyncDispose]() {
      await k8splugin.close();
      await aai.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("check --version prints the version and exits 0; a bad --interval exits 2", async () => {
  const version = await runCheck(["--version"], {});
  assert.equal(version.code, 0);
  assert.equal(version.out.trim(), versionText());
  const bad = await runCheck(["x", "--watch", "--interval", "48h"], {});
  assert.equal(bad.code, 2);
  assert.match(bad.err, /Invalid --interval "48h"/);
});

Deno.test("check exits 3 and shows Pending resources while the rollout runs", async () => {
  await using sims = await simulators(0);
  const { code, out, err } = await runCheck(
    ["edgex-1", "--now", sims.now],
    sims.env,
  );
  assert.equal(err, "");
  assert.equal(code, 3);
  assert.match(out, /^Instance edgex-1: edgex v1, profile profile2/);
  assert.match(out, /Verdict: Pending/);
  assert.match(out, /Deployment\.apps\s+edgex-ui\s+testns2\s+Pending/);
  assert.match(out, /Service\s+edgex-core-data\s+testns2\s+Ready/);
});

Deno.test("check exits 0 when every resource is Ready", async () => {
  await using sims = await simulators(1);
  const { code, out } = await runCheck([
    "edgex-1",
    "--now",
    sims.now,
    "-o",
    "wide",
  ], sims.env);
  assert.equal(code, 0);
  assert.match(out, /Verdict: Ready \(AllReady\)/);
  assert.doesNotMatch(out, /Pending|Failed/);
  assert.match(out, /MESSAGE\s+K8SPLUGIN-READY/);
});

Deno.test("check -o json exits 4 and names the crash-looping pod", async () => {
  await using sims = await simulators(2);
  const { code, out } = await runCheck([
    "edgex-1",
    "--now",
    sims.now,
    "-o",
    "json",
  ], sims.env);
  assert.equal(code, 4);
  const doc = JSON.parse(out);
  assert.equal(doc.verdict, "Failed");
  assert.equal(doc.instance.id, "edgex-1");
  const pod = doc.resources.find((r: { kind: string; name: string }) =>
    r.kind === "Pod" && r.name.startsWith("edgex-core-data-")
  );
  assert.equal(pod.verdict, "Failed");
  assert.equal(pod.reason, "CrashLoopBackOff");
  assert.equal(typeof doc.k8spluginReady, "boolean");
});

Deno.test("check -o yaml prints one YAML document", async () => {
  await using sims = await simulators(2);
  const { code, out } = await runCheck([
    "edgex-1",
    "--now",
    sims.now,
    "-o",
    "yaml",
  ], sims.env);
  assert.equal(code, 4);
  const doc = parseYaml(out) as CheckView;
  assert.equal(doc.verdict, "Failed");
  assert.equal(doc.resources.length, 5);
});

Deno.test("check names the id and the k8splugin URL for an unknown instance", async () => {
  await using sims = await simulators(0);
  const { code, out, err } = await runCheck(["no-such-instance"], sims.env);
  assert.equal(code, 1);
  assert.equal(out, "");
  assert.equal(err.trim().split("\n").length, 1);
  assert.match(err, /"no-such-instance"/);
  assert.ok(err.includes(sims.k8splugin.url), err);
  assert.doesNotMatch(err, /^\s+at /m);
});

Deno.test("check exits 2 without configuration and 1 when k8splugin is unreachable", async () => {
  const usage = await runCheck(["edgex-1"], {});
  assert.equal(usage.code, 2);
  assert.match(usage.err, /K8SPLUGIN_URL/);
  const down = await runCheck(["edgex-1"], {
    K8SPLUGIN_URL: "http://127.0.0.1:9",
    AAI_URL: "http://127.0.0.1:9",
  });
  assert.equal(down.code, 1);
  assert.equal(down.err.trim().split("\n").length, 1);
});

Deno.test("check --aai shows A&AI's objects and what a sync would send", async () => {
  await using sims = await simulators(0);
  const before = await runCheck(
    ["edgex-1", "--now", sims.now, "--aai"],
    sims.env,
  );
  assert.equal(before.code, 3);
  assert.match(before.out, /A&AI holds no k8s-resource for this instance\./);
  assert.match(before.out, /A sync pass would send 5 request\(s\):/);
  assert.equal(before.out.match(/^PUT\s+…\/k8s-resource\//gm)?.length, 5);

  // One real pass publishes them; then nothing is left to send.
  const k8splugin = new HttpK8spluginClient({ baseUrl: sims.k8splugin.url });
  const aai = new HttpAaiClient({ baseUrl: sims.aai.url });
  try {
    const config = makeConfig({
      k8splugin: { url: sims.k8splugin.url },
      aai: { url: sims.aai.url },
      snapshot: sims.env.K8S_AAI_SYNC_SNAPSHOT,
    });
    const now = new Date(sims.now);
    const report = await runSync({ k8splugin, aai, now: () => now }, {
      config,
    });
    assert.equal(report.writes.create, 5);
  } finally {
    k8splugin.close();
    aai.close();
  }
  const after = await runCheck([
    "edgex-1",
    "--now",
    sims.now,
    "--aai",
    "-o",
    "json",
  ], sims.env);
  const doc = JSON.parse(after.out) as CheckView;
  assert.equal(doc.aai?.objects.length, 5);
  assert.deepEqual(doc.aai?.operations, []);
  assert.ok(
    doc.aai?.objects.every((o) =>
      (o.labels as string[]).includes("k8s-aai-sync/readiness=Pending") ||
      (o.labels as string[]).includes("k8s-aai-sync/readiness=Ready")
    ),
  );
});

Deno.test("check --watch appends a line per change until the instance is Ready", async () => {
  await using sims = await simulators(0);
  let polls = 0;
  const { code, out } = await runCheck(
    ["edgex-1", "--now", demo.steps[1]!.now, "--watch", "--interval", "10ms"],
    sims.env,
    {
      sleep: () => {
        // The cluster moves on between two polls.
        if (++polls === 2) sims.k8splugin.state.setStep(1);
        return Promise.resolve();
      },
    },
  );
  assert.equal(code, 0);
  assert.equal(polls, 2);
  const lines = out.trimEnd().split("\n");
  assert.match(out, /Verdict: Pending/);
  assert.ok(
    lines.some((l) => /Deployment\.apps\/edgex-ui {2}Pending → Ready/.test(l)),
    out,
  );
  assert.match(
    lines.at(-1)!,
    /instance edgex-1 {2}Pending → Ready {2}AllReady/,
  );
});

Deno.test("check colours the table only on a terminal, and NO_COLOR wins", async () => {
  await using sims = await simulators(0);
  const tty = await runCheck(["edgex-1", "--now", sims.now], sims.env, {
    isTerminal: true,
  });
  assert.ok(tty.out.includes("\x1b[33mPending\x1b[39m"));
  const noColor = await runCheck(["edgex-1", "--now", sims.now], {
    ...sims.env,
    NO_COLOR: "1",
  }, { isTerminal: true });
  assert.ok(!noColor.out.includes("\x1b["));
  const json = await runCheck([
    "edgex-1",
    "--now",
    sims.now,
    "-o",
    "json",
    "--color",
    "always",
  ], sims.env);
  assert.ok(!json.out.includes("\x1b["));
});

Deno.test("check --source kube reads the instance from the cluster", async () => {
  await using kube = await startKube({ scenario: demo, step: 2 });
  await using k8splugin = startK8splugin({
    scenario: demo,
    step: 2,
    kubeconfigFor: (region) => simKubeconfig(region, kube.url),
  });
  await using aai = await startAai({ seed: demo.aai ?? {} });
  const { code, out, err } = await runCheck(
    ["edgex-1", "--now", demo.steps[2]!.now, "--source", "kube", "-o", "json"],
    { K8SPLUGIN_URL: k8splugin.url, AAI_URL: aai.url },
  );
  assert.equal(err, "");
  assert.equal(code, 4);
  const doc = JSON.parse(out) as CheckView;
  assert.equal(doc.verdict, "Failed");
  assert.ok(kube.state.requests.list > 0, "the cluster was read");
});

Deno.test("check says why a sync could not publish when A&AI lacks the region's tenant", async () => {
  await using k8splugin = startK8splugin({ scenario: demo, step: 1 });
  await using aai = await startAai({ seed: {} });
  const env = { K8SPLUGIN_URL: k8splugin.url, AAI_URL: aai.url };
  const plain = await runCheck(["edgex-1", "--now", demo.steps[1]!.now], env);
  assert.equal(plain.code, 0, "the verdict does not depend on A&AI");
  assert.match(plain.err, /^warning: .*k8sregionone/m);
  const withAai = await runCheck([
    "edgex-1",
    "--now",
    demo.steps[1]!.now,
    "--aai",
  ], env);
  assert.equal(
    withAai.code,
    1,
    "with --aai, a placement A&AI rejects is an error",
  );
  assert.match(
    withAai.out,
    /A sync pass cannot publish this instance: .*k8sregionone/,
  );
  assert.doesNotMatch(withAai.out, /up to date/);
});

Deno.test("check without --aai needs no A&AI settings; with --aai it still does", async () => {
  await using k8splugin = startK8splugin({ scenario: demo, step: 1 });
  const env = { K8SPLUGIN_URL: k8splugin.url };
  const now = demo.steps[1]!.now;
  const plain = await runCheck(["edgex-1", "--now", now], env);
  assert.equal(plain.code, 0, plain.err);
  assert.equal(plain.err, "");
  assert.match(plain.out, /^Verdict: Ready/m);
  const withAai = await runCheck(["edgex-1", "--now", now, "--aai"], env);
  assert.equal(withAai.code, 2);
  assert.match(withAai.err, /AAI_URL/);
});

Deno.test("check --verify without --aai is a usage error", async () => {
  const { code, err } = await runCheck(["edgex-1", "--verify"], {
    K8SPLUGIN_URL: "http://127.0.0.1:9",
    AAI_URL: "http://127.0.0.1:9",
  });
  assert.equal(code, 2);
  assert.match(err, /Cannot use --verify without --aai/);
});

Deno.test("check --aai says so when there is no snapshot to plan against", async () => {
  await using sims = await simulators(0);
  const args = ["edgex-1", "--now", sims.now, "--aai"];
  const cold = await runCheck(args, sims.env);
  assert.match(cold.err, /^warning: No snapshot at ".*snapshot\.json"/m);
  const verifying = await runCheck([...args, "--verify"], sims.env);
  assert.doesNotMatch(verifying.err, /No snapshot/);
});

Deno.test("toReported() turns planned operations into the HTTP requests sync sends", () => {
  const path = "/cloud-infrastructure/x/k8s-resources/k8s-resource/1";
  const base = { path, instanceId: "i", why: "w" };
  const desired = {} as never;
  assert.deepEqual(
    toReported({
      op: "create",
      ...base,
      body: { a: 1 },
      desired,
      relationships: [],
    }),
    { method: "PUT", path, why: "w", body: { a: 1 }, instanceId: "i" },
  );
  assert.deepEqual(
    toReported({
      op: "update",
      ...base,
      body: { labels: [] },
      desired,
      relationships: [],
      recreateWith: [],
    }),
    { method: "PATCH", path, why: "w", body: { labels: [] }, instanceId: "i" },
  );
  const edge = {
    "related-link": "/aai/v24/network/generic-vnfs/generic-vnf/v",
  };
  assert.deepEqual(
    toReported({ op: "relate", ...base, desired, relationships: [edge] }),
    {
      method: "PUT",
      path: `${path}/relationship-list/relationship`,
      why: "w",
      body: { relationships: [edge] },
      instanceId: "i",
    },
  );
  assert.deepEqual(toReported({ op: "delete", ...base, key: "k" }), {
    method: "DELETE",
    path,
    why: "w",
    instanceId: "i",
  });
});

Deno.test("check --watch stops with exit 1 when the instance disappears", async () => {
  await using sims = await simulators(0);
  const { code, err } = await runCheck(
    ["edgex-1", "--now", sims.now, "--watch", "--interval", "10ms"],
    sims.env,
    {
      sleep: () => {
        sims.k8splugin.state.setStep(demo.steps.length - 1); // deleted
        return Promise.resolve();
      },
    },
  );
  assert.equal(code, 1);
  assert.match(err, /Cannot find instance "edgex-1"/);
});

Deno.test("check --aai --verify plans against A&AI itself, not the snapshot", async () => {
  await using sims = await simulators(1);
  const k8splugin = new HttpK8spluginClient({ baseUrl: sims.k8splugin.url });
  const aai = new HttpAaiClient({ baseUrl: sims.aai.url });
  try {
    const config = makeConfig({
      k8splugin: { url: sims.k8splugin.url },
      aai: { url: sims.aai.url },
      snapshot: sims.env.K8S_AAI_SYNC_SNAPSHOT,
    });
    const now = new Date(sims.now);
    await runSync({ k8splugin, aai, now: () => now }, { config });
  } finally {
    k8splugin.close();
    aai.close();
  }
  // Someone deletes one object in A&AI behind the tool's back.
  const gone = [...sims.aai.state.objects.keys()].find((p) =>
    p.includes("/k8s-resource/")
  )!;
  sims.aai.state.remove(gone);
  const args = ["edgex-1", "--now", sims.now, "--aai", "-o", "json"];
  const trusting = JSON.parse(
    (await runCheck(args, sims.env)).out,
  ) as CheckView;
  assert.deepEqual(
    trusting.aai?.operations,
    [],
    "the snapshot says all is published",
  );
  const verifying = JSON.parse(
    (await runCheck([...args, "--verify"], sims.env)).out,
  ) as CheckView;
  assert.equal(verifying.aai?.operations.length, 1);
  assert.equal(verifying.aai?.operations[0]?.method, "PUT");
  assert.equal(verifying.aai?.operations[0]?.path, gone);
});

Deno.test("check --aai --verify plans nothing for another owner's object, exactly like sync --verify", async () => {
  await using sims = await simulators(1);
  const k8splugin = new HttpK8spluginClient({ baseUrl: sims.k8splugin.url });
  const aai = new HttpAaiClient({ baseUrl: sims.aai.url });
  const config = makeConfig({
    k8splugin: { url: sims.k8splugin.url },
    aai: { url: sims.aai.url },
    snapshot: sims.env.K8S_AAI_SYNC_SNAPSHOT,
  });
  const now = new Date(sims.now);
  try {
    await runSync({ k8splugin, aai, now: () => now }, { config });
    // SO's CNF adapter takes one object over and writes its own labels.
    const taken = [...sims.aai.state.objects.keys()].find((p) =>
      p.includes("/k8s-resource/")
    )!;
    const { "resource-version": _rv, "relationship-list": _edges, ...held } =
      sims.aai.state.get(taken)!;
    sims.aai.state.put(taken, {
      ...held,
      labels: ["app=theirs"],
      "data-owner": "CnfAdapter",
    });
    const verified = await runSync({ k8splugin, aai, now: () => now }, {
      config,
      verify: true,
      dryRun: true,
    });
    assert.deepEqual(
      verified.operations.filter((op) => op.path.startsWith(taken)),
      [],
      "sync --verify leaves CnfAdapter's object alone",
    );
    const checked = await runCheck(
      ["edgex-1", "--now", sims.now, "--aai", "--verify", "-o", "json"],
      sims.env,
    );
    const doc = JSON.parse(checked.out) as CheckView;
    assert.deepEqual(
      doc.aai?.operations.filter((op) => op.path.startsWith(taken)),
      [],
      "check --aai --verify leaves it alone too",
    );
    assert.deepEqual(
      doc.aai?.operations,
      verified.operations.map(({ method, path, why }) => ({
        method,
        path,
        why,
      })),
    );
  } finally {
    k8splugin.close();
    aai.close();
  }
});

Deno.test("check --aai --verify finds our objects only A&AI knows, as sync --verify does", async () => {
  await using sims = await simulators(1);
  const k8splugin = new HttpK8spluginClient({ baseUrl: sims.k8splugin.url });
  const aai = new HttpAaiClient({ baseUrl: sims.aai.url });
  const config = makeConfig({
    k8splugin: { url: sims.k8splugin.url },
    aai: { url: sims.aai.url },
    snapshot: sims.env.K8S_AAI_SYNC_SNAPSHOT,
  });
  const now = new Date(sims.now);
  try {
    await runSync({ k8splugin, aai, now: () => now }, { config });
    // An object of ours for edgex-1 that the snapshot never knew.
    const sibling = [...sims.aai.state.objects.keys()].find((p) =>
      p.includes("/k8s-resource/")
    )!;
    const orphan = sibling.replace(/[^/]+$/, "0".repeat(64));
    const { "resource-version": _rv, "relationship-list": _edges, ...held } =
      sims.aai.state.get(sibling)!;
    sims.aai.state.put(orphan, { ...held, id: "0".repeat(64), name: "old" });
    const verified = await runSync({ k8splugin, aai, now: () => now }, {
      config,
      verify: true,
      dryRun: true,
    });
    assert.deepEqual(
      verified.operations.map((op) => [op.method, op.path]),
      [["DELETE", orphan]],
    );
    const checked = JSON.parse(
      (await runCheck(
        ["edgex-1", "--now", sims.now, "--aai", "--verify", "-o", "json"],
        sims.env,
      )).out,
    ) as CheckView;
    assert.deepEqual(
      checked.aai?.operations.map((op) => [op.method, op.path]),
      [["DELETE", orphan]],
    );
  } finally {
    k8splugin.close();
    aai.close();
  }
});
