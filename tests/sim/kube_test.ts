import assert from "node:assert/strict";
import {
  type KubeSimObject,
  startKube,
  type StartKubeOptions,
} from "../../sim/kube.ts";
import { DEMO_SCENARIO_URL, loadScenario } from "../../sim/scenario.ts";

const WIDGET_CRD: KubeSimObject = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "widgets.example.com" },
  spec: {
    group: "example.com",
    names: {
      kind: "Widget",
      plural: "widgets",
      singular: "widget",
      shortNames: ["wd"],
    },
    scope: "Namespaced",
    versions: [{ name: "v1", served: true, storage: true }],
  },
};

/** ConfigMaps labelled for selector tests: tier in {a,b,c}, idx, some with `extra`. */
function configMaps(count: number, namespace = "bulk"): KubeSimObject[] {
  return Array.from({ length: count }, (_, i) => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: `cm-${String(i).padStart(5, "0")}`,
      namespace,
      labels: {
        tier: ["a", "b", "c"][i % 3]!,
        idx: String(i),
        ...(i % 2 === 0 ? { extra: "yes" } : {}),
      },
    },
    data: { i: String(i) },
  }));
}

/** GETs a path of the sim and returns status and JSON body. */
async function getJson(
  url: string,
  path: string,
  init: RequestInit & { client?: Deno.HttpClient } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url + path, init);
  return {
    status: response.status,
    body: await response.json() as Record<string, unknown>,
  };
}

async function withKube(
  options: StartKubeOptions,
  fn: (kube: Awaited<ReturnType<typeof startKube>>) => Promise<void>,
): Promise<void> {
  await using kube = await startKube(options);
  await fn(kube);
}

Deno.test("startKube() serves /version and discovery with short names and CRD kinds", async () => {
  await withKube({ extraObjects: [WIDGET_CRD] }, async (kube) => {
    const version = await getJson(kube.url, "/version");
    assert.equal(version.status, 200);
    assert.equal(version.body.gitVersion, "v1.31.4");
    assert.equal(version.body.major, "1");

    const api = await getJson(kube.url, "/api");
    assert.deepEqual(api.body.versions, ["v1"]);
    assert.equal(api.body.kind, "APIVersions");

    const core = await getJson(kube.url, "/api/v1");
    assert.equal(core.body.kind, "APIResourceList");
    assert.equal(core.body.groupVersion, "v1");
    const pods = (core.body.resources as Record<string, unknown>[]).find((r) =>
      r.name === "pods"
    );
    assert.deepEqual(pods, {
      name: "pods",
      singularName: "pod",
      namespaced: true,
      kind: "Pod",
      verbs: ["get", "list"],
      shortNames: ["po"],
    });

    const groups = await getJson(kube.url, "/apis");
    assert.equal(groups.body.kind, "APIGroupList");
    const names = (groups.body.groups as { name: string }[]).map((g) => g.name);
    for (
      const group of [
        "apps",
        "storage.k8s.io",
        "apiextensions.k8s.io",
        "example.com",
      ]
    ) assert.ok(names.includes(group), group);

    const group = await getJson(kube.url, "/apis/example.com");
    assert.equal(group.body.kind, "APIGroup");
    assert.deepEqual(group.body.preferredVersion, {
      groupVersion: "example.com/v1",
      version: "v1",
    });

    const widgets = await getJson(kube.url, "/apis/example.com/v1");
    assert.deepEqual(widgets.body.resources, [{
      name: "widgets",
      singularName: "widget",
      namespaced: true,
      kind: "Widget",
      verbs: ["get", "list"],
      shortNames: ["wd"],
    }]);

    const unknown = await getJson(kube.url, "/apis/nope.io/v1");
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.kind, "Status");
    assert.equal(unknown.body.reason, "NotFound");
  });
});

