/**
 * `deno task sync`: one pass (or `--watch`) of k8splugin → rules → A&AI.
 *
 * This is the one labelled place that picks implementations: the HTTP
 * k8splugin and A&AI clients, the kube client of a region, the logger.
 *
 * Permissions: `--allow-net` (peers), `--allow-read`/`--allow-write` (config,
 * snapshot, lock, metrics), `--allow-env` (configuration; the Kubernetes
 * client needs it), `--allow-sys` (the Kubernetes client).
 *
 * @module
 */

import { Command, Option } from "@commander-js/extra-typings";
import {
  configureSync,
  getJsonLinesFormatter,
  getLogger,
  getTextFormatter,
  type Logger,
  type LogRecord,
  type Sink,
} from "@logtape/logtape";
import { redactByField } from "@logtape/redaction";
import type { AaiExchange } from "../adapters/aai.ts";
import {
  acquireStateLock,
  type Config,
  ConfigError,
  loadConfig,
  parseDuration,
  type RunReport,
  runSync,
  summaryLine,
  type SyncLogger,
  writeMetrics,
} from "../sync/mod.ts";
import { EXIT, EXIT_CODES_HELP, type ExitCode, exitCodeFor } from "./_exit.ts";
import {
  aaiClientFrom,
  k8spluginClientFrom,
  kubeClientsFrom,
} from "./_peers.ts";

/** Parsed command-line options (see `--help`). */
export interface SyncCliOptions {
  /** `--config FILE`. */
  config?: string;
  /** `--once`: one pass (the default). */
  once?: boolean;
  /** `--watch`: repeat passes until SIGINT/SIGTERM. */
  watch?: boolean;
  /** `--interval DUR` between `--watch` passes. */
  interval?: string;
  /** `--dry-run`: plan, print, send nothing. */
  dryRun?: boolean;
  /** `--verify`: GET every owned object and repair drift. */
  verify?: boolean;
  /** `--region R`, repeatable. */
  region: string[];
  /** `--instance ID`, repeatable. */
  instance: string[];
  /** `--take-ownership`. */
  takeOwnership?: boolean;
  /** `--migrate-owner OLD`: move objects held under data-owner OLD to `owner`. */
  migrateOwner?: string;
  /** `--allow-mass-delete`. */
  allowMassDelete?: boolean;
  /** `--metrics-file FILE`. */
  metricsFile?: string;
  /** `--log-format json|text`. */
  logFormat: "json" | "text";
  /** `-v`: debug logs. */
  verbose?: boolean;
  /** `--source k8splugin|kube`. */
  source?: "k8splugin" | "kube";
}

/** Accumulates a repeatable option's values. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The commander program of `sync` (exits 2 on usage errors). */
export function syncCommand(): Command<
  [],
  {
    config?: string;
    once?: true;
    watch?: true;
    interval?: string;
    dryRun?: true;
    verify?: true;
    region: string[];
    instance: string[];
    takeOwnership?: true;
    migrateOwner?: string;
    allowMassDelete?: true;
    metricsFile?: string;
    logFormat: "json" | "text";
    verbose?: true;
    source?: "k8splugin" | "kube";
  }
