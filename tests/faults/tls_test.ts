/**
 * TLS attacks and accidents (issue 14 #17): the common self-signed
 * certificate works with a CA file, a wrong or missing CA file is refused
 * the right way, and k8splugin has the same TLS settings as A&AI.
 */
import assert from "node:assert/strict";
import { HttpClient, HttpTransportError } from "../../adapters/mod.ts";
import { closedPort, serve, shell, syncTask } from "./_net.ts";

/** The certificate people make first: `openssl req -x509`, CA:TRUE, an IP SAN. */
async function selfSigned(dir: string, name: string): Promise<boolean> {
  return await shell(
    `openssl req -x509 -newkey rsa:2048 -nodes -keyout ${name}.key -out ${name}.pem -days 2 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1`,
    dir,
  );
}

Deno.test("HttpClient trusts an `openssl req -x509` self-signed certificate given as caFile, and only that one (#17)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.ok(await selfSigned(dir, "server"), "openssl makes the certificate");
    assert.ok(await selfSigned(dir, "other"), "openssl makes the certificate");
    await using server = serve(() => new Response("secure hello"), {
      cert: await Deno.readTextFile(`${dir}/server.pem`),
      key: await Deno.readTextFile(`${dir}/server.key`),
    });
    {
      // Deno's fetch with caCerts refuses this one: "CaUsedAsEndEntity".
      using trusted = new HttpClient({
        baseUrl: server.url,
        peer: "A&AI",
        caFile: `${dir}/server.pem`,
        retries: 0,
      });
      assert.equal((await trusted.request("GET", "/")).text, "secure hello");
    }
    {
      using wrong = new HttpClient({
        baseUrl: server.url,
        peer: "A&AI",
        caFile: `${dir}/other.pem`,
        retries: 0,
      });
      const error = await wrong.request("GET", "/").catch((e: unknown) => e);
      assert.ok(error instanceof HttpTransportError, String(error));
      assert.equal(error.kind, "Tls");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sync with a missing AAI_CA_FILE exits 2 naming the file, without touching a peer (#17)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const result = await syncTask(["--once", "--log-format", "text"], {
      K8SPLUGIN_URL: closedPort(),
      AAI_URL: "https://127.0.0.1:1",
      AAI_CA_FILE: `${dir}/missing-ca.pem`,
      K8S_AAI_SYNC_SNAPSHOT: `${dir}/state/snapshot.json`,
    });
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      /Cannot read the A&AI CA file ".*missing-ca\.pem" \(AAI_CA_FILE \(aai\.caFile\)\)/,
    );
    assert.doesNotMatch(result.stderr, /attempt/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sync reads a TLS k8splugin with K8SPLUGIN_CA_FILE, or refuses it without (#17)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.ok(await selfSigned(dir, "k8s"), "openssl makes the certificate");
    await using k8splugin = serve(
      (request) =>
        new URL(request.url).pathname === "/v1/instance"
          ? Response.json([])
          : new Response("no", { status: 404 }),
      {
        cert: await Deno.readTextFile(`${dir}/k8s.pem`),
        key: await Deno.readTextFile(`${dir}/k8s.key`),
      },
    );
    await using aai = serve(() => new Response("not used", { status: 500 }));
    const env = {
      K8SPLUGIN_URL: k8splugin.url,
      AAI_URL: aai.url,
      K8S_AAI_SYNC_SNAPSHOT: `${dir}/state/snapshot.json`,
    };
    const trusted = await syncTask(["--once", "--log-format", "text"], {
      ...env,
      K8SPLUGIN_CA_FILE: `${dir}/k8s.pem`,
    });
    assert.equal(trusted.code, 0, trusted.stderr);
    assert.match(trusted.stdout, /0\/0 instances/);
    const insecure = await syncTask(["--once", "--log-format", "text"], {
      ...env,
      K8SPLUGIN_INSECURE: "true",
    });
    assert.equal(insecure.code, 0, insecure.stderr);
    const refused = await syncTask(["--once", "--log-format", "text"], env);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /TLS failed/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("KubeClient honours insecure-skip-tls-verify only when the operator allows it", async () => {
  const { KubeClient, KubeError } = await import("../../adapters/kube.ts");
  const { startKube } = await import("../../sim/kube.ts");
  await using kube = await startKube({ step: 1, tls: true, token: "s3cret" });
  const kubeconfig = [
    "apiVersion: v1",
    "kind: Config",
    `clusters: [{name: sim, cluster: {server: "${kube.url}", insecure-skip-tls-verify: true}}]`,
    'users: [{name: u, user: {token: "s3cret"}}]',
    "contexts: [{name: c, context: {cluster: sim, user: u}}]",
    "current-context: c",
    "",
  ].join("\n");
  const pod = { group: "", version: "v1", kind: "Pod" };
  {
    await using refused = KubeClient.fromKubeconfig("r1", kubeconfig);
    const error = await refused.list(pod).catch((e: unknown) => e);
    assert.ok(error instanceof KubeError);
    assert.match(
      error.message,
      /insecure-skip-tls-verify is refused: .* or allow it with regions\.r1\.allowInsecureSkipTlsVerify: true/,
    );
  }
  {
    await using allowed = KubeClient.fromKubeconfig("r1", kubeconfig, {
      allowInsecure: true,
    });
    const pods = await allowed.list(pod, { namespace: "testns2" });
    assert.equal(
      pods.length,
      2,
      "read over https without verification, with the token",
    );
  }
});

Deno.test("loadConfig() takes regions.<r>.allowInsecureSkipTlsVerify as a yes/no", async () => {
  const { loadConfig } = await import("../../sync/mod.ts");
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      "k8splugin: {url: http://k}\naai: {url: http://a}\nregions: {r1: {allowInsecureSkipTlsVerify: true}}\n",
    );
    const config = await loadConfig(`${dir}/c.yaml`, {});
    assert.equal(config.regions.r1?.allowInsecureSkipTlsVerify, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