Deno.test("startKube() serves the demo scenario step: labelled objects, missing ones absent, lists typed like a real server", async () => {
  const scenario = await loadScenario(DEMO_SCENARIO_URL);
  const withMissing = structuredClone(scenario);
  withMissing.steps[1]!.instances[0]!.missing = [{
    apiVersion: "apps/v1",
    kind: "Deployment",
    name: "edgex-ui",
  }];
  await withKube({ scenario: withMissing, step: 1 }, async (kube) => {
    const list = await getJson(
      kube.url,
      "/apis/apps/v1/namespaces/testns2/deployments",
    );
    assert.equal(list.status, 200);
    assert.equal(list.body.kind, "DeploymentList");
    assert.equal(list.body.apiVersion, "apps/v1");
    const metadata = list.body.metadata as Record<string, unknown>;
    assert.equal(metadata.resourceVersion, String(kube.state.resourceVersion));
    const items = list.body.items as Record<string, unknown>[];
    assert.deepEqual(
      items.map((i) => (i.metadata as { name: string }).name),
      ["edgex-core-data"],
    );
    // Built-in kinds: LIST items carry no apiVersion/kind (like kube-apiserver).
    assert.equal(items[0]!.apiVersion, undefined);
    assert.equal(items[0]!.kind, undefined);
    assert.equal(
      (items[0]!.metadata as { labels: Record<string, string> })
        .labels["k8splugin.io/rb-instance-id"],
      "edgex-1",
    );

    const gone = await getJson(
      kube.url,
      "/apis/apps/v1/namespaces/testns2/deployments/edgex-ui",
    );
    assert.equal(gone.status, 404);
    assert.deepEqual(gone.body, {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: 'deployments.apps "edgex-ui" not found',
      reason: "NotFound",
      details: { name: "edgex-ui", group: "apps", kind: "deployments" },
      code: 404,
    });

    const one = await getJson(
      kube.url,
      "/apis/apps/v1/namespaces/testns2/deployments/edgex-core-data",
    );
    assert.equal(one.body.apiVersion, "apps/v1");
    assert.equal(one.body.kind, "Deployment");

    // All namespaces, and the synthesised Namespace.
    const all = await getJson(kube.url, "/api/v1/pods");
    assert.ok((all.body.items as unknown[]).length > 0);
    const ns = await getJson(kube.url, "/api/v1/namespaces/testns2");
    assert.equal(ns.status, 200);
    assert.equal(ns.body.kind, "Namespace");

    // Deleted at the last step: nothing left.
    kube.state.setStep(4);
    const after = await getJson(kube.url, "/api/v1/namespaces/testns2/pods");
    assert.deepEqual(after.body.items, []);
    assert.throws(() => kube.state.setStep(99), RangeError);
  });
});

Deno.test("startKube() filters LISTs with equality and set-based label selectors and field selectors", async () => {
  await withKube(
    { scenario: null, extraObjects: configMaps(12) },
    async (kube) => {
      async function names(query: string): Promise<string[]> {
        const { status, body } = await getJson(
          kube.url,
          `/api/v1/namespaces/bulk/configmaps?${query}`,
        );
        assert.equal(status, 200, query);
        return (body.items as { metadata: { labels: { idx: string } } }[]).map(
          (i) => i.metadata.labels.idx,
        );
      }
      const selector = (s: string) => `labelSelector=${encodeURIComponent(s)}`;
      assert.deepEqual(await names(selector("tier=a")), ["0", "3", "6", "9"]);
      assert.deepEqual(await names(selector("tier==a")), ["0", "3", "6", "9"]);
      assert.deepEqual(
        await names(selector("tier!=a,extra")),
        ["2", "4", "8", "10"],
      );
      assert.deepEqual(
        (await names(selector("tier in (a, b),idx notin (0,1,3)"))).sort(),
        ["10", "4", "6", "7", "9"],
      );
      assert.deepEqual(
        (await names(selector("!extra,tier=c"))).sort(),
        ["11", "5"],
      );
      assert.deepEqual(
        (await names(selector("idx>9"))).sort(),
        ["10", "11"],
      );
      assert.deepEqual(
        await names("fieldSelector=metadata.name%3Dcm-00004"),
        ["4"],
      );
      assert.equal(
        (await names("fieldSelector=metadata.name!%3Dcm-00004")).length,
        11,
      );

      const bad = await getJson(
        kube.url,
        `/api/v1/namespaces/bulk/configmaps?${selector("tier in ()")}`,
      );
      assert.equal(bad.status, 400);
      assert.equal(bad.body.reason, "BadRequest");
      const badField = await getJson(
        kube.url,
        "/api/v1/namespaces/bulk/configmaps?fieldSelector=spec.x%3D1",
      );
      assert.equal(badField.status, 400);
      assert.match(String(badField.body.message), /field label not supported/);
    },
  );
});