> {
  return new Command()
    .name("sync")
    .description(
      "Publish the readiness of k8splugin instances' Kubernetes resources to A&AI (only real changes).",
    )
    .option("--config <file>", "YAML or JSON config (env K8S_AAI_SYNC_CONFIG)")
    .option("--once", "run one pass and exit (the default)")
    .option("--watch", "repeat passes in-process")
    .option(
      "--interval <duration>",
      "time between --watch passes (default: config interval, 30s)",
    )
    .option("--dry-run", "print the planned A&AI operations and send nothing")
    .option("--verify", "GET every owned object from A&AI and repair drift")
    .option(
      "--region <region>",
      "only this cloud region (repeatable)",
      collect,
      [] as string[],
    )
    .option(
      "--instance <id>",
      "only this instance (repeatable)",
      collect,
      [] as string[],
    )
    .option("--take-ownership", "update/delete objects of another data-owner")
    .option(
      "--migrate-owner <old>",
      "after changing the owner setting: move the objects A&AI holds under data-owner <old> to the new owner (one verify pass)",
    )
    .option(
      "--allow-mass-delete",
      "lift the per-run delete cap and the empty-list guard",
    )
    .option("--metrics-file <file>", "write Prometheus textfile metrics there")
    .addOption(
      new Option("--source <source>", "where resources are read from").choices(
        ["k8splugin", "kube"] as const,
      ),
    )
    .addOption(
      new Option("--log-format <format>", "stderr log format").choices(
        ["json", "text"] as const,
      ).default("json" as const),
    )
    .option("-v, --verbose", "debug logs")
    .addHelpText("after", `\n${EXIT_CODES_HELP}`)
    .exitOverride()
    .configureOutput({
      writeErr: (text) => Deno.stderr.writeSync(new TextEncoder().encode(text)),
      writeOut: (text) => Deno.stdout.writeSync(new TextEncoder().encode(text)),
    });
}

/** Field names whose values never reach the log. */
const SECRET_FIELDS = [
  /pass(word)?/i,
  /secret/i,
  /token/i,
  /authorization/i,
  /kubeconfig/i,
  /credential/i,
];

/** Sets up @logtape/logtape: JSON lines (or text) on stderr, secrets redacted. */
function setupLogging(format: "json" | "text", verbose: boolean): void {
  const formatter = format === "json"
    ? getJsonLinesFormatter()
    : getTextFormatter({ timestamp: "date-time" });
  const encoder = new TextEncoder();
  function stderrSink(record: LogRecord): void {
    Deno.stderr.writeSync(encoder.encode(formatter(record)));
  }
  const sink = redactByField(stderrSink, SECRET_FIELDS) as Sink;
  configureSync({
    reset: true,
    sinks: { stderr: sink },
    loggers: [
      {
        category: ["k8s-aai-sync"],
        lowestLevel: verbose ? "debug" : "info",
        sinks: ["stderr"],
      },
      {
        category: ["logtape", "meta"],
        lowestLevel: "warning",
        sinks: ["stderr"],
      },
    ],
  });
}

/** Escapes braces so logtape prints messages literally (they are not templates). */
function escapeBraces(message: string): string {
  return message.replace(/[{}]/g, (c) => c + c);
}

/** A {@linkcode SyncLogger} over a logtape logger that logs messages literally. */
function literalLogger(logger: Logger): SyncLogger {
  return {
    debug: (m, p) => logger.debug(escapeBraces(m), p ?? {}),
    info: (m, p) => logger.info(escapeBraces(m), p ?? {}),
    warn: (m, p) => logger.warn(escapeBraces(m), p ?? {}),
    error: (m, p) => logger.error(escapeBraces(m), p ?? {}),
  };
}

