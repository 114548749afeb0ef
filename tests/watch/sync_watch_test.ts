/**
 * End to end: `deno task sync --watch` as a real process against the
 * simulators (issue 17). A change becomes an A&AI write within the target;
 * a dropped watch, a 410, a dead k8splugin notifier, a k8splugin restart and
 * a leader kill are each survived with A&AI converging; SIGTERM leaves the
 * snapshot consistent and releases the lock.
 *
 * @module
 */
import assert from "node:assert/strict";
import { simKubeconfig } from "../../sim/k8splugin.ts";
import { kubeWorld, subscriptionWorld } from "./_worlds.ts";
import { loadSnapshot } from "../../sync/mod.ts";
import type { Scenario } from "../../sim/scenario.ts";
import { deployment, instance, scenario } from "../sync/_scenario.ts";
import {
  baseEnv,
  type RecordingProxy,
  recordingProxy,
  spawn,
  SYNC,
  until,
  writesSince,
} from "./_proc.ts";

/**
 * app-1's Deployment flips between Ready and not ready at every step (step
 * 3 deletes it by hand: its \`/status\` fails, which kills k8splugin's
 * notifier); app-2 never changes.
 */
function flapping(): Scenario {
  const app2 = instance("app-2", [deployment("app-2-web", 1, 1, "300")]);
  const app1 = (ready: number, rv: string) =>
    instance("app-1", [deployment("app-1-web", 1, ready, rv)]);
  const broken = instance("app-1", [deployment("app-1-web", 1, 1, "202")], {
    missing: [{ apiVersion: "apps/v1", kind: "Deployment", name: "app-1-web" }],
  });
  return scenario([
    [app1(1, "200"), app2],
    [app1(0, "201"), app2],
    [app1(1, "202"), app2],
    [broken, app2],
    [app1(0, "203"), app2],
    [app1(1, "204"), app2],
    [app1(0, "205"), app2],
  ], [{ vnfId: "vnf-1", vfModuleId: "vfm-1", heatStackId: "app-1" }]);
}

Deno.test("sync --watch via Kubernetes watches: changes reach A&AI within 5 s; a dropped watch and a 410 are survived; SIGTERM leaves the snapshot consistent", async () => {
  const sc = flapping();
  await using world = await kubeWorld(sc, { bookmarkIntervalMs: 200 });
  const { kube, k8s, aai, dir } = world;
  const env = baseEnv(k8s.url, aai.url, dir);
  await using proc = spawn([
    "--source",
    "kube",
    "--debounce",
    "50ms",
    "--full-pass-interval",
    "10m",
  ], env);
  await until(proc.ready, "/readyz", 30_000);
  assert.ok(aai.state.counts.byMethod.PUT ?? 0 > 0, "first pass created");
  const listsAfterStart = k8s.state.requests.byRoute["GET /v1/instance"];

  const step = async (what: string) => {
    const at = Date.now();
    kube.state.advance();
    k8s.state.advance();
    const ms = await until(
      () => writesSince(aai, at).length > 0,
      `A&AI write after "${what}"`,
    ).catch(async (error) => {
      const metrics = await (await fetch(
        `http://127.0.0.1:${proc.port}/metrics`,
      )).text();
      throw new Error(
        `${error.message}: ${
          metrics.split("\n").filter((l) =>
            /^k8s_aai_sync_(watch|instance_runs|dirty)/.test(l)
          ).join(" ")
        } (kube ${JSON.stringify(kube.state.requests)})\n${
          proc.stderr().slice(-3000)
        }`,
      );
    });
    assert.ok(ms <= 5_000, `${what}: ${ms} ms`);
    return ms;
  };
  await step("changed"); // a watch event → one-instance run
  kube.state.dropWatches(); // the watch connections end
  await until(() => kube.state.watches > 0, "watches back");
  await step("ready again");
  kube.state.compact(); // next resume from an old resourceVersion is 410
  kube.state.dropWatches();
  await until(() => kube.state.watches > 0, "relisted watches");
  kube.state.setStep(3); // (k8splugin's "deleted by hand" is the same here)
  k8s.state.setStep(3);
  await step("not ready");
  // No full pass ran in between: the instance list was read once.
  assert.equal(
    k8s.state.requests.byRoute["GET /v1/instance"],
    listsAfterStart,
  );

  proc.child.kill("SIGTERM");
  const status = await proc.child.status;
  assert.equal(status.code, 0, proc.stderr().slice(-2000));
  const loaded = await loadSnapshot(`${dir}/state/snapshot.json`, new Date());
  assert.equal(loaded.movedAside, undefined);
  assert.ok(loaded.snapshot.instances["app-1"]);
  // The lock was released: a cron pass runs, and has nothing to send.
  const once = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SYNC, "--once", "--source", "kube"],
    env: { NO_COLOR: "1", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(once.code, 0, new TextDecoder().decode(once.stderr));
  assert.match(
    new TextDecoder().decode(once.stdout),
    /0 create, 0 update, 0 delete/,
  );
});

