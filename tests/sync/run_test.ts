import assert from "node:assert/strict";
import { HttpAaiClient, HttpK8spluginClient } from "../../adapters/mod.ts";
import {
  fingerprintOf,
  planInstance,
  type RunReport,
  runSync,
} from "../../sync/mod.ts";
import {
  deployment,
  expectedPath,
  healthy,
  instance,
  K8S_RESOURCES_URL,
  k8sResources,
  NS,
  pod,
  readiness,
  scenario,
  service,
  VF,
  world,
} from "./_scenario.ts";

Deno.test("runSync() first run creates every resource with the right ids, labels and edges; the second sends nothing", async () => {
  await using w = await world(
    scenario([[healthy("app-1"), healthy("app-2")]], [VF]),
  );
  const first = await runSync(w.deps, { config: w.config });
  assert.equal(first.exitCode, 0);
  const objects = k8sResources(w);
  assert.equal(objects.size, 6);
  const dep = expectedPath("app-1", "Deployment", "apps", "v1", "app-1-web");
  const body = objects.get(dep.path);
  assert.ok(body, "the Deployment of app-1 is in A&AI");
  assert.equal(body.id, dep.id);
  assert.equal(body.name, "app-1-web");
  assert.equal(body.group, "apps");
  assert.equal(body.version, "v1");
  assert.equal(body.kind, "Deployment");
  assert.equal(body.namespace, NS);
  assert.equal(body["data-owner"], "k8s-aai-sync");
  assert.equal(body["data-source"], "K8sPlugin");
  assert.equal(body["data-source-version"], "200");
  assert.deepEqual(body.labels, [
    "app=app-1-web",
    "k8s-aai-sync/readiness=Ready",
    `k8s-aai-sync/reason=${readiness(body).reason}`,
    "k8splugin.io/rb-instance-id=app-1",
    "release=r",
  ]);
  assert.equal(
    body.selflink,
    `${w.k8s.url}/v1/instance/app-1/query?ApiVersion=apps%2Fv1&Kind=Deployment&Name=app-1-web&Namespace=${NS}`,
  );
  const links = (body["relationship-list"] as {
    relationship: { "related-link": string }[];
  }).relationship
    .map((r) => r["related-link"].replace(/^\/aai\/v\d+/, "")).sort();
  assert.deepEqual(links, [
    "/network/generic-vnfs/generic-vnf/vnf-1",
    "/network/generic-vnfs/generic-vnf/vnf-1/vf-modules/vf-module/vfm-1",
  ]);
  // Every object of both instances, field by field (ids by node:crypto).
  const expected = [
    ["Service", "", "web", "ClusterIP", "300", ["app=ID-web"]],
    ["Deployment", "apps", "web", "Available", "200", [
      "app=ID-web",
      "release=r",
    ]],
    ["Pod", "", "web-5d8f7c6b9-aaaaa", "Running", "100", [
      "app=ID-web",
      "pod-template-hash=5d8f7c6b9",
    ]],
  ] as const;
  for (const id of ["app-1", "app-2"]) {
    for (const [kind, group, suffix, reason, rv, labels] of expected) {
      const name = `${id}-${suffix}`;
      const { path, id: objectId } = expectedPath(id, kind, group, "v1", name);
      const actual = { ...objects.get(path) };
      assert.ok(objects.has(path), `${kind} ${name} published`);
      delete actual["resource-version"];
      delete actual["relationship-list"];
      assert.deepEqual(actual, {
        id: objectId,
        name,
        group,
        version: "v1",
        kind,
        namespace: NS,
        labels: [
          ...labels.map((l) => l.replace("ID", id)),
          "k8s-aai-sync/readiness=Ready",
          `k8s-aai-sync/reason=${reason}`,
          `k8splugin.io/rb-instance-id=${id}`,
        ].sort(),
        selflink: `${w.k8s.url}/v1/instance/${id}/query?ApiVersion=${
          group ? `${group}%2Fv1` : "v1"
        }&Kind=${kind}&Name=${name}&Namespace=${NS}`,
        "data-owner": "k8s-aai-sync",
        "data-source": "K8sPlugin",
        "data-source-version": rv,
      });
      const edges = objects.get(path)!["relationship-list"];
      assert.equal(
        edges !== undefined,
        id === "app-1",
        "edges only where A&AI has a vf-module",
      );
    }
  }
  assert.ok(
    first.operations.every((o) =>
      /^[0-9a-f-]{36}$/.test(o.transactionId ?? "")
    ),
  );
  w.aai.state.resetCounts();
  const second = await runSync(w.deps, { config: w.config });
  assert.equal(second.exitCode, 0);
  assert.equal(w.aai.state.counts.total, 0, "no A&AI request at all");
  assert.deepEqual(second.operations, []);
});

