import assert from "node:assert/strict";
import {
  HttpK8spluginClient,
  type ResourceStatus,
} from "../../adapters/k8splugin.ts";
import { startK8splugin } from "../../sim/k8splugin.ts";
import { parseScenario } from "../../sim/scenario.ts";
import { NotifierAudit } from "../../sync/watch/notifier_audit.ts";
import { AUDIT_CHUNK, auditSubscriptions } from "../../tasks/_watch_audit.ts";

const LABEL = "k8splugin.io/rb-instance-id";

/** A `/status` or `/v1/query` entry. */
function entry(
  kind: string,
  name: string,
  options: {
    owner?: string | null;
    rv?: string;
    namespace?: string | null;
    status?: unknown;
    typeMeta?: boolean;
  } = {},
): ResourceStatus {
  const [group, version] = kind === "Pod"
    ? ["", "v1"]
    : kind === "Namespace"
    ? ["", "v1"]
    : ["apps", "v1"];
  const metadata: Record<string, unknown> = { name };
  if (options.namespace !== null) {
    metadata.namespace = options.namespace ?? "ns";
  }
  if (options.rv !== undefined) metadata.resourceVersion = options.rv;
  if (options.owner !== null) {
    metadata.labels = { [LABEL]: options.owner ?? "app-1" };
  }
  const object: Record<string, unknown> = {
    metadata,
    status: options.status ?? {},
  };
  if (options.typeMeta) {
    object.apiVersion = group ? `${group}/${version}` : version;
    object.kind = kind;
  }
  return { name, gvk: { group: group!, version: version!, kind }, object };
}

/** Query answers keyed `apiVersion|kind`. */
function answers(
  byKind: Record<string, ResourceStatus[]>,
): Map<string, ResourceStatus[]> {
  return new Map(Object.entries(byKind));
}

Deno.test("NotifierAudit: the same versions are 'same'; a moved Deployment or a replaced pod is 'changed'", () => {
  const audit = new NotifierAudit();
  audit.record("app-1", "r", "ns", [
    entry("Deployment", "web", { rv: "10" }),
    entry("Pod", "web-a", { rv: "11" }),
  ]);
  assert.deepEqual(audit.queriesFor("r"), [
    { apiVersion: "apps/v1", kind: "Deployment" },
    { apiVersion: "v1", kind: "Pod" },
  ]);
  const same = answers({
    "apps/v1|Deployment": [
      entry("Deployment", "web", { rv: "10", typeMeta: true }),
    ],
    "v1|Pod": [entry("Pod", "web-a", { rv: "11", typeMeta: true })],
  });
  assert.deepEqual(audit.compare("r", ["app-1"], same), {
    changed: [],
    unaudited: [],
  });
  const moved = answers({
    "apps/v1|Deployment": [entry("Deployment", "web", { rv: "12" })],
    "v1|Pod": [entry("Pod", "web-a", { rv: "11" })],
  });
  assert.deepEqual(audit.compare("r", ["app-1"], moved).changed, ["app-1"]);
  const replaced = answers({
    "apps/v1|Deployment": [entry("Deployment", "web", { rv: "10" })],
    "v1|Pod": [entry("Pod", "web-b", { rv: "13" })],
  });
  assert.deepEqual(audit.compare("r", ["app-1"], replaced).changed, ["app-1"]);
  const extraPod = answers({
    "apps/v1|Deployment": [entry("Deployment", "web", { rv: "10" })],
    "v1|Pod": [
      entry("Pod", "web-a", { rv: "11" }),
      entry("Pod", "web-b", { rv: "13" }),
    ],
  });
  assert.deepEqual(audit.compare("r", ["app-1"], extraPod).changed, ["app-1"]);
});

Deno.test("NotifierAudit: a chart resource gone from the cluster is 'changed' (its /status fails, which kills the notifier)", () => {
  const audit = new NotifierAudit();
  audit.record("app-1", "r", "ns", [entry("Deployment", "web", { rv: "1" })]);
  const gone = answers({ "apps/v1|Deployment": [], "v1|Pod": [] });
  assert.deepEqual(audit.compare("r", ["app-1"], gone).changed, ["app-1"]);
});

Deno.test("NotifierAudit: what /status would not show does not count — another kind's labelled objects, pods of other namespaces or instances, unlabelled objects", () => {
  const audit = new NotifierAudit();
  audit.record("app-1", "r", "ns", [
    entry("Deployment", "web", { rv: "1" }),
    // Pre-existing, skipped by k8splugin: no label, not audited.
    entry("Deployment", "shared", { rv: "2", owner: null }),
  ]);
  assert.deepEqual(
    audit.compare(
      "r",
      ["app-1"],
      answers({
        "apps/v1|Deployment": [
          entry("Deployment", "web", { rv: "1" }),
          // A labelled object of the kind that is not among the instance's resources.
          entry("Deployment", "web-canary", { rv: "9" }),
        ],
        "v1|Pod": [
          entry("Pod", "stray", { rv: "5", namespace: "other" }),
          entry("Pod", "theirs", { rv: "6", owner: "app-2" }),
        ],
      }),
    ),
    { changed: [], unaudited: [] },
  );
});