Deno.test("sync --watch via k8splugin subscriptions: notifications become writes; a dead notifier and a plugin restart are survived", async () => {
  await using rig = await subscriptionWorld(flapping());
  const { k8s, aai } = rig;
  await using proc = await rig.start([
    "--debounce",
    "20ms",
    "--full-pass-interval",
    "3s",
  ]);
  const subscribed = () =>
    k8s.state.subscriptions.list("app-1").map((s) => s.name);
  await until(() => subscribed().length === 1, "a subscription");
  assert.deepEqual(subscribed(), ["app-1-k8s-aai-sync"]);
  await until(
    () =>
      k8s.state.subscriptions.notifierRunning("app-1", "app-1-k8s-aai-sync"),
    "the notifier",
  );
  // k8splugin's notifier takes its first reading after a start-up sleep.
  await new Promise((r) => setTimeout(r, 300));
  const statusReads = () =>
    k8s.state.requests.byRoute["GET /v1/instance/{id}/status"] ?? 0;

  const step = async (what: string, limitMs: number) => {
    const at = Date.now();
    k8s.state.advance();
    const ms = await until(
      () => writesSince(aai, at).length > 0,
      `A&AI write after "${what}"\n${proc.stderr().slice(-3000)}`,
    );
    assert.ok(
      ms <= limitMs,
      `${what}: ${ms} ms > ${limitMs} ms ${
        JSON.stringify(
          k8s.state.subscriptions.notifications.map((
            n,
          ) => [n.instanceId, n.status, n.at - at]),
        )
      }\n${
        proc.stderr().split("\n").filter((l) => /ubscription|Event/.test(l))
          .join("\n")
      }`,
    );
    return ms;
  };
  // A notification (the sim's notifier polls every 40 ms) → a write well
  // before the next full pass.
  await step("not ready", 1_500);
  await step("ready again", 1_500);
  // Deleted by hand: /status fails, the notifier dies; a full pass sees
  // the failure, and once /status answers again the subscription is
  // replaced (the repair itself is found by that pass or a notification).
  const before = statusReads();
  k8s.state.advance();
  await until(() => statusReads() > before + 2, "full passes reading app-1");
  await until(
    () =>
      !k8s.state.subscriptions.notifierRunning("app-1", "app-1-k8s-aai-sync"),
    "the notifier to die",
  );
  await step("repaired, not ready", 8_000);
  await until(
    () =>
      k8s.state.subscriptions.notifierRunning("app-1", "app-1-k8s-aai-sync"),
    `the subscription replaced\n${proc.stderr().slice(-2000)}`,
  );
  await new Promise((r) => setTimeout(r, 300)); // its first reading
  await step("ready", 1_500);
  // A k8splugin restart: notifiers stop, and come back with their
  // subscriptions from its database.
  k8s.state.restart();
  await until(
    () =>
      k8s.state.subscriptions.notifierRunning("app-1", "app-1-k8s-aai-sync"),
    "the notifier restored",
  );
  await new Promise((r) => setTimeout(r, 300)); // its first reading
  await step("not ready after restart", 1_500);
  const subscriptions = k8s.state.subscriptions.list("app-2").map((s) =>
    s.name
  );
  assert.deepEqual(subscriptions, ["app-2-k8s-aai-sync"]);
});