Deno.test("runSync() sends exactly one PATCH per object whose verdict changed when a pod starts crash-looping", async () => {
  const crashing = instance("app-1", [
    service("app-1-web"),
    deployment("app-1-web"),
    pod("app-1", "app-1-web", "aaaaa", "crash", "101"),
  ]);
  await using w = await world(
    scenario([[healthy("app-1"), healthy("app-2")], [
      crashing,
      healthy("app-2"),
    ]], [VF]),
  );
  assert.equal((await runSync(w.deps, { config: w.config })).exitCode, 0);
  const before = k8sResources(w);
  w.k8s.state.setStep(1);
  w.aai.state.resetCounts();
  const report = await runSync(w.deps, { config: w.config });
  assert.equal(report.exitCode, 0);
  const after = k8sResources(w);
  const changed = [...after].filter(([path, o]) =>
    JSON.stringify(readiness(o)) !== JSON.stringify(readiness(before.get(path)))
  ).map(([path]) => path);
  const podPath =
    expectedPath("app-1", "Pod", "", "v1", "app-1-web-5d8f7c6b9-aaaaa").path;
  assert.ok(changed.includes(podPath));
  assert.deepEqual(readiness(after.get(podPath)), {
    verdict: "Failed",
    reason: "CrashLoopBackOff",
  });
  assert.equal(after.get(podPath)!["data-source-version"], "101");
  assert.equal(
    w.aai.state.counts.byMethod.PATCH,
    changed.length,
    "one PATCH per changed object",
  );
  // Each PATCH is preceded by the pre-write guard's GET (A&AI's PATCH is
  // not resource-version checked, so the owner and identity A&AI holds now
  // are read first).
  assert.equal(w.aai.state.counts.byMethod.GET, changed.length, "guard reads");
  assert.equal(w.aai.state.counts.total, 2 * changed.length, "nothing else");
});

Deno.test("runSync() sends nothing for a heartbeat that only moves resourceVersion", async () => {
  await using w = await world(
    scenario([[healthy("app-1", "aaaaa", "100")], [
      healthy("app-1", "aaaaa", "555"),
    ]], [VF]),
  );
  await runSync(w.deps, { config: w.config });
  w.k8s.state.setStep(1);
  w.aai.state.resetCounts();
  const report = await runSync(w.deps, { config: w.config });
  assert.equal(report.exitCode, 0);
  assert.equal(w.aai.state.counts.total, 0);
});

Deno.test("runSync() deletes replaced pods and creates the new ones in the same run", async () => {
  await using w = await world(
    scenario([[healthy("app-1", "aaaaa")], [healthy("app-1", "bbbbb")]], [VF]),
  );
  await runSync(w.deps, { config: w.config });
  w.k8s.state.setStep(1);
  const report = await runSync(w.deps, { config: w.config });
  assert.equal(report.exitCode, 0);
  const objects = k8sResources(w);
  assert.equal(objects.size, 3);
  assert.ok(
    !objects.has(
      expectedPath("app-1", "Pod", "", "v1", "app-1-web-5d8f7c6b9-aaaaa").path,
    ),
  );
  const fresh = objects.get(
    expectedPath("app-1", "Pod", "", "v1", "app-1-web-5d8f7c6b9-bbbbb").path,
  );
  assert.equal(readiness(fresh).verdict, "Ready");
  assert.deepEqual([
    report.writes.create,
    report.writes.delete,
    report.writes.update,
  ], [1, 1, 0]);
});

Deno.test("runSync() deletes a vanished instance only after deleteAfterMisses successful lists", async () => {
  await using w = await world(
    scenario([[healthy("app-1"), healthy("app-2")], [healthy("app-2")]], [VF]),
  );
  await runSync(w.deps, { config: w.config });
  assert.equal(k8sResources(w).size, 6);
  w.k8s.state.setStep(1);
  const miss1 = await runSync(w.deps, { config: w.config });
  assert.equal(miss1.exitCode, 0);
  assert.equal(k8sResources(w).size, 6, "first miss keeps everything");
  const miss2 = await runSync(w.deps, { config: w.config });
  assert.equal(miss2.exitCode, 0);
  assert.equal(miss2.writes.delete, 3);
  const left = [...k8sResources(w).values()].map((o) => o.name).sort();
  assert.deepEqual(left, [
    "app-2-web",
    "app-2-web",
    "app-2-web-5d8f7c6b9-aaaaa",
  ]);
  w.aai.state.resetCounts();
  await runSync(w.deps, { config: w.config });
  assert.equal(w.aai.state.counts.total, 0, "settled");
});

