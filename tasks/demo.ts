/**
 * `deno task demo`: the embedded default. With no configuration at all it
 * starts the k8splugin, A&AI and Kubernetes API simulators in-process on the
 * demo scenario (fixtures/scenarios/demo.yaml: the `edgex` instance rolls
 * out, a pod crash-loops, recovers, the instance is deleted), runs one real
 * sync pass per step — over HTTP, through the real adapters, with the
 * cluster as rule context (`enrich: true`), in a temporary state directory —
 * and prints what changed and every request sent to A&AI, and why. Then a
 * second scenario (tasks/_demo_so.ts): the same instance instantiated
 * through SO, whose CNF adapter owns the objects; this tool annotates them,
 * SO's rewrite after a crash-loop drops the labels, the next pass restores
 * them — with every request of both tools.
 *
 * Permissions: `--allow-net` (loopback simulators), `--allow-read` and
 * `--allow-write` (scenario file, temporary snapshot), `--allow-env` and
 * `--allow-sys` (`@kubernetes/client-node`).
 *
 * @module
 */

import { stripVTControlCharacters, styleText } from "node:util";
import { Command, CommanderError } from "@commander-js/extra-typings";
import type { AaiExchange } from "../adapters/aai.ts";
import {
  type AaiSim,
  DEMO_SCENARIO_URL,
  loadScenario,
  type Scenario,
  simKubeconfig,
  startAai,
  startK8splugin,
  startKube,
} from "../sim/mod.ts";
import {
  type Config,
  describeError,
  makeConfig,
  planInstance,
  type RunReport,
  runSync,
} from "../sync/mod.ts";
import {
  aaiClientFrom,
  k8spluginClientFrom,
  kubeClientsFrom,
} from "./_peers.ts";
import { type CheckView, kindLabel, shortPath, toView } from "./_check_view.ts";
import { EXIT, type ExitCode } from "./_exit.ts";
import { versionText } from "./_version.ts";
import { runSoDemo } from "./_demo_so.ts";

/** One sync pass of the demo: the scenario step it serves and how it is introduced. */
export interface DemoPass {
  /** Index into `scenario.steps`. */
  step: number;
  /** Heading. */
  title: string;
  /** One sentence saying what happens in the cluster. */
  story: string;
  /** Minutes after the step's `now` (for repeated passes). */
  laterMinutes: number;
  /** Run as `sync --allow-mass-delete` (an operator confirmed). */
  allowMassDelete: boolean;
  /** Deletion safety holds this pass back on purpose (exit 1 expected). */
  heldBack: boolean;
}

/** What the well-known demo steps mean, by step name. */
const STORIES: Record<string, { title: string; story: string }> = {
  "rollout-started": {
    title: "Rollout started",
    story:
      "k8splugin has just instantiated the edgex Resource Bundle: its pods are still being created.",
  },
  "rolled-out": {
    title: "Rollout complete",
    story: "Every replica is up and every container ready.",
  },
  "crash-loop": {
    title: "A pod starts crash-looping",
    story:
      "The edgex-core-data container keeps exiting; Kubernetes backs off restarting it.",
  },
  recovered: {
    title: "The pod recovered",
    story:
      "The container has been running without a restart for longer than the stability window.",
  },
  deleted: {
    title: "The instance is deleted",
    story: "k8splugin no longer lists edgex-1.",
  },
};

/**
 * The passes the demo runs: one per scenario step, the second step once more
 * a minute later (nothing changed: zero A&AI requests), and for a last step
 * that deletes instances the passes deletion safety needs (DESIGN §8): an
 * empty list is held back until an operator confirms with
 * `--allow-mass-delete`, and an instance's objects go only after
 * `deleteAfterMisses` lists in a row omit it.
 */
