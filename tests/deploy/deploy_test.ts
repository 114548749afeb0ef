/**
 * The deploy forms agree with each other and with the README (issue 15):
 * one Deno path, the daily drift repair in every form, one image name and
 * namespace, shards that build, a logrotate rule for the crontab's log.
 */
import assert from "node:assert/strict";
import { parse as parseYaml, parseAllDocuments } from "yaml";

const ROOT = new URL("../../", import.meta.url);
const README = await Deno.readTextFile(new URL("README.md", ROOT));

async function read(path: string): Promise<string> {
  return await Deno.readTextFile(new URL(path, ROOT));
}

/** The README's `npm install -g --prefix P deno@…` line, and the binary it makes. */
function installedDeno(): { line: string; binary: string } {
  const line = README.split("\n").find((l) =>
    /npm install -g .*deno@\d/.test(l)
  );
  assert.ok(line, "the README installs Deno with npm");
  const prefix = /--prefix (\S+)/.exec(line)?.[1];
  assert.ok(
    prefix,
    "the README pins npm's prefix: `npm prefix -g` differs between hosts (/usr, /usr/local)",
  );
  return { line, binary: `${prefix}/bin/deno` };
}

/** The crontab's command lines (5 time fields, then the command). */
async function crontabCommands(): Promise<string[]> {
  return (await read("deploy/crontab")).split("\n")
    .filter((l) => /^[\d*]/.test(l))
    .map((l) => l.split(/\s+/).slice(5).join(" "));
}

/** The service's ExecStart= with continuation lines joined. */
export async function execStart(): Promise<string> {
  const unit = await read("deploy/k8s-aai-sync.service");
  const joined = unit.replace(/\\\n/g, " ");
  const line = joined.split("\n").find((l) => l.startsWith("ExecStart="));
  assert.ok(line);
  return line.slice("ExecStart=".length).replace(/\s+/g, " ").trim();
}

Deno.test("deploy: the crontab and the systemd unit run the Deno the README installs", async () => {
  const { binary } = installedDeno();
  assert.equal(binary, "/usr/local/bin/deno");
  for (const command of [...await crontabCommands(), await execStart()]) {
    assert.equal(command.split(" ")[0], binary, command);
  }
  for (
    const file of ["deploy/crontab", "deploy/k8s-aai-sync.service", "README.md"]
  ) {
    for (
      const match of (await read(file)).matchAll(/\/[\w./-]*\/bin\/deno\b/g)
    ) {
      assert.equal(match[0], binary, `${file}: ${match[0]}`);
    }
  }
});

