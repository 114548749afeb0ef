/**
 * `deno task sim aai|k8splugin|kube|so [--port N] [--scenario FILE] [--faults SPEC]`:
 * runs one simulator until killed (SIGINT/SIGTERM). The first line on stdout
 * is the base URL, so scripts can read it; nothing else is written there.
 *
 * Without `--scenario` the demo scenario is served (the seed's `edgex`
 * instance); the A&AI sim is seeded from the scenario's `aai` block. The SO
 * CNF adapter sim (`so`) needs `--aai-url` and `--k8splugin-url`.
 * `--advance-every MS` makes k8splugin and kube advance one step on a timer.
 *
 * Exit codes: 0 stopped by a signal, 1 the simulator failed, 2 usage error
 * (bad arguments, unreadable scenario, bad fault spec).
 *
 * Permissions: `--allow-net`, `--allow-read` (scenario), `--allow-env`
 * (kube sim's dependencies), `--allow-run` only for the kube sim with `--tls`
 * (openssl).
 *
 * @module
 */
import {
  Command,
  CommanderError,
  InvalidArgumentError,
  Option,
} from "@commander-js/extra-typings";
import { startAai } from "../sim/aai.ts";
import { parseFaults } from "../sim/faults.ts";
import { simKubeconfig, startK8splugin } from "../sim/k8splugin.ts";
import { startKube } from "../sim/kube.ts";
import { startSo } from "../sim/so.ts";
import {
  DEMO_SCENARIO_URL,
  loadScenario,
  ScenarioSyntaxError,
} from "../sim/scenario.ts";

import { EXIT } from "./_exit.ts";
import { versionText } from "./_version.ts";

/** The simulators this task can run. */
const SIMULATORS = ["aai", "k8splugin", "kube", "so"] as const;

/** A running simulator, whichever it is. */
interface Running {
  url: string;
  close(): Promise<void>;
}

/** Parses a TCP port option. */
function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError("must be a port number from 0 to 65535");
  }
  return port;
}

/** Parses a non-negative integer option. */
function parseStep(value: string): number {
  const step = Number(value);
  if (!Number.isInteger(step) || step < 0) {
    throw new InvalidArgumentError("must be a step index (0, 1, …)");
  }
  return step;
}

/** Builds the command line parser (commander, usage errors thrown, not exited). */
function command() {
  return new Command()
    .name("sim")
    .description(
      "Run one simulator (A&AI, k8splugin, the Kubernetes API or SO's CNF adapter) until killed; the first stdout line is its base URL.",
    )
    .addArgument(
      new Command().createArgument("<simulator>", "which simulator to run")
        .choices(SIMULATORS),
    )
    .option(
      "--port <port>",
      "TCP port on 127.0.0.1 (0 = any free one)",
      parsePort,
      0,
    )
    .option(
      "--scenario <file>",
      "scenario file (YAML or JSON); default: the demo scenario",
    )
    .option(
      "--faults <spec>",
      "fault injection, e.g. latency=5ms,error=503:0.1,reset=0.01,seed=42",
    )
    .option(
      "--step <n>",
      "scenario step served first (k8splugin, kube)",
      parseStep,
    )
    .option(
      "--kube-url <url>",
      "k8splugin: kubeconfig server for every region's connectivity-info (e.g. a kube sim)",
    )
    .option(
      "--token <token>",
      "kube: require this bearer token; k8splugin: put it in kubeconfigs",
    )
    .option("--aai-url <url>", "so: the A&AI to write to")
    .option("--k8splugin-url <url>", "so: the k8splugin to read from")
    .option(
      "--min-notify-interval <s>",
      "so: min-notify-interval of its subscriptions (default 30)",
      parseStep,
    )
    .option(
      "--advance-every <ms>",
      "k8splugin, kube: advance one scenario step every so many ms",
      parseStep,
    )
    .addOption(
      new Option(
        "--tls",
        "kube: serve HTTPS with a generated CA (needs openssl)",
      ),
    )
    .addHelpText(
      "after",
      "\nExit codes:\n  0  stopped by SIGINT/SIGTERM\n  1  the simulator failed\n  2  usage error (arguments, scenario file, fault spec)",
    )
    .version(versionText(), "--version", "print the version and exit")
    .exitOverride()
    .configureOutput({
      writeErr: (text) => Deno.stderr.writeSync(new TextEncoder().encode(text)),
      writeOut: (text) => Deno.stdout.writeSync(new TextEncoder().encode(text)),
    });
}

