/**
 * Hostile configuration (issue 14 #2, #8, #16; issue 15 "config validation
 * names the real problem"): every bad value is refused at load with the key
 * (and the variable) named, the problem with the value that is there, and
 * never a secret.
 */
import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../../sync/mod.ts";
import { main } from "../../tasks/sync.ts";

const BASE = { K8SPLUGIN_URL: "http://k8s:9015", AAI_URL: "https://aai:8443" };

/** Loads `env` over BASE and returns the ConfigError's message. */
async function refusal(env: Record<string, string>): Promise<string> {
  try {
    await loadConfig(undefined, { ...BASE, ...env });
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.message;
  }
  assert.fail(`accepted ${JSON.stringify(env)}`);
}

/** Loads a YAML file and returns the ConfigError's message. */
async function fileRefusal(yaml: string): Promise<string> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/c.yaml`, yaml);
    try {
      await loadConfig(`${dir}/c.yaml`, BASE);
    } catch (error) {
      assert.ok(error instanceof ConfigError, String(error));
      return error.message.replace(dir, "<dir>");
    }
    assert.fail(`accepted ${yaml}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("loadConfig() refuses credentials in K8SPLUGIN_URL or AAI_URL without echoing them (#2)", async () => {
  for (const name of ["K8SPLUGIN_URL", "AAI_URL"]) {
    const message = await refusal({ [name]: "http://admin:hunter2@host:9015" });
    assert.match(
      message,
      new RegExp(
        `${name} \\(\\w+\\.url\\) must not hold a user name or password`,
      ),
    );
    assert.doesNotMatch(message, /hunter2|admin/);
  }
});

Deno.test("loadConfig() names the fix for AAI_URL with the API path in it", async () => {
  for (
    const url of [
      "https://aai:8443/aai",
      "https://aai:8443/aai/v24",
      "https://aai:8443/aai/v24/",
    ]
  ) {
    assert.equal(
      await refusal({ AAI_URL: url }),
      'Invalid configuration: AAI_URL (aai.url) must be the base URL without /aai or /aai/vN: use "https://aai:8443" and set aai.apiVersion',
    );
  }
  assert.equal(
    (await loadConfig(undefined, { ...BASE, AAI_URL: "https://aai:8443/" })).aai
      .url,
    "https://aai:8443",
  );
  assert.match(
    await refusal({ K8SPLUGIN_URL: "http://k8s:9015/v1" }),
    /K8SPLUGIN_URL \(k8splugin\.url\) must be the base URL without \/v1: use "http:\/\/k8s:9015"/,
  );
});

Deno.test("loadConfig() refuses URLs with a query or a fragment (#16)", async () => {
  assert.match(
    await refusal({ AAI_URL: "https://aai:8443?x=1" }),
    /AAI_URL \(aai\.url\) must not have a query \(\?…\) or fragment/,
  );
  assert.match(
    await refusal({ K8SPLUGIN_URL: "http://k8s:9015#frag" }),
    /K8SPLUGIN_URL \(k8splugin\.url\) must not have a query/,
  );
});

Deno.test("loadConfig() says what is wrong with a present value instead of 'is required'", async () => {
  assert.equal(
    await refusal({ K8S_AAI_SYNC_DELETE_AFTER_MISSES: "abc" }),
    'Invalid configuration: K8S_AAI_SYNC_DELETE_AFTER_MISSES (deleteAfterMisses) must be a whole number from 1 to 1000, got "abc"',
  );
  assert.equal(
    await fileRefusal("k8splugin: {concurrency: many}\n"),
    'Invalid config "<dir>/c.yaml": "k8splugin.concurrency" must be a whole number from 1 to 256, got "many"',
  );
  assert.equal(
    await refusal({ AAI_INSECURE: "banana" }),
    'Invalid configuration: AAI_INSECURE (aai.insecure) must be true or false (or yes/no, 1/0), got "banana"',
  );
  assert.equal(
    await refusal({ K8S_AAI_SYNC_SOURCE: "cluster" }),
    'Invalid configuration: K8S_AAI_SYNC_SOURCE (source) must be one of "k8splugin", "kube", got "cluster"',
  );
});

