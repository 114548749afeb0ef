import assert from "node:assert/strict";
import {
  createEvaluator,
  DEFAULT_RULE_OPTIONS,
  evaluate,
  evaluateAll,
  type KubeObject,
  type Readiness,
  resourceLabel,
  type Rule,
  ruleKeyOf,
  RULES,
} from "../../rules/mod.ts";
import { relatedIndex } from "../../rules/_related.ts";

const NOW = new Date("2026-11-25T10:00:00Z");

function deployment(
  status: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: "web",
      namespace: "demo",
      uid: "d-1",
      generation: 1,
      ...extra,
    },
    spec: { replicas: 2, selector: { matchLabels: { app: "web" } } },
    status: { observedGeneration: 1, ...status },
  };
}

const READY_COUNTS = {
  replicas: 2,
  updatedReplicas: 2,
  readyReplicas: 2,
  availableReplicas: 2,
};

function crashingPod(
  name: string,
  namespace: string,
  labels: Record<string, string>,
  owner?: object,
): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace,
      labels,
      ...(owner === undefined ? {} : { ownerReferences: [owner] }),
    },
    spec: { restartPolicy: "Always" },
    status: {
      phase: "Running",
      containerStatuses: [{
        name: "app",
        ready: false,
        restartCount: 3,
        state: { waiting: { reason: "CrashLoopBackOff" } },
      }],
    },
  };
}

Deno.test("evaluate() answers InvalidObject for values that are not objects", () => {
  for (const value of [null, undefined, "Deployment", 42, [], true]) {
    const result = evaluate(value, { now: NOW });
    assert.equal(result.verdict, "Pending");
    assert.equal(result.reason, "InvalidObject");
    assert.match(result.message, /expected a Kubernetes object/);
  }
});

Deno.test("evaluate() names the missing kind, and says how to pass a bare status block", () => {
  assert.deepEqual(evaluate({ status: { phase: "Running" } }, { now: NOW }), {
    verdict: "Pending",
    reason: "InvalidObject",
    message:
      "kind is missing: a bare status block needs apiVersion and kind filled in by the caller",
    warnings: [],
  });
  assert.equal(
    evaluate({ metadata: { name: "x" } }, { now: NOW }).message,
    "kind is missing",
  );
  assert.equal(
    evaluate({ kind: 7 }, { now: NOW }).message,
    "kind is the number 7, expected a string",
  );
  assert.equal(
    evaluate({ kind: "Pod", apiVersion: 1 }, { now: NOW }).message,
    "apiVersion is the number 1, expected a string",
  );
  assert.equal(
    evaluate({ kind: "Pod", metadata: "web" }, { now: NOW }).message,
    'metadata is a string ("web"), expected an object',
  );
});

Deno.test("evaluate() routes a bare status block with only kind to the Kind's rule", () => {
  const result = evaluate({
    kind: "Deployment",
    status: { replicas: 1, updatedReplicas: 1, readyReplicas: 0 },
  }, { now: NOW });
  assert.equal(result.reason, "LessAvailable");
  assert.equal(result.message, "0/1 replicas available");
});

Deno.test("evaluate() marks a Deployment Pending while updatedReplicas < replicas", () => {
  const result = evaluate(deployment({ ...READY_COUNTS, updatedReplicas: 1 }), {
    now: NOW,
  });
  assert.deepEqual(result, {
    verdict: "Pending",
    reason: "LessUpdated",
    message: "1/2 replicas updated",
    warnings: [],
  });
});

Deno.test("evaluate() defaults now to the current time", () => {
  const startTime = new Date(Date.now() - 10_000).toISOString();
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p" },
    status: {
      phase: "Pending",
      startTime,
      containerStatuses: [{
        name: "app",
        ready: false,
        state: { waiting: { reason: "CreateContainerConfigError" } },
      }],
    },
  };
  assert.equal(evaluate(pod).verdict, "Pending");
  assert.equal(
    evaluate(pod, { now: new Date(Date.now() + 120_000) }).verdict,
    "Failed",
  );
});

Deno.test("createEvaluator() rejects an invalid now with a RangeError", () => {
  assert.throws(
    () => createEvaluator({ now: new Date("not a date") }),
    RangeError,
  );
});

Deno.test("evaluate() merges partial options over DEFAULT_RULE_OPTIONS", () => {
  const pod = crashingPod("p", "demo", {});
  assert.equal(evaluate(pod, { now: NOW }).verdict, "Failed");
  assert.equal(
    evaluate(pod, { now: NOW, options: { crashLoopRestarts: 10 } }).verdict,
    "Pending",
  );
  assert.ok(Object.isFrozen(DEFAULT_RULE_OPTIONS));
  assert.equal(DEFAULT_RULE_OPTIONS.unschedulableGraceMs, 300_000);
  assert.equal(DEFAULT_RULE_OPTIONS.configErrorGraceMs, 60_000);
  assert.equal(DEFAULT_RULE_OPTIONS.restartStabilityMs, 60_000);
  assert.equal(DEFAULT_RULE_OPTIONS.crashLoopRestarts, 1);
  assert.equal(DEFAULT_RULE_OPTIONS.stallTimeoutMs, 600_000);
});