/** Whether an error is commander's usage error (or `--help`/`--version`). */
function commanderCode(error: unknown): string | undefined {
  return error instanceof CommanderError ? error.code : undefined;
}

/** Resolves when SIGINT or SIGTERM arrives (or `signal` aborts). */
function untilStopped(signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
    function stop(): void {
      for (const name of signals) Deno.removeSignalListener(name, stop);
      signal?.removeEventListener("abort", stop);
      resolve();
    }
    for (const name of signals) Deno.addSignalListener(name, stop);
    if (signal?.aborted) stop();
    else signal?.addEventListener("abort", stop, { once: true });
  });
}

/**
 * Runs the task with the given arguments; resolves with the exit code once the
 * simulator has been stopped (by a signal, or by `options.signal` in tests).
 */
export async function main(
  args: string[],
  options: { signal?: AbortSignal; stdout?: (line: string) => void } = {},
): Promise<number> {
  const write = options.stdout ??
    ((line: string) => console.log(line));
  let parsed;
  try {
    parsed = command().parse(args, { from: "user" });
  } catch (error) {
    const code = commanderCode(error);
    if (code === "commander.helpDisplayed" || code === "commander.version") {
      return EXIT.OK;
    }
    if (code !== undefined) return EXIT.USAGE;
    throw error;
  }
  const which = parsed.processedArgs[0];
  const opts = parsed.opts();
  let running: Running;
  try {
    const faults = opts.faults === undefined
      ? undefined
      : parseFaults(opts.faults);
    const scenario = await loadScenario(opts.scenario ?? DEMO_SCENARIO_URL);
    switch (which) {
      case "k8splugin": {
        const kubeUrl = opts.kubeUrl;
        running = startK8splugin({
          port: opts.port,
          scenario,
          ...(faults ? { faults } : {}),
          ...(opts.step !== undefined ? { step: opts.step } : {}),
          ...(opts.advanceEvery !== undefined
            ? { advanceEveryMs: opts.advanceEvery }
            : {}),
          ...(kubeUrl
            ? {
              kubeconfigFor: (region: string) =>
                simKubeconfig(
                  region,
                  kubeUrl,
                  opts.token ? { token: opts.token } : {},
                ),
            }
            : {}),
        });
        break;
      }
      case "aai":
        running = await startAai({
          port: opts.port,
          ...(scenario.aai ? { seed: scenario.aai } : {}),
          ...(faults ? { faults } : {}),
        });
        break;
      case "kube":
        running = await startKube({
          port: opts.port,
          scenario,
          ...(faults ? { faults } : {}),
          ...(opts.step !== undefined ? { step: opts.step } : {}),
          ...(opts.tls ? { tls: true } : {}),
          ...(opts.token ? { token: opts.token } : {}),
          ...(opts.advanceEvery !== undefined
            ? { advanceEveryMs: opts.advanceEvery }
            : {}),
        });
        break;
      case "so":
        if (!opts.aaiUrl || !opts.k8spluginUrl) {
          throw new RangeError(
            "Cannot start the SO simulator: give --aai-url and --k8splugin-url",
          );
        }
        running = startSo({
          port: opts.port,
          aaiUrl: opts.aaiUrl,
          k8spluginUrl: opts.k8spluginUrl,
          ...(opts.minNotifyInterval !== undefined
            ? { minNotifyInterval: opts.minNotifyInterval }
            : {}),
        });
        break;
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`sim: ${message}`);
    return error instanceof ScenarioSyntaxError || error instanceof RangeError
      ? EXIT.USAGE
      : EXIT.FAILED;
  }
  write(running.url);
  console.error(
    `sim: ${which} simulator listening on ${running.url} (stop with Ctrl-C)`,
  );
  await untilStopped(options.signal);
  await running.close();
  return EXIT.OK;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