Deno.test("loadConfig() never leaks raw validator text", async () => {
  for (
    const yaml of [
      "aai: {concurrency: 0}\n",
      "deleteAfterMisses: -1\n",
      "labelPrefix: ''\n",
      "aai: {timeout: 0}\n",
      "rules: {crashLoopRestarts: 0}\n",
      "regions: {r1: {kubeconfig: 3}}\n",
    ]
  ) {
    const message = await fileRefusal(yaml);
    assert.doesNotMatch(
      message,
      /Too small|Too big|Invalid input|expected \w+ to/,
      message,
    );
  }
});

Deno.test("loadConfig() bounds concurrency, timeouts and intervals (#8, #16)", async () => {
  assert.match(
    await fileRefusal("k8splugin: {concurrency: 1e9}\n"),
    /"k8splugin\.concurrency" must be a whole number from 1 to 256, got 1000000000/,
  );
  assert.match(
    await fileRefusal("aai: {timeout: 400d}\n"),
    /"aai\.timeout" must be a duration from 100ms to 10m/,
  );
  assert.match(
    await fileRefusal("k8splugin: {timeout: 1ms}\n"),
    /"k8splugin\.timeout" must be a duration from 100ms to 10m/,
  );
  assert.match(
    await fileRefusal("interval: 30d\n"),
    /"interval" must be a duration from 10ms to 1d like "30s" or "5m" \(or a number of ms\), got "30d"/,
  );
  assert.match(
    await fileRefusal("rules: {stallTimeout: 100d}\n"),
    /"rules\.stallTimeout" must be a duration from 0ms to 24d/,
  );
});

Deno.test("sync --watch --interval 25d exits 2 before any timer is set (#8)", async () => {
  const code = await main(
    ["--watch", "--interval", "25d", "--log-format", "json"],
    { ...BASE, K8S_AAI_SYNC_SNAPSHOT: "/nonexistent/s.json" },
    { stderr: () => {} },
  );
  assert.equal(code, 2);
});

Deno.test("loadConfig() refuses '.' and '..' as tenant or cloud owner (#16)", async () => {
  assert.match(
    await refusal({ AAI_TENANT_ID: "." }),
    /AAI_TENANT_ID \(tenantId\) must be a non-empty name other than "\." and "\.\.", got "\."/,
  );
  assert.match(
    await fileRefusal("regions: {r1: {cloudOwner: '..'}}\n"),
    /"regions\.r1\.cloudOwner" must be a non-empty name/,
  );
});

Deno.test("loadConfig() refuses SO's CNF adapter's data-owner (#16)", async () => {
  assert.match(
    await refusal({ K8S_AAI_SYNC_OWNER: "CnfAdapter" }),
    /K8S_AAI_SYNC_OWNER \(owner\) must not be "CnfAdapter"/,
  );
});

Deno.test("loadConfig() refuses a missing or non-PEM CA file as a config error naming the file (#17)", async () => {
  assert.equal(
    (await refusal({ AAI_CA_FILE: "/nonexistent/ca.pem" })).replace(
      /: No such file.*$/,
      "",
    ),
    'Cannot read the A&AI CA file "/nonexistent/ca.pem" (AAI_CA_FILE (aai.caFile))',
  );
  const file = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(file, "not a certificate\n");
    assert.match(
      await refusal({ K8SPLUGIN_CA_FILE: file }),
      /Cannot use the k8splugin CA file ".*" \(K8SPLUGIN_CA_FILE \(k8splugin\.caFile\)\): it holds no PEM certificate/,
    );
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("loadConfig() does not echo a bad password-like value", async () => {
  const message = await fileRefusal(
    "regions: {r1: {kubeconfigInline: 7}}\naai: {password: 12345}\n",
  );
  assert.doesNotMatch(message, /12345/);
});
