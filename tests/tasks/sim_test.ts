import assert from "node:assert/strict";
import { main } from "../../tasks/sim.ts";

const TASK = new URL("../../tasks/sim.ts", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;

/** Runs `main()` in-process until `check` is done with the printed URL. */
async function withSim(
  args: string[],
  check: (url: string) => Promise<void>,
): Promise<number> {
  const stop = new AbortController();
  let printed: (url: string) => void = () => {};
  const url = new Promise<string>((resolve) => printed = resolve);
  const done = main(args, {
    signal: stop.signal,
    stdout: (line) => printed(line),
  });
  try {
    await Promise.race([
      url.then(check),
      done.then((code) => assert.fail(`sim exited early with ${code}`)),
    ]);
  } finally {
    stop.abort();
  }
  return await done;
}

Deno.test("sim task serves the demo k8splugin instance and stops cleanly", async () => {
  const code = await withSim(["k8splugin", "--step", "1"], async (url) => {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const status = await (await fetch(`${url}/v1/instance/edgex-1/status`))
      .json();
    assert.equal(status.ready, true);
  });
  assert.equal(code, 0);
});

Deno.test("sim task points k8splugin's kubeconfigs at --kube-url", async () => {
  await withSim(
    ["k8splugin", "--kube-url", "http://127.0.0.1:6443", "--token", "tok"],
    async (url) => {
      const info = await (await fetch(
        `${url}/v1/connectivity-info/k8sregionone`,
      )).json();
      const kubeconfig = atob(info.kubeconfig);
      assert.match(kubeconfig, /server: http:\/\/127\.0\.0\.1:6443/);
      assert.match(kubeconfig, /token: tok/);
    },
  );
});

Deno.test("sim task seeds the A&AI sim from the scenario's aai block", async () => {
  const code = await withSim(["aai"], async (url) => {
    const response = await fetch(
      `${url}/aai/v24/cloud-infrastructure/cloud-regions/cloud-region/CloudOwner/k8sregionone/tenants`,
      {
        headers: {
          Accept: "application/json",
          "X-FromAppId": "test",
          "X-TransactionId": crypto.randomUUID(),
        },
      },
    );
    assert.equal(response.status, 200);
    const body = await response.json();
    assert.equal(body.tenant.length, 1);
  });
  assert.equal(code, 0);
});

Deno.test("sim task serves the demo scenario from the Kubernetes API sim", async () => {
  const code = await withSim(["kube", "--step", "1"], async (url) => {
    const response = await fetch(
      `${url}/apis/apps/v1/namespaces/testns2/deployments`,
    );
    assert.equal(response.status, 200);
    const list = await response.json();
    assert.deepEqual(
      list.items.map((d: { metadata: { name: string } }) => d.metadata.name)
        .sort(),
      ["edgex-core-data", "edgex-ui"],
    );
  });
  assert.equal(code, 0);
});

Deno.test("sim task exits 2 on usage errors, a bad fault spec or a bad scenario", async () => {
  assert.equal(await main(["nosuchsim"]), 2);
  assert.equal(await main(["k8splugin", "--port", "x"]), 2);
  assert.equal(await main(["k8splugin", "--faults", "hang=7"]), 2);
  assert.equal(
    await main(["k8splugin", "--scenario", "/nonexistent/s.yaml"]),
    2,
  );
});

Deno.test("deno task sim prints the URL as its first stdout line and exits 0 on SIGTERM", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", TASK, "k8splugin", "--faults", "latency=1ms"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  const url = text.split("\n")[0]!;
  try {
    const health = await fetch(`${url}/v1/healthcheck`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
  } finally {
    child.kill("SIGTERM");
  }
  const rest = await reader.read();
  assert.ok(rest.done || !rest.value?.trim());
  reader.releaseLock();
  await child.stdout.cancel().catch(() => {});
  const status = await child.status;
  assert.equal(status.code, 0);
});

Deno.test("sim task runs the SO CNF adapter sim against --aai-url and --k8splugin-url", async () => {
  const code = await withSim(
    [
      "so",
      "--aai-url",
      "http://127.0.0.1:9",
      "--k8splugin-url",
      "http://127.0.0.1:9",
    ],
    async (url) => {
      const response = await fetch(
        `${url}/api/cnf-adapter/v1/instance/x/status/notify`,
        { method: "POST", body: JSON.stringify({ "subscription-name": "x" }) },
      );
      await response.body?.cancel();
      assert.equal(response.status, 400);
    },
  );
  assert.equal(code, 0);
  assert.equal(await main(["so"]), 2);
});

Deno.test("sim task advances k8splugin and kube on a timer with --advance-every", async () => {
  for (const which of ["k8splugin", "kube"]) {
    await withSim([which, "--advance-every", "20"], async (url) => {
      let changes: { step: number }[] = [];
      for (let i = 0; i < 100 && changes.length < 2; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        changes = await (await fetch(`${url}/_sim/changes`)).json();
      }
      assert.deepEqual(changes.slice(0, 2).map((c) => c.step), [0, 1]);
    });
  }
});

Deno.test("sim task --version prints the version and exits 0", async () => {
  const { versionText } = await import("../../tasks/_version.ts");
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", TASK, "--version"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.equal(new TextDecoder().decode(out.stdout).trim(), versionText());
});
