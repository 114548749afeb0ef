/**
 * Settled instances (sync/settled.ts): an instance whose status document,
 * cluster context and config are unchanged since a pass that published all
 * it asked for is neither parsed nor evaluated again, until a grace period
 * it waits on runs out or an hour passes. End to end through the simulators;
 * the key itself through `readInstances` with fake peers.
 */
import assert from "node:assert/strict";
import type {
  InstanceSummary,
  K8spluginClient,
  ResourceStatus,
  StatusBody,
} from "../../adapters/k8splugin.ts";
import type { KubeSource } from "../../adapters/kube.ts";
import { runSync, type SyncDeps } from "../../sync/mod.ts";
import { readInstances } from "../../sync/source.ts";
import {
  SETTLED_MAX_AGE_MS,
  type Settlement,
  settlementOf,
} from "../../sync/settled.ts";
import {
  deployment,
  expectedPath,
  healthy,
  instance,
  k8sResources,
  pod,
  readiness,
  scenario,
  service,
  VF,
  world,
} from "./_scenario.ts";

const VF2 = { vnfId: "vnf-1", vfModuleId: "vfm-2", heatStackId: "app-2" };

/** `deps` whose k8splugin counts the status documents parsed. */
function countingParses(deps: SyncDeps): { deps: SyncDeps; parsed: string[] } {
  const parsed: string[] = [];
  const k8splugin = deps.k8splugin;
  return {
    parsed,
    deps: {
      ...deps,
      k8splugin: {
        listInstances: (filter) => k8splugin.listInstances(filter),
        getInstance: (id) => k8splugin.getInstance(id),
        getStatus: (id) => k8splugin.getStatus(id),
        async getStatusBody(id): Promise<StatusBody> {
          const body = await k8splugin.getStatusBody(id);
          return {
            digest: body.digest,
            parse() {
              parsed.push(id);
              return body.parse();
            },
          };
        },
        query: (id, query) => k8splugin.query(id, query),
        getConnectivityInfo: (region) => k8splugin.getConnectivityInfo(region),
      },
    },
  };
}

/** A healthy instance whose container restarted at `finishedAt`. */
function restarted(id: string, finishedAt: string): Record<string, unknown> {
  const p = pod(id, `${id}-web`, "aaaaa") as {
    status: { containerStatuses: Record<string, unknown>[] };
  };
  p.status.containerStatuses[0] = {
    ...p.status.containerStatuses[0],
    restartCount: 1,
    lastState: {
      terminated: {
        exitCode: 1,
        reason: "Error",
        startedAt: "2026-11-25T09:50:00Z",
        finishedAt,
      },
    },
  };
  return instance(id, [service(`${id}-web`), deployment(`${id}-web`), p]);
}

Deno.test("runSync() neither parses nor evaluates an unchanged settled instance, and reports the same verdicts", async () => {
  await using w = await world(
    scenario([[healthy("app-1"), healthy("app-2")], [
      healthy("app-1"),
      instance("app-2", [
        service("app-2-web"),
        deployment("app-2-web"),
        pod("app-2", "app-2-web", "aaaaa", "crash", "101"),
      ]),
    ]], [VF, VF2]),
  );
  const { deps, parsed } = countingParses(w.deps);
  const cold = await runSync(deps, { config: w.config });
  assert.equal(cold.exitCode, 0);
  assert.deepEqual(parsed.sort(), ["app-1", "app-2"]);
  assert.equal(cold.instances.unchanged, 0);

  parsed.length = 0;
  w.aai.state.resetCounts();
  const steady = await runSync(deps, { config: w.config });
  assert.equal(steady.exitCode, 0);
  assert.deepEqual(parsed, [], "no document parsed");
  assert.equal(steady.instances.unchanged, 2);
  assert.equal(steady.instances.synced, 2);
  assert.deepEqual(steady.resources, cold.resources);
  assert.equal(w.aai.state.counts.total, 0);

  // app-2's pod starts crash-looping: only app-2 is read in full.
  w.setStep(1);
  const changed = await runSync(deps, { config: w.config });
  assert.equal(changed.exitCode, 0);
  assert.deepEqual(parsed, ["app-2"]);
  assert.equal(changed.instances.unchanged, 1);
  const podPath =
    expectedPath("app-2", "Pod", "", "v1", "app-2-web-5d8f7c6b9-aaaaa").path;
  assert.deepEqual(readiness(k8sResources(w).get(podPath)), {
    verdict: "Failed",
    reason: "CrashLoopBackOff",
  });
});

