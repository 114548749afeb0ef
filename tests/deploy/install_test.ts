/**
 * Installs the tool the way the README says, into a temporary root (every
 * absolute path prefixed with it), and runs the crontab's command line and
 * the systemd unit's ExecStart= exactly as written — with the Deno binary the
 * install produced — as an unprivileged user, against the simulators.
 *
 * Skips, saying why, when npm or the npm registry is unavailable, or when it
 * runs as root without `setpriv` to become `nobody`.
 */
import assert from "node:assert/strict";
import { healthy, k8sResources, scenario, world } from "../sync/_scenario.ts";

const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const README = await Deno.readTextFile(`${ROOT}/README.md`);

/** The `sh` block under a README heading, one command a line (comments dropped). */
function readmeCommands(heading: string): string[] {
  const start = README.indexOf(heading);
  const block = README.slice(start).match(/```sh\n([\s\S]*?)```/)![1]!;
  return block.split("\n").map((l) => l.replace(/\s+#.*$/, "").trim())
    .filter((l) => l && !l.startsWith("#"));
}

/** Runs `sh -c`; returns code and output. */
async function sh(
  script: string,
  options: { cwd?: string; env?: Record<string, string>; clearEnv?: boolean } =
    {},
): Promise<{ code: number; out: string }> {
  const out = await new Deno.Command("sh", {
    args: ["-c", script],
    cwd: options.cwd ?? ROOT,
    ...(options.env ? { env: options.env } : {}),
    clearEnv: options.clearEnv ?? false,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: out.code,
    out: decoder.decode(out.stdout) + decoder.decode(out.stderr),
  };
}

/** What to prefix a command with to run it unprivileged; undefined when impossible. */
async function unprivileged(): Promise<
  { prefix: string; owner: string } | string
> {
  if (Deno.uid() !== 0) return { prefix: "", owner: "" };
  const found = await sh("command -v setpriv && getent passwd nobody");
  if (found.code !== 0) {
    return "running as root without setpriv or a nobody user";
  }
  return {
    prefix: "setpriv --reuid=nobody --regid=nogroup --clear-groups ",
    owner: "nobody:nogroup",
  };
}

/** Every absolute path the README and deploy/ use, moved under `root`. */
function rooted(text: string, root: string): string {
  const out = text.replace(
    /(^|[\s=(:'">])\/(usr\/local|opt|etc|var|run)(?=[/\s)'"]|$)/g,
    `$1${root}/$2`,
  );
  // Never touch the host: every absolute path must now be under root (or a
  // system tool's).
  for (const m of out.matchAll(/(?:^|[\s=(:'">])(\/[\w./-]+)/g)) {
    const path = m[1]!;
    assert.ok(
      path.startsWith(root) || /^\/(bin|usr\/bin|dev\/null)\b/.test(path),
      `"${path}" in: ${out}`,
    );
  }
  return out;
}

Deno.test("install as the README says, then run the crontab's and the unit's command lines as an unprivileged user", async (t) => {
  const user = await unprivileged();
  if (typeof user === "string") {
    console.warn(`skipped: ${user}`);
    return;
  }
  if ((await sh("command -v npm")).code !== 0) {
    console.warn("skipped: npm is not installed");
    return;
  }
  const root = await Deno.makeTempDir({ prefix: "k8s-aai-sync-install-" });
  await Deno.chmod(root, 0o755); // the unprivileged user walks through it
  await using w = await world(scenario([[healthy("app-1")]], [{
    vnfId: "vnf-1",
    vfModuleId: "vfm-1",
    heatStackId: "app-1",
  }]));
  try {
    // 1. "Install once": every line of the README block, paths under root.
    const install = readmeCommands("## Running it");
    assert.ok(
      install[0]!.startsWith("sudo npm install -g --prefix /usr/local deno@"),
    );
    for (const line of install) {
      const command = rooted(line.replace(/\bsudo /g, ""), root);
      const result = await sh(command);
      if (result.code !== 0 && line.includes("npm install")) {
        console.warn(
          `skipped: ${command} failed (no npm registry?): ${
            result.out.slice(-300)
          }`,
        );
        return;
      }
      assert.equal(result.code, 0, `${command}\n${result.out}`);
    }
    const deno = `${root}/usr/local/bin/deno`;
    assert.ok(
      (await Deno.stat(deno)).isFile,
      "npm put deno at <prefix>/bin/deno",
    );
    await Deno.writeTextFile(
      `${root}/etc/k8s-aai-sync/config.yaml`,
      `k8splugin: {url: "${w.k8s.url}"}\naai: {url: "${w.aai.url}"}\ncloudOwner: CloudOwner\n`,
    );
    await Deno.writeTextFile(`${root}/etc/k8s-aai-sync/aai-password`, "AAI\n", {
      mode: 0o600,
    });
    if (user.owner) {
      await sh(`chown ${user.owner} ${root}/etc/k8s-aai-sync/aai-password`);
    }

    await t.step("crontab line", async () => {
      // The README's cron block, minus useradd and crontab(1): the folders.
      for (const line of readmeCommands("### cron")) {
        if (!line.startsWith("sudo install -d")) continue;
        const command = rooted(
          line.replace(/\bsudo /, "").replace(
            /-o k8s-aai-sync/,
            user.owner ? `-o nobody` : "",
          ),
          root,
        );
        const result = await sh(command);
        assert.equal(result.code, 0, `${command}\n${result.out}`);
      }
      const crontab = await Deno.readTextFile(`${ROOT}/deploy/crontab`);
      const env: Record<string, string> = {
        PATH: "/usr/bin:/bin",
        HOME: "/nonexistent",
      };
      for (const line of crontab.split("\n")) {
        const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
        if (m) env[m[1]!] = rooted(` ${m[2]!}`, root).trim();
      }
      const lines = crontab.split("\n").filter((l) => /^[\d*]/.test(l));
      assert.equal(lines.length, 1);
      const command = rooted(lines[0]!.split(/\s+/).slice(5).join(" "), root);
      assert.ok(command.startsWith(`${deno} run `), command);
      for (const pass of [1, 2]) {
        const result = await sh(
          `${user.prefix}${env.SHELL ?? "/bin/sh"} -c '${command}'`,
          {
            env,
            clearEnv: true,
          },
        );
        assert.equal(result.code, 0, `pass ${pass}: ${result.out}`);
      }
      const log = await Deno.readTextFile(
        `${root}/var/log/k8s-aai-sync/sync.log`,
      );
      const records = log.trim().split("\n").map((l) => JSON.parse(l)); // all JSON: jq reads it
      const summaries = records.filter((r) =>
        r.logger === "k8s-aai-sync.summary"
      );
      assert.equal(summaries.length, 2);
      assert.equal(summaries[1].properties.exitCode, 0);
      assert.equal(
        k8sResources(w).size,
        3,
        "the first pass published the instance",
      );
      assert.equal(
        summaries[0].properties.verify,
        true,
        "the first pass verifies (--verify-every)",
      );
      assert.equal(summaries[1].properties.writes.create, 0);
      if (user.owner) {
        const snapshot = await Deno.stat(
          `${root}/var/lib/k8s-aai-sync/snapshot.json`,
        );
        assert.equal(snapshot.uid, 65534, "the pass ran as nobody");
      }
      const metrics = await Deno.readTextFile(
        `${root}/var/lib/k8s-aai-sync/metrics.prom`,
      );
      assert.match(metrics, /^k8s_aai_sync_exit_code 0$/m);
    });

    await t.step("systemd ExecStart=", async () => {
      const unit = await Deno.readTextFile(
        `${ROOT}/deploy/k8s-aai-sync.service`,
      );
      const lines = unit.replace(/\\\n/g, " ").split("\n");
      const state = `${root}/var/lib/systemd-state`;
      const cache = `${root}/var/cache/systemd-cache`;
      const credentials = `${root}/run/credentials`;
      for (const dir of [state, cache, credentials]) {
        await Deno.mkdir(dir, { recursive: true, mode: 0o755 });
        if (user.owner) await sh(`chown ${user.owner} ${dir}`);
      }
      // systemd's specifiers and what it does before ExecStart=.
      const spec = (text: string) =>
        text.replaceAll("%S", state).replaceAll("%C", cache).replaceAll(
          "%d",
          credentials,
        );
      await Deno.copyFile(
        `${root}/etc/k8s-aai-sync/aai-password`,
        `${credentials}/aai-password`,
      );
      if (user.owner) {
        await sh(`chown ${user.owner} ${credentials}/aai-password`);
      }
      const env: Record<string, string> = {
        PATH: "/usr/bin:/bin",
        STATE_DIRECTORY: `${state}/k8s-aai-sync`,
      };
      for (const line of lines) {
        const m = /^Environment=([A-Z0-9_]+)=(.*)$/.exec(line);
        if (m) env[m[1]!] = rooted(` ${spec(m[2]!)}`, root).trim();
      }
      const get = (key: string) =>
        lines.find((l) => l.startsWith(`${key}=`))!.slice(key.length + 1)
          .trim();
      const command = rooted(spec(get("ExecStart")).replace(/\s+/g, " "), root);
      assert.ok(command.startsWith(`${deno} run `), command);
      const result = await sh(`${user.prefix}${command}`, {
        cwd: rooted(` ${get("WorkingDirectory")}`, root).trim(),
        env,
        clearEnv: true,
      });
      assert.equal(result.code, 0, result.out);
      const summary = result.out.split("\n").filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l)).find((r) =>
          r.logger === "k8s-aai-sync.summary"
        );
      assert.ok(summary, result.out);
      assert.equal(summary.properties.exitCode, 0);
      const folder = await Deno.stat(`${state}/k8s-aai-sync`);
      assert.equal(folder.mode! & 0o777, 0o700, "the state folder is 0700");
      assert.ok((await Deno.stat(`${state}/k8s-aai-sync/metrics.prom`)).isFile);
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