Deno.test("runSync() deletes nothing and exits 1 when k8splugin suddenly lists no instance", async () => {
  await using w = await world(
    scenario([[healthy("app-1"), healthy("app-2")], []], [VF]),
  );
  await runSync(w.deps, { config: w.config });
  w.k8s.state.setStep(1);
  for (let i = 0; i < 3; i++) {
    const report = await runSync(w.deps, { config: w.config });
    assert.equal(report.exitCode, 1);
    assert.match(report.errors.join("\n"), /listed no instances/);
  }
  assert.equal(k8sResources(w).size, 6);
  const forced = await runSync(w.deps, {
    config: w.config,
    allowMassDelete: true,
  });
  assert.equal(forced.exitCode, 0);
  // The held passes counted their misses: one forced run deletes (14.14).
  assert.equal(k8sResources(w).size, 0, "deleted by the one forced run");
});

Deno.test("runSync() holds back all deletes above maxDeletesPerRun and exits 1", async () => {
  await using w = await world(
    scenario([[healthy("app-1"), healthy("app-2")], [healthy("app-2")]], [VF]),
    { maxDeletesPerRun: 2 },
  );
  await runSync(w.deps, { config: w.config });
  w.k8s.state.setStep(1);
  await runSync(w.deps, { config: w.config });
  const held = await runSync(w.deps, { config: w.config });
  assert.equal(held.exitCode, 1);
  assert.equal(held.deletesHeld, 3);
  assert.equal(k8sResources(w).size, 6);
  const allowed = await runSync(w.deps, {
    config: w.config,
    allowMassDelete: true,
  });
  assert.equal(allowed.exitCode, 0);
  assert.equal(k8sResources(w).size, 3);
});

Deno.test("runSync() never deletes for a status error and reports only that instance", async () => {
  const broken = instance("app-1", [service("app-1-web")], {
    statusError: "Unable to find Profile instance status",
  });
  await using w = await world(
    scenario(
      [[healthy("app-1"), healthy("app-2")], [broken, healthy("app-2")]],
      [VF],
    ),
  );
  await runSync(w.deps, { config: w.config });
  w.k8s.state.setStep(1);
  for (let i = 0; i < 3; i++) {
    const report = await runSync(w.deps, { config: w.config });
    assert.equal(report.exitCode, 1);
    assert.deepEqual(report.instances.unknown, ["app-1"]);
    assert.equal(report.instances.synced, 1);
  }
  assert.equal(k8sResources(w).size, 6);
});

Deno.test("runSync() reports an instance with malformed status JSON and syncs all others", async () => {
  await using w = await world(
    scenario([[healthy("app-1"), healthy("app-2"), healthy("app-3")]], [VF]),
  );
  w.k8s.state.faults = { malformedRate: 1, match: "/v1/instance/app-2/status" };
  const report = await runSync(w.deps, { config: w.config });
  assert.equal(report.exitCode, 1);
  assert.deepEqual(report.instances.failed.map((f) => f.id), ["app-2"]);
  assert.match(report.instances.failed[0]!.error, /app-2/);
  const names = new Set(
    [...k8sResources(w).values()].map((o) => String(o.name).split("-web")[0]),
  );
  assert.deepEqual([...names].sort(), ["app-1", "app-3"]);
  w.k8s.state.faults = undefined;
  const next = await runSync(w.deps, { config: w.config });
  assert.equal(next.exitCode, 0);
  assert.equal(k8sResources(w).size, 9);
});

Deno.test("runSync() converges after A&AI answered 503 for a while", async () => {
  await using w = await world(
    scenario([[healthy("app-1"), healthy("app-2"), healthy("app-3")]], [VF]),
  );
  w.aai.state.faults = {
    errorRates: { 503: 1 },
    match: K8S_RESOURCES_URL,
  };
  const failed = await runSync(w.deps, { config: w.config });
  // A&AI answered 503 (after the retries) to every write: unavailable, 75.
  assert.equal(failed.exitCode, 75);
  assert.equal(k8sResources(w).size, 0);
  w.aai.state.faults = undefined;
  const ok = await runSync(w.deps, { config: w.config });
  assert.equal(ok.exitCode, 0);
  // Same documents as the failed pass: not settled then, so judged again.
  assert.equal(ok.instances.unchanged, 0);
  const objects = k8sResources(w);
  assert.equal(objects.size, 9);
  for (const id of ["app-1", "app-2", "app-3"]) {
    assert.ok(
      objects.has(
        expectedPath(id, "Deployment", "apps", "v1", `${id}-web`).path,
      ),
    );
    assert.ok(
      objects.has(expectedPath(id, "Service", "", "v1", `${id}-web`).path),
    );
    assert.ok(
      objects.has(
        expectedPath(id, "Pod", "", "v1", `${id}-web-5d8f7c6b9-aaaaa`).path,
      ),
    );
  }
  w.aai.state.resetCounts();
  await runSync(w.deps, { config: w.config });
  assert.equal(w.aai.state.counts.total, 0);
});

