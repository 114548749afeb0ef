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

import { Command, CommanderError, Option } from "@commander-js/extra-typings";
import { getLogger } from "@logtape/logtape";
import { isPeerUnavailable } from "../adapters/http.ts";
import {
  type Config,
  ConfigError,
  type InstanceRead,
  loadConfig,
  LockHeldError,
  newReport,
  parseDurationIn,
  parseInterval,
  PassDeadlineError,
  type ResidentSnapshot,
  type RunReport,
  runSync,
  type StateLock,
  summaryLine,
  type SyncLogger,
  type SyncOptions,
} from "../sync/mod.ts";
import type { InstanceSummary } from "../adapters/k8splugin.ts";
import { EXIT, EXIT_CODES_HELP, type ExitCode, exitCodeFor } from "./_exit.ts";
import { lastRunPath, readLastRun, verifyDue } from "./_last_run.ts";
import {
  literalLogger,
  type Output,
  output,
  peerLogs,
  setupLogging,
  type SyncIo,
  writer,
} from "./_output.ts";
import { recordPass } from "./_record.ts";
import { folderOf, lockState } from "./_state.ts";
import { parseListen, runWatch, type WatchSettings } from "./_watch.ts";

export type { SyncIo } from "./_output.ts";
import { versionText } from "./_version.ts";
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
  /** `--verify-every DUR`: make this pass a `--verify` pass when the last one is older. */
  verifyEvery?: string;
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
  /** `--pushgateway URL`. */
  pushgateway?: string;
  /** `--wait-lock DUR`: wait this long for another pass to finish. */
  waitLock?: string;
  /** `--log-format json|text` (default: text on a terminal, else json). */
  logFormat?: "json" | "text";
  /** `-v`: debug logs. */
  verbose?: boolean;
  /** `--source k8splugin|kube`. */
  source?: "k8splugin" | "kube";
  /** `--full-pass-interval DUR` of `--watch` (default `--interval`, else 10m). */
  fullPassInterval?: string;
  /** `--debounce DUR` of `--watch` events (default 1s). */
  debounce?: string;
  /** `--resync-interval DUR` of `--watch`: full reads (default 6h). */
  resyncInterval?: string;
  /** `--listen [HOST:]PORT` of `--watch`'s /metrics, /healthz, /readyz and callbacks. */
  listen?: string;
  /** `--leader-election`: replicas elect a leader through a Lease. */
  leaderElection?: boolean;
  /** `--lease-duration DUR` (default 15s). */
  leaseDuration?: string;
  /** `--callback-url URL`: k8splugin status subscriptions call back there. */
  callbackUrl?: string;
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
    verifyEvery?: string;
    region: string[];
    instance: string[];
    takeOwnership?: true;
    migrateOwner?: string;
    allowMassDelete?: true;
    metricsFile?: string;
    pushgateway?: string;
    waitLock?: string;
    logFormat?: "json" | "text";
    verbose?: true;
    source?: "k8splugin" | "kube";
    fullPassInterval?: string;
    resyncInterval?: string;
    debounce?: string;
    listen?: string;
    leaderElection?: true;
    leaseDuration?: string;
    callbackUrl?: string;
  }
