/**
 * The freshness benchmark (issue 17): how long a change takes to reach
 * A&AI, and what it costs upstream, for each way of running the tool —
 * `cron` (a `sync --once` every `cronIntervalMs`), `kube` (`sync --watch`
 * over Kubernetes watches), `subscriptions` (`sync --watch` over k8splugin
 * status subscriptions at k8splugin's 5 s notifier floor) and `so`
 * (SO's CNF-adapter notification design, modelled as subscriptions at its
 * ≥ 30 s `min-notify-interval`, received by our receiver).
 *
 * Each mode gets fresh simulators on the same generated scenario and a
 * fresh state folder, converges (the cold pass is not measured), then:
 * a quiet window with no change (upstream requests per minute between
 * changes), then `changeRatePerMinute` of the instances changing per minute
 * for `durationMs` (each change: one instance takes its `churn` form — a
 * verdict change, a replaced pod or a heartbeat), then a drain. The delay
 * of a change is from the simulator applying it (`state.changes[].at`) to
 * A&AI answering the first write for an object of that instance
 * (`requests[].at`). The tool runs as a real subprocess; its RSS is sampled
 * (`ps`) at the start and the end of the change phase, and every
 * `rssEveryMs` in between (the series and its least-squares slope tell
 * growth per event from warm-up).
 *
 * @module
 */
import { type AaiSimSeed, startAai } from "../sim/aai.ts";
import { simKubeconfig, startK8splugin } from "../sim/k8splugin.ts";
import { startKube } from "../sim/kube.ts";
import { parseScenario, type Scenario } from "../sim/scenario.ts";
import { INSTANCE_LABEL } from "../adapters/k8splugin.ts";
import { generateScenario } from "./generate.ts";

/** A way of running the tool. */
export type FreshnessMode = "cron" | "kube" | "subscriptions" | "so";

/** All modes, in report order. */
export const FRESHNESS_MODES: readonly FreshnessMode[] = [
  "cron",
  "kube",
  "subscriptions",
  "so",
];

/** What the freshness benchmark runs. */
export interface FreshnessOptions {
  /** Instances (default 2 000). */
  instances?: number;
  /** Resources per instance, pods included (default 15). */
  resourcesPerInstance?: number;
  /** Fraction of the instances changing per minute (default 0.01). */
  changeRatePerMinute?: number;
  /** Length of the change phase (default 5 min). */
  durationMs?: number;
  /** Length of the quiet window before it (default 60 s). */
  quietMs?: number;
  /** Schedule of the cron mode (default 60 s). */
  cronIntervalMs?: number;
  /** Modes to run (default all). */
  modes?: readonly FreshnessMode[];
  /** RSS sampling period during the change phase (default 30 s; watch modes). */
  rssEveryMs?: number;
  /** Progress lines. */
  progress?: (line: string) => void;
}

/** Delay percentiles in ms. */
export interface DelayFigures {
  p50: number;
  p95: number;
  max: number;
  /** Changes measured. */
  count: number;
  /** Changes that never reached A&AI before the drain ended. */
  missed: number;
}

/** What one mode measured. */
export interface FreshnessResult {
  mode: FreshnessMode;
  delay: DelayFigures;
  /** Requests per minute while changes happen (and until the last reached A&AI). */
  perMinute: { k8splugin: number; kube: number; aai: number };
  /** Requests per minute in the quiet window (no change). */
  quietPerMinute: { k8splugin: number; kube: number; aai: number };
  /** A&AI writes (PUT, PATCH, DELETE) during the change phase, and the changes made. */
  aaiWrites: number;
  /** Instances changed. */
  changes: number;
  /** RSS of the tool's process (bytes) at the start and end of the change phase (watch modes). */
  rss?: RssFigures;
}

/** RSS of the tool's process over the change phase (bytes). */
export interface RssFigures {
  start: number;
  end: number;
  /** Samples from the start to the end of the change phase, `everyMs` apart (the last one is `end`). */
  series: { atMs: number; rss: number }[];
  /** Least-squares slope of the series in bytes per minute (NaN under 3 samples). */
  slopePerMinute: number;
  /** The same without the start sample (the first interval holds the warm-up of the event path). */
  steadySlopePerMinute: number;
}

