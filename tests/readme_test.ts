/**
 * The README's promises, checked: every `deno task X` exists, every flag it
 * (and deploy/) uses is in that task's `--help`, the quick-start commands are
 * the pinned ones, the demo runs, the simulator walkthrough runs as written,
 * configuration examples load with the real `loadConfig`, the CRD rule example
 * works, and relative links point at files.
 */
import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { evaluate, type Rule } from "../rules/mod.ts";
import { ENV_KEYS, loadConfig } from "../sync/mod.ts";

const ROOT = new URL("../", import.meta.url);
const README = await Deno.readTextFile(new URL("README.md", ROOT));
const DENO_JSON = JSON.parse(
  await Deno.readTextFile(new URL("deno.json", ROOT)),
) as { tasks: Record<string, string> };

/** Fenced code blocks: language and body. */
function codeBlocks(markdown: string): { lang: string; body: string }[] {
  const blocks: { lang: string; body: string }[] = [];
  const fence = /^( *)```(\w*)\n([\s\S]*?)^\1```$/gm;
  for (const match of markdown.matchAll(fence)) {
    const indent = match[1]!.length;
    const body = match[3]!.split("\n").map((line) => line.slice(indent))
      .join("\n");
    blocks.push({ lang: match[2]!, body });
  }
  return blocks;
}