/** Runs one locked pass and reports it; returns the exit code. */
async function onePass(
  config: Config,
  options: SyncCliOptions,
  log: SyncLogger,
): Promise<{ code: ExitCode; report?: RunReport }> {
  await using _lock = await acquireStateLock(config.snapshot);
  const source = options.source ?? config.source;
  const writeLog = literalLogger(getLogger(["k8s-aai-sync", "aai"]));
  function onAaiExchange(exchange: AaiExchange): void {
    const summary = `A&AI ${exchange.method} ${exchange.url} → ${
      exchange.status ?? exchange.error ?? "no response"
    }`;
    const properties = {
      method: exchange.method,
      url: exchange.url,
      status: exchange.status,
      attempt: exchange.attempt,
      durationMs: Math.round(exchange.durationMs),
      transactionId: exchange.transactionId,
      ...(exchange.error ? { error: exchange.error } : {}),
    };
    if (exchange.method === "GET") writeLog.debug(summary, properties);
    else {
      writeLog.info(
        `${summary} (X-TransactionId ${exchange.transactionId})`,
        properties,
      );
    }
  }
  const k8spluginLog = literalLogger(getLogger(["k8s-aai-sync", "k8splugin"]));
  const k8splugin = k8spluginClientFrom(config, (e) =>
    k8spluginLog.debug(
      `k8splugin ${e.method} ${e.url} → ${
        e.status ?? e.error ?? "no response"
      }`,
      {
        status: e.status,
        attempt: e.attempt,
        durationMs: Math.round(e.durationMs),
      },
    ));
  const aai = aaiClientFrom(config, onAaiExchange);
  await using kube = await kubeClientsFrom(config, k8splugin, source);
  try {
    const report = await runSync({
      k8splugin,
      aai,
      ...(kube ? { kube: (region: string) => kube.get(region) } : {}),
      log,
    }, {
      config,
      dryRun: options.dryRun ?? false,
      verify: options.verify ?? false,
      regions: options.region,
      instances: options.instance,
      takeOwnership: options.takeOwnership ?? false,
      migrateOwner: options.migrateOwner,
      allowMassDelete: options.allowMassDelete ?? false,
      source,
      // Each write is logged as it lands; only a dry run prints the list.
      recordOperations: false,
    });
    if (options.dryRun) {
      for (const op of report.operations) {
        // DELETE's resource-version is read from A&AI just before sending.
        const query = op.method === "DELETE"
          ? "?resource-version=<current>"
          : "";
        console.log(
          `${op.method} /aai/${config.aai.apiVersion}${op.path}${query}${
            op.body ? ` ${JSON.stringify(op.body)}` : ""
          }  # ${op.why}`,
        );
      }
    }
    console.log(summaryLine(report));
    log.info(summaryLine(report), {
      instances: report.instances.listed,
      synced: report.instances.synced,
      unchanged: report.instances.unchanged,
      unknown: report.instances.unknown,
      resources: report.resources,
      writes: report.writes,
      errors: report.errors.length,
      deletesHeld: report.deletesHeld,
      durationMs: report.durationMs,
      exitCode: report.exitCode,
    });
    if (options.metricsFile) await writeMetrics(options.metricsFile, report);
    return { code: report.exitCode as ExitCode, report };
  } finally {
    k8splugin.close?.();
    aai.close?.();
  }
}

/** Sleeps `ms`, or less when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done);
  });
}

/** The `sync` task; returns the process exit code. */
export async function main(
  args: string[],
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<ExitCode> {
  let options: SyncCliOptions;
  try {
    options = syncCommand().parse(args, { from: "user" }).opts();
  } catch (error) {
    const code = error as { exitCode?: number; code?: string };
    if (
      code.code === "commander.helpDisplayed" ||
      code.code === "commander.version"
    ) {
      return EXIT.OK;
    }
    return EXIT.USAGE;
  }
  setupLogging(options.logFormat, options.verbose ?? false);
  const log = literalLogger(getLogger(["k8s-aai-sync", "sync"]));
  try {
    if (options.watch && options.once) {
      throw new ConfigError(
        "Choose either --once or --watch",
      );
    }
    const config = await loadConfig(options.config, env);
    if (!options.watch) return (await onePass(config, options, log)).code;
    const interval = options.interval === undefined
      ? config.interval
      : parseDuration(options.interval);
    if (interval === undefined || interval <= 0) {
      throw new ConfigError(
        `Invalid --interval "${options.interval}": use a duration like 30s or 5m`,
      );
    }
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    Deno.addSignalListener("SIGINT", onSignal);
    Deno.addSignalListener("SIGTERM", onSignal);
    let code: ExitCode = EXIT.OK;
    try {
      while (!stop.signal.aborted) {
        try {
          code = (await onePass(config, options, log)).code;
        } catch (error) {
          code = exitCodeFor(error);
          log.error(`Sync pass failed: ${(error as Error).message}`);
          if (code === EXIT.USAGE) return code;
        }
        await sleep(interval, stop.signal);
      }
    } finally {
      Deno.removeSignalListener("SIGINT", onSignal);
      Deno.removeSignalListener("SIGTERM", onSignal);
    }
    return code;
  } catch (error) {
    const code = exitCodeFor(error);
    log.error((error as Error).message, { error: (error as Error).name });
    return code;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