Deno.test("deploy: every form repairs drift daily within its normal pass (no second job to lose the lock)", async () => {
  const commands = await crontabCommands();
  assert.equal(commands.length, 1, "one crontab line: the verify rides on it");
  assert.match(commands[0]!, / --verify-every 24h /);
  assert.match(await execStart(), / --verify-every 24h /);
  const cronJob = parseAllDocuments(
    await read("deploy/kubernetes/base/cronjob.yaml"),
  )
    .map((d) => d.toJS()).find((d) => d?.kind === "CronJob");
  const args: string[] = cronJob.spec.jobTemplate.spec.template.spec
    .containers[0].args;
  assert.deepEqual(
    args.slice(
      args.indexOf("--verify-every"),
      args.indexOf("--verify-every") + 2,
    ),
    ["--verify-every", "24h"],
  );
  assert.match(
    await read("deploy/Dockerfile"),
    /CMD \[.*"--verify-every", "24h"/,
  );
});

Deno.test("deploy: the logrotate rule rotates the file the crontab appends to, as its user", async () => {
  const log = /\s>>(\S+)/.exec((await crontabCommands())[0]!)?.[1];
  assert.ok(log);
  const rule = await read("deploy/logrotate.conf");
  assert.ok(rule.includes(`${log} {`), `logrotate.conf rotates ${log}`);
  assert.match(rule, /^\s+su k8s-aai-sync k8s-aai-sync$/m);
  assert.match(rule, /^\s+create 0600 k8s-aai-sync k8s-aai-sync$/m);
  assert.doesNotMatch(
    rule.split("\n").filter((l) => !l.startsWith("#")).join("\n"),
    /copytruncate/,
  );
  assert.match(README, /deploy\/logrotate\.conf/);
});

Deno.test("deploy: the image holds no simulators and no test-only packages", async () => {
  const dockerfile = await read("deploy/Dockerfile");
  const copies = dockerfile.split("\n").filter((l) => l.startsWith("COPY "));
  for (const copy of copies) {
    assert.doesNotMatch(
      copy,
      /\bsim\b|\bbench\b|demo\.ts|\btests\b|fixtures/,
      copy,
    );
  }
  const testOnly = ["fast-check", "@sinonjs/fake-timers"];
  for (const dir of ["adapters", "rules", "sync", "tasks"]) {
    for await (const entry of Deno.readDir(new URL(`${dir}/`, ROOT))) {
      if (!entry.name.endsWith(".ts")) continue;
      const text = await read(`${dir}/${entry.name}`);
      for (const name of testOnly) {
        assert.ok(
          !text.includes(`from "${name}`),
          `${dir}/${entry.name} imports ${name}`,
        );
      }
    }
  }
  for (const name of testOnly) {
    assert.ok(
      dockerfile.includes(`"${name}"`),
      `the Dockerfile drops the test-only package ${name}`,
    );
  }
});

Deno.test("deploy: README, Dockerfile and manifests name one image and one namespace", async () => {
  const kustomization = parseYaml(
    await read("deploy/kubernetes/base/kustomization.yaml"),
  ) as {
    namespace: string;
    images: { name: string; newName: string; newTag: string }[];
  };
  const image = `${kustomization.images[0]!.newName}:${
    kustomization.images[0]!.newTag
  }`;
  const version = JSON.parse(await read("deno.json")).version;
  assert.equal(
    kustomization.images[0]!.newTag,
    version,
    "the tag is the version",
  );
  assert.ok(README.includes(`-t ${image} `), `the README builds ${image}`);
  assert.ok((await read("deploy/Dockerfile")).includes(`-t ${image} `));
  const namespace = kustomization.namespace;
  // The Kubernetes form's commands (rbac.yaml is applied to each region's
  // cluster and names its own namespace).
  const start = README.indexOf("### Kubernetes CronJob");
  const kubectl = README.slice(start, README.indexOf("### Monitoring", start))
    .split("\n").filter((l) => /^\s*kubectl /.test(l));
  assert.ok(kubectl.length > 0);
  for (const line of kubectl) {
    assert.ok(
      line.includes(`-n ${namespace}`) || / (apply -k|kustomize) /.test(line) ||
        line.includes(`create namespace ${namespace}`),
      `README: ${line.trim()} names the namespace`,
    );
  }
  const rbac = parseAllDocuments(await read("deploy/rbac.yaml")).map((d) =>
    d.toJS()
  );
  assert.equal(
    rbac.find((d) => d?.kind === "ServiceAccount").metadata.namespace,
    namespace,
  );
});

Deno.test("user-facing text cites no issue numbers and no files outside the repository", async () => {
  const offenders: string[] = [];
  for (const dir of ["adapters", "bench", "rules", "sim", "sync", "tasks"]) {
    for await (const entry of Deno.readDir(new URL(`${dir}/`, ROOT))) {
      if (!entry.name.endsWith(".ts")) continue;
      const lines = (await read(`${dir}/${entry.name}`)).split("\n");
      lines.forEach((line, i) => {
        const code = line.trim();
        if (/^(\*|\/\/|\/\*\*)/.test(code)) return; // comments may link issues
        const strings = code.match(/(["'`])(?:\\.|(?!\1).)*\1/g) ?? [];
        for (const text of strings) {
          const cites =
            /issue #\d|\(#\d+\)|#\d+\)|reference\/\w+\.md|DESIGN\.md|STYLE\.md/
              .exec(text);
          if (cites) offenders.push(`${dir}/${entry.name}:${i + 1}: ${text}`);
        }
      });
    }
  }
  assert.deepEqual(offenders, []);
});

Deno.test("config.example.yaml says what the code does when no tenant is configured", async () => {
  const example = await read("deploy/config.example.yaml");
  const line = example.split("\n").find((l) => l.includes("tenantId:"))!;
  assert.match(line, /the region's only tenant in A&AI/);
  assert.match(line, /none or several/);
  // The code: several tenants is an error naming them, not a silent first pick.
  assert.match(
    await read("sync/placement.ts"),
    /has \$\{tenants\.length\} tenants/,
  );
});
