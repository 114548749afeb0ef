/**
 * `deno task check <instance-id>`: ad hoc inspection of one k8splugin
 * instance (DESIGN §9). Prints the instance roll-up and a kubectl-style table
 * of its resources with verdict, reason and age; `-o wide` adds the message
 * and k8splugin's own ready flag, `-o json|yaml` one document for scripts,
 * `--aai` what A&AI holds and the exact operations a sync would send,
 * `--watch` a line per change until the instance is Ready or Failed.
 *
 * Exit codes: 0 Ready, 3 Pending, 4 Failed, 1 error, 2 usage or configuration.
 *
 * Permissions: `--allow-net` (peers), `--allow-read` (config, password and CA
 * files), `--allow-env` (configuration variables, `NO_COLOR`), `--allow-sys`
 * and `--allow-write` (required by `@kubernetes/client-node` with `--source kube`).
 *
 * @module
 */

import { Command, CommanderError, Option } from "@commander-js/extra-typings";
// Types only: tasks/_peers.ts builds the clients, loading the kube adapter
// (and @kubernetes/client-node) only when a region needs it.
import type { AaiClient } from "../adapters/aai.ts";
import type { K8spluginClient } from "../adapters/k8splugin.ts";
import type { KubeClients } from "../adapters/kube.ts";
import { sleep } from "../adapters/retry.ts";
import {
  type Config,
  ConfigError,
  describeError,
  InstanceNotListedError,
  loadConfig,
  parseInterval,
  planInstance,
} from "../sync/mod.ts";
import { versionText } from "./_version.ts";
import {
  aaiClientFrom,
  k8spluginClientFrom,
  kubeClientsFrom,
} from "./_peers.ts";
import {
  type CheckView,
  type OutputFormat,
  renderView,
  type TableOptions,
  toView,
  useColor,
  watchLines,
} from "./_check_view.ts";
import { EXIT, UsageError, VERDICT_EXIT_CODES } from "./_exit.ts";

const EXIT_CODES_HELP = `
Exit codes (for scripts):
  0  the instance is Ready
  3  the instance is Pending (not Ready yet, nothing says it cannot get there)
  4  the instance is Failed (it will not become Ready without a change)
  1  error: k8splugin or A&AI unreachable, unknown instance id, or (with
     --aai) A&AI cannot place the instance, …
  2  usage or configuration error

Without --aai, check needs no A&AI settings (AAI_URL may be unset).

Configuration: --config FILE or K8S_AAI_SYNC_CONFIG, overridden by K8SPLUGIN_URL,
AAI_URL, AAI_USERNAME, AAI_PASSWORD_FILE, … (see README.md, "Configuration").
Colour: only in the table on a terminal; NO_COLOR (non-empty) always wins.

Examples:
  deno task check edgex-1
  deno task check edgex-1 -o wide --aai
  deno task check edgex-1 -o json | jq .verdict
  deno task check edgex-1 --watch --interval 5s`;

/** Where `check` writes; tests pass their own. */
export interface CheckIo {
  /** Writes one line (or block) to stdout. */
  out(text: string): void;
  /** Writes one line to stderr. */
  err(text: string): void;
  /** The environment (configuration variables, `NO_COLOR`). */
  env: Record<string, string | undefined>;
  /** Whether stdout is a terminal (colour in `--color auto`). */
  isTerminal: boolean;
  /** The clock (tests and replays pass a fixed one). */
  now?: () => Date;
  /** Waits between `--watch` polls (tests pass a fast one). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Stops `--watch` early (e.g. on Ctrl-C). */
  signal?: AbortSignal;
}

/** The parsed command line of `check`. */
export interface CheckArgs {
  /** The k8splugin instance id. */
  instanceId: string;
  /** `-o`: table, wide, json or yaml. */
  output: OutputFormat;
  /** `--aai`: also show A&AI's side. */
  aai: boolean;
  /** `--verify`: plan against A&AI itself instead of the snapshot. */
  verify: boolean;
  /** `--watch`: poll until Ready or Failed. */
  watch: boolean;
  /** `--interval` in milliseconds. */
  intervalMs: number;
  /** `false` with `--no-headers`. */
  headers: boolean;
  /** `--color`. */
  color: "auto" | "never" | "always";
  /** `--config`: the config file. */
  config?: string | undefined;
  /** `--source`: where resources are read from. */
  source?: "k8splugin" | "kube" | undefined;
  /** `--now`: the time to judge at. */
  now?: Date | undefined;
}

/**
 * Parses `check`'s arguments with commander. Help and usage problems throw
 * commander's `CommanderError` (its `exitCode` is 0 for `--help`); bad
 * values it cannot check throw {@linkcode UsageError}, an `--interval`
 * outside 10ms–1d a `ConfigError` (`parseInterval`).
 */