Deno.test("runSync() moves a corrupt snapshot aside and rebuilds it from A&AI without duplicates", async () => {
  await using w = await world(
    scenario([[healthy("app-1"), healthy("app-2")]], [VF]),
  );
  await runSync(w.deps, { config: w.config });
  await Deno.writeTextFile(w.config.snapshot, '{"schema":1,"objects":{"x"');
  w.aai.state.resetCounts();
  const report = await runSync(w.deps, { config: w.config });
  assert.equal(report.exitCode, 0);
  assert.ok(
    report.snapshotMovedAside?.startsWith(`${w.config.snapshot}.corrupt-`),
  );
  assert.equal(
    await Deno.readTextFile(report.snapshotMovedAside!),
    '{"schema":1,"objects":{"x"',
  );
  assert.equal(
    w.aai.state.counts.byMethod.PUT + w.aai.state.counts.byMethod.PATCH +
      w.aai.state.counts.byMethod.DELETE,
    0,
    "nothing rewritten",
  );
  assert.equal(k8sResources(w).size, 6);
  w.aai.state.resetCounts();
  await runSync(w.deps, { config: w.config });
  assert.equal(w.aai.state.counts.total, 0, "the rebuilt snapshot is complete");
});

Deno.test("runSync() leaves an object owned by CnfAdapter alone with a warning", async () => {
  await using w = await world(scenario([[healthy("app-1")]], [VF]));
  const dep = expectedPath("app-1", "Deployment", "apps", "v1", "app-1-web");
  w.aai.state.put(dep.path, {
    id: dep.id,
    name: "app-1-web",
    group: "apps",
    version: "v1",
    kind: "Deployment",
    namespace: NS,
    labels: ["app=app-1-web"],
    selflink:
      "http://so-cnf-adapter:8090/api/cnf-adapter/v1/instance/app-1/query",
    "data-owner": "CnfAdapter",
    "data-source": "K8sPlugin",
    "data-source-version": "1",
  });
  const before = structuredClone(w.aai.state.get(dep.path));
  const report = await runSync(w.deps, { config: w.config });
  assert.equal(report.exitCode, 0);
  assert.equal(report.writes.skipped, 1);
  assert.match(report.warnings.join("\n"), /CnfAdapter/);
  assert.deepEqual(w.aai.state.get(dep.path), before);
  assert.equal(k8sResources(w).size, 3);
  w.aai.state.resetCounts();
  await runSync(w.deps, { config: w.config });
  assert.equal(w.aai.state.counts.total, 0, "not retried every run");
  const taken = await runSync(w.deps, {
    config: w.config,
    verify: true,
    takeOwnership: true,
  });
  assert.equal(taken.exitCode, 0);
  assert.equal(w.aai.state.get(dep.path)!["data-owner"], "k8s-aai-sync");
});

Deno.test("runSync({verify}) repairs objects edited or deleted in A&AI", async () => {
  await using w = await world(scenario([[healthy("app-1")]], [VF]));
  await runSync(w.deps, { config: w.config });
  const dep =
    expectedPath("app-1", "Deployment", "apps", "v1", "app-1-web").path;
  const svc = expectedPath("app-1", "Service", "", "v1", "app-1-web").path;
  const edited = w.aai.state.get(dep)!;
  w.aai.state.put(dep, { ...edited, labels: ["someone=else"] });
  w.aai.state.remove(svc);
  const plain = await runSync(w.deps, { config: w.config });
  assert.deepEqual(
    plain.operations,
    [],
    "without --verify the snapshot is trusted",
  );
  const report = await runSync(w.deps, { config: w.config, verify: true });
  assert.equal(report.exitCode, 0);
  assert.deepEqual([report.writes.create, report.writes.update], [1, 1]);
  assert.equal(readiness(w.aai.state.get(dep)).verdict, "Ready");
  assert.ok(w.aai.state.get(svc));
});

Deno.test("runSync({dryRun}) plans the operations and sends nothing", async () => {
  await using w = await world(scenario([[healthy("app-1")]], [VF]));
  const report = await runSync(w.deps, { config: w.config, dryRun: true });
  assert.equal(report.operations.length, 3);
  assert.ok(report.operations.every((o) => o.method === "PUT" && o.body));
  assert.equal(w.aai.state.counts.byMethod.PUT, 0);
  await assert.rejects(
    () => Deno.stat(w.config.snapshot),
    Deno.errors.NotFound,
  );
});

