import assert from "node:assert/strict";

const TASK = new URL("../../tasks/bench.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

/** Runs `tasks/bench.ts` with arguments; returns exit code, stdout and stderr. */
async function bench(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--config",
      CONFIG,
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-sys",
      "--allow-run",
      TASK,
      ...args,
    ],
    env: { NO_COLOR: "1" },
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return {
    code: output.code,
    stdout: decode(output.stdout),
    stderr: decode(output.stderr),
  };
}

const TINY = [
  "--instances",
  "4",
  "--resources",
  "3",
  "--k8splugin-latency",
  "0",
  "--aai-latency",
  "0",
  "--second-scale",
  "0",
  "--in-process",
];

Deno.test("tasks/bench.ts --json prints only the JSON document on stdout", async () => {
  const { code, stdout, stderr } = await bench(...TINY, "--json");
  assert.equal(code, 0, stderr);
  const doc = JSON.parse(stdout);
  assert.deepEqual(doc.scale, { instances: 4, resourcesPerInstance: 3 });
  assert.deepEqual(Object.keys(doc.runs), [
    "cold",
    "steady",
    "churn",
    "delete",
  ]);
  assert.deepEqual(Object.keys(doc.baseline), Object.keys(doc.runs));
  assert.match(stderr, /ours cold:/);
});

Deno.test("tasks/bench.ts prints the table with PASS/FAIL lines by default", async () => {
  const { code, stdout } = await bench(...TINY, "--no-baseline");
  assert.equal(code, 0);
  assert.match(stdout, /^Targets:$/m);
  assert.match(stdout, /PASS {2}steady: 0 A&AI requests/);
  assert.match(
    stdout,
    /SKIP {2}steady: A&AI requests ≥ 30× below the baseline/,
  );
});

Deno.test("tasks/bench.ts exits 2 on a usage error", async () => {
  const bad = await bench("--instances", "many");
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /instances/);
  const mode = await bench("--baseline-writes", "sometimes");
  assert.equal(mode.code, 2);
});

Deno.test("tasks/bench.ts --version prints the version and exits 0", async () => {
  const { versionText } = await import("../../tasks/_version.ts");
  const result = await bench("--version");
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.trim(), versionText());
});