Deno.test("runSync() judges an unchanged document again when a grace period it waits on runs out", async () => {
  // Restarted 10:00:00 - 30 s; stable (restartStabilityMs 60 s) from 10:00:30.
  await using w = await world(
    scenario([[restarted("app-1", "2026-11-25T09:59:30Z")]], [VF]),
  );
  const podPath =
    expectedPath("app-1", "Pod", "", "v1", "app-1-web-5d8f7c6b9-aaaaa").path;
  await runSync(w.at("2026-11-25T10:00:00Z"), { config: w.config });
  assert.deepEqual(readiness(k8sResources(w).get(podPath)), {
    verdict: "Pending",
    reason: "RecentlyRestarted",
  });
  const before = await runSync(w.at("2026-11-25T10:00:29Z"), {
    config: w.config,
  });
  assert.equal(before.instances.unchanged, 1, "still within the period");
  const after = await runSync(w.at("2026-11-25T10:00:30Z"), {
    config: w.config,
  });
  assert.equal(after.instances.unchanged, 0);
  assert.deepEqual(readiness(k8sResources(w).get(podPath)), {
    verdict: "Ready",
    reason: "Running",
  });
});

Deno.test("runSync() retries a held delete though the document has not changed", async () => {
  await using w = await world(
    scenario([[healthy("app-1")], [
      instance("app-1", [
        deployment("app-1-web"),
        pod("app-1", "app-1-web", "aaaaa"),
      ]),
    ]], [VF]),
    { maxDeletesPerRun: 0 },
  );
  await runSync(w.deps, { config: w.config });
  const service = expectedPath("app-1", "Service", "", "v1", "app-1-web").path;
  assert.ok(k8sResources(w).has(service));
  w.setStep(1);
  const held = await runSync(w.deps, { config: w.config });
  assert.equal(held.deletesHeld, 1);
  assert.ok(k8sResources(w).has(service));
  const allowed = await runSync(w.deps, {
    config: w.config,
    allowMassDelete: true,
  });
  assert.equal(allowed.exitCode, 0, allowed.errors.join("\n"));
  assert.equal(allowed.instances.unchanged, 0);
  assert.ok(!k8sResources(w).has(service), "the Service is deleted");
});

Deno.test("runSync() judges a settled instance afresh after an hour, and when the clock was set back", async () => {
  await using w = await world(scenario([[healthy("app-1")]], [VF]));
  const start = Date.parse("2026-11-25T10:00:00Z");
  const at = (ms: number): SyncDeps => ({
    ...w.deps,
    now: () => new Date(ms),
  });
  const unchanged = async (ms: number) =>
    (await runSync(at(ms), { config: w.config })).instances.unchanged;
  assert.equal(await unchanged(start), 0);
  assert.equal(await unchanged(start + SETTLED_MAX_AGE_MS - 1), 1);
  assert.equal(await unchanged(start + SETTLED_MAX_AGE_MS), 0);
  assert.equal(await unchanged(start + SETTLED_MAX_AGE_MS + 1), 1);
  assert.equal(await unchanged(start), 0, "clock set back");
});