export function demoPasses(
  scenario: Scenario,
  safety: { deleteAfterMisses: number; emptyListGuard: number } = {
    deleteAfterMisses: 2,
    emptyListGuard: 2,
  },
): DemoPass[] {
  const passes: DemoPass[] = [];
  scenario.steps.forEach((step, index) => {
    const known = STORIES[step.name];
    passes.push({
      step: index,
      title: known?.title ?? step.name,
      story: known?.story ?? "",
      laterMinutes: 0,
      allowMassDelete: false,
      heldBack: false,
    });
    if (index === 1) {
      passes.push({
        step: index,
        title: "A minute later: nothing changed",
        story:
          "Only status heartbeats (new resourceVersions) moved; nothing A&AI holds would change.",
        laterMinutes: 1,
        allowMassDelete: false,
        heldBack: false,
      });
    }
  });
  const last = scenario.steps.length - 1;
  const lastStep = scenario.steps[last]!;
  const gone = (scenario.steps[last - 1]?.instances ?? []).filter((i) =>
    !lastStep.instances.some((j) => j.id === i.id)
  );
  if (gone.length === 0) return passes;
  const { deleteAfterMisses, emptyListGuard } = safety;
  const previous = scenario.steps[last - 1]?.instances.length ?? 0;
  const confirm = lastStep.instances.length === 0 &&
    previous >= emptyListGuard;
  if (confirm) {
    passes[passes.length - 1]!.heldBack = true;
    passes[passes.length - 1]!.story +=
      ` An empty list while A&AI holds ${previous} instances looks like an outage, so sync deletes nothing and exits 1.`;
  } else {
    passes[passes.length - 1]!.story +=
      ` An instance is deleted from A&AI only after ${deleteAfterMisses} successful lists in a row omit it.`;
  }
  // A held-back pass still counts its miss, so the operator's one
  // --allow-mass-delete run deletes once the misses are reached.
  for (let miss = 2; miss <= deleteAfterMisses; miss++) {
    passes.push({
      step: last,
      title: confirm && miss === 2
        ? "The operator confirms: sync --allow-mass-delete"
        : `Next pass: still gone`,
      story: confirm && miss === 2
        ? "Having checked that the instance is really gone, an operator reruns sync with --allow-mass-delete once."
        : "",
      laterMinutes: miss - 1,
      allowMassDelete: confirm,
      heldBack: false,
    });
  }
  return passes;
}

/** Makes sync's reason readable: `apps/v1/Deployment/ns/web` becomes `Deployment/web`. */
export function readableWhy(why: string): string {
  const key =
    /(?:[a-z0-9.-]+)?\/v[0-9a-z]+\/([A-Za-z]+)\/[a-z0-9.-]*\/([a-z0-9.-]+)/g;
  const created = /^new ([A-Za-z]+) (\S+) \(([^/]+)\/([^)]+)\)$/.exec(why);
  if (created) {
    return `create ${created[2]!.replace(key, "$1/$2")} (${created[3]}, ${
      created[4]
    })`;
  }
  return why.replace(key, "$1/$2");
}

/** One A&AI request as the demo prints it. */
export interface DemoRequest {
  /** HTTP method. */
  method: string;
  /** Path under `/aai/{version}`, shortened for reading. */
  path: string;
  /** HTTP status, absent when the attempt got no response. */
  status: number | undefined;
  /** Why the request was sent. */
  why: string;
}

/** The A&AI path of an exchange's URL (without origin and `/aai/{v}`). */
function aaiPathOf(url: string): string {
  const { pathname, search } = new URL(url);
  return decodeURIComponent(pathname.replace(/^\/aai\/[^/]+/, "")) +
    decodeURIComponent(search);
}

/** Explains each A&AI exchange of a pass with the reason sync reported for it. */
export function explainRequests(
  exchanges: AaiExchange[],
  report: RunReport,
): DemoRequest[] {
  const reasons = new Map<string, string>();
  for (const op of report.operations) {
    reasons.set(`${op.method} ${decodeURIComponent(op.path)}`, op.why);
  }
  const written = new Set(
    exchanges.filter((e) => e.method === "PATCH" || e.method === "PUT").map(
      (e) =>
        aaiPathOf(e.url).split("?")[0]!.replace(/\/relationship-list\/.*$/, ""),
    ),
  );
  const deleted = new Set(
    exchanges.filter((e) => e.method === "DELETE").map((e) =>
      aaiPathOf(e.url).split("?")[0]
    ),
  );
  return exchanges.map((exchange) => {
    const full = aaiPathOf(exchange.url);
    const path = full.split("?")[0]!;
    let why = reasons.get(`${exchange.method} ${path}`) ??
      reasons.get(`${exchange.method} ${full}`);
    if (!why && exchange.method === "GET") {
      if (path.startsWith("/nodes/vf-modules")) {
        why = "find the vf-module whose heat-stack-id is the instance id";
      } else if (path.endsWith("/tenants")) {
        why = "find the cloud region's tenant";
      } else if (deleted.has(path)) {
        why = "read the current resource-version before deleting";
      } else if (written.has(path)) {
        why = "pre-write guard: owner and identity A&AI holds now";
      } else {
        why = "read what A&AI holds";
      }
    }
    return {
      method: exchange.method,
      path: shortPath(full),
      status: exchange.status,
      why: readableWhy(why ?? ""),
    };
  });
}

