import assert from "node:assert/strict";
import {
  ApiException,
  KubeConfig,
  type V1Lease,
} from "@kubernetes/client-node";
import {
  holderIdentity,
  kubeStreamFromKubeConfig,
  LEADER_LABEL,
  type LeaseApi,
  leaseApi,
  LeaseElector,
  type LeaseElectorOptions,
  LeaseError,
  markLeaderPod,
} from "../../adapters/mod.ts";
import { setTimeout as sleep } from "node:timers/promises";
import { startKube } from "../../sim/kube.ts";
import { testClock } from "./_clock.ts";
import { plainKubeconfig, until } from "./_scenario.ts";

/**
 * An in-memory Lease store that behaves like the API server: 404 when
 * missing, 409 AlreadyExists on a second create, 409 Conflict on a stale
 * resourceVersion, a new resourceVersion on every write; bodies go through
 * JSON like on the wire (times come back as strings, as client-node's
 * deserialiser leaves them).
 */
class LeaseStore {
  lease: Record<string, unknown> | undefined;
  written: string[] = [];
  #rv = 100;
  /** Identities whose calls fail with 503 (a partitioned replica). */
  partitioned = new Set<string>();

  apiFor(identity: string): LeaseApi {
    const check = () => {
      if (this.partitioned.has(identity)) {
        throw new ApiException(503, "secret headers and body", {}, {});
      }
    };
    const wire = (body: unknown) => JSON.parse(JSON.stringify(body));
    const api = {
      readNamespacedLease: async () => {
        await Promise.resolve();
        check();
        if (!this.lease) throw new ApiException(404, "NotFound", {}, {});
        return wire(this.lease) as V1Lease;
      },
      createNamespacedLease: async ({ body }: { body: V1Lease }) => {
        await Promise.resolve();
        check();
        if (this.lease) throw new ApiException(409, "AlreadyExists", {}, {});
        return this.#write(body);
      },
      replaceNamespacedLease: async ({ body }: { body: V1Lease }) => {
        await Promise.resolve();
        check();
        const current = (this.lease?.metadata as { resourceVersion?: string })
          ?.resourceVersion;
        if (body.metadata?.resourceVersion !== current) {
          throw new ApiException(409, "Conflict", {}, {});
        }
        return this.#write(body);
      },
    };
    return api as unknown as LeaseApi;
  }

  get spec(): Record<string, unknown> {
    return (this.lease?.spec ?? {}) as Record<string, unknown>;
  }

  #write(body: V1Lease): V1Lease {
    const text = JSON.stringify(body);
    this.written.push(text);
    const stored = JSON.parse(text);
    stored.metadata = {
      ...stored.metadata,
      resourceVersion: String(++this.#rv),
    };
    this.lease = stored;
    return JSON.parse(JSON.stringify(stored));
  }
}

function elector(
  store: LeaseStore,
  clock: ReturnType<typeof testClock>,
  identity: string,
  log: string[],
  extra: Partial<LeaseElectorOptions> = {},
): LeaseElector {
  return new LeaseElector({
    api: store.apiFor(identity),
    namespace: "onap",
    identity,
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
    clock,
    onStartedLeading: () => void log.push(`${clock.now()} ${identity} leads`),
    onStoppedLeading: () => void log.push(`${clock.now()} ${identity} stops`),
    ...extra,
  });
}

Deno.test("LeaseElector creates a missing Lease, leads, renews every retry period and releases it on close", async () => {
  const clock = testClock(0);
  const store = new LeaseStore();
  const log: string[] = [];
  const a = elector(store, clock, "a", log);
  a.start();
  await clock.settle();
  assert.equal(a.isLeader, true);
  assert.deepEqual(log, ["0 a leads"]);
  assert.equal(store.spec.holderIdentity, "a");
  assert.equal(store.spec.leaseDurationSeconds, 15);
  assert.equal(store.spec.leaseTransitions, 0);
  await clock.tick(2_000);
  assert.equal(store.spec.renewTime, "1970-01-01T00:00:02.000000Z");
  assert.equal(store.spec.acquireTime, "1970-01-01T00:00:00.000000Z");
  assert.equal(store.written.length, 2);
  await a.close();
  assert.deepEqual(log, ["0 a leads", "2000 a stops"]);
  assert.equal(store.spec.holderIdentity, "");
  assert.equal(store.spec.leaseDurationSeconds, 1);
  assert.equal(clock.timers, 0);
});

Deno.test("LeaseElector: a follower takes over a crashed leader's Lease only after the lease duration, and the leader stopped before", async () => {
  const clock = testClock(0);
  const store = new LeaseStore();
  const log: string[] = [];
  const errors: LeaseError[] = [];
  const a = elector(store, clock, "a", log, {
    onError: (e) => void errors.push(e),
  });
  const b = elector(store, clock, "b", log);
  a.start();
  await clock.settle();
  b.start();
  await clock.tick(6_000);
  assert.equal(b.isLeader, false);
  assert.equal(b.leader, "a");
  store.partitioned.add("a"); // from t=6000: a's last renew was at 6000
  await clock.tick(30_000);
  assert.deepEqual(log, ["0 a leads", "16000 a stops", "22000 b leads"]);
  assert.ok(
    errors.every((e) => e.status === 503 && !e.message.includes("secret")),
  );
  assert.equal(store.spec.holderIdentity, "b");
  assert.equal(store.spec.leaseTransitions, 1);
  await a.close();
  await b.close();
});