Deno.test("NotifierAudit: never read, a region mix-up, or a kind whose query failed leave an instance 'unaudited'", () => {
  const audit = new NotifierAudit();
  audit.record("app-1", "r", "ns", [entry("Deployment", "web", { rv: "1" })]);
  audit.record("app-2", "other", "ns", [entry("Pod", "p", { rv: "1" })]);
  // No Deployment answer: that query failed.
  const partial = answers({ "v1|Pod": [] });
  assert.deepEqual(audit.compare("r", ["app-1", "app-2", "app-3"], partial), {
    changed: [],
    unaudited: ["app-1", "app-2", "app-3"],
  });
  // An instance whose read held nothing to compare is read instead.
  audit.record("app-4", "r", "ns", [entry("Pod", "p", { owner: null })]);
  assert.deepEqual(
    audit.compare("r", ["app-4"], answers({ "v1|Pod": [] })).unaudited,
    ["app-4"],
  );
});

Deno.test("NotifierAudit: objects without resourceVersion compare by content, type meta aside (a pod from /status has none, the same pod from /v1/query has it)", () => {
  const audit = new NotifierAudit();
  audit.record("app-1", "r", "ns", [
    entry("Pod", "p", { status: { phase: "Running" } }),
    entry("Namespace", "app-ns", { namespace: null, rv: "3" }),
  ]);
  const same = answers({
    "v1|Pod": [
      entry("Pod", "p", { status: { phase: "Running" }, typeMeta: true }),
    ],
    "v1|Namespace": [
      entry("Namespace", "app-ns", { namespace: null, rv: "3" }),
    ],
  });
  assert.deepEqual(audit.compare("r", ["app-1"], same).changed, []);
  const moved = answers({
    "v1|Pod": [entry("Pod", "p", { status: { phase: "Failed" } })],
    "v1|Namespace": [
      entry("Namespace", "app-ns", { namespace: null, rv: "3" }),
    ],
  });
  assert.deepEqual(audit.compare("r", ["app-1"], moved).changed, ["app-1"]);
});

Deno.test("NotifierAudit: record() replaces the last read, keepOnly() drops the others, and queriesFor() follows", () => {
  const audit = new NotifierAudit();
  audit.record("app-1", "r", "ns", [entry("Deployment", "web", { rv: "1" })]);
  audit.record("app-1", "r", "ns", [entry("Pod", "p", { rv: "2" })]);
  assert.equal(audit.size, 1);
  assert.deepEqual(audit.queriesFor("r"), [{ apiVersion: "v1", kind: "Pod" }]);
  assert.deepEqual(
    audit.compare(
      "r",
      ["app-1"],
      answers({ "v1|Pod": [entry("Pod", "p", { rv: "2" })] }),
    ),
    { changed: [], unaudited: [] },
  );
  audit.keepOnly(["app-2"]);
  assert.equal(audit.size, 0);
  assert.deepEqual(
    audit.compare("r", ["app-1"], answers({ "v1|Pod": [] })).unaudited,
    ["app-1"],
  );
});

Deno.test("auditSubscriptions() queries each kind per chunk of instances with an `in (…)` selector, against the k8splugin simulator; a failing chunk or an id that cannot be a label value is read instead", async () => {
  const request = {
    "rb-name": "rb",
    "rb-version": "v1",
    "profile-name": "p",
    "cloud-region": "r1",
  };
  const count = AUDIT_CHUNK + 5;
  const ids = Array.from({ length: count }, (_, i) => `app-${i}`);
  const step = (changed: string) => ({
    name: "s",
    now: "2026-11-25T10:00:00Z",
    instances: ids.map((id) => ({
      id,
      request,
      namespace: "ns",
      objects: [{
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: {
          name: `${id}-web`,
          namespace: "ns",
          resourceVersion: id === changed ? "2" : "1",
        },
      }],
    })),
  });
  const scenario = parseScenario({
    regions: [{ cloudRegion: "r1", cloudOwner: "Owner" }],
    steps: [step(""), step("app-7")],
  }, "audit");
  await using sim = startK8splugin({ scenario });
  using client = new HttpK8spluginClient({ baseUrl: sim.url, retries: 0 });
  const audit = new NotifierAudit();
  const summaries = [];
  for (const id of ids) {
    const status = await client.getStatus(id);
    audit.record(id, "r1", "ns", status.resources);
    summaries.push({
      id,
      cloudRegion: "r1",
      namespace: "ns",
      rbName: "rb",
      rbVersion: "v1",
      profileName: "p",
      releaseName: "",
      labels: {},
    });
  }
  summaries.push({ ...summaries[0]!, id: "Not a label value!" });
  const queries = () => sim.state.requests.byRoute["GET /v1/query"] ?? 0;
  const quiet = await auditSubscriptions(audit, client, summaries);
  assert.deepEqual(quiet.changed, []);
  assert.deepEqual(quiet.unaudited, ["Not a label value!"]);
  // Two chunks × (Deployment, Pod).
  assert.equal(quiet.queries, 4);
  assert.equal(queries(), 4);
  sim.state.advance();
  const moved = await auditSubscriptions(audit, client, summaries);
  assert.deepEqual(moved.changed, ["app-7"]);
  // A k8splugin without /v1/query: every chunk is read instead.
  const old = {
    queryRegion: () => Promise.reject(new Error("HTTP 404")),
  };
  const failed = await auditSubscriptions(audit, old, summaries);
  assert.equal(failed.unaudited.length, count + 1);
  assert.equal(failed.problems.length, 2);
});