Deno.test("runSync() adds the relationships once the vf-module shows up in A&AI", async () => {
  await using w = await world(scenario([[healthy("app-1")]]), {
    vfModuleRetry: 0,
  });
  await runSync(w.deps, { config: w.config });
  const dep =
    expectedPath("app-1", "Deployment", "apps", "v1", "app-1-web").path;
  assert.equal(w.aai.state.get(dep)!["relationship-list"], undefined);
  w.aai.state.put("/network/generic-vnfs/generic-vnf/vnf-9", {
    "vnf-id": "vnf-9",
    "vnf-type": "t",
    "in-maint": false,
    "is-closed-loop-disabled": false,
  });
  w.aai.state.put(
    "/network/generic-vnfs/generic-vnf/vnf-9/vf-modules/vf-module/vfm-9",
    {
      "vf-module-id": "vfm-9",
      "heat-stack-id": "app-1",
      "is-base-vf-module": true,
      "automated-assignment": false,
    },
  );
  const report = await runSync(w.deps, { config: w.config });
  assert.equal(report.exitCode, 0);
  assert.equal(report.writes.relate, 3);
  const rels =
    (w.aai.state.get(dep)!["relationship-list"] as { relationship: unknown[] })
      .relationship;
  assert.equal(rels.length, 2);
});

Deno.test("runSync() with bulk: true publishes through single transactions", async () => {
  await using w = await world(
    scenario([[healthy("app-1"), healthy("app-2")], [
      healthy("app-1", "bbbbb"),
    ]], [VF]),
    {
      aai: { url: "http://placeholder", bulk: true },
    },
  );
  w.config.aai.url = w.aai.url;
  const first = await runSync(w.deps, { config: w.config });
  assert.equal(first.exitCode, 0);
  assert.equal(k8sResources(w).size, 6);
  assert.ok(w.aai.state.counts.byMethod.POST >= 1);
  assert.equal(w.aai.state.counts.byRoute["PUT k8s-resource"] ?? 0, 0);
});

Deno.test("runSync() reports an ambiguous tenant for that region only", async () => {
  await using w = await world(scenario([[healthy("app-1")]], [VF]));
  w.aai.state.put(
    "/cloud-infrastructure/cloud-regions/cloud-region/CloudOwner/k8sregionone/tenants/tenant/tenant-2",
    { "tenant-id": "tenant-2", "tenant-name": "x" },
  );
  const report = await runSync(w.deps, { config: w.config });
  assert.equal(report.exitCode, 1);
  assert.match(
    report.instances.failed[0]!.error,
    /2 tenants .*"tenant-1", "tenant-2".*regions\.k8sregionone\.tenantId/,
  );
  assert.equal(k8sResources(w).size, 0);
});

Deno.test("runSync() limited by --instance/--region touches only that scope and never counts misses outside it", async () => {
  await using w = await world(
    scenario([[healthy("app-1"), healthy("app-2")], [healthy("app-2")]], [VF]),
  );
  const only = await runSync(w.deps, {
    config: w.config,
    instances: ["app-2"],
  });
  assert.equal(only.instances.listed, 1);
  assert.deepEqual([
    ...new Set(
      [...k8sResources(w).values()].map((o) =>
        (o.labels as string[]).find((l) => l.startsWith("k8splugin.io/"))
      ),
    ),
  ], ["k8splugin.io/rb-instance-id=app-2"]);
  await runSync(w.deps, { config: w.config });
  w.k8s.state.setStep(1);
  for (let i = 0; i < 3; i++) {
    await runSync(w.deps, { config: w.config, instances: ["app-2"] });
  }
  assert.equal(
    k8sResources(w).size,
    6,
    "app-1 is out of scope: no misses counted",
  );
  const other = await runSync(w.deps, {
    config: w.config,
    regions: ["elsewhere"],
  });
  assert.equal(other.instances.listed, 0);
  assert.equal(
    other.exitCode,
    0,
    "an empty scope is not a suspicious empty list",
  );
  assert.equal(k8sResources(w).size, 6);
});

Deno.test("runSync() reports exit code 75 when k8splugin is unreachable, touching nothing", async () => {
  await using w = await world(scenario([[healthy("app-1")]], [VF]));
  const deps = {
    ...w.deps,
    k8splugin: new HttpK8spluginClient({
      baseUrl: "http://127.0.0.1:9",
      retries: 0,
      timeoutMs: 1000,
    }),
  };
  const report = await runSync(deps, { config: w.config });
  assert.equal(report.exitCode, 75);
  assert.match(report.errors[0]!, /Cannot list instances from k8splugin/);
  assert.equal(w.aai.state.counts.total, 0);
});

Deno.test("planInstance() evaluates one instance and plans its operations without writing", async () => {
  await using w = await world(
    scenario([[healthy("app-1"), healthy("app-2")]], [VF]),
  );
  const plan = await planInstance("app-1", w.deps, { config: w.config });
  assert.equal(plan.instance.id, "app-1");
  assert.equal(plan.resources.length, 3);
  assert.equal(plan.rollup.verdict, "Ready");
  assert.deepEqual(plan.planned.map((p) => p.op), [
    "create",
    "create",
    "create",
  ]);
  assert.equal(plan.aai.length, 3);
  assert.equal(w.aai.state.counts.byMethod.PUT, 0);
  await runSync(w.deps, { config: w.config });
  const after = await planInstance("app-1", w.deps, { config: w.config });
  assert.deepEqual(after.planned, []);
  await assert.rejects(
    () => planInstance("nope", w.deps, { config: w.config }),
    /Cannot find instance "nope"/,
  );
});