/** Shell command lines of `sh` blocks, comments and trailing `&` removed. */
function shellLines(markdown: string): string[] {
  return codeBlocks(markdown).filter((b) => b.lang === "sh").flatMap((b) =>
    b.body.split("\n")
  ).map((line) => line.replace(/\s+#.*$/, "").replace(/\s*&$/, "").trim())
    .filter((line) => line && !line.startsWith("#"));
}

/** `deno task NAME args…` invocations found in a text (flags included). */
function taskInvocations(text: string): { task: string; args: string[] }[] {
  const found: { task: string; args: string[] }[] = [];
  for (
    const match of text.matchAll(
      /(?:npx --yes deno@[\d.]+|deno) task ([a-z][\w-]*)((?: +[^\s`#&|;)]+)*)/g,
    )
  ) {
    found.push({ task: match[1]!, args: match[2]!.trim().split(/\s+/) });
  }
  return found;
}

/** `deno run …` arguments of a deno.json task, with the real deno binary. */
function taskCommand(name: string): string[] {
  const command = DENO_JSON.tasks[name];
  assert.ok(command, `deno.json has no task "${name}"`);
  const [deno, ...args] = command.split(/\s+/);
  assert.equal(deno, "deno");
  return args;
}

/** Runs a deno.json task directly (no `deno task` wrapper), capturing output. */
async function runTask(
  name: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [...taskCommand(name), ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
  };
}

const DEPLOY_FILES = [
  "deploy/crontab",
  "deploy/k8s-aai-sync.service",
  "deploy/Dockerfile",
  "deploy/kubernetes/base/cronjob.yaml",
  "deploy/k8s-aai-sync-watch.service",
  "deploy/kubernetes/deployment.yaml",
];

Deno.test("README's quick start is the two pinned npx commands CI uses", async () => {
  const quick = README.slice(
    README.indexOf("## Quick start"),
    README.indexOf("\n## ", README.indexOf("## Quick start") + 5),
  );
  const lines = shellLines(quick);
  assert.deepEqual(lines, [
    "npx --yes deno@2.9.6 task demo",
    "npx --yes deno@2.9.6 task test",
  ]);
  const ci = await Deno.readTextFile(new URL(".ci/run", ROOT));
  assert.ok(
    ci.includes("npx --yes deno@2.9.6 task test"),
    ".ci/run runs the README's test command",
  );
});

Deno.test("every `deno task X` in the README and deploy/ exists in deno.json", async () => {
  const texts = [README];
  for (const file of DEPLOY_FILES) {
    texts.push(await Deno.readTextFile(new URL(file, ROOT)));
  }
  const tasks = new Set(texts.flatMap(taskInvocations).map((i) => i.task));
  for (const expected of ["demo", "test", "sync", "check", "sim"]) {
    assert.ok(tasks.has(expected), `the README mentions deno task ${expected}`);
  }
  for (const task of tasks) {
    assert.ok(task in DENO_JSON.tasks, `deno.json has task "${task}"`);
  }
});

Deno.test("every flag the README and deploy/ pass to sync, check and sim is in their --help", async () => {
  const uses = new Map<string, Set<string>>();
  function note(task: string, args: string[]) {
    const flags = args.filter((a) => /^--?[a-z]/.test(a)).map((a) =>
      a.split("=")[0]!
    );
    if (!uses.has(task)) uses.set(task, new Set());
    for (const flag of flags) uses.get(task)!.add(flag);
  }
  for (const { task, args } of taskInvocations(README)) note(task, args);
  // The options table of the `check` section.
  const checkStart = README.indexOf("## `deno task check`");
  const checkSection = README.slice(
    checkStart,
    README.indexOf("\n## ", checkStart + 5),
  );
  const optionRows = checkSection.split("\n").filter((l) =>
    l.startsWith("| `")
  );
  note("check", optionRows.join("\n").match(/--[a-z][\w-]*/g) ?? []);
  for (const file of DEPLOY_FILES) {
    const text = await Deno.readTextFile(new URL(file, ROOT));
    for (const { task, args } of taskInvocations(text)) note(task, args);
    // Direct `tasks/sync.ts …` invocations (systemd, Dockerfile, CronJob args).
    for (
      const match of text.matchAll(
        /tasks\/sync\.ts([^\n]*)/g,
      )
    ) {
      note("sync", match[1]!.match(/--[a-z][\w-]*/g) ?? []);
    }
    for (const match of text.matchAll(/(?:args|CMD)[:\s]*\[([^\]]*)\]/g)) {
      note("sync", match[1]!.match(/--[a-z][\w-]*/g) ?? []);
    }
  }
  for (const task of ["sync", "check", "sim"]) {
    assert.ok(uses.get(task)?.size, `the README uses flags of ${task}`);
  }
  for (const [task, flags] of uses) {
    if (flags.size === 0) continue;
    const help = await runTask(task, ["--help"]);
    assert.equal(help.code, 0, `${task} --help exits 0: ${help.stderr}`);
    for (const flag of flags) {
      assert.ok(
        help.stdout.includes(flag),
        `deno task ${task} --help mentions ${flag}`,
      );
    }
  }
});

Deno.test("`deno task demo` runs with no configuration and exits 0", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "demo"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    clearEnv: false,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  assert.match(stdout, /Pending → Ready/);
  assert.match(stdout, /Ready → Failed \(CrashLoopBackOff\)/);
  assert.match(stdout, /A&AI: 0 requests/);
  assert.match(stdout, /DELETE /);
  // The excerpt the README quotes is what the demo prints.
  const excerpt = codeBlocks(README).find((b) =>
    b.lang === "text" && b.body.startsWith("── Pass ")
  );
  assert.ok(excerpt, "the README quotes the demo");
  for (const line of excerpt.body.split("\n").filter(Boolean)) {
    assert.ok(stdout.includes(line), `the demo prints: ${line}`);
  }
});

Deno.test("the README's simulator walkthrough works as written", async () => {
  const section = README.slice(
    README.indexOf("## Try it against the simulators"),
    README.indexOf(
      "\n## ",
      README.indexOf("## Try it against the simulators") + 5,
    ),
  );
  const lines = shellLines(section);
  const starts = lines.filter((l) => l.startsWith("deno task sim "));
  assert.equal(starts.length, 2);
  const state = await Deno.makeTempDir({ prefix: "readme-test-" });
  const children: Deno.ChildProcess[] = [];
  const urls = new Map<string, string>();
  try {
    for (const line of starts) {
      const args = line.split(/\s+/).slice(3);
      const port = args.indexOf("--port");
      if (port >= 0) args[port + 1] = "0"; // any free port instead of the README's
      const child = new Deno.Command(Deno.execPath(), {
        args: [...taskCommand("sim"), ...args],
        cwd: ROOT,
        stdin: "null",
        stdout: "piped",
        stderr: "null",
      }).spawn();
      children.push(child);
      const reader = child.stdout.pipeThrough(new TextDecoderStream())
        .getReader();
      let text = "";
      while (!text.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      await reader.cancel();
      urls.set(args[0]!, text.split("\n")[0]!.trim());
    }
    const exported = lines.find((l) => l.startsWith("export "));
    assert.ok(exported);
    const env: Record<string, string> = {
      K8S_AAI_SYNC_SNAPSHOT: `${state}/snapshot.json`,
    };
    for (const pair of exported.slice("export ".length).split(/\s+/)) {
      const [key, value] = pair.split("=") as [string, string];
      const port = new URL(value).port;
      // The README's fixed ports, mapped to the ones the simulators got.
      const sim = port === "9015" ? "k8splugin" : "aai";
      env[key] = urls.get(sim)!;
    }
    const commands = lines.filter((l) =>
      l.startsWith("deno task sync") || l.startsWith("deno task check")
    );
    assert.equal(commands.length, 4);
    const results = [];
    for (const line of commands) {
      const [, , task, ...args] = line.split(/\s+/);
      results.push({ line, ...(await runTask(task!, args, env)) });
    }
    const [dryRun, first, second, check] = results as [
      (typeof results)[0],
      (typeof results)[0],
      (typeof results)[0],
      (typeof results)[0],
    ];
    assert.equal(dryRun.code, 0, dryRun.stderr);
    assert.match(dryRun.stdout, /dry-run sync/);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /writes 5 create/);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /writes 0 create, 0 update, 0 delete/);
    assert.ok([0, 3, 4].includes(check.code), check.stderr);
    assert.match(check.stdout, /A&AI holds 5 k8s-resource object\(s\)/);
    assert.match(check.stdout, /would send A&AI nothing/);
  } finally {
    for (const child of children) {
      child.kill("SIGTERM");
      await child.status;
    }
    await Deno.remove(state, { recursive: true });
  }
});

Deno.test("configuration examples load with the real loadConfig", async () => {
  const dir = await Deno.makeTempDir({ prefix: "readme-config-" });
  try {
    const password = `${dir}/password`;
    await Deno.writeTextFile(password, "secret\n");
    const examples: { name: string; text: string }[] = codeBlocks(README)
      .filter((b) =>
        b.lang === "yaml" && /config\.yaml/.test(b.body.split("\n")[0]!)
      )
      .map((b) => ({ name: "README", text: b.body }));
    assert.ok(examples.length >= 1, "the README shows a config file");
    examples.push({
      name: "deploy/config.example.yaml",
      text: await Deno.readTextFile(
        new URL("deploy/config.example.yaml", ROOT),
      ),
    });
    const cronjob = await Deno.readTextFile(
      new URL("deploy/kubernetes/base/cronjob.yaml", ROOT),
    );
    const configMap = cronjob.split(/^---$/m).map((d) =>
      parseYaml(d) as Record<string, unknown> | null
    )
      .find((d) => d?.kind === "ConfigMap") as { data: Record<string, string> };
    examples.push({
      name: "cronjob.yaml ConfigMap",
      text: configMap.data["config.yaml"]!,
    });
    for (const [i, example] of examples.entries()) {
      const file = `${dir}/config-${i}.yaml`;
      await Deno.writeTextFile(file, example.text);
      const config = await loadConfig(file, { AAI_PASSWORD_FILE: password });
      assert.equal(config.aai.password, "secret", example.name);
      assert.ok(config.k8splugin.url.startsWith("http"), example.name);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the README documents every environment variable and config key", async () => {
  for (const name of [...Object.keys(ENV_KEYS), "K8S_AAI_SYNC_CONFIG"]) {
    assert.ok(README.includes(`\`${name}\``), `README documents ${name}`);
  }
  const example = parseYaml(
    await Deno.readTextFile(new URL("deploy/config.example.yaml", ROOT)),
  ) as Record<string, unknown>;
  const keys: string[] = [];
  function walk(prefix: string, value: unknown) {
    if (prefix === "regions") {
      keys.push("regions.<r>.cloudOwner");
      return;
    }
    if (value && typeof value === "object" && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) {
        walk(prefix ? `${prefix}.${k}` : k, v);
      }
    } else keys.push(prefix);
  }
  walk("", example);
  for (const key of keys) {
    assert.ok(
      README.includes(`\`${key}\``),
      `README's configuration table has ${key}`,
    );
  }
});

Deno.test("the README's CRD rule example works on its fixture", async () => {
  const blocks = codeBlocks(README);
  const rule = blocks.find((b) =>
    b.lang === "ts" && b.body.startsWith("// rules/backup.ts")
  );
  const fixture = blocks.find((b) =>
    b.lang === "yaml" && b.body.includes("fixtures/rules/velero.io/Backup/")
  );
  assert.ok(rule && fixture);
  const rules = new URL("rules/", ROOT).href;
  const source = rule.body.replaceAll(
    /from "\.\/([\w.]+)"/g,
    (_m, file) => `from "${rules}${file}"`,
  );
  const dir = await Deno.makeTempDir({ prefix: "readme-rule-" });
  try {
    const file = `${dir}/backup.ts`;
    await Deno.writeTextFile(file, source);
    const { backupRule } = await import(`file://${file}`);
    const doc = parseYaml(fixture.body) as {
      now: string;
      object: Record<string, unknown>;
      expect: { verdict: string; reason: string; message: string };
    };
    // Through the whole pipeline (preamble, registry lookup), as registered.
    const rules = new Map<string, Rule>([["velero.io/Backup", backupRule]]);
    const context = { now: new Date(doc.now), rules };
    const result = evaluate(doc.object, context);
    assert.equal(result.verdict, doc.expect.verdict);
    assert.equal(result.reason, doc.expect.reason);
    assert.ok(result.message.includes(doc.expect.message));
    const done = evaluate(
      { ...doc.object, status: { phase: "Completed" } },
      context,
    );
    assert.equal(done.verdict, "Ready");
    const running = evaluate({
      ...doc.object,
      status: { phase: "InProgress" },
    }, context);
    assert.equal(running.verdict, "Pending");
    const fresh = evaluate({ ...doc.object, status: undefined }, context);
    assert.equal(fresh.reason, "NoStatus");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the README's relative links point at files in the repository", async () => {
  for (const match of README.matchAll(/\]\((?!https?:|#)([^)\s]+)\)/g)) {
    const target = match[1]!;
    const stat = await Deno.stat(new URL(target, ROOT)).catch(() => undefined);
    assert.ok(stat, `README links to ${target}, which exists`);
  }
});

Deno.test("the deployment examples keep their safety settings", async () => {
  const service = await Deno.readTextFile(
    new URL("deploy/k8s-aai-sync.service", ROOT),
  );
  for (
    const directive of [
      "Type=oneshot",
      "StateDirectory=k8s-aai-sync",
      "DynamicUser=yes",
      "NoNewPrivileges=yes",
      "ProtectSystem=strict",
      "ProtectHome=yes",
      "PrivateTmp=yes",
      "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
      "CapabilityBoundingSet=\n",
      "SystemCallFilter=@system-service",
      "LoadCredential=aai-password:",
      "Environment=AAI_PASSWORD_FILE=%d/aai-password",
      "--cached-only",
    ]
  ) {
    assert.ok(
      service.includes(directive),
      `the service has ${directive.trim()}`,
    );
  }
  assert.doesNotMatch(
    service,
    /^MemoryDenyWriteExecute=yes/m,
    "V8's JIT needs W+X",
  );
  const timer = await Deno.readTextFile(
    new URL("deploy/k8s-aai-sync.timer", ROOT),
  );
  assert.match(timer, /^Unit=k8s-aai-sync\.service$/m);
  assert.match(timer, /^WantedBy=timers\.target$/m);

  interface Container {
    env: {
      name: string;
      value?: string;
      valueFrom?: { secretKeyRef?: unknown };
    }[];
    volumeMounts: { mountPath: string }[];
    securityContext: {
      readOnlyRootFilesystem?: boolean;
      allowPrivilegeEscalation?: boolean;
      capabilities?: { drop?: string[] };
    };
  }
  interface Manifest {
    kind: string;
    spec: {
      concurrencyPolicy?: string;
      jobTemplate: {
        spec: {
          template: {
            spec: {
              securityContext: { runAsNonRoot?: boolean };
              containers: Container[];
            };
          };
        };
      };
    };
  }
  const text = await Deno.readTextFile(
    new URL("deploy/kubernetes/base/cronjob.yaml", ROOT),
  );
  const docs = text.split(/^---$/m).map((d) => parseYaml(d))
    .filter(Boolean) as Manifest[];
  const cronJob = docs.find((d) => d.kind === "CronJob")!;
  assert.equal(cronJob.spec.concurrencyPolicy, "Forbid");
  const pod = cronJob.spec.jobTemplate.spec.template.spec;
  assert.equal(pod.securityContext.runAsNonRoot, true);
  const container = pod.containers[0]!;
  assert.equal(container.securityContext.readOnlyRootFilesystem, true);
  assert.equal(container.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(container.securityContext.capabilities?.drop, ["ALL"]);
  const env = new Map(container.env.map((e) => [e.name, e]));
  assert.ok(
    env.get("AAI_USERNAME")?.valueFrom?.secretKeyRef,
    "the user comes from a Secret",
  );
  assert.equal(
    env.get("AAI_PASSWORD"),
    undefined,
    "no password in the manifest",
  );
  const mounts = new Set(container.volumeMounts.map((m) => m.mountPath));
  assert.ok(
    mounts.has("/var/lib/k8s-aai-sync"),
    "the snapshot directory is a volume",
  );
  const passwordFile = env.get("AAI_PASSWORD_FILE")?.value ?? "";
  assert.ok(
    [...mounts].some((m) => passwordFile.startsWith(`${m}/`)),
    "the password file is mounted",
  );
  assert.ok(docs.some((d) => d.kind === "PersistentVolumeClaim"));
});

Deno.test("the README's `check` example is what check prints", async () => {
  const example = codeBlocks(README).find((b) =>
    b.lang === "text" && b.body.startsWith("$ deno task check ")
  );
  assert.ok(example, "the README shows a check example");
  const [command, ...expected] = example.body.trimEnd().split("\n");
  const args = command!.replace(/\s+#.*$/, "").split(/\s+/).slice(4);
  const step = Number(/--step (\d+)/.exec(command!)?.[1] ?? "0");
  const { loadScenario, DEMO_SCENARIO_URL, startAai, startK8splugin } =
    await import("../sim/mod.ts");
  const { main } = await import("../tasks/check.ts");
  const scenario = await loadScenario(DEMO_SCENARIO_URL);
  await using k8splugin = startK8splugin({ scenario, step });
  await using aai = await startAai({ seed: scenario.aai ?? {} });
  let out = "";
  await main(args, {
    out: (text) => (out += text + "\n"),
    err: () => {},
    env: {
      K8SPLUGIN_URL: k8splugin.url,
      AAI_URL: aai.url,
      K8S_AAI_SYNC_SNAPSHOT: "/nonexistent/snapshot.json",
    },
    isTerminal: false,
  });
  assert.equal(out.trimEnd(), expected.join("\n"));
});

Deno.test("the README's A&AI object example is what a pass writes", async () => {
  const block = codeBlocks(README).find((b) =>
    b.lang === "json" && b.body.includes("k8s-aai-sync/readiness=")
  );
  assert.ok(block, "the README shows a k8s-resource");
  const example = JSON.parse(block.body) as Record<string, unknown>;
  const { loadScenario, DEMO_SCENARIO_URL, startAai, startK8splugin } =
    await import("../sim/mod.ts");
  const { HttpAaiClient, HttpK8spluginClient } = await import(
    "../adapters/mod.ts"
  );
  const { makeConfig, runSync } = await import("../sync/mod.ts");
  const scenario = await loadScenario(DEMO_SCENARIO_URL);
  const step = scenario.steps.findIndex((s) => s.name === "crash-loop");
  await using k8sSim = startK8splugin({ scenario, step });
  await using aaiSim = await startAai({ seed: scenario.aai ?? {} });
  const dir = await Deno.makeTempDir({ prefix: "readme-aai-" });
  const k8splugin = new HttpK8spluginClient({ baseUrl: k8sSim.url });
  const aai = new HttpAaiClient({ baseUrl: aaiSim.url });
  try {
    const config = makeConfig({
      // The k8splugin URL as deployed in ONAP, as the example's selflink shows.
      k8splugin: { url: "http://multicloud-k8s:9015" },
      aai: { url: aaiSim.url },
      snapshot: `${dir}/snapshot.json`,
    });
    const now = new Date(scenario.steps[step]!.now);
    await runSync({ k8splugin, aai, now: () => now }, { config });
    const path = [...aaiSim.state.objects.keys()].find((p) =>
      p.endsWith(`/k8s-resource/${example.id}`)
    );
    assert.ok(path, "A&AI holds the example's id");
    const actual = (await aai.get(path))!;
    for (const [key, value] of Object.entries(example)) {
      if (key === "resource-version") continue; // A&AI's clock
      if (key === "relationship-list") {
        const edges = (list: unknown) =>
          (list as { relationship: Record<string, unknown>[] }).relationship
            .map((
              r,
            ) => [r["related-to"], r["relationship-label"], r["related-link"]]);
        assert.deepEqual(edges(actual[key]), edges(value));
        continue;
      }
      assert.deepEqual(actual[key], value, key);
    }
  } finally {
    k8splugin.close();
    aai.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the README's inline code never spans lines", () => {
  let inBlock = false;
  README.split("\n").forEach((line, i) => {
    if (line.trim().startsWith("```")) inBlock = !inBlock;
    else if (!inBlock) {
      assert.equal(line.split("`").length % 2, 1, `line ${i + 1}: ${line}`);
    }
  });
});
