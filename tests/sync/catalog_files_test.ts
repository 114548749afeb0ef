/**
 * User health catalog files (`rules.catalogFiles`, `K8S_AAI_SYNC_CATALOG_FILES`):
 * read and validated at config load, handed to the rules in a sync pass; a
 * bad file is a configuration error (exit 2) naming the file and the path.
 */
import assert from "node:assert/strict";
import { ConfigError, loadConfig, runSync } from "../../sync/mod.ts";
import {
  expectedPath,
  instance,
  k8sResources,
  NS,
  readiness,
  scenario,
  world,
} from "./_scenario.ts";

const SYNC = new URL("../../tasks/sync.ts", import.meta.url).pathname;
const VF = { vnfId: "vnf-1", vfModuleId: "vfm-1", heatStackId: "app-1" };

/** The README's example catalog file, shortened. */
const WIDGETS = `family: Widget operator
group: example.com
kinds:
  - kind: Widget
    source: https://example.com/widget-operator/docs/status
    health: [Ready]
    terminal:
      - { reason: ProvisioningFailed, reasons: [ProvisioningFailed, OutOfWidgets] }
`;

const BAD = `family: Widget operator
group: example.com
kinds:
  - kind: Widget
    source: https://example.com/widget-operator/docs/status
    terminal:
      - { reason: BadCredentials, message: "invalid (api key|token" }
`;

/** A Widget whose Ready condition is False with `reason`. */
function widget(reason: string): Record<string, unknown> {
  return {
    apiVersion: "example.com/v1",
    kind: "Widget",
    metadata: { name: "w1", namespace: NS, generation: 1 },
    status: {
      observedGeneration: 1,
      conditions: [{
        type: "Ready",
        status: "False",
        reason,
        message: "no widgets left in the pool",
        lastTransitionTime: "2026-11-25T09:59:00Z",
      }],
    },
  };
}

Deno.test("loadConfig() reads rules.catalogFiles and a user entry changes a custom resource's verdict in a sync pass", async () => {
  await using w = await world(
    scenario([[instance("app-1", [widget("OutOfWidgets")])]], [VF]),
  );
  const path = expectedPath("app-1", "Widget", "example.com", "v1", "w1").path;
  const env = {
    K8SPLUGIN_URL: w.k8s.url,
    AAI_URL: w.aai.url,
    K8S_AAI_SYNC_SNAPSHOT: w.config.snapshot,
  };

  const plain = await runSync(w.deps, {
    config: await loadConfig(undefined, env),
  });
  assert.equal(plain.exitCode, 0, plain.errors.join("\n"));
  assert.equal(readiness(k8sResources(w).get(path))?.verdict, "Pending");

  const file = `${w.dir}/widgets-health.yaml`;
  await Deno.writeTextFile(file, WIDGETS);
  const config = await loadConfig(undefined, {
    ...env,
    K8S_AAI_SYNC_CATALOG_FILES: ` ${file} ,`,
  });
  assert.deepEqual(config.rules.catalogFiles, [file]);
  assert.equal(config.rules.catalog?.[0]?.family, "Widget operator");
  const report = await runSync(w.deps, { config });
  assert.equal(report.exitCode, 0, report.errors.join("\n"));
  assert.equal(report.instances.unchanged, 0, "a catalog change unsettles");
  assert.deepEqual(readiness(k8sResources(w).get(path)), {
    verdict: "Failed",
    reason: "ProvisioningFailed",
  });
});

Deno.test("loadConfig() refuses a bad catalog file naming the file and the path inside it; the sync task exits 2", async () => {
  const dir = await Deno.makeTempDir({ prefix: "catalog-files-" });
  try {
    const file = `${dir}/widgets-health.yaml`;
    await Deno.writeTextFile(file, BAD);
    const env = {
      K8SPLUGIN_URL: "http://127.0.0.1:9",
      AAI_URL: "http://127.0.0.1:9",
      K8S_AAI_SYNC_SNAPSHOT: `${dir}/snapshot.json`,
    };
    const expected = new RegExp(
      `health catalog "${file}": "kinds\\.0\\.terminal\\.0\\.message"`,
    );
    await assert.rejects(
      loadConfig(undefined, { ...env, K8S_AAI_SYNC_CATALOG_FILES: file }),
      (error: unknown) =>
        error instanceof ConfigError && expected.test(error.message),
    );
    await assert.rejects(
      loadConfig(undefined, {
        ...env,
        K8S_AAI_SYNC_CATALOG_FILES: `${dir}/missing.yaml`,
      }),
      /Cannot read health catalog ".*missing\.yaml" \(K8S_AAI_SYNC_CATALOG_FILES \(rules\.catalogFiles\)\)/,
    );
    const config = `${dir}/config.yaml`;
    await Deno.writeTextFile(
      config,
      `rules:\n  catalogFiles: [${JSON.stringify(file)}]\n`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", SYNC, "--once", "--config", config],
      env: { ...env, NO_COLOR: "1" },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2, stderr);
    const messages = stderr.trim().split("\n").map((line) =>
      (JSON.parse(line) as { message: string }).message
    );
    assert.ok(messages.some((m) => expected.test(m)), stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
