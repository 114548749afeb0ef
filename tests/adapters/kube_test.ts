import assert from "node:assert/strict";
import {
  KubeClient,
  type KubeClientOptions,
  KubeClients,
  KubeError,
  normalizeResourceStatuses,
} from "../../adapters/kube.ts";
import {
  HttpK8spluginClient,
  type Instance,
  K8spluginError,
} from "../../adapters/k8splugin.ts";
import { type KubeSimObject, startKube } from "../../sim/kube.ts";
import { startK8splugin } from "../../sim/k8splugin.ts";
import { DEMO_SCENARIO_URL, loadScenario } from "../../sim/scenario.ts";
import { parseAllDocuments } from "yaml";

const POD = { group: "", version: "v1", kind: "Pod" };
const DEPLOYMENT = { group: "apps", version: "v1", kind: "Deployment" };
const CONFIGMAP = { group: "", version: "v1", kind: "ConfigMap" };
const WIDGET = { group: "example.com", version: "v1", kind: "Widget" };

/** A CRD object for `kind` in group example.com. */
function crd(kind: string, plural: string): KubeSimObject {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.example.com` },
    spec: {
      group: "example.com",
      names: { kind, plural, singular: kind.toLowerCase() },
      scope: "Namespaced",
      versions: [{ name: "v1", served: true, storage: true }],
    },
  };
}

/** `count` ConfigMaps in `namespace`, each labelled with its own instance id `inst-<i>`. */
function configMaps(count: number, namespace = "bulk"): KubeSimObject[] {
  return Array.from({ length: count }, (_, i) => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: `cm-${String(i).padStart(5, "0")}`,
      namespace,
      labels: { "k8splugin.io/rb-instance-id": `inst-${i}` },
    },
    data: { i: String(i) },
  }));
}

/** Kubeconfig YAML for a sim. */
function kubeconfig(
  url: string,
  options: { token?: string; caCert?: string; skipTlsVerify?: boolean } = {},
): string {
  const cluster = [`server: "${url}"`];
  if (options.caCert) {
    cluster.push(`certificate-authority-data: "${btoa(options.caCert)}"`);
  }
  if (options.skipTlsVerify) cluster.push("insecure-skip-tls-verify: true");
  return [
    "apiVersion: v1",
    "kind: Config",
    `clusters: [{name: sim, cluster: {${cluster.join(", ")}}}]`,
    `users: [{name: u, user: {${
      options.token ? `token: "${options.token}"` : ""
    }}}]`,
    "contexts: [{name: c, context: {cluster: sim, user: u}}]",
    "current-context: c",
    "",
  ].join("\n");
}

/** Runs `fn` and returns the KubeError it throws. */
async function kubeError(fn: () => Promise<unknown>): Promise<KubeError> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof KubeError) return error;
    throw error;
  }
  assert.fail("expected a KubeError");
}

/** A minimal Instance for readInstances. */
function instance(
  id: string,
  namespace: string,
  resources: Instance["resources"],
): Instance {
  return {
    id,
    rbName: "rb",
    rbVersion: "v1",
    profileName: "p",
    releaseName: id,
    cloudRegion: "r1",
    namespace,
    labels: {},
    resources,
  };
}

Deno.test("KubeClient reads objects over HTTP: apiVersion/kind filled, discovery cached", async () => {
  await using kube = await startKube({ step: 1, token: "tok" });
  await using client = KubeClient.fromKubeconfig(
    "r1",
    kubeconfig(kube.url, { token: "tok" }),
  );
  const pods = await client.list(POD, { namespace: "testns2" });
  assert.deepEqual(
    pods.map((
      p,
    ) => [p.apiVersion, p.kind, (p.metadata as { name: string }).name]),
    [
      ["v1", "Pod", "edgex-core-data-6c7b9d5f48-x7kq2"],
      ["v1", "Pod", "edgex-ui-7f9d8b5c46-tz9wp"],
    ],
  );
  const deployment = await client.get(DEPLOYMENT, "testns2", "edgex-ui");
  assert.equal(deployment.kind, "Deployment");
  assert.equal((deployment.spec as { replicas: number }).replicas, 1);
  assert.deepEqual(await client.discover(DEPLOYMENT), {
    group: "apps",
    version: "v1",
    kind: "Deployment",
    resource: "deployments",
    namespaced: true,
    verbs: ["get", "list"],
  });
  await client.list(POD, {
    namespace: "testns2",
    labelSelector: "app=edgex-ui",
  });
  assert.equal(kube.state.requests.discovery, 2); // /api/v1 and /apis/apps/v1, once each
});

Deno.test("KubeClient reads over HTTPS with a self-signed CA and a bearer token; refuses bad credentials and skip-verify", async () => {
  await using kube = await startKube({ step: 1, tls: true, token: "s3cret" });
  await using client = KubeClient.fromKubeconfig(
    "r1",
    kubeconfig(kube.url, { token: "s3cret", caCert: kube.caCert! }),
  );
  const pods = await client.list(POD, { namespace: "testns2" });
  assert.equal(pods.length, 2);

  await using wrong = KubeClient.fromKubeconfig(
    "r1",
    kubeconfig(kube.url, { token: "not-it", caCert: kube.caCert! }),
  );
  const unauthorized = await kubeError(() => wrong.list(POD));
  assert.equal(unauthorized.status, 401);
  assert.equal(unauthorized.reason, "Unauthorized");
  assert.equal(unauthorized.region, "r1");
  assert.ok(!unauthorized.message.includes("not-it"));

  await using untrusted = KubeClient.fromKubeconfig(
    "r1",
    kubeconfig(kube.url, { token: "s3cret" }),
    { retries: 0 },
  );
  const tls = await kubeError(() => untrusted.list(POD));
  assert.equal(tls.reason, "Transport");
  assert.equal(tls.retryable, true);

  await using skip = KubeClient.fromKubeconfig(
    "r1",
    kubeconfig(kube.url, { token: "s3cret", skipTlsVerify: true }),
  );
  const config = await kubeError(() => skip.list(POD));
  assert.equal(config.reason, "Config");
  assert.match(config.message, /certificate-authority-data/);
});

Deno.test("KubeClient.list() follows continue tokens over 1,200 objects and restarts once on 410 Expired", async () => {
  await using kube = await startKube({
    scenario: null,
    extraObjects: configMaps(1200),
  });
  let expireAfterFirstPage = false;
  let pageRequests = 0;
  const options: KubeClientOptions = {
    pageSize: 100,
    onRequest(exchange) {
      if (!exchange.path.includes("/configmaps")) return;
      pageRequests++;
      if (expireAfterFirstPage && pageRequests === 1) {
        kube.state.setExtraObjects(configMaps(1300));
        kube.state.compact();
      }
    },
  };
  await using client = KubeClient.fromKubeconfig(
    "r1",
    kubeconfig(kube.url),
    options,
  );
  const all = await client.list(CONFIGMAP, { namespace: "bulk" });
  assert.equal(all.length, 1200);
  assert.equal(
    new Set(all.map((o) => (o.metadata as { name: string }).name)).size,
    1200,
  );
  assert.equal(pageRequests, 12);
  assert.equal(kube.state.requests.byResource["list configmaps"], 12);

  const page = await client.listPage(CONFIGMAP, {
    namespace: "bulk",
    limit: 1000,
  });
  assert.equal(page.items.length, 1000);
  assert.ok(page.continue);
  assert.equal(page.resourceVersion, String(kube.state.resourceVersion));
  const rest = await client.listPage(CONFIGMAP, {
    namespace: "bulk",
    limit: 1000,
    continue: page.continue,
  });
  assert.equal(rest.items.length, 200);
  assert.equal(rest.continue, undefined);

  // The store changes and is compacted after the first page: the token
  // expires (410) and list() starts over, returning the new state.
  pageRequests = 0;
  expireAfterFirstPage = true;
  const restarted = await client.list(CONFIGMAP, { namespace: "bulk" });
  assert.equal(restarted.length, 1300);
  assert.equal(pageRequests, 1 + 1 + 13); // first page, the 410, then 13 pages
});

Deno.test("KubeClient.discover() resolves CRD kinds, refreshes its cache for a new CRD, and names unknown kinds", async () => {
  await using kube = await startKube({
    scenario: null,
    extraObjects: [crd("Widget", "widgets"), {
      apiVersion: "example.com/v1",
      kind: "Widget",
      metadata: { name: "w1", namespace: "ns1" },
      spec: { size: 2 },
    }],
  });
  await using client = KubeClient.fromKubeconfig("r1", kubeconfig(kube.url));
  assert.deepEqual(await client.discover(WIDGET), {
    group: "example.com",
    version: "v1",
    kind: "Widget",
    resource: "widgets",
    namespaced: true,
    verbs: ["get", "list"],
  });
  const widget = await client.get(WIDGET, "ns1", "w1");
  assert.deepEqual(widget.spec, { size: 2 });

  kube.state.setExtraObjects([
    ...kube.state.extraObjects,
    crd("Gadget", "gadgets"),
  ]);
  const gadget = await client.discover({ ...WIDGET, kind: "Gadget" });
  assert.equal(gadget.resource, "gadgets");

  const unknown = await kubeError(() =>
    client.discover({ group: "nope.io", version: "v1", kind: "Thing" })
  );
  assert.equal(unknown.reason, "UnknownKind");
  assert.deepEqual(unknown.gvk, {
    group: "nope.io",
    version: "v1",
    kind: "Thing",
  });
  assert.match(unknown.message, /nope\.io\/v1 Thing/);
});

Deno.test("KubeClient maps 404 to NotFound and 403 to the missing permission", async () => {
  await using kube = await startKube({ step: 1, token: "tok" });
  await using client = KubeClient.fromKubeconfig(
    "r1",
    kubeconfig(kube.url, { token: "tok" }),
  );
  const missing = await kubeError(() =>
    client.get(DEPLOYMENT, "testns2", "nope")
  );
  assert.equal(missing.status, 404);
  assert.equal(missing.reason, "NotFound");
  assert.equal(missing.objectName, "nope");
  assert.equal(missing.namespace, "testns2");
  assert.equal(missing.retryable, false);

  kube.state.forbidden.add("list replicasets.apps in testns2");
  const namespaced = await kubeError(() => client.related(["testns2"]));
  assert.equal(namespaced.status, 403);
  assert.equal(namespaced.reason, "Forbidden");
  assert.deepEqual(namespaced.permission, {
    verb: "list",
    resource: "replicasets",
    group: "apps",
    namespace: "testns2",
  });
  assert.equal(
    namespaced.message,
    'Cannot list replicasets.apps in namespace "testns2" in region "r1": HTTP 403 Forbidden: grant verb "list" on resource "replicasets" in API group "apps" in namespace "testns2" (see deploy/rbac.yaml)',
  );

  kube.state.forbidden.clear();
  kube.state.forbidden.add("list nodes");
  const cluster = await kubeError(() => client.related(["testns2"]));
  assert.deepEqual(cluster.permission, {
    verb: "list",
    resource: "nodes",
    group: "",
  });
  assert.match(cluster.message, /at the cluster scope/);
});

Deno.test("KubeClient retries 5xx with backoff, then throws a retryable KubeError", async () => {
  await using kube = await startKube({ step: 1 });
  const attempts: number[] = [];
  await using client = KubeClient.fromKubeconfig("r1", kubeconfig(kube.url), {
    retries: 2,
    minBackoffMs: 1,
    onRequest: (e) => {
      if (e.path.includes("/pods")) attempts.push(e.status ?? 0);
    },
  });
  await client.discover(POD);
  kube.state.faults = { errorRates: { 503: 1 }, match: "/api/v1/namespaces" };
  const error = await kubeError(() =>
    client.list(POD, { namespace: "testns2" })
  );
  assert.deepEqual(attempts, [503, 503, 503]);
  assert.equal(error.status, 503);
  assert.equal(error.retryable, true);
});

Deno.test("KubeClient.related() fetches StorageClasses, Nodes, CRDs and each namespace's ReplicaSets, one LIST per kind", async () => {
  await using kube = await startKube({
    step: 1,
    extraObjects: [
      {
        apiVersion: "storage.k8s.io/v1",
        kind: "StorageClass",
        metadata: { name: "standard" },
        provisioner: "kubernetes.io/no-provisioner",
      },
      { apiVersion: "v1", kind: "Node", metadata: { name: "node-1" } },
      crd("Widget", "widgets"),
      ...configMaps(3, "other"),
    ],
  });
  await using client = KubeClient.fromKubeconfig("r1", kubeconfig(kube.url));
  kube.state.resetRequests();
  const related = await client.related(["testns2", "testns2", "other"]);
  const kinds = related.map((o) =>
    `${o.kind}/${(o.metadata as { name: string }).name}`
  );
  assert.ok(kinds.includes("StorageClass/standard"));
  assert.ok(kinds.includes("Node/node-1"));
  assert.ok(kinds.includes("CustomResourceDefinition/widgets.example.com"));
  assert.ok(
    !kinds.some((k) => k.startsWith("Pod/")),
    "pods come from the source",
  );
  assert.ok(kinds.some((k) => k.startsWith("ReplicaSet/edgex-ui-")));
  assert.ok(related.every((o) => typeof o.apiVersion === "string"));
  assert.deepEqual(kube.state.requests.byResource, {
    "list storageclasses.storage.k8s.io": 1,
    "list nodes": 1,
    "list customresourcedefinitions.apiextensions.k8s.io": 1,
    "list replicasets.apps": 2,
  });
});

Deno.test("KubeClient.readInstances() agrees with the k8splugin sim's status on every step of the demo scenario", async () => {
  const scenario = await loadScenario(DEMO_SCENARIO_URL);
  await using kube = await startKube({ scenario });
  await using k8s = startK8splugin({ scenario });
  const k8splugin = new HttpK8spluginClient({ baseUrl: k8s.url });
  try {
    await using client = KubeClient.fromKubeconfig(
      "k8sregionone",
      kubeconfig(kube.url),
    );
    let compared = 0;
    for (let step = 0; step < scenario.steps.length; step++) {
      kube.state.setStep(step);
      k8s.state.setStep(step);
      const instances = await Promise.all(
        (await k8splugin.listInstances()).map((i) =>
          k8splugin.getInstance(i.id)
        ),
      );
      kube.state.resetRequests();
      const read = await client.readInstances(instances);
      assert.equal(read.size, instances.length);
      for (const instance of instances) {
        const status = await k8splugin.getStatus(instance.id);
        const fromKube = read.get(instance.id)!;
        assert.deepEqual(fromKube.missing, []);
        assert.deepEqual(
          normalizeResourceStatuses(fromKube.resources),
          normalizeResourceStatuses(status.resources),
          `step ${step}, instance ${instance.id}`,
        );
        compared += status.resources.length;
      }
      if (instances.length > 0) {
        // One LIST per (namespace, kind): Service, Deployment, Pod.
        assert.deepEqual(kube.state.requests.byResource, {
          "list services": 1,
          "list deployments.apps": 1,
          "list pods": 1,
        });
        assert.equal(kube.state.requests.get, 0);
      }
    }
    assert.ok(compared > 10, `compared ${compared} resources`);
  } finally {
    k8splugin.close();
  }
});

Deno.test("KubeClient.readInstances() reports a resource deleted by hand as missing where k8splugin's status fails", async () => {
  const scenario = await loadScenario(DEMO_SCENARIO_URL);
  scenario.steps[1]!.instances[0]!.missing = [{
    apiVersion: "apps/v1",
    kind: "Deployment",
    name: "edgex-ui",
  }];
  await using kube = await startKube({ scenario, step: 1 });
  await using k8s = startK8splugin({ scenario, step: 1 });
  const k8splugin = new HttpK8spluginClient({ baseUrl: k8s.url, retries: 0 });
  try {
    const instance = await k8splugin.getInstance("edgex-1");
    await assert.rejects(
      () => k8splugin.getStatus("edgex-1"),
      (error) =>
        error instanceof K8spluginError && error.kind === "ResourceMissing",
    );
    await using client = KubeClient.fromKubeconfig(
      "k8sregionone",
      kubeconfig(kube.url),
    );
    const read = (await client.readInstances([instance])).get("edgex-1")!;
    assert.deepEqual(read.missing, [{ gvk: DEPLOYMENT, name: "edgex-ui" }]);
    assert.deepEqual(
      read.resources.map((r) => `${r.gvk.kind}/${r.name}`),
      [
        "Service/edgex-core-data",
        "Deployment/edgex-core-data",
        "Pod/edgex-core-data-6c7b9d5f48-x7kq2",
        "Pod/edgex-ui-7f9d8b5c46-tz9wp",
      ],
    );
    // The missing Deployment was confirmed with one GET (404).
    assert.equal(kube.state.requests.byResource["get deployments.apps"], 1);
  } finally {
    k8splugin.close();
  }
});

Deno.test("KubeClient.readInstances() chunks long id lists, finds unlabelled chart resources by name, and reports unknown kinds missing", async () => {
  await using kube = await startKube({
    scenario: null,
    extraObjects: [
      ...configMaps(120),
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "unlabelled", namespace: "bulk" },
        spec: { clusterIP: "10.0.0.1" },
      },
    ],
  });
  await using client = KubeClient.fromKubeconfig("r1", kubeconfig(kube.url), {
    idsPerSelector: 50,
  });
  const instances = Array.from(
    { length: 120 },
    (_, i) =>
      instance(`inst-${i}`, "bulk", [{
        gvk: CONFIGMAP,
        name: `cm-${String(i).padStart(5, "0")}`,
      }]),
  );
  instances[0]!.resources.push(
    { gvk: { group: "", version: "v1", kind: "Service" }, name: "unlabelled" },
    { gvk: { group: "", version: "v1", kind: "Service" }, name: "gone" },
    { gvk: WIDGET, name: "w" },
  );
  const read = await client.readInstances(instances);
  assert.equal(read.size, 120);
  for (let i = 0; i < 120; i++) {
    const one = read.get(`inst-${i}`)!;
    assert.equal(one.resources[0]?.name, `cm-${String(i).padStart(5, "0")}`);
    assert.equal(one.resources[0]?.object.kind, "ConfigMap");
  }
  const first = read.get("inst-0")!;
  assert.deepEqual(first.resources.map((r) => r.name), [
    "cm-00000",
    "unlabelled",
  ]);
  assert.deepEqual(first.missing, [
    { gvk: { group: "", version: "v1", kind: "Service" }, name: "gone" },
    { gvk: WIDGET, name: "w" },
  ]);
  assert.equal(kube.state.requests.byResource["list configmaps"], 3);
  assert.equal(kube.state.requests.byResource["list pods"], 3);
  assert.equal(kube.state.requests.byResource["list services"], 1);
  assert.equal(kube.state.requests.byResource["get services"], 2);
});

Deno.test("KubeClients hands out one client per region, from config or k8splugin's connectivity-info", async () => {
  await using kube = await startKube({ step: 1, token: "tok" });
  await using k8s = startK8splugin({
    kubeconfigFor: () => kubeconfig(kube.url, { token: "tok" }),
  });
  const k8splugin = new HttpK8spluginClient({ baseUrl: k8s.url });
  try {
    await using viaPlugin = new KubeClients({ k8splugin });
    const client = viaPlugin.get("k8sregionone")!;
    assert.equal(viaPlugin.get("k8sregionone"), client);
    assert.equal((await client.list(POD, { namespace: "testns2" })).length, 2);
    assert.equal(
      k8s.state.requests.byRoute["GET /v1/connectivity-info/{region}"],
      1,
    );

    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(
        `${dir}/kc`,
        kubeconfig(kube.url, { token: "tok" }),
      );
      await using configured = new KubeClients({
        regions: {
          a: { kubeconfig: kubeconfig(kube.url, { token: "tok" }) },
          b: { kubeconfigPath: `${dir}/kc` },
          c: { kubeconfigPath: `${dir}/absent` },
        },
      });
      assert.equal(configured.get("elsewhere"), undefined);
      assert.equal((await configured.get("a")!.list(POD)).length, 2);
      assert.equal((await configured.get("b")!.list(POD)).length, 2);
      const absent = await kubeError(() => configured.get("c")!.list(POD));
      assert.equal(absent.reason, "Config");
      assert.equal(absent.region, "c");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  } finally {
    k8splugin.close();
  }
});

/** The ClusterRole of deploy/rbac.yaml as kube-sim allow-list entries (`"list deployments.apps"`). */
async function rbacAllowList(): Promise<Set<string>> {
  const text = await Deno.readTextFile(
    new URL("../../deploy/rbac.yaml", import.meta.url),
  );
  const documents = parseAllDocuments(text).map((d) => d.toJS());
  const kinds = documents.map((d) => d.kind).sort();
  assert.deepEqual(kinds, [
    "ClusterRole",
    "ClusterRoleBinding",
    "ServiceAccount",
  ]);
  const role = documents.find((d) => d.kind === "ClusterRole");
  const allowed = new Set<string>();
  for (
    const rule of role.rules as {
      apiGroups: string[];
      resources: string[];
      verbs: string[];
    }[]
  ) {
    // watch: what `sync --watch` follows (pods and chart kinds), no more.
    const watched = rule.resources.every((r) =>
      ["pods", "services", "deployments"].includes(r)
    );
    assert.deepEqual(
      rule.verbs,
      watched ? ["get", "list", "watch"] : ["get", "list"],
    );
    for (const group of rule.apiGroups) {
      for (const resource of rule.resources) {
        for (const verb of rule.verbs) {
          allowed.add(`${verb} ${group ? `${resource}.${group}` : resource}`);
        }
      }
    }
  }
  return allowed;
}

Deno.test("deploy/rbac.yaml grants what related() and readInstances() read on the demo scenario, and nothing else", async () => {
  const allowed = await rbacAllowList();
  const scenario = await loadScenario(DEMO_SCENARIO_URL);
  scenario.steps[1]!.instances[0]!.missing = [{
    apiVersion: "apps/v1",
    kind: "Deployment",
    name: "edgex-ui",
  }];
  await using kube = await startKube({ scenario, step: 1, token: "tok" });
  kube.state.allowed = allowed;
  await using k8s = startK8splugin({ scenario, step: 1 });
  const k8splugin = new HttpK8spluginClient({ baseUrl: k8s.url });
  try {
    await using client = KubeClient.fromKubeconfig(
      "k8sregionone",
      kubeconfig(kube.url, { token: "tok" }),
    );
    const instances = [await k8splugin.getInstance("edgex-1")];
    // The unlabelled-or-deleted check GETs the missing Deployment: get is used too.
    const read = await client.readInstances(instances);
    assert.equal(read.get("edgex-1")!.missing.length, 1);
    await client.related(["testns2"]);
    const used = new Set(
      Object.keys(kube.state.requests.byResource).map((key) =>
        key.replace(/^get /, "list ")
      ),
    );
    const granted = new Set(
      [...allowed].filter((a) => a.startsWith("list ")),
    );
    assert.deepEqual([...used].sort(), [...granted].sort());
    // Anything else is refused by the sim under this allow-list.
    const secrets = await kubeError(() =>
      client.list({ group: "", version: "v1", kind: "Secret" }, {
        namespace: "testns2",
      })
    );
    assert.deepEqual(secrets.permission, {
      verb: "list",
      resource: "secrets",
      group: "",
      namespace: "testns2",
    });
  } finally {
    k8splugin.close();
  }
});

Deno.test("KubeClient times out a hanging API server and rejects unusable kubeconfigs without echoing them", async () => {
  await using kube = await startKube({ step: 1 });
  await using client = KubeClient.fromKubeconfig("r1", kubeconfig(kube.url), {
    timeoutMs: 100,
    retries: 0,
  });
  await client.discover(POD);
  kube.state.faults = { hangRate: 1, match: "/api/v1/namespaces" };
  const timeout = await kubeError(() =>
    client.list(POD, { namespace: "testns2" })
  );
  assert.equal(timeout.reason, "Transport");
  assert.match(timeout.message, /timed out/);
  assert.equal(timeout.retryable, true);
  kube.state.faults = undefined;

  await using otherContext = KubeClient.fromKubeconfig(
    "r1",
    kubeconfig(kube.url),
    {
      context: "elsewhere",
    },
  );
  const context = await kubeError(() => otherContext.list(POD));
  assert.equal(context.reason, "Config");
  assert.match(context.message, /context "elsewhere" not found/);

  await using garbage = KubeClient.fromKubeconfig(
    "r1",
    "secret-looking: [unclosed",
  );
  const invalid = await kubeError(() => garbage.list(POD));
  assert.equal(invalid.reason, "Config");
  assert.ok(!invalid.message.includes("secret-looking"));
});