Deno.test("startKube() paginates with limit/continue over 1,200 objects; tokens expire after compact()", async () => {
  await withKube(
    { scenario: null, extraObjects: configMaps(1200) },
    async (kube) => {
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      const rv = String(kube.state.resourceVersion);
      do {
        const query = `limit=250${
          token ? `&continue=${encodeURIComponent(token)}` : ""
        }`;
        const { status, body } = await getJson(
          kube.url,
          `/api/v1/configmaps?${query}`,
        );
        assert.equal(status, 200);
        const metadata = body.metadata as Record<string, unknown>;
        assert.equal(metadata.resourceVersion, rv);
        for (const item of body.items as { metadata: { name: string } }[]) {
          seen.push(item.metadata.name);
        }
        token = metadata.continue as string | undefined;
        if (token) {
          assert.equal(metadata.remainingItemCount, 1200 - seen.length);
        }
        pages++;
      } while (token);
      assert.equal(pages, 5);
      assert.equal(seen.length, 1200);
      assert.equal(new Set(seen).size, 1200);
      assert.deepEqual(seen, [...seen].sort());

      // A token stays valid across a change (served from its snapshot) …
      const first = await getJson(kube.url, "/api/v1/configmaps?limit=1000");
      const next = (first.body.metadata as { continue: string }).continue;
      kube.state.setExtraObjects(configMaps(1300));
      const stillOld = await getJson(
        kube.url,
        `/api/v1/configmaps?limit=1000&continue=${encodeURIComponent(next)}`,
      );
      assert.equal(stillOld.status, 200);
      assert.equal((stillOld.body.items as unknown[]).length, 200);
      // … until the store is compacted: 410 Expired.
      kube.state.compact();
      const expired = await getJson(
        kube.url,
        `/api/v1/configmaps?limit=1000&continue=${encodeURIComponent(next)}`,
      );
      assert.equal(expired.status, 410);
      assert.equal(expired.body.reason, "Expired");
      assert.equal(expired.body.code, 410);
      // A token that is not one of ours: 400, as kube-apiserver answers.
      const invalid = await getJson(
        kube.url,
        "/api/v1/configmaps?limit=10&continue=garbage!",
      );
      assert.equal(invalid.status, 400);
      assert.equal(invalid.body.reason, "BadRequest");
    },
  );
});

Deno.test("startKube() answers 401 without the bearer token and 403 with kube-apiserver's wording", async () => {
  await withKube({ token: "s3cret" }, async (kube) => {
    const anonymous = await getJson(
      kube.url,
      "/api/v1/namespaces/testns2/pods",
    );
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.reason, "Unauthorized");
    const wrong = await getJson(kube.url, "/api/v1/pods", {
      headers: { Authorization: "Bearer nope" },
    });
    assert.equal(wrong.status, 401);

    const auth = { headers: { Authorization: "Bearer s3cret" } };
    kube.state.forbidden.add("list pods in testns2");
    kube.state.forbidden.add("nodes");
    kube.state.forbidden.add("get deployments.apps");
    const pods = await getJson(
      kube.url,
      "/api/v1/namespaces/testns2/pods",
      auth,
    );
    assert.equal(pods.status, 403);
    assert.equal(
      pods.body.message,
      'pods is forbidden: User "system:serviceaccount:onap-k8s-aai-sync:k8s-aai-sync" cannot list resource "pods" in API group "" in the namespace "testns2"',
    );
    assert.deepEqual(pods.body.details, { kind: "pods" });
    const nodes = await getJson(kube.url, "/api/v1/nodes", auth);
    assert.equal(
      nodes.body.message,
      'nodes is forbidden: User "system:serviceaccount:onap-k8s-aai-sync:k8s-aai-sync" cannot list resource "nodes" in API group "" at the cluster scope',
    );
    const deployment = await getJson(
      kube.url,
      "/apis/apps/v1/namespaces/testns2/deployments/edgex-ui",
      auth,
    );
    assert.equal(deployment.status, 403);
    assert.equal(
      deployment.body.message,
      'deployments.apps "edgex-ui" is forbidden: User "system:serviceaccount:onap-k8s-aai-sync:k8s-aai-sync" cannot get resource "deployments" in API group "apps" in the namespace "testns2"',
    );
    // Other verbs, namespaces and kinds stay allowed.
    assert.equal((await getJson(kube.url, "/api/v1/pods", auth)).status, 200);
    assert.equal(
      (await getJson(kube.url, "/apis/apps/v1/deployments", auth)).status,
      200,
    );
    assert.equal(kube.state.requests.byResource["list pods"], 2);
  });
});