/** Bold, and the verdict colours, only on a terminal without NO_COLOR. */
function paint(format: Parameters<typeof styleText>[0], text: string): string {
  return styleText(format, text);
}

/** A verdict coloured like `check` does. */
function verdict(text: string): string {
  return paint(
    text === "Ready" ? "green" : text === "Pending" ? "yellow" : "red",
    text,
  );
}

/** The verdict lines of one instance: all resources the first time, then only changes. */
export function verdictLines(
  before: CheckView | undefined,
  after: CheckView,
): string[] {
  const lines: string[] = [];
  const rollupChange = before && before.verdict !== after.verdict
    ? `${verdict(before.verdict)} → ${verdict(after.verdict)}`
    : verdict(after.verdict);
  lines.push(
    `${after.instance.id}: ${rollupChange} (${after.reason})`,
  );
  const width = Math.max(
    ...after.resources.map((r) => `${kindLabel(r)}/${r.name}`.length),
  );
  const old = new Map(
    (before?.resources ?? []).map((r) => [`${kindLabel(r)}/${r.name}`, r]),
  );
  const rows: [string, string, string][] = [];
  for (const r of after.resources) {
    const name = `${kindLabel(r)}/${r.name}`;
    const was = old.get(name);
    if (was && was.verdict === r.verdict && was.reason === r.reason) continue;
    const change = was
      ? `${verdict(was.verdict)} → ${verdict(r.verdict)}`
      : verdict(r.verdict);
    const reason = r.verdict === "Ready"
      ? r.reason
      : `${r.reason}: ${r.message}`;
    rows.push([name, change, reason]);
  }
  const changeWidth = Math.max(
    0,
    ...rows.map(([, change]) => stripVTControlCharacters(change).length),
  );
  for (const [name, change, reason] of rows) {
    const pad = changeWidth - stripVTControlCharacters(change).length;
    lines.push(
      `  ${name.padEnd(width)}  ${change}${" ".repeat(pad)}  ${reason}`,
    );
  }
  const changes = rows.length;
  if (before && changes === 0) lines.push("  no verdict changed");
  return lines;
}

/** Where the demo writes (tests capture it). */
export interface DemoOptions {
  /** Receives each output line (default: stdout). */
  out?: (line: string) => void;
  /** Another scenario than the demo's (tests). */
  scenario?: Scenario;
  /** Overrides the config's `emptyListGuard` (tests show the guard with 1). */
  emptyListGuard?: number;
  /** Also run the second scenario, next to SO's CNF adapter (default true). */
  so?: boolean;
}

/** The A&AI sim's k8s-resource objects (for the closing line). */
function k8sResourceCount(aai: AaiSim): number {
  let count = 0;
  for (const path of aai.state.objects.keys()) {
    if (/\/k8s-resources\/k8s-resource\/[^/]+$/.test(path)) count++;
  }
  return count;
}

/**
 * Runs the whole demo and returns the exit code (0 unless a pass failed in
 * a way the scenario does not intend).
 */