export function parseArgs(
  args: string[],
  io: Pick<CheckIo, "out" | "err">,
): CheckArgs {
  const program = new Command("deno task check")
    .description(
      "Show the readiness of one k8splugin instance's resources (and, with --aai, what A&AI holds and what a sync would send).",
    )
    .argument("<instance-id>", "k8splugin instance id (rb-instance-id)")
    .addOption(
      new Option("-o, --output <format>", "output format")
        .choices(["table", "wide", "json", "yaml"] as const)
        .default("table" as const),
    )
    .option(
      "--aai",
      "also show what A&AI holds and the operations a sync pass would send",
    )
    .option(
      "--watch",
      "re-poll and print a line per change until Ready or Failed",
    )
    .option("--interval <duration>", "poll interval of --watch", "2s")
    .option(
      "--no-headers",
      "table without the header row and the roll-up lines",
    )
    .addOption(
      new Option("--color <when>", "colour the VERDICT column")
        .choices(["auto", "never", "always"] as const)
        .default("auto" as const),
    )
    .option(
      "--config <file>",
      "config file (YAML or JSON); default K8S_AAI_SYNC_CONFIG",
    )
    .addOption(
      new Option(
        "--source <source>",
        "read resources from k8splugin or the cluster",
      )
        .choices(["k8splugin", "kube"] as const),
    )
    .option(
      "--verify",
      "with --aai: plan against what A&AI holds instead of the snapshot (like sync --verify)",
    )
    .option(
      "--now <time>",
      "evaluate as if it were this ISO 8601 time (replaying scenarios)",
    )
    .version(versionText(), "--version", "print the version and exit")
    .addHelpText("after", EXIT_CODES_HELP)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.out(text.replace(/\n$/, "")),
      writeErr: (text) => io.err(text.replace(/\n$/, "")),
    })
    .showHelpAfterError("(run `deno task check --help` for usage)");
  program.parse(args, { from: "user" });
  const options = program.opts();
  const instanceId = program.args[0] ?? "";
  if (options.verify && !options.aai) {
    throw new UsageError(
      "Cannot use --verify without --aai: it plans against what A&AI holds, which only --aai shows",
    );
  }
  const intervalMs = parseInterval(options.interval);
  let now: Date | undefined;
  if (options.now !== undefined) {
    now = new Date(options.now);
    if (Number.isNaN(now.getTime())) {
      throw new UsageError(
        `Cannot use --now "${options.now}": give an ISO 8601 time like 2026-11-25T10:00:00Z`,
      );
    }
  }
  return {
    instanceId,
    output: options.output,
    aai: options.aai ?? false,
    verify: options.verify ?? false,
    watch: options.watch ?? false,
    intervalMs,
    headers: options.headers,
    color: options.color,
    config: options.config,
    source: options.source,
    now,
  };
}

/** Stands in for a missing A&AI URL when check runs without A&AI (never called). */
const NO_AAI_URL = "http://aai.invalid";

/** The peers `check` talks to. */
interface Peers {
  k8splugin: K8spluginClient;
  aai: AaiClient;
  /** Kube clients per region (configured kubeconfig, else connectivity-info); none when no region can have one. */
  kube: KubeClients | undefined;
  close(): Promise<void>;
}

/**
 * Builds the clients (the one place `check` picks implementations), like
 * `sync`: a region's kube client comes from its configured kubeconfig, else,
 * with `source: kube` or `enrich`, from k8splugin's connectivity-info.
 */
async function openPeers(
  config: Config,
  source: "k8splugin" | "kube",
): Promise<Peers> {
  const k8splugin = k8spluginClientFrom(config);
  const aai = aaiClientFrom(config);
  const kube = await kubeClientsFrom(config, k8splugin, source);
  return {
    k8splugin,
    aai,
    kube,
    async close() {
      await kube?.close();
      k8splugin.close();
      aai.close();
    },
  };
}

/** Reads, evaluates and plans the instance, and with `--aai` reads what A&AI holds. */
async function inspect(
  peers: Peers,
  config: Config,
  args: CheckArgs,
  now: Date,
  warn: (message: string) => void,
  withAai: boolean,
): Promise<CheckView> {
  const plan = await planInstance(args.instanceId, {
    k8splugin: peers.k8splugin,
    aai: peers.aai,
    kube: (region) => peers.kube?.get(region),
    now: () => now,
  }, {
    config,
    verify: args.verify,
    aai: args.aai,
    plan: withAai,
    source: args.source,
  });
  for (const warning of plan.warnings) warn(warning);
  // With --aai the problem is part of the output; otherwise say it on stderr.
  if (plan.error && !args.aai) warn(plan.error);
  return toView(plan, now, args.aai);
}