Deno.test("startKube() injects faults from state.faults", async () => {
  await withKube({}, async (kube) => {
    kube.state.faults = { errorRates: { 503: 1 }, match: "/api/v1/pods" };
    const failed = await fetch(`${kube.url}/api/v1/pods`);
    await failed.body?.cancel();
    assert.equal(failed.status, 503);
    const other = await getJson(kube.url, "/apis/apps/v1/deployments");
    assert.equal(other.status, 200);
    kube.state.faults = undefined;
    assert.equal((await getJson(kube.url, "/api/v1/pods")).status, 200);
  });
});

Deno.test("startKube() serves HTTPS with a generated CA", async () => {
  await withKube({ tls: true, token: "t" }, async (kube) => {
    assert.ok(kube.url.startsWith("https://127.0.0.1:"));
    assert.ok(kube.caCert?.includes("BEGIN CERTIFICATE"));
    using client = Deno.createHttpClient({ caCerts: [kube.caCert!] });
    const { status, body } = await getJson(kube.url, "/api/v1/pods", {
      client,
      headers: { Authorization: "Bearer t" },
    });
    assert.equal(status, 200);
    assert.equal(body.kind, "PodList");
  });
});

/** Writes a kubeconfig for the sim to a temp file. */
async function kubeconfigFile(
  url: string,
  token: string,
  caCert?: string,
): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "kube-sim-test-" });
  const cluster = caCert
    ? `{server: "${url}", certificate-authority-data: "${btoa(caCert)}"}`
    : `{server: "${url}", insecure-skip-tls-verify: true}`;
  const path = `${dir}/kubeconfig`;
  await Deno.writeTextFile(
    path,
    [
      "apiVersion: v1",
      "kind: Config",
      `clusters: [{name: sim, cluster: ${cluster}}]`,
      `users: [{name: u, user: {token: "${token}"}}]`,
      "contexts: [{name: c, context: {cluster: sim, user: u, namespace: testns2}}]",
      "current-context: c",
      "",
    ].join("\n"),
  );
  return path;
}

/**
 * Runs the unmodified client-node in a child Deno process (its undici
 * transport speaks HTTP/2 through Deno's node:http2, which aborts the process
 * when a server shuts down under it, so it must not share the test process).
 */