export async function runDemo(options: DemoOptions = {}): Promise<number> {
  const out = options.out ?? ((line: string) => console.log(line));
  const scenario = options.scenario ?? await loadScenario(DEMO_SCENARIO_URL);
  // The region's cluster, reached through the kubeconfig k8splugin's
  // connectivity-info hands out (`enrich: true`): the rules get its
  // ReplicaSets, Nodes and StorageClasses as context.
  await using kubeSim = await startKube({ scenario });
  await using k8sSim = startK8splugin({
    scenario,
    kubeconfigFor: (region) => simKubeconfig(region, kubeSim.url),
  });
  await using aaiSim = await startAai({ seed: scenario.aai ?? {} });
  const stateDir = await Deno.makeTempDir({ prefix: "k8s-aai-sync-demo-" });
  const config: Config = makeConfig({
    k8splugin: { url: k8sSim.url },
    aai: { url: aaiSim.url },
    snapshot: `${stateDir}/snapshot.json`,
    enrich: true,
    ...(options.emptyListGuard === undefined
      ? {}
      : { emptyListGuard: options.emptyListGuard }),
  });
  // The clients `sync` and `check` build from this config (tasks/_peers.ts).
  const exchanges: AaiExchange[] = [];
  const k8splugin = k8spluginClientFrom(config);
  const aai = aaiClientFrom(config, (exchange) => exchanges.push(exchange));
  // `check`'s view of each instance; its A&AI reads are not part of the story.
  const quietAai = aaiClientFrom(config);
  await using kube = await kubeClientsFrom(config, k8splugin, config.source);
  function kubeFor(region: string) {
    return kube?.get(region);
  }
  let code: ExitCode = EXIT.OK;
  try {
    const first = scenario.steps[0]?.instances[0];
    out(paint("bold", "k8s-aai-sync demo"));
    out(
      `Simulators in this process: k8splugin ${k8sSim.url} · A&AI ${aaiSim.url} · Kubernetes API ${kubeSim.url}`,
    );
    if (first) {
      out(
        `Instance ${first.id}: Resource Bundle ${first.request["rb-name"]} ${
          first.request["rb-version"]
        }, profile ${first.request["profile-name"]}, region ${
          first.request["cloud-region"]
        }, namespace ${first.namespace}.`,
      );
    }
    out(
      "Each step changes what the cluster shows; then one real sync pass runs over HTTP:",
    );
    out(
      "k8splugin → readiness rules (Ready | Pending | Failed) → A&AI k8s-resource objects.",
    );
    out(
      "Shown per pass: the verdicts that changed, then every A&AI request (method, path, status, why).",
    );
    const passes = demoPasses(scenario, config);
    const views = new Map<string, CheckView>();
    const misses = new Map<string, number>();
    let total = 0;
    let shown = false;
    for (const [n, pass] of passes.entries()) {
      const step = scenario.steps[pass.step]!;
      k8sSim.state.setStep(pass.step);
      kubeSim.state.setStep(pass.step);
      const now = new Date(
        Date.parse(step.now) + pass.laterMinutes * 60_000,
      );
      out("");
      out(paint(
        "bold",
        `── Pass ${n + 1}/${passes.length} · step "${step.name}" · ${
          now.toISOString().replace(".000Z", "Z")
        } · ${pass.title}`,
      ));
      if (pass.story) out(pass.story);
      exchanges.length = 0;
      const report = await runSync({
        k8splugin,
        aai,
        kube: kubeFor,
        now: () => now,
      }, {
        config,
        allowMassDelete: pass.allowMassDelete,
      });
      // What k8splugin shows now, judged by the rules (as `check` would).
      const present = new Set(step.instances.map((i) => i.id));
      for (const instance of step.instances) {
        try {
          const plan = await planInstance(instance.id, {
            k8splugin,
            aai: quietAai,
            kube: kubeFor,
            now: () => now,
          }, { config });
          const view = toView(plan, now, false);
          for (const line of verdictLines(views.get(instance.id), view)) {
            out(line);
          }
          views.set(instance.id, view);
          misses.delete(instance.id);
        } catch (error) {
          out(`${instance.id}: cannot be read (${describeError(error)})`);
        }
      }
      for (const id of views.keys()) {
        if (present.has(id)) continue;
        // A held-back pass (empty list) deletes nothing but counts its miss.
        const count = (misses.get(id) ?? 0) + 1;
        misses.set(id, count);
        out(
          report.deletesHeld > 0 || report.errors.length > 0
            ? `${id}: gone from k8splugin's list, but the list is empty: deletion held back (miss ${count} of ${config.deleteAfterMisses})`
            : count < config.deleteAfterMisses
            ? `${id}: gone from k8splugin's list (miss ${count} of ${config.deleteAfterMisses}): its A&AI objects are kept for now`
            : `${id}: gone from k8splugin's list ${count} times in a row: its A&AI objects are deleted`,
        );
        if (count >= config.deleteAfterMisses) {
          views.delete(id);
          misses.delete(id);
        }
      }
      for (const warning of report.warnings) out(`note: ${warning}`);
      for (const error of report.errors) out(`sync says: ${error}`);
      const requests = explainRequests(exchanges, report);
      total += requests.length;
      if (requests.length === 0) {
        out(
          paint("bold", "A&AI: 0 requests") +
            " — nothing A&AI holds changed, so nothing is sent.",
        );
      } else {
        out(paint("bold", `A&AI: ${requests.length} request(s)`));
        const width = Math.max(...requests.map((r) => r.path.length));
        for (const r of requests) {
          out(
            `  ${r.method.padEnd(6)} ${r.path.padEnd(width)}  ${
              r.status ?? "---"
            }  ${r.why}`,
          );
        }
      }
      // Once, show where readiness lands: the labels of an object just written.
      const written = shown
        ? undefined
        : exchanges.findLast((e) => e.method === "PUT" && e.status === 201);
      if (written) {
        const held = aaiSim.state.get(
          new URL(written.url).pathname.replace(/^\/aai\/[^/]+/, ""),
        );
        if (held) {
          shown = true;
          out(`What A&AI now holds for ${held.kind}/${held.name} (labels):`);
          const labels = Array.isArray(held.labels) ? held.labels : [];
          out(`  ${labels.join("  ")}`);
        }
      }
      // A held-back pass exits 1 on purpose; anything else is a bug.
      if (report.exitCode !== 0 && !pass.heldBack) code = EXIT.FAILED;
    }
    out("");
    out(paint("bold", "Done."));
    out(
      `${passes.length} passes, ${total} A&AI requests in all; A&AI now holds ${
        k8sResourceCount(aaiSim)
      } k8s-resource object(s).`,
    );
    out(
      "A&AI heard only about changes: a PUT per new resource, a PATCH per changed verdict,",
    );
    out(
      "nothing on an unchanged pass, and DELETEs only once the instance stayed gone.",
    );
    if (options.so ?? !options.scenario) {
      const ok = await runSoDemo({
        out,
        bold: (text) => paint("bold", text),
        scenario,
      });
      if (!ok) code = EXIT.FAILED;
    }
    out("");
    out(
      "Next: README.md (configuration, deployment), `deno task check --help`, `deno task sync --help`.",
    );
  } finally {
    k8splugin.close();
    aai.close();
    quietAai.close();
    await Deno.remove(stateDir, { recursive: true });
  }
  return code;
}

