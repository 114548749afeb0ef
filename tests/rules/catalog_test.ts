/**
 * The health catalog's API: user catalog files (`parseCatalog`, errors that
 * name the file and the path), `createEvaluator({ catalog })` and its
 * precedence, wildcard groups, the `pendingSince` stall clock with
 * `nextPendingMark`, and the evaluator-owned conditions cache.
 */
import assert from "node:assert/strict";
import {
  BUILT_IN_HEALTH_CATALOG,
  CatalogError,
  createEvaluator,
  evaluate,
  nextPendingMark,
  parseCatalog,
  type PendingMark,
  type Readiness,
} from "../../rules/mod.ts";

const NOW = new Date("2026-11-25T10:00:00Z");
const MINUTE = 60_000;

const WIDGETS = `
family: Widget operator
group: example.com
kinds:
  - kind: Widget
    source: https://example.com/widget-operator/docs/status
    health: [Ready]
    stopped:
      - { reason: Hibernated, field: spec.hibernate, equals: true }
    terminal:
      - { reason: ProvisioningFailed, reasons: [ProvisioningFailed] }
`;

function widget(
  ready: { status: string; reason: string; message?: string },
  spec: Record<string, unknown> = {},
): unknown {
  return {
    apiVersion: "example.com/v1",
    kind: "Widget",
    metadata: { name: "blue", namespace: "demo" },
    spec,
    status: { conditions: [{ type: "Ready", ...ready }] },
  };
}

Deno.test("parseCatalog() reads a user family and createEvaluator({ catalog }) judges by it", () => {
  const catalog = parseCatalog(WIDGETS, "widgets.yaml");
  const judge = createEvaluator({ now: NOW, catalog });
  const failed = judge(
    widget({ status: "False", reason: "ProvisioningFailed", message: "no" }),
  );
  assert.deepEqual([failed.verdict, failed.reason], [
    "Failed",
    "ProvisioningFailed",
  ]);
  const hibernated = judge(
    widget({ status: "False", reason: "Hibernating" }, { hibernate: true }),
  );
  assert.deepEqual([hibernated.verdict, hibernated.reason], [
    "Ready",
    "Hibernated",
  ]);
  assert.match(hibernated.warnings.join(), /stopped on purpose/);
  // Without the user catalog the generic rule waits (Pending).
  assert.equal(
    evaluate(widget({ status: "False", reason: "ProvisioningFailed" }), {
      now: NOW,
    }).verdict,
    "Pending",
  );
});

Deno.test("parseCatalog() names the file and the path of what is wrong", () => {
  const cases: [string, RegExp][] = [
    [
      WIDGETS.replace("reasons: [ProvisioningFailed]", 'message: "(unclosed"'),
      /"widgets\.yaml": "kinds\.0\.terminal\.0\.message" must be a valid regular expression/,
    ],
    [
      WIDGETS.replace("reason: Hibernated", "reason: hibernated"),
      /"kinds\.0\.stopped\.0\.reason" must be a CamelCase reason/,
    ],
    [
      WIDGETS.replace("health: [Ready]", "health: [Ready]\n    colour: blue"),
      /"widgets\.yaml".*colour/,
    ],
    [
      WIDGETS.replace(
        "field: spec.hibernate,",
        "condition: Hibernated, field: spec.hibernate,",
      ),
      /needs exactly one of "condition" or "field"/,
    ],
    ["family: [unclosed", /Cannot read health catalog "widgets\.yaml"/],
  ];
  for (const [text, expected] of cases) {
    assert.throws(
      () => parseCatalog(text, "widgets.yaml"),
      (error: unknown) => {
        assert.ok(error instanceof CatalogError);
        assert.ok(error instanceof SyntaxError);
        assert.equal(error.source, "widgets.yaml");
        assert.match(error.message, expected);
        return true;
      },
    );
  }
});

Deno.test("createEvaluator({ catalog }): a user entry replaces the built-in entry and wins over RULES", () => {
  const catalog = parseCatalog(
    `
families:
  - family: Mine
    group: argoproj.io
    kinds: [{ kind: Rollout, source: mine, health: [Healthy] }]
  - family: Mine
    group: cert-manager.io
    kinds: [{ kind: Certificate, source: mine, health: [Valid] }]
`,
    "mine.yaml",
  );
  const judge = createEvaluator({ now: NOW, catalog });
  const rollout = judge({
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Rollout",
    status: {
      abort: true,
      conditions: [{ type: "Healthy", status: "True" }],
    },
  });
  assert.deepEqual([rollout.verdict, rollout.reason], ["Ready", "Healthy"]);
  const certificate = judge({
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    status: { conditions: [{ type: "Valid", status: "True" }] },
  });
  assert.deepEqual([certificate.verdict, certificate.reason], [
    "Ready",
    "Valid",
  ]);
});

Deno.test("BUILT_IN_HEALTH_CATALOG.lookup() finds exact Kinds, then *.suffix groups, and nothing else", () => {
  assert.equal(
    BUILT_IN_HEALTH_CATALOG.lookup("argoproj.io/Rollout")?.key,
    "argoproj.io/Rollout",
  );
  assert.equal(
    BUILT_IN_HEALTH_CATALOG.lookup("ec2.aws.upbound.io/Instance")?.key,
    "*.upbound.io/*",
  );
  assert.equal(
    BUILT_IN_HEALTH_CATALOG.lookup("pkg.crossplane.io/Provider")?.key,
    "pkg.crossplane.io/Provider",
  );
  assert.equal(
    BUILT_IN_HEALTH_CATALOG.lookup("argoproj.io/Workflow"),
    undefined,
  );
  assert.equal(BUILT_IN_HEALTH_CATALOG.lookup("Pod"), undefined);
});