Deno.test("runSync() reports exit code 75 when A&AI cannot be reached for any write, and commits nothing", async () => {
  await using w = await world(scenario([[healthy("app-1")]], [VF]), {
    regions: {
      k8sregionone: { cloudOwner: "CloudOwner", tenantId: "tenant-1" },
    },
  });
  const deps = {
    ...w.deps,
    aai: new HttpAaiClient({
      baseUrl: "http://127.0.0.1:9",
      retries: 0,
      timeoutMs: 1000,
    }),
  };
  const report = await runSync(deps, { config: w.config });
  assert.equal(report.exitCode, 75);
  assert.equal(report.errors.length, 3);
  const next = await runSync(w.deps, { config: w.config });
  assert.equal(
    next.writes.create,
    3,
    "nothing was committed, so everything is sent again",
  );
});

Deno.test("runSync() deletes the last instance after its misses (one instance is not a suspicious empty list)", async () => {
  await using w = await world(scenario([[healthy("app-1")], []], [VF]));
  await runSync(w.deps, { config: w.config });
  w.k8s.state.setStep(1);
  const first = await runSync(w.deps, { config: w.config });
  assert.equal(first.exitCode, 0);
  assert.equal(k8sResources(w).size, 3);
  const second = await runSync(w.deps, { config: w.config });
  assert.equal(second.exitCode, 0);
  assert.equal(second.writes.delete, 3);
  assert.equal(k8sResources(w).size, 0);
});

Deno.test("runSync() converges through a flaky A&AI (random 503s and resets) to exactly the expected objects", async () => {
  const ids = ["app-1", "app-2", "app-3", "app-4"];
  await using w = await world(
    scenario([
      ids.map((id) => healthy(id)),
      ids.map((id) => healthy(id, "bbbbb")),
    ], [VF]),
  );
  w.aai.state.faults = { errorRates: { 503: 0.4 }, resetRate: 0.1, seed: 7 };
  for (const step of [0, 1]) {
    w.k8s.state.setStep(step);
    let runs = 0;
    for (; runs < 20; runs++) {
      if ((await runSync(w.deps, { config: w.config })).exitCode === 0) break;
    }
    assert.ok(runs < 20, "converged");
  }
  w.aai.state.faults = undefined;
  const objects = k8sResources(w);
  const expected = new Set(ids.flatMap((id) => [
    expectedPath(id, "Service", "", "v1", `${id}-web`).path,
    expectedPath(id, "Deployment", "apps", "v1", `${id}-web`).path,
    expectedPath(id, "Pod", "", "v1", `${id}-web-5d8f7c6b9-bbbbb`).path,
  ]));
  assert.deepEqual(new Set(objects.keys()), expected);
  w.aai.state.resetCounts();
  await runSync(w.deps, { config: w.config });
  assert.equal(w.aai.state.counts.total, 0);
});

Deno.test("runSync() rebuilding a lost snapshot finds our orphans in A&AI: vanished pods go now, vanished instances after their misses", async () => {
  await using w = await world(
    scenario([[healthy("app-1"), healthy("app-2"), healthy("app-3")], [
      healthy("app-1", "bbbbb"),
      healthy("app-2"),
    ]], [VF]),
  );
  await runSync(w.deps, { config: w.config });
  // Someone else's object in the same tenant is never touched.
  const foreign = expectedPath("other", "Pod", "", "v1", "x").path;
  w.aai.state.put(foreign, {
    id: foreign.split("/").pop(),
    name: "x",
    group: "",
    version: "v1",
    kind: "Pod",
    namespace: NS,
    labels: ["k8splugin.io/rb-instance-id=app-3"],
    selflink: "s",
    "data-owner": "CnfAdapter",
  });
  await Deno.writeTextFile(w.config.snapshot, "garbage");
  w.k8s.state.setStep(1);
  const rebuilt = await runSync(w.deps, { config: w.config });
  assert.equal(rebuilt.exitCode, 0, rebuilt.errors.join("\n"));
  assert.ok(rebuilt.snapshotMovedAside);
  assert.deepEqual(
    [rebuilt.writes.create, rebuilt.writes.delete],
    [1, 1],
    "new pod created, replaced pod deleted",
  );
  assert.equal(k8sResources(w).size, 10, "app-3 kept for now (first miss)");
  const next = await runSync(w.deps, { config: w.config });
  assert.equal(next.writes.delete, 3, "app-3 deleted after its second miss");
  const left = k8sResources(w);
  assert.equal(left.size, 7);
  assert.ok(left.has(foreign));
  w.aai.state.resetCounts();
  await runSync(w.deps, { config: w.config });
  assert.equal(w.aai.state.counts.total, 0);
});

