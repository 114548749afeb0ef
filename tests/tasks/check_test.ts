import assert from "node:assert/strict";
import { stripVTControlCharacters } from "node:util";
import { parse as parseYaml } from "yaml";
import { CommanderError } from "@commander-js/extra-typings";
import {
  type CheckView,
  humanDuration,
  parseArgs,
  renderView,
  shortPath,
  UsageError,
  useColor,
  watchLines,
} from "../../tasks/check.ts";

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
  assert.throws(
    () => parseArgs(["x", "--interval", "soon"], quiet),
    UsageError,
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