async function clientNode(
  kubeconfig: string,
): Promise<Record<string, unknown>> {
  const script = `
import { AppsV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi } from "@kubernetes/client-node";
const kc = new KubeConfig();
kc.loadFromFile(${JSON.stringify(kubeconfig)});
const objects = KubernetesObjectApi.makeApiClient(kc);
const pods = await objects.list("v1", "Pod", "testns2", undefined, undefined, undefined, undefined, "app in (edgex-core-data,edgex-ui)");
const page = await objects.list("v1", "ConfigMap", "bulk", undefined, undefined, undefined, undefined, undefined, 2);
const deployment = await objects.read({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "edgex-ui", namespace: "testns2" } });
const widget = await objects.read({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w1", namespace: "testns2" } });
const nodes = await kc.makeApiClient(CoreV1Api).listNode();
const deployments = await kc.makeApiClient(AppsV1Api).listDeploymentForAllNamespaces({ labelSelector: "app=edgex-ui" });
let missing;
try { await objects.read({ apiVersion: "v1", kind: "Service", metadata: { name: "nope", namespace: "testns2" } }); }
catch (e) { missing = { code: e.code, reason: JSON.parse(e.body).reason }; }
console.log(JSON.stringify({
  pods: pods.items.map((p) => p.metadata.name),
  page: { count: page.items.length, continue: Boolean(page.metadata._continue) },
  deployment: [deployment.kind, deployment.metadata.name, deployment.spec.replicas],
  widget: [widget.kind, widget.spec.size],
  nodes: nodes.items.map((n) => n.metadata.name),
  deployments: deployments.items.map((d) => d.metadata.namespace + "/" + d.metadata.name),
  missing,
}));
`;
  const dir = await Deno.makeTempDir({ prefix: "client-node-probe-" });
  try {
    const file = `${dir}/probe.ts`;
    await Deno.writeTextFile(file, script);
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--allow-all",
        "--config",
        new URL("../../deno.json", import.meta.url).pathname,
        file,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(output.stdout);
    assert.equal(
      output.code,
      0,
      `client-node probe failed: ${new TextDecoder().decode(output.stderr)}`,
    );
    return JSON.parse(stdout.trim().split("\n").at(-1)!);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const CLUSTER_EXTRAS: KubeSimObject[] = [
  WIDGET_CRD,
  {
    apiVersion: "example.com/v1",
    kind: "Widget",
    metadata: { name: "w1", namespace: "testns2" },
    spec: { size: 3 },
  },
  {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: "node-1" },
    status: { conditions: [{ type: "Ready", status: "True" }] },
  },
  ...configMaps(5),
];

for (const tls of [false, true]) {
  Deno.test(
    `startKube() works with the unmodified @kubernetes/client-node over ${
      tls ? "HTTPS" : "HTTP"
    } with a bearer token`,
    async () => {
      await withKube(
        { step: 1, tls, token: "tok", extraObjects: CLUSTER_EXTRAS },
        async (kube) => {
          const result = await clientNode(
            await kubeconfigFile(kube.url, "tok", kube.caCert),
          );
          assert.deepEqual(result, {
            pods: [
              "edgex-core-data-6c7b9d5f48-x7kq2",
              "edgex-ui-7f9d8b5c46-tz9wp",
            ],
            page: { count: 2, continue: true },
            deployment: ["Deployment", "edgex-ui", 1],
            widget: ["Widget", 3],
            nodes: ["node-1"],
            deployments: ["testns2/edgex-ui"],
            missing: { code: 404, reason: "NotFound" },
          });
        },
      );
    },
  );
}

const kubectl = await (async () => {
  try {
    const { success } = await new Deno.Command("kubectl", {
      args: ["version", "--client"],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
})();

Deno.test({
  name:
    "startKube() works with kubectl: get, -l, -A, -o json, api-resources over HTTPS with a token",
  ignore: !kubectl,
  async fn() {
    await withKube(
      { step: 1, tls: true, token: "tok", extraObjects: CLUSTER_EXTRAS },
      async (kube) => {
        const config = await kubeconfigFile(kube.url, "tok", kube.caCert);
        const cache = await Deno.makeTempDir({ prefix: "kubectl-cache-" });
        async function run(...args: string[]): Promise<string> {
          const output = await new Deno.Command("kubectl", {
            args: ["--kubeconfig", config, "--cache-dir", cache, ...args],
            stdout: "piped",
            stderr: "piped",
          }).output();
          assert.equal(
            output.code,
            0,
            `kubectl ${args.join(" ")}: ${
              new TextDecoder().decode(output.stderr)
            }`,
          );
          return new TextDecoder().decode(output.stdout);
        }
        try {
          const table = await run("get", "pods");
          assert.match(table, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/m);
          assert.match(
            table,
            /^edgex-ui-7f9d8b5c46-tz9wp\s+1\/1\s+Running\s+0\s+\S+$/m,
          );
          const wide = await run("get", "deploy", "-A");
          assert.match(
            wide,
            /^NAMESPACE\s+NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/m,
          );
          assert.match(wide, /^testns2\s+edgex-ui\s+1\/1\s+1\s+1\s+\S+$/m);
          assert.match(
            await run("get", "svc", "edgex-core-data"),
            /^edgex-core-data\s+ClusterIP\s+10\.233\.12\.34\s+48080\/TCP\s+\S+$/m,
          );
          assert.equal(
            (await run("get", "deploy", "-A", "-o", "name")).trim(),
            "deployment.apps/edgex-core-data\ndeployment.apps/edgex-ui",
          );
          const json = JSON.parse(
            await run("get", "po", "-l", "app=edgex-ui", "-o", "json"),
          );
          assert.equal(json.items.length, 1);
          assert.equal(json.items[0].kind, "Pod");
          assert.equal(
            (await run("get", "wd", "-n", "testns2", "-o", "name")).trim(),
            "widget.example.com/w1",
          );
          const resources = await run("api-resources");
          assert.match(
            resources,
            /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m,
          );
          assert.match(
            resources,
            /^widgets\s+wd\s+example\.com\/v1\s+true\s+Widget$/m,
          );
          const failure = await new Deno.Command("kubectl", {
            args: [
              "--kubeconfig",
              config,
              "--cache-dir",
              cache,
              "get",
              "svc",
              "nope",
            ],
            stdout: "piped",
            stderr: "piped",
          }).output();
          assert.equal(failure.code, 1);
          assert.match(
            new TextDecoder().decode(failure.stderr),
            /services "nope" not found/,
          );
        } finally {
          await Deno.remove(cache, { recursive: true });
          await Deno.remove(config.replace(/\/kubeconfig$/, ""), {
            recursive: true,
          });
        }
      },
    );
  },
});