/** A one-line error for `check`, naming the instance and k8splugin when the id is unknown. */
function errorLine(error: unknown, args: CheckArgs, config: Config): string {
  if (error instanceof InstanceNotListedError) {
    return `Cannot find instance "${args.instanceId}": k8splugin at ${config.k8splugin.url} does not list it (${error.listed} instance(s) listed)`;
  }
  return `Cannot check instance "${args.instanceId}": ${describeError(error)}`;
}

/** Sleeps `ms`, or less when `signal` aborts. */
async function sleepUnlessAborted(
  ms: number,
  signal?: AbortSignal,
): Promise<void> {
  await sleep(ms, signal).catch(() => {});
}

/** The real terminal: stdout/stderr, the environment, Ctrl-C ends `--watch`. */
function denoIo(): CheckIo {
  const encoder = new TextEncoder();
  const stop = new AbortController();
  Deno.addSignalListener("SIGINT", () => stop.abort());
  return {
    out: (text) => Deno.stdout.writeSync(encoder.encode(text + "\n")),
    err: (text) => Deno.stderr.writeSync(encoder.encode(text + "\n")),
    env: Deno.env.toObject(),
    isTerminal: Deno.stdout.isTerminal(),
    signal: stop.signal,
  };
}

/**
 * Runs `check` with these arguments; returns the exit code (0 Ready,
 * 3 Pending, 4 Failed, 1 error, 2 usage or configuration).
 */
export async function main(
  args: string[],
  io: CheckIo = denoIo(),
): Promise<number> {
  let parsed: CheckArgs;
  try {
    parsed = parseArgs(args, io);
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : EXIT.USAGE;
    }
    if (error instanceof UsageError || error instanceof ConfigError) {
      io.err(`error: ${error.message}`);
      return EXIT.USAGE;
    }
    throw error;
  }
  let config: Config;
  // Without --aai, check needs no A&AI: a configuration that lacks only its
  // URL still reads and judges the instance (it just plans nothing).
  let withAai = true;
  try {
    config = await loadConfig(parsed.config, io.env);
  } catch (error) {
    const withoutAai = parsed.aai || !(error instanceof ConfigError)
      ? undefined
      : await loadConfig(parsed.config, {
        ...io.env,
        AAI_URL: NO_AAI_URL,
      }).catch(() => undefined);
    if (!withoutAai) {
      io.err(`error: ${describeError(error)}`);
      return error instanceof ConfigError ? EXIT.USAGE : EXIT.FAILED;
    }
    config = withoutAai;
    withAai = false;
  }
  const offset = parsed.now ? parsed.now.getTime() - Date.now() : 0;
  const clock = io.now ?? (() => new Date(Date.now() + offset));
  const color = (parsed.output === "table" || parsed.output === "wide") &&
    useColor(parsed.color, {
      noColor: io.env.NO_COLOR,
      isTerminal: io.isTerminal,
    });
  const tableOptions: TableOptions = {
    headers: parsed.headers,
    color,
    labelPrefix: config.labelPrefix,
  };
  const warn = (message: string) => io.err(`warning: ${message}`);
  const wait = io.sleep ?? sleepUnlessAborted;
  const peers = await openPeers(config, parsed.source ?? config.source);
  try {
    let view: CheckView;
    try {
      view = await inspect(peers, config, parsed, clock(), warn, withAai);
    } catch (error) {
      io.err(`error: ${errorLine(error, parsed, config)}`);
      return EXIT.FAILED;
    }
    if (parsed.watch && parsed.output === "json") {
      io.out(JSON.stringify(view));
    } else {
      io.out(renderView(view, parsed.output, tableOptions));
    }
    while (parsed.watch && view.verdict === "Pending" && !io.signal?.aborted) {
      await wait(parsed.intervalMs, io.signal);
      if (io.signal?.aborted) break;
      let next: CheckView;
      try {
        next = await inspect(peers, config, parsed, clock(), warn, withAai);
      } catch (error) {
        io.err(
          `${clock().toISOString()}  error: ${
            errorLine(error, parsed, config)
          }`,
        );
        // An instance k8splugin no longer lists will not become Ready.
        if (error instanceof InstanceNotListedError) return EXIT.FAILED;
        // Anything else may be a blip: poll again.
        continue;
      }
      const lines = watchLines(view, next);
      if (lines.length > 0) {
        if (parsed.output === "json") io.out(JSON.stringify(next));
        else if (parsed.output === "yaml") {
          io.out(`---\n${renderView(next, "yaml")}`);
        } else for (const line of lines) io.out(line);
      }
      view = next;
    }
    // With --aai, an instance A&AI cannot place is an error whatever its
    // verdict: a sync could not publish it.
    if (view.aai?.error) return EXIT.FAILED;
    return VERDICT_EXIT_CODES[view.verdict];
  } finally {
    await peers.close();
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