/** The command line: no arguments besides `--help` and `--version`. */
function command(out: (text: string) => void, err: (text: string) => void) {
  return new Command("deno task demo")
    .description(
      "Start the k8splugin, A&AI and Kubernetes API simulators in-process on the demo scenario and run real sync passes against them, printing what is sent to A&AI and why.",
    )
    .version(versionText(), "--version", "print the version and exit")
    .addHelpText(
      "after",
      "\nExit codes:\n  0  the demo ran\n  1  a pass failed in a way the scenario does not intend\n  2  usage error",
    )
    .exitOverride()
    .configureOutput({
      writeOut: (text) => out(text.replace(/\n$/, "")),
      writeErr: (text) => err(text.replace(/\n$/, "")),
    });
}

/**
 * Runs `deno task demo` with its arguments: `--help` and `--version` print
 * and return 0 before any simulator starts; a bad argument returns 2.
 */
export async function main(
  args: string[],
  options: DemoOptions & { err?: (line: string) => void } = {},
): Promise<number> {
  const out = options.out ?? ((line: string) => console.log(line));
  const err = options.err ?? ((line: string) => console.error(line));
  try {
    command(out, err).parse(args, { from: "user" });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  }
  const { err: _err, ...demo } = options;
  return await runDemo(demo);
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