Deno.test("LeaseElector: a released Lease is taken at the follower's next attempt", async () => {
  const clock = testClock(0);
  const store = new LeaseStore();
  const log: string[] = [];
  const a = elector(store, clock, "a", log);
  const b = elector(store, clock, "b", log);
  a.start();
  await clock.settle();
  b.start();
  await clock.tick(3_000);
  await a.close();
  await clock.tick(2_000);
  assert.deepEqual(log, ["0 a leads", "3000 a stops", "4000 b leads"]);
  await b.close();
});

Deno.test("LeaseElector.tryAcquireOrRenew(): of two candidates racing for an expired Lease one wins, the other gets 409", async () => {
  const clock = testClock(0);
  const store = new LeaseStore();
  store.lease = {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name: "k8s-aai-sync", namespace: "onap", resourceVersion: "7" },
    spec: { holderIdentity: "", leaseDurationSeconds: 1 },
  };
  const errors: LeaseError[] = [];
  const log: string[] = [];
  const a = elector(store, clock, "a", log, {
    onError: (e) => void errors.push(e),
  });
  const b = elector(store, clock, "b", log, {
    onError: (e) => void errors.push(e),
  });
  const results = await Promise.all([
    a.tryAcquireOrRenew(),
    b.tryAcquireOrRenew(),
  ]);
  assert.deepEqual(results.sort(), [false, true]);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.status, 409);
  assert.match(errors[0]!.message, /Conflict/);
});

Deno.test("holderIdentity() adds a random suffix to the pod name", () => {
  assert.notEqual(holderIdentity("pod"), holderIdentity("pod"));
  assert.throws(
    () =>
      new LeaseElector({
        api: {} as LeaseApi,
        namespace: "onap",
        identity: "x",
        leaseDurationMs: 10_000,
        renewDeadlineMs: 10_000,
      }),
    RangeError,
  );
});

Deno.test("markLeaderPod() merge-patches the leader label onto the pod, null to remove it", async () => {
  const seen: {
    method: string;
    path: string;
    type: string | null;
    body: unknown;
  }[] = [];
  let status = 200;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      seen.push({
        method: request.method,
        path: new URL(request.url).pathname,
        type: request.headers.get("content-type"),
        body: await request.json(),
      });
      return Response.json({}, { status });
    },
  );
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server: `http://127.0.0.1:${server.addr.port}` }],
    users: [{ name: "u", token: "t" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  const stream = kubeStreamFromKubeConfig(kc);
  try {
    const pod = { namespace: "onap", name: "k8s-aai-sync-5d8-x" };
    await markLeaderPod(stream, pod, true);
    await markLeaderPod(stream, pod, false);
    status = 403;
    await assert.rejects(
      markLeaderPod(stream, pod, true),
      (e) => e instanceof LeaseError && e.status === 403,
    );
  } finally {
    stream.close();
    await server.shutdown();
  }
  assert.deepEqual(seen.slice(0, 2), [
    {
      method: "PATCH",
      path: "/api/v1/namespaces/onap/pods/k8s-aai-sync-5d8-x",
      type: "application/merge-patch+json",
      body: { metadata: { labels: { [LEADER_LABEL]: "true" } } },
    },
    {
      method: "PATCH",
      path: "/api/v1/namespaces/onap/pods/k8s-aai-sync-5d8-x",
      type: "application/merge-patch+json",
      body: { metadata: { labels: { [LEADER_LABEL]: null } } },
    },
  ]);
});

Deno.test("LeaseElector stops leading at once when the Lease names another holder", async () => {
  const clock = testClock(0);
  const store = new LeaseStore();
  const log: string[] = [];
  const a = elector(store, clock, "a", log);
  a.start();
  await clock.settle();
  assert.equal(a.isLeader, true);
  const spec = store.spec;
  store.lease = {
    ...store.lease,
    spec: {
      ...spec,
      holderIdentity: "intruder",
      renewTime: "1970-01-01T00:00:01.000000Z",
    },
  };
  await clock.tick(2_000);
  assert.deepEqual(log, ["0 a leads", "2000 a stops"]);
  assert.equal(a.leader, "intruder");
  await a.close();
  assert.equal(store.spec.holderIdentity, "intruder", "not released: not ours");
});

Deno.test("LeaseElector elects one leader through the kube sim's Leases and hands over on close", async () => {
  await using kube = await startKube({ scenario: null });
  const kc = new KubeConfig();
  kc.loadFromString(plainKubeconfig(kube.url));
  const log: string[] = [];
  const electors = ["a", "b"].map((identity) => {
    const stream = kubeStreamFromKubeConfig(kc);
    const elector = new LeaseElector({
      api: leaseApi(stream),
      namespace: "ns",
      identity,
      leaseDurationMs: 1_000,
      renewDeadlineMs: 600,
      retryPeriodMs: 50,
      onStartedLeading: () => void log.push(`${identity} leads`),
      onStoppedLeading: () => void log.push(`${identity} stops`),
    });
    return { elector, stream };
  });
  const [a, b] = electors as [typeof electors[0], typeof electors[0]];
  a.elector.start();
  await until(() => a.elector.isLeader, "a to lead");
  b.elector.start();
  await sleep(200);
  assert.equal(b.elector.isLeader, false);
  assert.equal(b.elector.leader, "a");
  const lease = await (await fetch(
    `${kube.url}/apis/coordination.k8s.io/v1/namespaces/ns/leases/k8s-aai-sync`,
  )).json();
  assert.equal(lease.spec.holderIdentity, "a");
  assert.match(lease.spec.renewTime, /\.\d{6}Z$/, "MicroTime on the wire");
  await a.elector.close();
  await until(() => b.elector.isLeader, "b to take over");
  await b.elector.close();
  assert.deepEqual(log, ["a leads", "a stops", "b leads", "b stops"]);
  for (const { stream } of electors) stream.close();
});