Deno.test("evaluate() consults context.rules before RULES, after the preamble", () => {
  const widgetRule: Rule = (object) => ({
    verdict: "Failed",
    reason: "WidgetBroken",
    message: `custom rule saw ${
      String((object.spec as { size: number }).size)
    }`,
    warnings: [],
  });
  const rules = new Map([["example.com/Widget", widgetRule]]);
  const widget = {
    apiVersion: "example.com/v1",
    kind: "Widget",
    metadata: { name: "w" },
    spec: { size: 3 },
  };
  assert.equal(evaluate(widget, { now: NOW }).reason, "Exists");
  assert.equal(
    evaluate(widget, { now: NOW, rules }).message,
    "custom rule saw 3",
  );
  const deleting = {
    ...widget,
    metadata: { name: "w", deletionTimestamp: "2026-11-25T09:59:00Z" },
  };
  assert.equal(evaluate(deleting, { now: NOW, rules }).reason, "Terminating");
});

Deno.test("evaluate() turns an exception in a rule into Pending RuleError", () => {
  const rules = new Map<string, Rule>([["example.com/Widget", () => {
    throw new TypeError("boom");
  }]]);
  const result = evaluate({ apiVersion: "example.com/v1", kind: "Widget" }, {
    now: NOW,
    rules,
  });
  assert.equal(result.reason, "RuleError");
  assert.match(result.message, /boom/);
});

Deno.test("RULES entries never throw on malformed content", () => {
  const rule = RULES.get("apps/Deployment");
  assert.ok(rule !== undefined);
  const result: Readiness = rule(deployment({ replicas: "two" }), {
    now: NOW,
    related: [],
    options: { ...DEFAULT_RULE_OPTIONS },
  });
  assert.equal(result.reason, "InvalidObject");
  assert.equal(
    result.message,
    'status.replicas is a string ("two"), expected an integer',
  );
});

Deno.test("evaluate() finds owned pods by ownerReferences, ignoring a stale uid", () => {
  const current = crashingPod("web-1", "demo", { app: "other" }, {
    kind: "Deployment",
    name: "web",
    uid: "d-1",
  });
  const stale = crashingPod("web-2", "demo", { app: "other" }, {
    kind: "Deployment",
    name: "web",
    uid: "old-uid",
  });
  assert.equal(
    evaluate(deployment(READY_COUNTS), { now: NOW, related: [stale] }).verdict,
    "Ready",
  );
  assert.equal(
    evaluate(deployment(READY_COUNTS), { now: NOW, related: [stale, current] })
      .reason,
    "CrashLoopBackOff",
  );
});

Deno.test("evaluate() matches selector fallbacks only in the owner's namespace", () => {
  const elsewhere = crashingPod("web-x", "other-ns", { app: "web" });
  const here = crashingPod("web-y", "demo", { app: "web" });
  assert.equal(
    evaluate(deployment(READY_COUNTS), { now: NOW, related: [elsewhere] })
      .verdict,
    "Ready",
  );
  assert.match(
    evaluate(deployment(READY_COUNTS), { now: NOW, related: [elsewhere, here] })
      .message,
    /web-y/,
  );
});

Deno.test("evaluate() honours matchExpressions in selector fallbacks", () => {
  const owner = deployment(READY_COUNTS);
  (owner.spec as Record<string, unknown>).selector = {
    matchLabels: { app: "web" },
    matchExpressions: [{ key: "tier", operator: "In", values: ["front"] }, {
      key: "canary",
      operator: "DoesNotExist",
    }],
  };
  const back = crashingPod("web-back", "demo", { app: "web", tier: "back" });
  const canary = crashingPod("web-canary", "demo", {
    app: "web",
    tier: "front",
    canary: "yes",
  });
  const front = crashingPod("web-front", "demo", { app: "web", tier: "front" });
  assert.equal(
    evaluate(owner, { now: NOW, related: [back, canary] }).verdict,
    "Ready",
  );
  assert.match(
    evaluate(owner, { now: NOW, related: [back, canary, front] }).message,
    /web-front/,
  );
});

Deno.test("evaluate() skips malformed related objects instead of failing", () => {
  const related = [null, "pod", 3, {
    kind: "Pod",
    metadata: { labels: "nope" },
  }, crashingPod("web-z", "demo", { app: "web" })];
  const result = evaluate(deployment(READY_COUNTS), {
    now: NOW,
    related: related as unknown[],
  });
  assert.equal(result.reason, "CrashLoopBackOff");
});

