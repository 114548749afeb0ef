/**
 * The Kubernetes form builds offline with `kubectl kustomize` (issue 15): the
 * base and the region shards, each shard with its own state, lock and
 * regions, all in one namespace with one image.
 */
import assert from "node:assert/strict";
import { parse as parseYaml, parseAllDocuments } from "yaml";

const ROOT = new URL("../../", import.meta.url);

// deno-lint-ignore no-explicit-any
type Doc = any;

/** `kubectl kustomize DIR` → documents; undefined when kubectl is missing. */
async function build(dir: string): Promise<Doc[] | undefined> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("kubectl", {
      args: ["kustomize", dir],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return parseAllDocuments(new TextDecoder().decode(out.stdout)).map((d) =>
    d.toJS()
  );
}

const KUBECTL = await build("deploy/kubernetes/base").then(
  (docs) => docs !== undefined,
  () => false,
);

function container(cronJob: Doc): Doc {
  return cronJob.spec.jobTemplate.spec.template.spec.containers[0];
}

Deno.test({
  name:
    "kubectl kustomize builds the base: one namespace, the image, the daily verify",
  ignore: !KUBECTL, // no kubectl on PATH: the YAML test below still runs
  async fn() {
    const docs = (await build("deploy/kubernetes/base"))!;
    const base = parseYaml(
      await Deno.readTextFile(
        new URL("deploy/kubernetes/base/kustomization.yaml", ROOT),
      ),
    );
    for (const doc of docs) {
      assert.equal(doc.metadata.namespace, base.namespace, doc.metadata.name);
    }
    const cronJobs = docs.filter((d) => d.kind === "CronJob");
    assert.equal(cronJobs.length, 1);
    assert.equal(
      container(cronJobs[0]).image,
      `${base.images[0].newName}:${base.images[0].newTag}`,
    );
    assert.ok(container(cronJobs[0]).args.includes("--verify-every"));
  },
});

Deno.test({
  name:
    "kubectl kustomize builds the region shards: a CronJob, claim and ConfigMap each, regions split",
  ignore: !KUBECTL,
  async fn() {
    const docs = (await build("deploy/kubernetes/shards"))!;
    const cronJobs = docs.filter((d) => d.kind === "CronJob");
    assert.ok(cronJobs.length >= 2);
    const claims = new Set<string>();
    const regions = new Map<string, string>();
    for (const cronJob of cronJobs) {
      const pod = cronJob.spec.jobTemplate.spec.template.spec;
      const args: string[] = container(cronJob).args;
      const own = args.flatMap((a, i) =>
        a === "--region" ? [args[i + 1]!] : []
      );
      assert.ok(own.length > 0, `${cronJob.metadata.name} has --region`);
      for (const region of own) {
        assert.ok(!regions.has(region), `region ${region} in one shard only`);
        regions.set(region, cronJob.metadata.name);
      }
      const claim = pod.volumes.find((v: Doc) => v.name === "state")
        .persistentVolumeClaim.claimName;
      assert.ok(!claims.has(claim), `${claim} is one shard's state`);
      claims.add(claim);
      assert.ok(
        docs.some((d) =>
          d.kind === "PersistentVolumeClaim" && d.metadata.name === claim
        ),
      );
      const configMap = pod.volumes.find((v: Doc) => v.name === "config")
        .configMap.name;
      assert.ok(
        docs.some((d) =>
          d.kind === "ConfigMap" && d.metadata.name === configMap
        ),
      );
      assert.equal(cronJob.spec.concurrencyPolicy, "Forbid");
    }
  },
});

Deno.test("the shard overlays are Kustomizations over the base (checked without kubectl)", async () => {
  const shards = parseYaml(
    await Deno.readTextFile(
      new URL("deploy/kubernetes/shards/kustomization.yaml", ROOT),
    ),
  );
  assert.ok(shards.resources.length >= 2);
  const suffixes = new Set<string>();
  for (const shard of shards.resources as string[]) {
    const k = parseYaml(
      await Deno.readTextFile(
        new URL(`deploy/kubernetes/shards/${shard}/kustomization.yaml`, ROOT),
      ),
    );
    assert.deepEqual(k.resources, ["../../base"]);
    assert.ok(k.nameSuffix && !suffixes.has(k.nameSuffix));
    suffixes.add(k.nameSuffix);
    const patch = k.patches[0];
    assert.equal(patch.target.kind, "CronJob");
    assert.match(patch.patch, /value: --region/);
  }
});