Deno.test("settlementOf() holds until the earliest recheck time, at most an hour, and counts verdicts", () => {
  const now = Date.parse("2026-11-25T10:00:00Z");
  const soon: Settlement = settlementOf(
    "k",
    ["Ready", "Pending", "Ready"],
    now,
    now + 30_000,
  );
  assert.equal(soon.until, "2026-11-25T10:00:30.000Z");
  assert.deepEqual(soon.verdicts, { Ready: 2, Pending: 1, Failed: 0 });
  assert.equal(
    settlementOf("k", [], now, now + 2 * SETTLED_MAX_AGE_MS).until,
    new Date(now + SETTLED_MAX_AGE_MS).toISOString(),
  );
  assert.equal(
    settlementOf("k", ["Failed"], now).until,
    new Date(now + SETTLED_MAX_AGE_MS).toISOString(),
  );
});

/** Keys `readInstances` gives one instance with this document, context and salt. */
async function keyOf(
  document: string,
  related: Record<string, unknown>[],
  salt: string,
): Promise<string | undefined> {
  const summary: InstanceSummary = {
    id: "app-1",
    cloudRegion: "r1",
    namespace: "ns",
    releaseName: "app-1",
  } as InstanceSummary;
  const k8splugin = {
    getStatusBody: (): Promise<StatusBody> =>
      Promise.resolve({
        digest: document,
        parse: () => ({
          ready: true,
          resourceCount: 0,
          resources: [] as ResourceStatus[],
        }),
      }),
  } as unknown as K8spluginClient;
  const kube = {
    related: () => Promise.resolve(related),
  } as unknown as KubeSource;
  let key: string | undefined;
  await readInstances([summary], {
    k8splugin,
    kubeFor: () => kube,
    source: "k8splugin",
    concurrency: 1,
    now: new Date("2026-11-25T10:00:00Z"),
    ruleOptions: {},
    keySalt: salt,
    isSettled: (_summary, k) => {
      key = k;
      return false;
    },
    onRead: () => {},
  });
  return key;
}

Deno.test("readInstances() keys a read by its document, its cluster context and the salt", async () => {
  const node = (ready: string) => ({
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: "node-1" },
    status: { conditions: [{ type: "Ready", status: ready }] },
  });
  const rs = (ns: string) => ({
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: {
      name: "web-1",
      namespace: ns,
      labels: { "k8splugin.io/rb-instance-id": "app-1" },
    },
  });
  const base = await keyOf("doc-a", [node("True"), rs("ns")], "salt");
  assert.ok(base);
  assert.equal(await keyOf("doc-a", [node("True"), rs("ns")], "salt"), base);
  for (
    const [why, key] of [
      ["document", await keyOf("doc-b", [node("True"), rs("ns")], "salt")],
      [
        "cluster object",
        await keyOf("doc-a", [node("False"), rs("ns")], "salt"),
      ],
      ["instance object", await keyOf("doc-a", [node("True")], "salt")],
      ["salt", await keyOf("doc-a", [node("True"), rs("ns")], "pepper")],
    ] as const
  ) {
    assert.notEqual(key, base, `a different ${why} gives a different key`);
  }
});

Deno.test("runSync() leaves the snapshot file alone on a pass that changed nothing, and writes the next change", async () => {
  await using w = await world(
    scenario([[healthy("app-1")], [], []], [VF]),
  );
  await runSync(w.deps, { config: w.config });
  const written = await Deno.readTextFile(w.config.snapshot);
  const { mtime } = await Deno.stat(w.config.snapshot);
  const steady = await runSync(w.deps, { config: w.config });
  assert.equal(steady.instances.unchanged, 1);
  assert.equal(await Deno.readTextFile(w.config.snapshot), written);
  assert.deepEqual((await Deno.stat(w.config.snapshot)).mtime, mtime);
  // Missing from the list: the miss must reach the file.
  w.setStep(1);
  await runSync(w.deps, { config: w.config });
  const missed = JSON.parse(await Deno.readTextFile(w.config.snapshot));
  assert.equal(missed.instances["app-1"].misses, 1);
});
