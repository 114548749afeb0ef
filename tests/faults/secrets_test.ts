/**
 * Secrets under attack (issue 14 #2, #7): credentials in a peer URL are
 * refused at load without being echoed, and a peer's error page that echoes
 * the request headers never puts the password (or its base64 form) into an
 * error or a log line.
 */
import assert from "node:assert/strict";
import { HttpAaiClient, HttpClient } from "../../adapters/mod.ts";
import { serve, syncTask } from "./_net.ts";

const USER = "AAI";
const PASSWORD = "s3cr3t-Pa55";
const BASIC = btoa(`${USER}:${PASSWORD}`);

/** An error page that echoes every request header, like some proxies' debug pages. */
function echoHeaders(request: Request): Response {
  const lines = [...request.headers].map(([k, v]) => `${k}: ${v}`);
  return new Response(
    `<html><body><h1>502 Bad Gateway</h1><pre>${
      lines.join("\n")
    }\nX-Debug: token=${PASSWORD} Bearer abcdef0123456789</pre></body></html>`,
    { status: 400, headers: { "content-type": "text/html" } },
  );
}

Deno.test("HttpClient redacts the password, its base64 forms and bearer tokens in error bodies (#7)", async () => {
  await using peer = serve(echoHeaders);
  using http = new HttpClient({
    baseUrl: peer.url,
    peer: "A&AI",
    username: USER,
    password: PASSWORD,
    retries: 0,
  });
  const response = await http.request("GET", "/x");
  assert.equal(response.status, 400);
  assert.match(response.text, /authorization: Basic REDACTED/);
  assert.doesNotMatch(
    response.text,
    new RegExp(`${PASSWORD}|${BASIC.replace(/=+$/, "")}`),
  );
  assert.doesNotMatch(response.text, /abcdef0123456789/);
});

Deno.test("HttpAaiClient errors never carry the basic-auth value an error page echoed (#7)", async () => {
  await using peer = serve(echoHeaders);
  using aai = new HttpAaiClient({
    baseUrl: peer.url,
    username: USER,
    password: PASSWORD,
  });
  const error = await aai.get("/cloud-infrastructure/cloud-regions").catch((
    e: unknown,
  ) => e as Error);
  assert.ok(error instanceof Error);
  assert.doesNotMatch(
    error.message,
    new RegExp(`${PASSWORD}|${BASIC.replace(/=+$/, "")}`),
  );
});

Deno.test("sync refuses credentials in K8SPLUGIN_URL at load, exit 2, without echoing them (#2)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const result = await syncTask([
      "--once",
      "--dry-run",
      "--log-format",
      "json",
    ], {
      K8SPLUGIN_URL: `http://admin:${PASSWORD}@127.0.0.1:9015`,
      AAI_URL: "http://127.0.0.1:9016",
      K8S_AAI_SYNC_SNAPSHOT: `${dir}/snapshot.json`,
    });
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      /K8SPLUGIN_URL \(k8splugin\.url\) must not hold a user name or password/,
    );
    assert.doesNotMatch(result.stderr + result.stdout, new RegExp(PASSWORD));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