> {
  return new Command()
    .name("sync")
    .description(
      "Publish the readiness of k8splugin instances' Kubernetes resources to A&AI (only real changes).",
    )
    .option("--config <file>", "YAML or JSON config (env K8S_AAI_SYNC_CONFIG)")
    .option("--once", "run one pass and exit (the default)")
    .option(
      "--watch",
      "run until SIGTERM: react to events (Kubernetes watches, k8splugin subscriptions) and run full passes periodically",
    )
    .option(
      "--interval <duration>",
      "time between --watch safety-net passes (alias of --full-pass-interval)",
    )
    .option(
      "--full-pass-interval <duration>",
      "time between --watch safety-net passes: one instance list (new instances are read, gone ones counted for deletion), a full read when one is due (default 10m)",
    )
    .option(
      "--resync-interval <duration>",
      "time between --watch full reads of every instance's status (also at start and on becoming leader; default 6h)",
    )
    .option(
      "--debounce <duration>",
      "quiet time after an event before its instance is read (default 1s)",
    )
    .option(
      "--listen <[host:]port>",
      "serve /metrics, /healthz, /readyz and k8splugin callbacks (--watch; default 0.0.0.0:9464 with --callback-url)",
    )
    .option(
      "--leader-election",
      "replicas elect a leader through a coordination.k8s.io Lease; only the leader writes (--watch)",
    )
    .option(
      "--lease-duration <duration>",
      "how long a Lease holds without renewal (default 15s)",
    )
    .option(
      "--callback-url <url>",
      "URL k8splugin reaches --listen at, for status subscriptions of regions without a kube client (--watch)",
    )
    .option("--dry-run", "print the planned A&AI operations and send nothing")
    .option("--verify", "GET every owned object from A&AI and repair drift")
    .option(
      "--verify-every <duration>",
      "make this pass a --verify pass when the last successful one is older (e.g. 24h)",
    )
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
    .option(
      "--metrics-file <file>",
      "write Prometheus textfile metrics there (env K8S_AAI_SYNC_METRICS_FILE)",
    )
    .option(
      "--pushgateway <url>",
      "push the pass's metrics to this Prometheus Pushgateway (env K8S_AAI_SYNC_PUSHGATEWAY)",
    )
    .option(
      "--wait-lock <duration>",
      "wait up to this long for a running pass to release the lock (default 0: exit 75 at once)",
    )
    .addOption(
      new Option("--source <source>", "where resources are read from").choices(
        ["k8splugin", "kube"] as const,
      ),
    )
    .addOption(
      new Option(
        "--log-format <format>",
        "log and summary format (default: text on a terminal, else json)",
      ).choices(["json", "text"] as const),
    )
    .option("-v, --verbose", "debug logs")
    .version(versionText(), "--version", "print the version and exit")
    .addHelpText("after", `\n${EXIT_CODES_HELP}`)
    .exitOverride()
    .configureOutput({
      writeErr: (text) => Deno.stderr.writeSync(new TextEncoder().encode(text)),
      writeOut: (text) => Deno.stdout.writeSync(new TextEncoder().encode(text)),
    });
}

/** The command line's durations of a pass, in ms. */
export interface PassDurations {
  /** `--wait-lock` (0: exit 75 at once). */
  waitMs: number;
  /** `--verify-every`, when given. */
  verifyEvery: number | undefined;
}

/** What a caller holding the lock (`sync --watch`) asks of {@linkcode onePass}. */
export interface PassHooks {
  /** The caller holds the state lock already. */
  locked?: boolean;
  /** Told about every instance read. */
  onRead?: (read: InstanceRead) => void;
  /** Shown every k8splugin `/status` read's entries (see `SyncOptions.observeStatus`). */
  observeStatus?: SyncOptions["observeStatus"];
  /** A list pass: the list it fetched. */
  listed?: InstanceSummary[];
  /** A list pass: only these listed instances are read (no --verify). */
  readOnly?: ReadonlySet<string>;
  /** The snapshot kept in memory across runs by the lock holder. */
  resident?: ResidentSnapshot;
}

