/**
 * Builds deploy/Dockerfile's image contents without Docker: its COPY and RUN
 * steps in a temporary folder (RUN with this Deno), then runs the ENTRYPOINT.
 * The image holds what sync, check and status need, runs with
 * `--cached-only`, and has no simulators and no test-only packages.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

/** A Dockerfile instruction's JSON array argument. */
function jsonArray(line: string): string[] {
  return JSON.parse(line.slice(line.indexOf("["))) as string[];
}

Deno.test("deploy/Dockerfile's steps, replayed in a folder, give a runnable image without sim/ or test-only packages", async () => {
  const dockerfile = (await Deno.readTextFile(`${ROOT}/deploy/Dockerfile`))
    .replace(/\\\n/g, " ");
  const app = await Deno.makeTempDir({ prefix: "k8s-aai-sync-image-" });
  // Deno's own cache: the packages come from it (or the npm registry).
  const denoDir = Deno.env.get("DENO_DIR") ??
    `${Deno.env.get("HOME") ?? "/root"}/.cache/deno`;
  try {
    let entrypoint: string[] = [];
    for (const line of dockerfile.split("\n")) {
      if (line.startsWith("COPY ")) {
        const parts = line.slice(5).trim().split(/\s+/);
        const target = parts.pop()!.replace(/^\.\//, "").replace(/^\.$/, "");
        // Docker copies a folder's contents, and files into the target folder.
        const copies = parts.map((src) =>
          `cp -r ${src}$([ -d ${src} ] && echo /.) "${app}/${target}"`
        );
        const cp = await new Deno.Command("sh", {
          args: ["-c", `mkdir -p "${app}/${target}" && ${copies.join(" && ")}`],
          cwd: ROOT,
        }).output();
        assert.ok(cp.success, line);
      } else if (line.startsWith("RUN ")) {
        const script = line.slice(4).replace(
          /(^|&& )deno /g,
          `$1"${Deno.execPath()}" `,
        );
        const run = await new Deno.Command("sh", {
          args: ["-c", script],
          cwd: app,
          env: { DENO_DIR: denoDir, NO_COLOR: "1" },
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.ok(
          run.success,
          `${line}\n${new TextDecoder().decode(run.stderr)}`,
        );
      } else if (line.startsWith("ENTRYPOINT ")) {
        entrypoint = jsonArray(line);
      }
    }
    for (
      const absent of [
        "sim",
        "bench",
        "tests",
        "fixtures",
        "tasks/demo.ts",
        "node_modules/fast-check",
        "node_modules/@sinonjs",
      ]
    ) {
      await assert.rejects(
        () => Deno.stat(`${app}/${absent}`),
        Deno.errors.NotFound,
        absent,
      );
    }
    assert.equal(entrypoint[0], "deno");
    const version = await new Deno.Command(Deno.execPath(), {
      args: [...entrypoint.slice(1), "--version"],
      cwd: app,
      env: { DENO_DIR: denoDir, NO_COLOR: "1" },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(version.success, new TextDecoder().decode(version.stderr));
    assert.match(new TextDecoder().decode(version.stdout), /^k8s-aai-sync \d/);
    for (const task of ["check.ts", "status.ts"]) {
      const help = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--frozen",
          "--cached-only",
          "-A",
          `tasks/${task}`,
          "--help",
        ],
        cwd: app,
        env: { DENO_DIR: denoDir, NO_COLOR: "1" },
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(
        help.success,
        `${task}: ${new TextDecoder().decode(help.stderr)}`,
      );
    }
  } finally {
    await Deno.remove(app, { recursive: true });
  }
});
