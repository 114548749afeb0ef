import assert from "node:assert/strict";
import {
  type Exchange,
  HttpBodyError,
  HttpClient,
  HttpTransportError,
} from "../../adapters/http.ts";
import { closedPort, serve, shell } from "../faults/_net.ts";

Deno.test("HttpClient.request() retries a 503 and returns the later success", async () => {
  let calls = 0;
  await using server = serve(() => {
    calls++;
    return calls < 3
      ? new Response("busy\n", { status: 503 })
      : Response.json({ ok: true });
  });
  const exchanges: Exchange[] = [];
  using client = new HttpClient({
    baseUrl: server.url,
    peer: "test",
    minBackoffMs: 1,
    maxBackoffMs: 5,
    onExchange: (e) => exchanges.push(e),
  });
  const response = await client.request("GET", "/thing");
  assert.equal(response.status, 200);
  assert.deepEqual(response.json(), { ok: true });
  assert.equal(calls, 3);
  assert.deepEqual(exchanges.map((e) => [e.attempt, e.status]), [
    [1, 503],
    [2, 503],
    [3, 200],
  ]);
});

Deno.test("HttpClient.request() returns a persistent 5xx after the retries", async () => {
  let calls = 0;
  await using server = serve(() => {
    calls++;
    return new Response("down\n", { status: 500 });
  });
  using client = new HttpClient({
    baseUrl: server.url,
    peer: "test",
    retries: 2,
    minBackoffMs: 1,
  });
  const response = await client.request("GET", "/x");
  assert.equal(response.status, 500);
  assert.equal(response.text, "down\n");
  assert.equal(calls, 3);
});

Deno.test("HttpClient.request() returns a 5xx at once when retryStatus says it will not change", async () => {
  let calls = 0;
  await using server = serve(() => {
    calls++;
    return new Response("permanent\n", { status: 500 });
  });
  using client = new HttpClient({
    baseUrl: server.url,
    peer: "test",
    minBackoffMs: 1,
  });
  const response = await client.request("GET", "/", {
    retryStatus: ({ text }) => !text.startsWith("permanent"),
  });
  assert.equal(response.status, 500);
  assert.equal(calls, 1);
});

Deno.test("HttpClient.request() never retries a 404", async () => {
  let calls = 0;
  await using server = serve(() => {
    calls++;
    return new Response("nope\n", { status: 404 });
  });
  using client = new HttpClient({
    baseUrl: server.url,
    peer: "test",
    minBackoffMs: 1,
  });
  const response = await client.request("GET", "/missing");
  assert.equal(response.status, 404);
  assert.equal(calls, 1);
});