/** Runs one locked pass and reports it; returns the exit code. */
export async function onePass(
  config: Config,
  options: SyncCliOptions,
  durations: PassDurations,
  log: SyncLogger,
  out: Output,
  env: Record<string, string | undefined>,
  hooks: PassHooks = {},
): Promise<{ code: ExitCode; report?: RunReport }> {
  const { waitMs, verifyEvery } = durations;
  let verify = options.verify ?? false;
  let lock: StateLock | undefined;
  if (!hooks.locked) lock = await takeLock();
  async function takeLock(): Promise<StateLock> {
    try {
      return await lockState(config.snapshot, waitMs, log);
    } catch (error) {
      if (error instanceof LockHeldError && verify) {
        // A verify that loses the race must not pass unnoticed: exit 75, and
        // k8s_aai_sync_last_verify_success_timestamp_seconds does not advance.
        log.error(
          `The --verify pass did not run: another pass held the lock for the ${
            waitMs / 1000
          }s it waited (--wait-lock)`,
          { lock: error.path },
        );
      }
      throw error;
    }
  }
  await using _lock = lock;
  // The pass deadline (14.19) aborts every request in flight, retries
  // included; runSync stops starting work and reports it (exit 75).
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new PassDeadlineError(config.passDeadline)),
    config.passDeadline,
  );
  using _timer = { [Symbol.dispose]: () => clearTimeout(timer) };
  const source = options.source ?? config.source;
  const peers = peerLogs();
  const aaiExchanges = peers.aai;
  const k8splugin = k8spluginClientFrom(
    config,
    peers.onK8spluginExchange,
    (message) => log.warn(message),
    deadline.signal,
  );
  let listError: unknown;
  const listInstances = k8splugin.listInstances.bind(k8splugin);
  k8splugin.listInstances = async (filter) => {
    try {
      return await listInstances(filter);
    } catch (error) {
      listError = error;
      throw error;
    }
  };
  const aai = aaiClientFrom(config, peers.onAaiExchange, deadline.signal);
  await using kube = await kubeClientsFrom(config, k8splugin, source);
  const startedAt = new Date();
  const lastRunFile = lastRunPath(config.snapshot);
  const previous = await readLastRun(lastRunFile);
  const dryRun = options.dryRun ?? false;
  if (!verify && verifyEvery !== undefined && !dryRun && !hooks.readOnly) {
    verify = verifyDue(previous, verifyEvery, startedAt);
    if (verify) {
      log.info(
        `This pass verifies every owned A&AI object (--verify-every ${options.verifyEvery}; last successful verify: ${
          previous?.lastVerifySuccessAt ?? "never"
        })`,
      );
    }
  }
  let report: RunReport;
  try {
    report = await runSync({
      k8splugin,
      aai,
      ...(kube ? { kube: (region: string) => kube.get(region) } : {}),
      log,
      deadline: deadline.signal,
    }, {
      config,
      dryRun,
      verify,
      regions: options.region,
      instances: options.instance,
      takeOwnership: options.takeOwnership ?? false,
      migrateOwner: options.migrateOwner,
      allowMassDelete: options.allowMassDelete ?? false,
      source,
      // Each write is logged as it lands; only a dry run prints the list.
      recordOperations: false,
      onRead: hooks.onRead,
      observeStatus: hooks.observeStatus,
      listed: hooks.listed,
      readOnly: hooks.readOnly,
      resident: hooks.resident,
    });
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    // runSync throws for local I/O (the snapshot); A&AI may already hold
    // this pass's writes (#18). Say so, and still report the pass.
    report = (error as { report?: RunReport }).report ??
      newReport(startedAt, dryRun);
    report.exitCode = 1;
    report.durationMs ||= Date.now() - startedAt.getTime();
    const message = (error as Error).message ?? String(error);
    const text = message.includes(config.snapshot) ||
        message.includes(`${folderOf(config.snapshot)}/`)
      ? `Cannot write the snapshot "${config.snapshot}" (setting "snapshot" / K8S_AAI_SYNC_SNAPSHOT): ${message}. A&AI accepted ${aaiExchanges.writes} write request(s) in this pass: the next pass sends them again and A&AI confirms them (existing objects are adopted, deleted ones found gone), so nothing is duplicated; make the folder writable`
      : `The pass stopped: ${message}`;
    report.errors.push(text);
    log.error(text, { error: (error as Error).name });
  } finally {
    k8splugin.close?.();
    aai.close?.();
  }
  // k8splugin or A&AI not answering (refused, timed out, 5xx after the
  // retries) is "try later" (75), not a partial failure.
  if (
    report.exitCode === 1 &&
    (isPeerUnavailable(listError) ||
      (aaiExchanges.total > 0 &&
        aaiExchanges.unavailable === aaiExchanges.total))
  ) {
    report.exitCode = EXIT.TEMPFAIL;
  }
  if (dryRun) {
    for (const op of report.operations) {
      // DELETE's resource-version is read from A&AI just before sending.
      const query = op.method === "DELETE" ? "?resource-version=<current>" : "";
      out.operation({
        method: op.method,
        path: `/aai/${config.aai.apiVersion}${op.path}${query}`,
        ...(op.body ? { body: op.body } : {}),
        why: op.why,
      });
    }
  }
  const code = await recordPass(report, {
    verify,
    previous,
    lastRunFile,
    metricsFile: options.metricsFile ?? env.K8S_AAI_SYNC_METRICS_FILE,
    pushgateway: options.pushgateway ?? env.K8S_AAI_SYNC_PUSHGATEWAY,
    regions: options.region,
    log,
  });
  out.summary(
    summaryLine({ ...report, exitCode: code as RunReport["exitCode"] }),
    {
      instances: report.instances.listed,
      synced: report.instances.synced,
      unchanged: report.instances.unchanged,
      unknown: report.instances.unknown,
      resources: report.resources,
      writes: report.writes,
      errors: report.errors.length,
      deletesHeld: report.deletesHeld,
      durationMs: report.durationMs,
      dryRun,
      verify,
      exitCode: code,
    },
  );
  return { code, report };
}

