import assert from "node:assert/strict";
import { KubeConfig } from "@kubernetes/client-node";
import { kubeStreamFromKubeConfig } from "../../adapters/mod.ts";

function config(server: string, skipTLSVerify = false): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server, skipTLSVerify }],
    users: [{ name: "u", token: "the-token" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  return kc;
}

Deno.test("kubeStreamFromKubeConfig() sends the kubeconfig's credentials to a plain http:// server", async () => {
  const seen: (string | null)[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => {
      seen.push(request.headers.get("authorization"));
      seen.push(request.headers.get("accept"));
      return Response.json({});
    },
  );
  const stream = kubeStreamFromKubeConfig(
    config(`http://127.0.0.1:${server.addr.port}/`),
  );
  try {
    const response = await stream.fetch("/api/v1");
    await response.body?.cancel();
    assert.equal(response.status, 200);
  } finally {
    stream.close();
    await server.shutdown();
  }
  assert.deepEqual(seen, ["Bearer the-token", "application/json"]);
});

Deno.test("kubeStreamFromKubeConfig() refuses insecure-skip-tls-verify over https, as the kube adapter does", () => {
  assert.throws(
    () => kubeStreamFromKubeConfig(config("https://127.0.0.1:6443", true)),
    /insecure-skip-tls-verify is not supported over https/,
  );
  assert.throws(
    () => kubeStreamFromKubeConfig(new KubeConfig()),
    /no current cluster/,
  );
});