const STUCK = {
  apiVersion: "example.com/v1",
  kind: "Gadget",
  metadata: { name: "g" },
  status: {
    conditions: [{ type: "Ready", status: "False", reason: "Waiting" }],
  },
};

function judgeAt(
  at: Date,
  mark: PendingMark | undefined,
): { result: Readiness; recheck: number[] } {
  const recheck: number[] = [];
  const judge = createEvaluator({
    now: at,
    recheckAt: (ms) => recheck.push(ms),
  });
  const result = judge(STUCK, mark === undefined ? {} : { pendingSince: mark });
  return { result, recheck };
}

Deno.test("pendingSince: an object without status times is Failed NoProgress once the caller's mark is stallTimeoutMs old, and the mark survives the escalation", () => {
  const t0 = NOW;
  const first = judgeAt(t0, undefined);
  assert.equal(first.result.verdict, "Pending");
  assert.deepEqual(first.recheck, [t0.getTime() + 10 * MINUTE]);
  let mark = nextPendingMark(undefined, first.result, t0);
  assert.deepEqual(mark, { reason: "Waiting", since: t0 });

  const t1 = new Date(t0.getTime() + 9 * MINUTE);
  const second = judgeAt(t1, mark);
  assert.equal(second.result.verdict, "Pending");
  assert.deepEqual(second.recheck, [t0.getTime() + 10 * MINUTE]);
  mark = nextPendingMark(mark, second.result, t1);

  const t2 = new Date(t0.getTime() + 11 * MINUTE);
  const third = judgeAt(t2, mark);
  assert.deepEqual([third.result.verdict, third.result.reason], [
    "Failed",
    "NoProgress",
  ]);
  assert.equal(third.result.pendingReason, "Waiting");
  assert.match(third.result.message, /Pending \(Waiting\) for 11m/);
  mark = nextPendingMark(mark, third.result, t2);
  assert.deepEqual(mark, { reason: "Waiting", since: t0 }, "no flapping back");

  // A mark for another reason restarts the clock.
  const other = judgeAt(t2, { reason: "Provisioning", since: t0 });
  assert.equal(other.result.verdict, "Pending");
  // Ready drops the mark.
  assert.equal(
    nextPendingMark(mark, { ...first.result, verdict: "Ready" }, t2),
    undefined,
  );
});

Deno.test("pendingSince: a custom resource's clock is the earlier of its last status change and the mark; a StatefulSet's count changes stay progress", () => {
  const retried = {
    ...STUCK,
    status: {
      conditions: [{
        type: "Ready",
        status: "False",
        reason: "Waiting",
        lastTransitionTime: "2026-11-25T09:59:00Z",
      }],
    },
  };
  const mark = { reason: "Waiting", since: new Date("2026-11-25T09:00:00Z") };
  assert.equal(
    evaluate(retried, { now: NOW, pendingSince: mark }).reason,
    "NoProgress",
  );
  assert.equal(evaluate(retried, { now: NOW }).verdict, "Pending");
  const statefulSet = {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: {
      name: "db",
      generation: 1,
      managedFields: [{
        manager: "kube-controller-manager",
        subresource: "status",
        time: "2026-11-25T09:59:00Z",
      }],
    },
    spec: { replicas: 3 },
    status: { observedGeneration: 1, replicas: 3, readyReplicas: 2 },
  };
  const result = evaluate(statefulSet, {
    now: NOW,
    pendingSince: {
      reason: "LessReady",
      since: new Date("2026-11-24T00:00:00Z"),
    },
  });
  assert.deepEqual([result.verdict, result.reason], ["Pending", "LessReady"]);
});

Deno.test("createEvaluator(): each evaluator owns its conditions cache; another evaluator does not reset it, evaluate() sees in-place changes", () => {
  const conditions = [{ type: "Ready", status: "True" }];
  const object = {
    apiVersion: "example.com/v1",
    kind: "Gadget",
    metadata: { name: "g" },
    status: { conditions },
  };
  const first = createEvaluator({ now: NOW });
  assert.equal(first(object).verdict, "Ready");
  const second = createEvaluator({ now: NOW });
  assert.equal(second(object).verdict, "Ready");
  assert.equal(first(object).verdict, "Ready");
  (conditions[0] as { status: string }).status = "False";
  assert.equal(evaluate(object, { now: NOW }).verdict, "Pending");
  assert.equal(createEvaluator({ now: NOW })(object).verdict, "Pending");
});

Deno.test("parseCatalog() accepts the catalog-file examples of the README and docs/rules.md", async () => {
  for (const doc of ["../../README.md", "../../docs/rules.md"]) {
    const text = await Deno.readTextFile(new URL(doc, import.meta.url));
    const blocks = [
      ...text.matchAll(/```yaml\n(#[^\n]*widgets-health\.yaml\n[\s\S]*?)```/g),
    ]
      .map((m) => m[1] as string);
    assert.equal(blocks.length, 1, `${doc} shows one catalog file`);
    const families = parseCatalog(blocks[0] as string, doc);
    assert.equal(families[0]?.kinds[0]?.kind, "Widget", doc);
  }
});