Deno.test("HttpClient.request() throws a Timeout HttpTransportError after its retries", async () => {
  let calls = 0;
  await using server = serve(async () => {
    calls++;
    await new Promise((resolve) => setTimeout(resolve, 300));
    return new Response("late");
  });
  using client = new HttpClient({
    baseUrl: server.url,
    peer: "slowpeer",
    timeoutMs: 50,
    retries: 1,
    minBackoffMs: 1,
  });
  const error = await client.request("GET", "/slow").then(
    () => assert.fail("expected a timeout"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof HttpTransportError);
  assert.equal(error.kind, "Timeout");
  assert.equal(error.retryable, true);
  assert.equal(error.attempts, 2);
  assert.equal(calls, 2);
  assert.match(
    error.message,
    /^Cannot reach slowpeer for GET http:\/\/127\.0\.0\.1:\d+\/slow: timed out \(after 2 attempts\)$/,
  );
});

Deno.test("HttpClient.request() reports a refused connection as kind Refused", async () => {
  using client = new HttpClient({
    baseUrl: closedPort(),
    peer: "gone",
    retries: 0,
  });
  const error = await client.request("GET", "/").catch((e: unknown) => e);
  assert.ok(error instanceof HttpTransportError);
  assert.equal(error.kind, "Refused");
});

Deno.test("HttpClient.request() reports a dropped connection as kind Reset", async () => {
  await using server = serve(() =>
    new Response(
      new ReadableStream({
        start(controller) {
          controller.error(new Error("boom"));
        },
      }),
    )
  );
  using client = new HttpClient({
    baseUrl: server.url,
    peer: "flaky",
    retries: 0,
  });
  const error = await client.request("GET", "/").catch((e: unknown) => e);
  assert.ok(error instanceof HttpTransportError);
  assert.equal(error.kind, "Reset");
});

Deno.test("HttpClient.request() sends basic auth and redacts it from errors, exchanges and recordings", async () => {
  const seen: string[] = [];
  await using server = serve((request) => {
    seen.push(request.headers.get("authorization") ?? "");
    return Response.json({ echo: "s3cr3t!", token: "abc", kept: 1 });
  });
  const dir = await Deno.makeTempDir();
  try {
    const exchanges: Exchange[] = [];
    using client = new HttpClient({
      baseUrl: server.url,
      peer: "A&AI",
      username: "aai@aai.onap.org",
      password: "s3cr3t!",
      recordDir: dir,
      headers: () => ({ "X-TransactionId": "t-1" }),
      onExchange: (e) => exchanges.push(e),
    });
    const response = await client.request("PUT", "/obj/a%2Fb", {
      query: { depth: "0", skip: undefined },
      body: { password: "s3cr3t!", name: "x" },
    });
    assert.equal(response.status, 200);
    assert.equal(seen[0], `Basic ${btoa("aai@aai.onap.org:s3cr3t!")}`);
    assert.equal(exchanges[0]?.requestHeaders["Authorization"], "REDACTED");
    assert.equal(exchanges[0]?.requestHeaders["X-TransactionId"], "t-1");
    assert.match(exchanges[0]?.url ?? "", /\/obj\/a%2Fb\?depth=0$/);
    const files = (await Array.fromAsync(Deno.readDir(dir))).map((f) => f.name);
    assert.equal(files.length, 1);
    const text = await Deno.readTextFile(`${dir}/${files[0]}`);
    assert.ok(!text.includes("s3cr3t"), text);
    assert.ok(!text.includes(btoa("aai@aai.onap.org:s3cr3t!")), text);
    const record = JSON.parse(text);
    assert.equal(record.request.method, "PUT");
    assert.equal(record.response.status, 200);
    assert.deepEqual(JSON.parse(record.response.body), {
      echo: "REDACTED",
      token: "REDACTED",
      kept: 1,
    });
    assert.deepEqual(JSON.parse(record.request.body), {
      password: "REDACTED",
      name: "x",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("HttpClient moves credentials out of the base URL and never shows them", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  using client = new HttpClient({
    baseUrl: `http://user:hunter2@127.0.0.1:${port}/base/`,
    peer: "p",
    retries: 0,
  });
  assert.equal(client.baseUrl, `http://127.0.0.1:${port}/base`);
  const error = await client.request("GET", "/x").catch((e: unknown) => e);
  assert.ok(error instanceof HttpTransportError);
  assert.ok(!error.message.includes("hunter2"));
  assert.ok(!error.message.includes("user:"));
});

Deno.test("HttpResponse.json() throws HttpBodyError on a body that is not JSON", async () => {
  await using server = serve(() => new Response('{"broken": '));
  using client = new HttpClient({ baseUrl: server.url, peer: "p" });
  const response = await client.request("GET", "/");
  assert.throws(() => response.json(), HttpBodyError);
  assert.throws(() => response.json(), /HTTP 200\) as JSON/);
});

Deno.test("HttpClient.request() stops at once when the caller aborts", async () => {
  let calls = 0;
  await using server = serve(() => {
    calls++;
    return new Response("busy", { status: 503 });
  });
  using client = new HttpClient({
    baseUrl: server.url,
    peer: "p",
    retries: 5,
    minBackoffMs: 200,
  });
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error("stop")), 50);
  await assert.rejects(
    client.request("GET", "/", { signal: controller.signal }),
    /stop/,
  );
  assert.ok(calls < 6);
});

/** Makes a CA and a localhost certificate signed by it with openssl. */
async function makeCertificates(dir: string): Promise<boolean> {
  const script = [
    `openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=test-ca`,
    `openssl req -newkey rsa:2048 -nodes -keyout key.pem -out leaf.csr -subj /CN=localhost`,
    `printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > ext.cnf`,
    `openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out cert.pem -days 2 -extfile ext.cnf`,
  ].join(" && ");
  return await shell(script, dir);
}

Deno.test("HttpClient verifies TLS by default, trusts caFile, and skips checks only when insecure", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.ok(
      await makeCertificates(dir),
      "openssl is needed to make the test certificates",
    );
    const cert = await Deno.readTextFile(`${dir}/cert.pem`);
    const key = await Deno.readTextFile(`${dir}/key.pem`);
    await using server = serve(() => new Response("secure hello"), {
      cert,
      key,
    });
    {
      using strict = new HttpClient({
        baseUrl: server.url,
        peer: "tls",
        retries: 0,
      });
      const error = await strict.request("GET", "/").catch((e: unknown) => e);
      assert.ok(error instanceof HttpTransportError);
      assert.equal(error.kind, "Tls");
    }
    {
      using trusted = new HttpClient({
        baseUrl: server.url,
        peer: "tls",
        caFile: `${dir}/ca.pem`,
      });
      assert.equal((await trusted.request("GET", "/")).text, "secure hello");
    }
    {
      using insecure = new HttpClient({
        baseUrl: server.url,
        peer: "tls",
        insecure: true,
      });
      const response = await insecure.request("GET", "/");
      assert.equal(response.status, 200);
      assert.equal(response.text, "secure hello");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("isPeerUnavailable() is true for no answer and persistent 5xx, false for 4xx and bad data", async () => {
  const { isPeerUnavailable, HttpTransportError: Transport } = await import(
    "../../adapters/http.ts"
  );
  const transport = new Transport({
    peer: "k8splugin",
    method: "GET",
    url: "http://k/v1/instance",
    kind: "Refused",
    detail: "connection refused",
  });
  assert.equal(isPeerUnavailable(transport), true);
  assert.equal(
    isPeerUnavailable({ retryable: true, status: 503, cause: undefined }),
    true,
  );
  assert.equal(
    isPeerUnavailable({ retryable: true, cause: transport }),
    true,
  );
  assert.equal(isPeerUnavailable({ retryable: false, status: 404 }), false);
  assert.equal(isPeerUnavailable(new SyntaxError("bad body")), false);
  assert.equal(isPeerUnavailable(undefined), false);
});