/** `--listen`, a usage error when malformed. */
function parseListenOption(text: string): { hostname: string; port: number } {
  try {
    return parseListen(text);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

/** The `sync` task; returns the process exit code. */
export async function main(
  args: string[],
  env: Record<string, string | undefined> = Deno.env.toObject(),
  io: SyncIo = {},
): Promise<ExitCode> {
  const stdout = io.stdout ?? writer(Deno.stdout);
  const stderr = io.stderr ?? writer(Deno.stderr);
  let options: SyncCliOptions;
  try {
    options = syncCommand().configureOutput({
      writeErr: stderr,
      writeOut: stdout,
    }).parse(args, { from: "user" }).opts();
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // `--help` and `--version` end with exit code 0, usage errors with 1.
    return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  }
  const format = options.logFormat ??
    ((io.isTerminal ?? Deno.stderr.isTerminal()) ? "text" : "json");
  setupLogging(format, options.verbose ?? false, stderr);
  const out = output(format, stdout);
  const log = literalLogger(getLogger(["k8s-aai-sync", "sync"]));
  try {
    if (options.watch && options.once) {
      throw new ConfigError(
        "Choose either --once or --watch",
      );
    }
    // Checked before anything else, so a bad duration never starts a pass.
    const cliInterval = options.watch && options.interval !== undefined
      ? parseInterval(options.interval)
      : undefined;
    const durations: PassDurations = {
      waitMs: options.waitLock === undefined
        ? 0
        : parseDurationIn(options.waitLock, "--wait-lock", [0, 3_600_000]),
      verifyEvery: options.verifyEvery === undefined
        ? undefined
        : parseDurationIn(options.verifyEvery, "--verify-every", [
          60_000,
          30 * 86_400_000,
        ]),
    };
    const config = await loadConfig(options.config, env);
    if (!options.watch) {
      return (await onePass(config, options, durations, log, out, env)).code;
    }
    const fullPassIntervalMs = options.fullPassInterval !== undefined
      ? parseDurationIn(options.fullPassInterval, "--full-pass-interval", [
        10,
        86_400_000,
      ])
      : cliInterval ?? 600_000;
    const settings: WatchSettings = {
      fullPassIntervalMs,
      resyncIntervalMs: options.resyncInterval === undefined
        ? 6 * 3_600_000
        : parseDurationIn(options.resyncInterval, "--resync-interval", [
          10,
          30 * 86_400_000,
        ]),
      debounceMs: options.debounce === undefined
        ? 1_000
        : parseDurationIn(options.debounce, "--debounce", [0, 60_000]),
      listen: options.listen === undefined
        ? undefined
        : parseListenOption(options.listen),
      leaderElection: options.leaderElection ?? false,
      leaseDurationMs: options.leaseDuration === undefined
        ? 15_000
        : parseDurationIn(options.leaseDuration, "--lease-duration", [
          1_000,
          600_000,
        ]),
      callbackUrl: options.callbackUrl,
      waitLockMs: durations.waitMs,
      scope: { regions: options.region, instances: options.instance },
      takeOwnership: options.takeOwnership ?? false,
      source: options.source ?? config.source,
    };
    if (options.dryRun) {
      throw new ConfigError("--dry-run cannot be combined with --watch");
    }
    return await runWatch(
      config,
      settings,
      async (onRead, extras) =>
        (await onePass(config, options, durations, log, out, env, {
          locked: true,
          onRead,
          resident: extras.resident,
          observeStatus: extras.observeStatus,
          ...(extras.listed ? { listed: extras.listed } : {}),
          ...(extras.readOnly ? { readOnly: extras.readOnly } : {}),
        })).code,
      log,
      env,
    );
  } catch (error) {
    const code = exitCodeFor(error);
    log.error((error as Error).message, { error: (error as Error).name });
    return code;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
