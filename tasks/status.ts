/**
 * `deno task status`: the result of the last `sync` pass, read from
 * `last-run.json` in the state folder (written at the end of every pass).
 * It needs no peer and no password: only where the state folder is.
 *
 * Exit codes: 0 the last pass exited 0, 1 it did not (or no pass has run
 * yet), 2 usage error.
 *
 * Permissions: `--allow-read` (config, state folder), `--allow-env`.
 *
 * @module
 */
import { Command, Option } from "@commander-js/extra-typings";
import { parse as parseYaml } from "yaml";
import { lastRunPath, readLastRun } from "./_last_run.ts";
import { versionText } from "./_version.ts";

/** Where the snapshot lives, as `sync` would find it (without validating the rest). */
async function snapshotPath(
  options: { config?: string; snapshot?: string },
  env: Record<string, string | undefined>,
): Promise<string> {
  if (options.snapshot) return options.snapshot;
  if (env.K8S_AAI_SYNC_SNAPSHOT) return env.K8S_AAI_SYNC_SNAPSHOT;
  const file = options.config ?? env.K8S_AAI_SYNC_CONFIG;
  if (file) {
    try {
      const data = parseYaml(await Deno.readTextFile(file)) as
        | { snapshot?: unknown }
        | null;
      if (typeof data?.snapshot === "string") return data.snapshot;
    } catch {
      // sync reports a bad config file; status only needs the folder.
    }
  }
  const stateDirectory = env.STATE_DIRECTORY?.split(":")[0];
  if (stateDirectory) {
    return `${stateDirectory.replace(/\/+$/, "")}/snapshot.json`;
  }
  return "./state/snapshot.json";
}

/** "12s ago", "3m ago", "2h ago", "4d ago". */
function ago(iso: string, now: Date): string {
  const s = Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  if (s < 172_800) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86_400)}d ago`;
}

/** The `status` task; returns the exit code. */
export async function main(
  args: string[],
  env: Record<string, string | undefined> = Deno.env.toObject(),
  write: (text: string) => void = (t) => console.log(t.replace(/\n$/, "")),
  now: Date = new Date(),
): Promise<number> {
  let options: { config?: string; snapshot?: string; output: "text" | "json" };
  try {
    options = new Command()
      .name("status")
      .description(
        "Show the result of the last sync pass (from last-run.json in the state folder).",
      )
      .option(
        "--config <file>",
        "YAML or JSON config (env K8S_AAI_SYNC_CONFIG)",
      )
      .option(
        "--snapshot <file>",
        "the snapshot file whose folder holds last-run.json (env K8S_AAI_SYNC_SNAPSHOT)",
      )
      .addOption(
        new Option("-o, --output <format>", "output format").choices(
          ["text", "json"] as const,
        ).default("text" as const),
      )
      .version(versionText(), "--version", "print the version and exit")
      .addHelpText(
        "after",
        "\nExit codes:\n  0   the last pass exited 0\n  1   it did not, or no pass has run yet\n  2   usage error",
      )
      .exitOverride()
      .configureOutput({ writeOut: write, writeErr: write })
      .parse(args, { from: "user" }).opts();
  } catch (error) {
    const code = (error as { code?: string }).code;
    return code === "commander.helpDisplayed" || code === "commander.version"
      ? 0
      : 2;
  }
  const file = lastRunPath(await snapshotPath(options, env));
  const run = await readLastRun(file);
  if (!run) {
    write(
      options.output === "json"
        ? `${JSON.stringify({ file, lastRun: null })}\n`
        : `No pass recorded in "${file}" yet (sync writes it at the end of every pass)\n`,
    );
    return 1;
  }
  if (options.output === "json") {
    write(`${JSON.stringify({ file, lastRun: run })}\n`);
  } else {
    const lines = [
      `Last pass:   ${run.startedAt} (${
        ago(run.startedAt, now)
      }), exit ${run.exitCode}${run.verify ? ", a --verify pass" : ""}`,
      `             ${run.summary}`,
      ...run.errors.map((e) => `  error: ${e}`),
      `Last success: ${
        run.lastSuccessAt
          ? `${run.lastSuccessAt} (${ago(run.lastSuccessAt, now)})`
          : "never"
      }`,
      `Last verify:  ${
        run.lastVerifySuccessAt
          ? `${run.lastVerifySuccessAt} (${ago(run.lastVerifySuccessAt, now)})`
          : "never"
      }`,
      `Version:      ${run.version}; from "${file}"`,
    ];
    write(`${lines.join("\n")}\n`);
  }
  return run.exitCode === 0 ? 0 : 1;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
