/**
 * The state folder under attack (issue 14 #18, issue 15 "error messages",
 * the 0700 state folder): a snapshot that cannot be written after A&AI was,
 * a state folder that cannot be created, a metrics file that cannot be
 * written — each says what failed, the pass still reports itself.
 */
import assert from "node:assert/strict";
import {
  healthy,
  instance,
  pod,
  scenario,
  service,
  world,
} from "../sync/_scenario.ts";
import { closedPort, syncTask } from "./_net.ts";

const VF = { vnfId: "vnf-1", vfModuleId: "vfm-1", heatStackId: "app-1" };

/**
 * Makes a folder read-only even for root (`chattr +i`) or for its owner
 * (`chmod 0500`); returns the undo, or undefined when neither works.
 */
async function readOnly(
  dir: string,
): Promise<(() => Promise<void>) | undefined> {
  async function run(cmd: string, args: string[]): Promise<boolean> {
    try {
      return (await new Deno.Command(cmd, { args, stderr: "null" }).output())
        .success;
    } catch {
      return false;
    }
  }
  async function writable(): Promise<boolean> {
    try {
      await Deno.writeTextFile(`${dir}/.probe`, "");
      await Deno.remove(`${dir}/.probe`);
      return true;
    } catch {
      return false;
    }
  }
  if (Deno.uid() === 0) {
    if (!await run("chattr", ["+i", dir])) return undefined;
    if (await writable()) return undefined;
    return async () => void await run("chattr", ["-i", dir]);
  }
  await Deno.chmod(dir, 0o500);
  if (await writable()) return undefined;
  return () => Deno.chmod(dir, 0o700);
}

Deno.test("sync reports a snapshot it cannot write after A&AI was written: exit 1, summary, metrics, what the next pass does (#18)", async () => {
  const crashing = instance("app-1", [
    service("app-1-web"),
    pod("app-1", "app-1-web", "aaaaa", "crash"),
  ]);
  await using w = await world(scenario([[healthy("app-1")], [crashing]], [VF]));
  const env = {
    K8SPLUGIN_URL: w.k8s.url,
    AAI_URL: w.aai.url,
    K8S_AAI_SYNC_SNAPSHOT: w.config.snapshot,
  };
  const metrics = `${w.dir}/sync.prom`;
  const first = await syncTask(["--once"], env);
  assert.equal(first.code, 0, first.stderr);
  const state = w.config.snapshot.slice(0, w.config.snapshot.lastIndexOf("/"));
  const undo = await readOnly(state);
  if (!undo) {
    console.warn("skipped: cannot make a folder read-only here");
    return;
  }
  try {
    w.setStep(1);
    const writesBefore = w.aai.state.counts.total;
    const result = await syncTask(
      ["--once", "--log-format", "json", "--metrics-file", metrics],
      env,
    );
    assert.ok(w.aai.state.counts.total > writesBefore, "A&AI was written");
    assert.equal(result.code, 1, result.stderr);
    const errors = result.stderr.trim().split("\n").map((l) => JSON.parse(l))
      .filter((l) => l.level === "ERROR");
    assert.ok(
      errors.some((l) =>
        l.message.startsWith(
          `Cannot write the snapshot "${w.config.snapshot}"`,
        ) &&
        /A&AI accepted [1-9]\d* write request\(s\) in this pass: the next pass sends them again/
          .test(l.message)
      ),
      result.stderr,
    );
    const summary = JSON.parse(result.stdout.trim().split("\n").at(-1)!);
    assert.equal(summary.properties.exitCode, 1);
    assert.match(summary.message, /1 errors .* exit 1$/);
    assert.match(await Deno.readTextFile(metrics), /k8s_aai_sync_exit_code 1/);
  } finally {
    await undo();
  }
  // Writable again: the next pass completes without duplicates.
  const next = await syncTask(["--once"], env);
  assert.equal(next.code, 0, next.stderr);
});

Deno.test("sync creates its state folder 0700, and names the snapshot setting when it cannot", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const env = {
      K8SPLUGIN_URL: closedPort(),
      AAI_URL: closedPort(),
      K8S_AAI_SYNC_SNAPSHOT: `${dir}/state/snapshot.json`,
    };
    await syncTask(["--once"], env);
    assert.equal((await Deno.stat(`${dir}/state`)).mode! & 0o777, 0o700);
    await Deno.writeTextFile(`${dir}/file`, "");
    const result = await syncTask(["--once", "--log-format", "text"], {
      ...env,
      K8S_AAI_SYNC_SNAPSHOT: `${dir}/file/state/snapshot.json`,
    });
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      /Cannot create the state folder ".*\/file\/state" \(setting "snapshot" \/ K8S_AAI_SYNC_SNAPSHOT is ".*\/file\/state\/snapshot\.json"\)/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sync says a failed metrics write is the metrics file, and exits 1", async () => {
  await using w = await world(scenario([[healthy("app-1")]], [VF]));
  const result = await syncTask(
    [
      "--once",
      "--log-format",
      "text",
      "--metrics-file",
      `${w.dir}/no/such/dir/m.prom`,
    ],
    {
      K8SPLUGIN_URL: w.k8s.url,
      AAI_URL: w.aai.url,
      K8S_AAI_SYNC_SNAPSHOT: w.config.snapshot,
    },
  );
  assert.equal(result.code, 1, result.stderr);
  assert.match(
    result.stderr,
    /Cannot write the metrics file ".*\/no\/such\/dir\/m\.prom" \(--metrics-file\): /,
  );
});