Deno.test("createEvaluator() indexes a related array once and evaluateAll() matches map()", () => {
  const related = [crashingPod("web-z", "demo", { app: "web" })];
  assert.equal(relatedIndex(related), relatedIndex(related));
  const objects = [deployment(READY_COUNTS), {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "c" },
  }];
  const judge = createEvaluator({ now: NOW, related });
  assert.deepEqual(
    evaluateAll(objects, { now: NOW, related }),
    objects.map((o) => judge(o)),
  );
  assert.deepEqual(objects.map((o) => judge(o)).map((r) => r.verdict), [
    "Failed",
    "Ready",
  ]);
});

Deno.test("ruleKeyOf() keys core kinds bare and other groups by group/Kind", () => {
  assert.equal(ruleKeyOf({ apiVersion: "v1", kind: "Service" }), "Service");
  assert.equal(
    ruleKeyOf({ apiVersion: "apps/v1", kind: "StatefulSet" }),
    "apps/StatefulSet",
  );
  assert.equal(
    ruleKeyOf({ apiVersion: "cert-manager.io/v1", kind: "Certificate" }),
    "cert-manager.io/Certificate",
  );
  assert.equal(ruleKeyOf({ kind: "Pod" }), "Pod");
  assert.equal(ruleKeyOf({ apiVersion: "v1" }), undefined);
  assert.equal(ruleKeyOf(null), undefined);
});

Deno.test("resourceLabel() names an object for messages, tolerating anything", () => {
  const object = {
    kind: "Deployment",
    metadata: { name: "web", namespace: "demo" },
  };
  assert.equal(resourceLabel(object), "Deployment/web");
  assert.equal(resourceLabel(object, true), "Deployment/demo/web");
  assert.equal(resourceLabel({}), "(no kind)/(no name)");
  assert.equal(resourceLabel(5), "(not an object)");
});

Deno.test("RULES covers every Kind issue 2 lists", () => {
  for (
    const key of [
      "Pod",
      "apps/Deployment",
      "apps/ReplicaSet",
      "apps/StatefulSet",
      "apps/DaemonSet",
      "batch/Job",
      "batch/CronJob",
      "Service",
      "PersistentVolumeClaim",
      "networking.k8s.io/Ingress",
      "apiextensions.k8s.io/CustomResourceDefinition",
      "autoscaling/HorizontalPodAutoscaler",
      "apiregistration.k8s.io/APIService",
      "ConfigMap",
      "Secret",
      "ServiceAccount",
      "rbac.authorization.k8s.io/Role",
      "rbac.authorization.k8s.io/ClusterRoleBinding",
      "extensions/Deployment",
    ]
  ) {
    assert.ok(RULES.has(key), key);
  }
});

Deno.test("evaluate() calls a built-in kind without rule or status Ready without a CRD warning", () => {
  const lease = {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name: "l" },
    spec: {},
  };
  assert.deepEqual(evaluate(lease, { now: NOW }), {
    verdict: "Ready",
    reason: "Exists",
    message: "no status reported",
    warnings: [],
  });
  const widget = {
    apiVersion: "example.com/v1",
    kind: "Widget",
    metadata: { name: "w" },
  };
  assert.equal(evaluate(widget, { now: NOW }).warnings.length, 1);
});

Deno.test("evaluate() sees an object changed in place between two calls", () => {
  const widget = {
    apiVersion: "example.com/v1",
    kind: "Widget",
    metadata: { name: "w" },
    status: {
      conditions: [{ type: "Ready", status: "False", reason: "Waiting" }],
    },
  };
  assert.equal(evaluate(widget, { now: NOW }).verdict, "Pending");
  widget.status.conditions[0]!.status = "True";
  assert.equal(evaluate(widget, { now: NOW }).verdict, "Ready");
});

Deno.test("evaluate() follows every owned ReplicaSet when none carries a revision", () => {
  const rs = (name: string) => ({
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: {
      name,
      namespace: "demo",
      ownerReferences: [{ kind: "Deployment", name: "web", uid: "d-1" }],
    },
    spec: { selector: { matchLabels: { app: "web", hash: name } } },
  });
  const owner = { kind: "ReplicaSet", name: "web-b" };
  const related = [
    rs("web-a"),
    rs("web-b"),
    crashingPod("web-b-1", "demo", { app: "web", hash: "web-b" }, owner),
  ];
  const result = evaluate(deployment(READY_COUNTS), { now: NOW, related });
  assert.equal(result.reason, "CrashLoopBackOff");
  assert.match(result.message, /web-b-1/);
});

Deno.test("evaluate() names a LoadBalancer port status whose port is not an integer (found by the property test)", () => {
  const result = evaluate({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "lb", namespace: "ns" },
    spec: { type: "LoadBalancer", clusterIP: "10.0.0.9" },
    status: {
      loadBalancer: {
        ingress: [{
          ip: "192.0.2.10",
          ports: [{ port: Object.create(null), error: "PortAllocationFailed" }],
        }],
      },
    },
  }, { now: new Date("2026-11-25T10:00:00Z") });
  assert.equal(result.verdict, "Pending");
  assert.equal(result.reason, "InvalidObject");
  assert.match(result.message, /ingress\[0\]\.ports\[0\]\.port is an object/);
});