Deno.test("sync --watch --leader-election: two replicas, only the leader writes; a killed leader is replaced within the lease duration, starting with a full pass", async () => {
  const sc = flapping();
  await using world = await kubeWorld(sc, { bookmarkIntervalMs: 200 });
  const { kube, k8s, aai, dir } = world;
  const kubeconfig = `${dir}/kubeconfig`;
  await Deno.writeTextFile(kubeconfig, simKubeconfig("kud", kube.url));
  // Each replica reaches k8splugin and A&AI through an HTTP proxy of its
  // own, so their requests can be told apart; both are configured with
  // the same peer URLs (they are in the selflinks both write). The Lease
  // and the watches (127.0.0.1) go direct.
  const routes = { "k8splugin.test": k8s.url, "aai.test": aai.url };
  await using proxyOfA = recordingProxy(routes);
  await using proxyOfB = recordingProxy(routes);
  const envOf = (proxy: RecordingProxy) => ({
    ...baseEnv("http://k8splugin.test", "http://aai.test", dir),
    KUBECONFIG: kubeconfig,
    POD_NAMESPACE: "onap",
    HTTP_PROXY: proxy.url,
    NO_PROXY: "127.0.0.1,localhost",
  });
  /** What `proxy` forwarded to `host` since `from`, writes only with `writes`. */
  const sent = (
    proxy: RecordingProxy,
    host: string,
    from = 0,
    writes = false,
  ) =>
    proxy.requests.filter((r) =>
      r.host === host && r.at >= from && (!writes || r.method !== "GET")
    );
  const args = [
    "--source",
    "kube",
    "--debounce",
    "50ms",
    "--leader-election",
    "--lease-duration",
    "2s",
  ];
  // Both replicas share the state folder (ReadWriteMany in a cluster):
  // the leader holds its lock, the follower stands by without it.
  await using a = spawn(args, envOf(proxyOfA));
  await until(a.leader, "a to lead", 30_000);
  await until(a.ready, "a ready", 30_000);
  await using b = spawn(args, envOf(proxyOfB));
  await until(b.ready, "b standing by", 30_000);
  assert.equal(await b.leader(), false);

  let at = Date.now();
  kube.state.advance();
  k8s.state.advance();
  await until(() => writesSince(aai, at).length > 0, "a's write");
  // The change is a's write; b, standing by, neither reads k8splugin nor
  // sends A&AI anything.
  assert.ok(sent(proxyOfA, "aai.test", at, true).length > 0, "a's write");
  assert.ok(sent(proxyOfA, "k8splugin.test").length > 0, "a's reads");
  assert.deepEqual(sent(proxyOfB, "aai.test"), [], "no A&AI request from b");
  assert.deepEqual(
    sent(proxyOfB, "k8splugin.test"),
    [],
    "no k8splugin request from b",
  );

  a.child.kill("SIGKILL"); // no release: b waits for the lease to expire
  const killedAt = Date.now();
  await until(b.leader, `b to lead\n${b.stderr().slice(-2000)}`, 30_000);
  const takeover = Date.now() - killedAt;
  assert.ok(takeover <= 2_000 + 1_500, `takeover in ${takeover} ms`);
  await until(b.ready, "b's full pass and watches", 30_000);
  at = Date.now();
  kube.state.advance();
  k8s.state.advance();
  const ms = await until(
    () => writesSince(aai, at).length > 0,
    `b's write\n${b.stderr().slice(-2000)}`,
  );
  assert.ok(ms <= 5_000, `${ms} ms`);
  // The write is b's: its own proxy carried it.
  assert.ok(sent(proxyOfB, "aai.test", at, true).length > 0, "b's write");
});

Deno.test("sync --watch: SIGTERM with A&AI writes in flight ends them cleanly; the snapshot stays consistent and the next pass sends only what was not confirmed", async () => {
  const sc = flapping();
  await using world = await kubeWorld(sc, { bookmarkIntervalMs: 200 });
  const { kube, k8s, aai, dir } = world;
  const env = baseEnv(k8s.url, aai.url, dir);
  await using proc = spawn(["--source", "kube", "--debounce", "20ms"], env);
  await until(proc.ready, "/readyz", 30_000);
  // Every k8s-resource write now takes 1.5 s: the change's PATCH is in
  // flight when SIGTERM arrives, and finishes within the grace period.
  aai.state.faults = {
    latencyMs: 1_500,
    match: "/aai/v24/cloud-infrastructure",
  };
  const at = Date.now();
  kube.state.advance();
  k8s.state.advance();
  await until(
    () =>
      aai.state.requests.some((r) => r.at >= at) ||
      /Event run/.test(proc.stderr()) || Date.now() - at > 400,
    "the run to start",
  );
  const sigterm = Date.now();
  proc.child.kill("SIGTERM");
  const status = await proc.child.status;
  assert.equal(status.code, 0, proc.stderr().slice(-2000));
  assert.match(proc.stderr(), /Stopped/);
  // The PATCH in flight was answered after SIGTERM, within the grace.
  assert.ok(writesSince(aai, sigterm).length >= 1, "finished in the grace");
  aai.state.faults = undefined;
  const loaded = await loadSnapshot(`${dir}/state/snapshot.json`, new Date());
  assert.equal(loaded.movedAside, undefined);
  // A cron pass afterwards converges: at most the change's one write.
  const before = writesSince(aai, 0).length;
  const once = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SYNC, "--once", "--source", "kube"],
    env: { NO_COLOR: "1", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(once.code, 0, new TextDecoder().decode(once.stderr));
  assert.ok(writesSince(aai, 0).length - before <= 1);
  assert.match(
    new TextDecoder().decode(once.stdout),
    /0 create, [01] update, 0 delete/,
  );
});