Deno.test("runSync() publishes an instance's writes while later instances are still unread", async () => {
  const ids = ["app-1", "app-2", "app-3", "app-4", "app-5", "app-6"];
  await using w = await world(
    scenario([ids.map((id) => healthy(id))], [VF]),
  );
  const config = {
    ...w.config,
    k8splugin: { ...w.config.k8splugin, concurrency: 1 },
    aai: { ...w.config.aai, concurrency: 1 },
  };
  const events: string[] = [];
  const { k8splugin, aai } = w.deps;
  const report = await runSync({
    ...w.deps,
    k8splugin: spy(
      k8splugin,
      "getStatusBody",
      (id) => events.push(`read ${id}`),
    ),
    aai: spy(aai, "put", (_path, body) => events.push(`put ${body.name}`)),
  }, { config });
  assert.equal(report.exitCode, 0);
  assert.equal(report.writes.create, 18);
  const firstPut = events.findIndex((e) => e.startsWith("put "));
  const lastRead = events.findLastIndex((e) => e.startsWith("read "));
  assert.ok(
    firstPut >= 0 && firstPut < lastRead,
    `writes start before the last read: ${events.join(", ")}`,
  );
  // With one read slot, each instance's writes land before the next read.
  assert.deepEqual(
    events.filter((e) => e.startsWith("read ")),
    ids.map((id) => `read ${id}`),
  );
});

Deno.test("runSync() with a changed owner setting writes nothing and names the old owner; --migrate-owner moves data-owner once (14.1)", async () => {
  await using w = await world(scenario([[healthy("app-1")]], [VF]));
  await runSync(w.deps, { config: w.config });
  const renamed = { ...w.config, owner: "k8s-aai-sync-2" };
  w.aai.state.resetCounts();
  const refused = await runSync(w.deps, { config: renamed });
  assert.equal(refused.exitCode, 1);
  assert.equal(w.aai.state.counts.byMethod.PATCH, 0);
  assert.equal(w.aai.state.counts.byMethod.PUT, 0);
  for (const body of k8sResources(w).values()) {
    assert.equal(body["data-owner"], "k8s-aai-sync");
  }
  assert.match(refused.errors.join("\n"), /--migrate-owner k8s-aai-sync/);
  // The explicit migration: one verify pass PATCHes data-owner.
  const migrated = await runSync(w.deps, {
    config: renamed,
    migrateOwner: "k8s-aai-sync",
  });
  assert.equal(migrated.exitCode, 0, migrated.errors.join("\n"));
  assert.equal(migrated.writes.update, 3);
  for (const body of k8sResources(w).values()) {
    assert.equal(body["data-owner"], "k8s-aai-sync-2");
  }
  // Afterwards the new owner is the recorded one: nothing more to send.
  w.aai.state.resetCounts();
  const after = await runSync(w.deps, { config: renamed });
  assert.equal(after.exitCode, 0, after.errors.join("\n"));
  assert.equal(w.aai.state.counts.total, 0);
});

/** `target` with `method` reporting each call's arguments first (other members bound to it). */
function spy<T extends object, K extends keyof T>(
  target: T,
  method: K,
  // deno-lint-ignore no-explicit-any
  onCall: (...args: any[]) => void,
): T {
  return new Proxy(target, {
    get(object, key) {
      const value = Reflect.get(object, key);
      if (typeof value !== "function") return value;
      const bound = value.bind(object);
      return key === method
        ? (...args: unknown[]) => {
          onCall(...args);
          return bound(...args);
        }
        : bound;
    },
  });
}

/** A logger that keeps what it was told, by level. */
function capturingLog() {
  const lines: { level: string; message: string }[] = [];
  const at = (level: string) => (message: string) => {
    lines.push({ level, message });
  };
  return {
    lines,
    log: {
      debug: at("debug"),
      info: at("info"),
      warn: at("warn"),
      error: at("error"),
    },
  };
}

Deno.test("runSync() logs a progress line now and then while it reads, none for the last read", async () => {
  const ids = ["app-1", "app-2", "app-3"];
  await using w = await world(scenario([ids.map((id) => healthy(id))], [VF]));
  const { lines, log } = capturingLog();
  const report = await runSync({ ...w.deps, log }, {
    config: w.config,
    progressEveryMs: 0,
  });
  assert.equal(report.exitCode, 0);
  const progress = lines.filter((l) => l.message.startsWith("Progress: "));
  assert.deepEqual(progress.map((l) => l.level), ["info", "info"]);
  assert.match(progress[0]!.message, /^Progress: 1\/3 instances read, /);
  assert.match(progress[1]!.message, /^Progress: 2\/3 instances read, /);
  const quiet = capturingLog();
  await runSync({ ...w.deps, log: quiet.log }, { config: w.config });
  assert.ok(
    !quiet.lines.some((l) => l.message.startsWith("Progress: ")),
    "a short pass logs no progress with the default interval",
  );
});

