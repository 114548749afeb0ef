import assert from "node:assert/strict";
import {
  ConfigError,
  formatDuration,
  loadConfig,
  parseDuration,
  parseDurationIn,
  ruleOptions,
} from "../../sync/mod.ts";

Deno.test("loadConfig() needs K8SPLUGIN_URL and AAI_URL and says so", async () => {
  await assert.rejects(() => loadConfig(undefined, {}), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.match(error.message, /Set K8SPLUGIN_URL and AAI_URL/);
    return true;
  });
});

Deno.test("loadConfig() fills defaults from the environment alone", async () => {
  const config = await loadConfig(undefined, {
    K8SPLUGIN_URL: "http://k8s:9015",
    AAI_URL: "https://aai:8443",
    AAI_TENANT_ID: "t1",
    K8S_AAI_SYNC_BULK: "true",
  });
  assert.equal(config.aai.apiVersion, "v24");
  assert.equal(config.aai.bulk, true);
  assert.equal(config.tenantId, "t1");
  assert.equal(config.deleteAfterMisses, 2);
  assert.equal(config.owner, "k8s-aai-sync");
  assert.equal(config.snapshot, "./state/snapshot.json");
});

Deno.test("loadConfig() reads YAML, lets env win and reads the password file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/pw`, "s3cret\n");
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `k8splugin: {url: "http://file:9015", concurrency: 3}\naai: {url: "http://aai", passwordFile: ${dir}/pw}\nregions:\n  r1: {cloudOwner: O, tenantId: T}\nrules: {unschedulableGrace: 2m}\n`,
    );
    const config = await loadConfig(`${dir}/c.yaml`, {
      K8SPLUGIN_URL: "http://env:1",
    });
    assert.equal(config.k8splugin.url, "http://env:1");
    assert.equal(config.k8splugin.concurrency, 3);
    assert.equal(config.aai.password, "s3cret");
    assert.deepEqual(config.regions.r1, { cloudOwner: "O", tenantId: "T" });
    assert.equal(config.rules.unschedulableGrace, 120_000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadConfig() names the bad key and the variable it came from", async () => {
  await assert.rejects(
    () =>
      loadConfig(undefined, { K8SPLUGIN_URL: "ftp://x", AAI_URL: "http://a" }),
    /K8SPLUGIN_URL \(k8splugin\.url\) must be an http/,
  );
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/c.json`,
      JSON.stringify({
        k8splugin: { url: "http://k" },
        aai: { url: "http://a" },
        interval: "soon",
        colour: 1,
      }),
    );
    await assert.rejects(
      () => loadConfig(`${dir}/c.json`, {}),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /"interval" must be a duration/);
        assert.match(error.message, /unknown keys "colour"/);
        return true;
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseDuration() reads ms, s, m, h", () => {
  assert.equal(parseDuration("30s"), 30_000);
  assert.equal(parseDuration("250ms"), 250);
  assert.equal(parseDuration("1.5m"), 90_000);
  assert.equal(parseDuration(5), 5);
  assert.equal(parseDuration("soon"), undefined);
});

Deno.test("loadConfig() puts the snapshot in systemd's STATE_DIRECTORY unless configured", async () => {
  const base = { K8SPLUGIN_URL: "http://k", AAI_URL: "http://a" };
  assert.equal(
    (await loadConfig(undefined, {
      ...base,
      STATE_DIRECTORY: "/var/lib/k8s-aai-sync",
    })).snapshot,
    "/var/lib/k8s-aai-sync/snapshot.json",
  );
  assert.equal(
    (await loadConfig(undefined, {
      ...base,
      STATE_DIRECTORY: "/s",
      K8S_AAI_SYNC_SNAPSHOT: "/x/s.json",
    })).snapshot,
    "/x/s.json",
  );
});

Deno.test("ruleOptions() turns every rules.* key into the rules' RuleOptions", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      [
        'k8splugin: {url: "http://k:9015"}',
        'aai: {url: "http://aai"}',
        "rules:",
        "  unschedulableGrace: 10m",
        "  configErrorGrace: 30s",
        "  restartStability: 2m",
        "  crashLoopRestarts: 3",
        "  stallTimeout: 1h",
        "  imagePullGrace: 90s",
        "  terminatingTimeout: 15m",
        "  requireLoadBalancerAddress: false",
        "  ingressClassesRequiringAddress: [nginx]",
        "  terminalReasons: {example.com/Widget: [Broken]}",
        "",
      ].join("\n"),
    );
    const config = await loadConfig(`${dir}/c.yaml`, {});
    assert.deepEqual(ruleOptions(config), {
      unschedulableGraceMs: 600_000,
      configErrorGraceMs: 30_000,
      restartStabilityMs: 120_000,
      crashLoopRestarts: 3,
      stallTimeoutMs: 3_600_000,
      imagePullGraceMs: 90_000,
      terminatingTimeoutMs: 900_000,
      requireLoadBalancerAddress: false,
      ingressClassesRequiringAddress: ["nginx"],
      terminalReasons: { "example.com/Widget": ["Broken"] },
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseDurationIn() bounds a command-line duration and names the flag", () => {
  assert.equal(parseDurationIn("5m", "--wait-lock", [0, 3_600_000]), 300_000);
  assert.throws(
    () => parseDurationIn("2h", "--wait-lock", [0, 3_600_000]),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.message ===
        'Invalid --wait-lock "2h": use a duration from 0ms to 1h like 30s or 5m',
  );
  assert.equal(formatDuration(90_000), "90s");
  assert.equal(formatDuration(86_400_000), "1d");
});

Deno.test("loadConfig() still says 'Set K8SPLUGIN_URL and AAI_URL' when a file has the sections but no URLs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      "k8splugin: {timeout: 5s}\naai: {apiVersion: v25}\n",
    );
    await assert.rejects(
      () => loadConfig(`${dir}/c.yaml`, {}),
      /^ConfigError: Set K8SPLUGIN_URL and AAI_URL .*has no k8splugin\.url and aai\.url$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