/** Least-squares slope of `series` in bytes per minute (NaN under 3 samples). */
export function rssSlope(
  series: readonly { atMs: number; rss: number }[],
): number {
  const points = series.filter((p) => !Number.isNaN(p.rss));
  if (points.length < 3) return NaN;
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.atMs, 0) / n;
  const my = points.reduce((s, p) => s + p.rss, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.atMs - mx) * (p.rss - my);
    den += (p.atMs - mx) ** 2;
  }
  return den === 0 ? NaN : (num / den) * 60_000;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(
    sorted.length - 1,
    Math.max(0, Math.ceil(p * sorted.length) - 1),
  );
  return sorted[index]!;
}

const SYNC = new URL("../tasks/sync.ts", import.meta.url).pathname;

/** RSS of a process in bytes (`ps`: Deno asks for more than --allow-read to read /proc). */
async function rssOf(pid: number): Promise<number> {
  try {
    const out = await new Deno.Command("ps", {
      args: ["-o", "rss=", "-p", String(pid)],
      stdout: "piped",
      stderr: "null",
    }).output();
    return Number(new TextDecoder().decode(out.stdout).trim()) * 1024;
  } catch {
    return NaN;
  }
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The timeline: step 0 is `base`; step k replaces the k-th changing
 * instance by its `churn` form (instances are taken in a fixed order, each
 * once). Unchanged instances are shared between steps.
 */
function timeline(
  base: Scenario,
  count: number,
): { scenario: Scenario; changed: string[] } {
  const [first, churn] = base.steps;
  const churned = new Map(
    churn!.instances.map((i) => [i.id, i] as const),
  );
  const candidates = first!.instances.filter((i) =>
    churned.has(i.id) &&
    JSON.stringify(churned.get(i.id)!.objects) !== JSON.stringify(i.objects)
  );
  if (candidates.length < count) {
    throw new RangeError(
      `The scenario changes only ${candidates.length} instances; ${count} changes asked: lower the duration or the rate`,
    );
  }
  const steps = [first!];
  const changed: string[] = [];
  let instances = first!.instances;
  for (let k = 0; k < count; k++) {
    const id = candidates[k]!.id;
    changed.push(id);
    instances = instances.map((i) => i.id === id ? churned.get(id)! : i);
    steps.push({ ...first!, name: `change-${k + 1}`, instances });
  }
  return { scenario: { ...base, steps }, changed };
}

/** Runs the freshness benchmark; one result per mode. */
export async function runFreshness(
  options: FreshnessOptions = {},
): Promise<FreshnessResult[]> {
  const {
    instances = 2_000,
    resourcesPerInstance = 15,
    changeRatePerMinute = 0.01,
    durationMs = 300_000,
    quietMs = 60_000,
    cronIntervalMs = 60_000,
    modes = FRESHNESS_MODES,
    rssEveryMs = 30_000,
    progress = () => {},
  } = options;
  const generated = generateScenario({ instances, resourcesPerInstance });
  const base = parseScenario(generated.scenario, "freshness scenario");
  const perMinute = Math.max(1, Math.round(instances * changeRatePerMinute));
  const changeEveryMs = 60_000 / perMinute;
  const count = Math.max(1, Math.floor(durationMs / changeEveryMs));
  const { scenario, changed } = timeline(base, count);
  progress(
    `Freshness: ${instances} instances × ${resourcesPerInstance} resources, ${perMinute} changes/min (one every ${
      (changeEveryMs / 1000).toFixed(1)
    } s) for ${durationMs / 1000} s (${count} changes), quiet window ${
      quietMs / 1000
    } s`,
  );
  const results: FreshnessResult[] = [];
  for (const mode of modes) {
    results.push(
      await runMode(mode, scenario, changed, {
        changeEveryMs,
        quietMs,
        cronIntervalMs,
        rssEveryMs,
        progress,
      }),
    );
  }
  return results;
}

async function runMode(
  mode: FreshnessMode,
  scenario: Scenario,
  changed: string[],
  timing: {
    changeEveryMs: number;
    quietMs: number;
    cronIntervalMs: number;
    rssEveryMs: number;
    progress: (line: string) => void;
  },
): Promise<FreshnessResult> {
  const { progress } = timing;
  const withKube = mode === "kube";
  await using kube = withKube ? await startKube({ scenario }) : undefined;
  const port = freePort();
  await using k8s = startK8splugin({
    scenario,
    ...(kube
      ? { kubeconfigFor: (region) => simKubeconfig(region, kube.url) }
      : {}),
    // The first registration's ~5 s block is skipped (it would cost 2 000 ×
    // 5 s / 4 before the measurement starts); the notifier floor is
    // k8splugin's 5 s.
    subscriptionTiming: { firstCallDelayMs: 0, restoreDelayMs: 100 },
  });
  await using aai = await startAai({
    seed: scenario.aai as AaiSimSeed,
    requestLogLimit: 1_000_000,
  });
  const dir = await Deno.makeTempDir({ prefix: "bench-freshness-" });
  const env = {
    K8SPLUGIN_URL: k8s.url,
    AAI_URL: aai.url,
    K8S_AAI_SYNC_SNAPSHOT: `${dir}/state/snapshot.json`,
    NO_COLOR: "1",
    ...(mode === "so" ? { K8S_AAI_SYNC_NOTIFY_INTERVAL: "30" } : {}),
  };
  const command = (args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        `--v8-flags=--max-semi-space-size=8,--no-allocation-site-pretenuring${
          // Extra V8 flags for the tool's process (e.g. a heap cap, to tell
          // a leak from a heap V8 lets grow).
          Deno.env.get("BENCH_FRESHNESS_V8_FLAGS")
            ? `,${Deno.env.get("BENCH_FRESHNESS_V8_FLAGS")}`
            : ""}`,
        SYNC,
        "--log-format",
        "json",
        ...args,
      ],
      env,
      clearEnv: true,
      stdout: "null",
      stderr: Deno.env.get("BENCH_FRESHNESS_LOGS") ? "inherit" : "null",
    });
  let child: Deno.ChildProcess | undefined;
  let cron: Promise<void> | undefined;
  const stopCron = new AbortController();
  try {
    const started = performance.now();
    if (mode === "cron") {
      const status = await command(["--once"]).spawn().status;
      if (status.code !== 0) throw new Error(`cold pass exited ${status.code}`);
    } else {
      child = command([
        "--watch",
        "--listen",
        `127.0.0.1:${port}`,
        "--full-pass-interval",
        // A shorter safety-net interval puts its passes in the quiet window.
        Deno.env.get("BENCH_FRESHNESS_FULL_PASS_INTERVAL") ?? "10m",
        "--debounce",
        "500ms",
        ...(withKube
          ? ["--source", "kube"]
          : ["--callback-url", `http://127.0.0.1:${port}`]),
      ]).spawn();
      for (;;) {
        const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
          async (r) => (await r.body?.cancel(), r.ok),
          () => false,
        );
        if (ok) break;
        const exited = await Promise.race([child.status, sleep(200)]);
        if (exited) throw new Error(`sync --watch exited early`);
      }
      if (!withKube) {
        // Subscriptions are created in the background after the first
        // pass: converged once every instance has ours, and its notifier
        // took its first reading (after a start-up sleep).
        const ids = scenario.steps[0]!.instances.map((i) => i.id);
        while (
          !ids.every((id) =>
            k8s.state.subscriptions.list(id).some((sub) =>
              sub.name.endsWith("-k8s-aai-sync")
            )
          )
        ) {
          const exited = await Promise.race([child.status, sleep(500)]);
          if (exited) throw new Error(`sync --watch exited early`);
        }
        await sleep(6_000);
      }
    }
    progress(
      `${mode}: converged in ${
        ((performance.now() - started) / 1000).toFixed(1)
      } s`,
    );
    // Which instance each A&AI object belongs to (its instance label).
    const owner = new Map<string, string>();
    const prefix = `${INSTANCE_LABEL}=`;
    const learn = () => {
      for (const [path, object] of aai.state.objects) {
        if (owner.has(path)) continue;
        const labels = (object as { labels?: unknown }).labels;
        const label = Array.isArray(labels)
          ? labels.find((l) => typeof l === "string" && l.startsWith(prefix))
          : undefined;
        if (typeof label === "string") {
          owner.set(path, label.slice(prefix.length));
        }
      }
    };
    learn();
    if (mode === "cron") {
      cron = (async () => {
        while (!stopCron.signal.aborted) {
          const next = performance.now() + timing.cronIntervalMs;
          await command(["--once"]).spawn().status;
          const wait = next - performance.now();
          if (wait > 0 && !stopCron.signal.aborted) {
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, wait);
              stopCron.signal.addEventListener("abort", () => {
                clearTimeout(timer);
                resolve();
              }, { once: true });
            });
          }
        }
      })();
    }
    const counts = () => ({
      k8splugin: k8s.state.requests.total,
      kube: kube?.state.requests.total ?? 0,
      aai: aai.state.counts.total,
    });
    const rate = (
      a: ReturnType<typeof counts>,
      b: ReturnType<typeof counts>,
      ms: number,
    ) => ({
      k8splugin: (b.k8splugin - a.k8splugin) * 60_000 / ms,
      kube: (b.kube - a.kube) * 60_000 / ms,
      aai: (b.aai - a.aai) * 60_000 / ms,
    });
    // Quiet window.
    const q0 = counts();
    const qStart = performance.now();
    await sleep(timing.quietMs);
    const quietPerMinute = rate(q0, counts(), performance.now() - qStart);
    progress(`${mode}: quiet ${JSON.stringify(round(quietPerMinute))}/min`);
    // Change phase.
    const rssStart = child ? await rssOf(child.pid) : NaN;
    const c0 = counts();
    const cStart = performance.now();
    const series: { atMs: number; rss: number }[] = [
      { atMs: 0, rss: rssStart },
    ];
    const stopSampling = new AbortController();
    const sampling = child
      ? (async () => {
        for (let k = 1;; k++) {
          const wait = cStart + k * timing.rssEveryMs - performance.now();
          if (wait > 0) {
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, wait);
              stopSampling.signal.addEventListener("abort", () => {
                clearTimeout(timer);
                resolve();
              }, { once: true });
            });
          }
          if (stopSampling.signal.aborted) return;
          const rss = await rssOf(child!.pid);
          series.push({ atMs: Math.round(performance.now() - cStart), rss });
          progress(
            `${mode}: RSS ${(rss / 1048576).toFixed(0)} MiB at ${
              ((performance.now() - cStart) / 1000).toFixed(0)
            } s`,
          );
        }
      })()
      : undefined;
    const phaseStart = Date.now();
    const firstRequest = aai.state.requests.length;
    for (let k = 0; k < changed.length; k++) {
      const due = cStart + k * timing.changeEveryMs;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      kube?.state.advance();
      k8s.state.advance();
    }
    await sleep(timing.changeEveryMs);
    stopSampling.abort();
    await sampling;
    const rssEnd = child ? await rssOf(child.pid) : NaN;
    series.push({ atMs: Math.round(performance.now() - cStart), rss: rssEnd });
    // Drain: wait until every change reached A&AI (or the schedule twice).
    const changes = k8s.state.changes.filter((c) => c.at >= phaseStart);
    const delays = (): number[] => {
      learn();
      const requests = aai.state.requests.slice(firstRequest).filter((r) =>
        r.method !== "GET"
      );
      return changes.map((change) => {
        const id = changed[change.step - 1]!;
        const write = requests.find((r) =>
          r.at >= change.at &&
          owner.get(r.url.replace(/^\/aai\/v\d+/, "").split("?")[0]!) === id
        );
        return write ? write.at - change.at : NaN;
      });
    };
    const drainUntil = performance.now() +
      (mode === "cron" ? 2 * timing.cronIntervalMs : 60_000);
    let measured = delays();
    while (
      measured.some(Number.isNaN) && performance.now() < drainUntil
    ) {
      await sleep(1_000);
      measured = delays();
    }
    // Rates over the change phase and the drain (writes of the last changes
    // land there).
    const perMinute = rate(c0, counts(), performance.now() - cStart);
    const aaiWrites = aai.state.requests.slice(firstRequest).filter((r) =>
      r.method !== "GET" && r.at <= Date.now()
    ).length;
    const sorted = measured.filter((d) =>
      !Number.isNaN(d)
    ).sort((a, b) => a - b);
    const result: FreshnessResult = {
      mode,
      delay: {
        p50: percentile(sorted, 0.5),
        p95: percentile(sorted, 0.95),
        max: sorted.at(-1) ?? NaN,
        count: sorted.length,
        missed: measured.length - sorted.length,
      },
      perMinute: round(perMinute),
      quietPerMinute: round(quietPerMinute),
      aaiWrites,
      changes: changes.length,
      ...(child
        ? {
          rss: {
            start: rssStart,
            end: rssEnd,
            series,
            slopePerMinute: rssSlope(series),
            steadySlopePerMinute: rssSlope(series.slice(1)),
          },
        }
        : {}),
    };
    progress(`${mode}: ${JSON.stringify(result)}`);
    return result;
  } finally {
    stopCron.abort();
    await cron;
    if (child) {
      try {
        child.kill("SIGTERM");
      } catch {
        // Gone.
      }
      await child.status;
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

function round<T extends Record<string, number>>(figures: T): T {
  return Object.fromEntries(
    Object.entries(figures).map(([k, v]) => [k, Math.round(v * 10) / 10]),
  ) as T;
}

/** The freshness results as a table (Markdown). */
export function formatFreshness(results: readonly FreshnessResult[]): string {
  const lines = [
    "| mode | delay p50 | p95 | max | changes (missed) | k8splugin req/min (quiet) | Kubernetes req/min (quiet) | A&AI req/min (quiet) | A&AI writes | RSS start → end |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  const s = (ms: number) =>
    Number.isNaN(ms) ? "–" : `${(ms / 1000).toFixed(2)} s`;
  const mb = (b: number) =>
    Number.isNaN(b) ? "–" : `${(b / 1048576).toFixed(0)} MiB`;
  for (const r of results) {
    lines.push(
      `| ${r.mode} | ${s(r.delay.p50)} | ${s(r.delay.p95)} | ${
        s(r.delay.max)
      } | ${r.delay.count} (${r.delay.missed}) | ${r.perMinute.k8splugin} (${r.quietPerMinute.k8splugin}) | ${r.perMinute.kube} (${r.quietPerMinute.kube}) | ${r.perMinute.aai} (${r.quietPerMinute.aai}) | ${r.aaiWrites} | ${
        r.rss ? `${mb(r.rss.start)} → ${mb(r.rss.end)}` : "–"
      } |`,
    );
  }
  const series = results.filter((r) => r.rss && r.rss.series.length > 2);
  if (series.length > 0) lines.push("");
  for (const r of series) {
    const slope = (bytes: number) =>
      Number.isNaN(bytes) ? "–" : `${(bytes / 1048576).toFixed(2)} MiB/min`;
    lines.push(
      `RSS ${r.mode} (MiB at s): ${
        r.rss!.series.map((p) => `${mb(p.rss)}@${Math.round(p.atMs / 1000)}`)
          .join(", ")
      }; slope ${slope(r.rss!.slopePerMinute)} (after the first sample: ${
        slope(r.rss!.steadySlopePerMinute)
      })`,
    );
  }
  return lines.join("\n");
}