Deno.test("runSync() warns when --region or --instance matches nothing k8splugin lists", async () => {
  await using w = await world(scenario([[healthy("app-1")]], [VF]));
  const { lines, log } = capturingLog();
  const report = await runSync({ ...w.deps, log }, {
    config: w.config,
    regions: ["k8sregionnine"],
    instances: ["app-1", "ghost"],
  });
  assert.equal(report.exitCode, 0);
  assert.equal(report.instances.listed, 0);
  assert.equal(report.warnings.length, 2);
  assert.match(
    report.warnings[0]!,
    /--region "k8sregionnine" matches no instance/,
  );
  assert.match(report.warnings[1]!, /--instance "ghost" matches no instance/);
  assert.equal(lines.filter((l) => l.level === "warn").length, 2);
  const matching = await runSync(w.deps, {
    config: w.config,
    instances: ["app-1"],
  });
  assert.deepEqual(matching.warnings, []);
});

Deno.test("runSync() says 'Cannot list instances from k8splugin' once and exits 75 when the list answers 503 after the retries", async () => {
  await using w = await world(scenario([[healthy("app-1")]], [VF]));
  w.k8s.state.faults = { errorRates: { 503: 1 }, match: "/v1/instance" };
  const report = await runSync(w.deps, { config: w.config });
  assert.equal(report.exitCode, 75, report.errors.join("\n"));
  assert.equal(report.errors.length, 1);
  const error = report.errors[0]!;
  assert.match(error, /^Cannot list instances from k8splugin: /);
  assert.equal(error.split("Cannot list instances").length, 2, error);
  assert.equal(w.aai.state.counts.total, 0);
});

Deno.test("runSync() attaches its report to a snapshot write error thrown after A&AI was written", async () => {
  await using w = await world(scenario([[healthy("app-1")]], [VF]));
  const state = `${w.dir}/state`;
  const aai = w.deps.aai;
  let removed = false;
  /**
   * The state folder (if the snapshot writer made it yet) becomes a file:
   * moved aside in one synchronous step — a recursive remove could race the
   * writer's own files and fail.
   */
  function replaceStateWithFile(): void {
    try {
      Deno.renameSync(state, `${state}.gone`);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    Deno.writeTextFileSync(state, "not a folder");
  }
  async function put(path: string, body: Record<string, unknown>) {
    // While the pass publishes.
    if (!removed) {
      removed = true;
      replaceStateWithFile();
    }
    return await aai.put(path, body);
  }
  const deps = {
    ...w.deps,
    aai: new Proxy(aai, {
      get(target, key) {
        if (key === "put") return put;
        const value = Reflect.get(target, key);
        return typeof value === "function" ? value.bind(target) : value;
      },
    }),
  };
  const error = await runSync(deps, { config: w.config }).then(
    () => assert.fail("the snapshot write should fail"),
    (e: unknown) => e as Error & { report?: RunReport },
  );
  assert.ok(error.report, `no report on ${error}`);
  assert.equal(error.report.writes.create, 3);
  assert.equal(error.report.exitCode, 1);
  assert.equal(k8sResources(w).size, 3);
});

Deno.test("runSync() migrates objects written with the old data-source k8splugin to K8sPlugin: one guarded PATCH each, once", async () => {
  await using w = await world(scenario([[healthy("app-1")]], [VF]));
  await runSync(w.deps, { config: w.config });
  // As an older version left them: data-source "k8splugin" in A&AI and in
  // the snapshot's fingerprints, settled under the older settlement salt.
  const snapshot = JSON.parse(await Deno.readTextFile(w.config.snapshot));
  const instance = snapshot.instances["app-1"];
  delete instance.settled;
  for (const [path, body] of k8sResources(w)) {
    w.aai.state.put(path, { ...body, "data-source": "k8splugin" });
    instance.objects[path].fieldsDigest = fingerprintOf({
      selflink: String(body.selflink),
      "data-source": "k8splugin",
    }).fieldsDigest;
  }
  delete snapshot.digest;
  await Deno.writeTextFile(w.config.snapshot, JSON.stringify(snapshot));
  w.aai.state.resetCounts();
  const migrated = await runSync(w.deps, { config: w.config });
  assert.equal(migrated.exitCode, 0, migrated.errors.join("\n"));
  assert.equal(w.aai.state.counts.byMethod.PATCH, 3);
  assert.equal(w.aai.state.counts.byMethod.GET, 3, "the guard's reads");
  for (const body of k8sResources(w).values()) {
    assert.equal(body["data-source"], "K8sPlugin");
  }
  w.aai.state.resetCounts();
  await runSync(w.deps, { config: w.config });
  assert.equal(w.aai.state.counts.total, 0, "once");
});