Deno.test("sync --watch via subscriptions: quiet list passes read no /status (a few region queries audit them); a notifier that died silently is found, its change written and its subscription replaced", async () => {
  await using rig = await subscriptionWorld(flapping());
  const { k8s, aai } = rig;
  await using proc = await rig.start([
    "--debounce",
    "20ms",
    "--full-pass-interval",
    "2s",
  ]);
  const NAME = "app-1-k8s-aai-sync";
  const alive = () => k8s.state.subscriptions.notifierRunning("app-1", NAME);
  await until(alive, "the notifier");
  await until(
    () =>
      k8s.state.subscriptions.notifierRunning("app-2", "app-2-k8s-aai-sync"),
    "app-2's notifier",
  );
  await new Promise((r) => setTimeout(r, 300)); // first readings
  const requests = (route: string) => k8s.state.requests.byRoute[route] ?? 0;
  const STATUS = "GET /v1/instance/{id}/status";
  const lists = requests("GET /v1/instance");
  const reads = requests(STATUS);
  const queries = requests("GET /v1/query");
  await until(
    () => requests("GET /v1/instance") >= lists + 2,
    "two list passes",
  );
  assert.equal(requests(STATUS), reads, "no /status in quiet list passes");
  assert.ok(requests("GET /v1/query") > queries, "the audit queried");

  // The notifier ends silently (as after a failed Status()); app-1 changes.
  k8s.state.subscriptions.killNotifier("app-1", NAME);
  const at = Date.now();
  k8s.state.advance();
  await until(
    () => writesSince(aai, at).length > 0,
    `the audit to find the unseen change\n${proc.stderr().slice(-2000)}`,
  );
  assert.equal(
    k8s.state.subscriptions.notifications.filter((n) =>
      n.instanceId === "app-1" && n.at >= at
    ).length,
    0,
    "no notification announced it",
  );
  // No notification within the keeper's window: replaced.
  await until(
    alive,
    `the subscription replaced\n${proc.stderr().slice(-2000)}`,
    45_000,
  );
  assert.match(proc.stderr(), /no notification for a change/);
  await new Promise((r) => setTimeout(r, 300)); // its first reading
  const next = Date.now();
  k8s.state.advance();
  const ms = await until(
    () => writesSince(aai, next).length > 0,
    "the next change",
  );
  assert.ok(
    k8s.state.subscriptions.notifications.some((n) =>
      n.instanceId === "app-1" && n.at >= next
    ),
    `the next change came by notification (${ms} ms)`,
  );
});

Deno.test("sync --watch via subscriptions: only the first full read of a term checks every subscription; later resyncs leave them to the audit", async () => {
  await using rig = await subscriptionWorld(flapping());
  const { k8s } = rig;
  await using proc = await rig.start([
    "--full-pass-interval",
    "1s",
    "--resync-interval",
    "1s",
  ]);
  const requests = (route: string) => k8s.state.requests.byRoute[route] ?? 0;
  const CHECK = "GET /v1/instance/{id}/status/subscription/{name}";
  await until(() => requests(CHECK) >= 2, "the first term's checks");
  const checks = requests(CHECK);
  const reads = requests("GET /v1/instance/{id}/status");
  const lists = requests("GET /v1/instance");
  // Three more full reads: each lists, then reads both instances.
  await until(
    () =>
      requests("GET /v1/instance") >= lists + 3 &&
      requests("GET /v1/instance/{id}/status") >= reads + 6,
    "three more full reads",
  );
  assert.equal(requests(CHECK), checks, proc.stderr().slice(-2000));
});

Deno.test("sync --watch via subscriptions: k8splugin's slow, serialised first subscription calls run in the background — the first pass is done and list passes go on before every instance is subscribed", async () => {
  // k8splugin holds a plugin-wide lock through each instance's first call.
  await using rig = await subscriptionWorld(flapping(), {
    firstCallDelayMs: 2_500,
  });
  const { k8s } = rig;
  const subscribed = () =>
    ["app-1", "app-2"].filter((id) =>
      k8s.state.subscriptions.list(id).length > 0
    ).length;
  await using proc = await rig.start(["--full-pass-interval", "1s"]);
  assert.ok(subscribed() < 2, "ready before both subscriptions exist");
  const lists = k8s.state.requests.byRoute["GET /v1/instance"] ?? 0;
  await until(
    () => (k8s.state.requests.byRoute["GET /v1/instance"] ?? 0) > lists,
    "a list pass",
  );
  assert.ok(subscribed() < 2, "a list pass ran while subscribing");
  await until(
    () => /Status subscription of app-2 created/.test(proc.stderr()),
    "both subscriptions",
    20_000,
  );
  assert.equal(subscribed(), 2);
});
