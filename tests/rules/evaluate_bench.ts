/**
 * `deno bench tests/rules/evaluate_bench.ts`: the rules must judge 100,000
 * mixed resources (with their ReplicaSets and pods as `related`) in under a
 * second, and an instance with 2,000 pods must stay linear (compare it with
 * the 4,000-pod instance: about twice the time, not four times).
 */
import { createEvaluator, evaluate, type KubeObject } from "../../rules/mod.ts";
import { GENERATED_NOW, group } from "./_generate.ts";

function build(groups: number, podsPerWorkload: number, namespace?: string): {
  resources: KubeObject[];
  related: KubeObject[];
} {
  const resources: KubeObject[] = [];
  const related: KubeObject[] = [];
  for (let i = 0; i < groups; i++) {
    const g = group(i, podsPerWorkload, namespace);
    resources.push(...g.resources);
    related.push(...g.resources, ...g.owned);
  }
  return { resources, related };
}

const big = build(10_000, 2);
const instances = Array.from(
  { length: 1_000 },
  (_, i) => build(10, 2, `instance-${i}`),
);
const pods2k = build(50, 20, "one-instance");
const pods4k = build(100, 20, "one-instance");
const orphans2k = {
  resources: pods2k.resources,
  related: pods2k.related.map((object) => {
    if (object.kind !== "Pod") return object;
    const { ownerReferences: _, ...metadata } = object.metadata as Record<
      string,
      unknown
    >;
    return { ...object, metadata };
  }),
};

function judgeAll(
  set: { resources: KubeObject[]; related: KubeObject[] },
  alsoPods = false,
): number {
  const judge = createEvaluator({
    related: [...set.related],
    now: GENERATED_NOW,
  });
  let failed = 0;
  const targets = alsoPods ? set.related : set.resources;
  for (const object of targets) {
    if (judge(object).verdict === "Failed") failed++;
  }
  return failed;
}

Deno.bench({
  name:
    "100,000 mixed resources, one related set of 160,000 objects (index built inside)",
  group: "100k",
  baseline: true,
  fn() {
    judgeAll(big);
  },
});

Deno.bench({
  name:
    "100,000 mixed resources as 1,000 instances of 100, each with its own related set",
  group: "100k",
  fn() {
    for (const instance of instances) judgeAll(instance);
  },
});

Deno.bench({
  name:
    "one instance with 2,000 pods: all 3,550 objects judged against each other",
  group: "instance",
  baseline: true,
  fn() {
    judgeAll(pods2k, true);
  },
});

Deno.bench({
  name:
    "one instance with 4,000 pods: all 7,100 objects (linear: about twice the 2,000-pod time)",
  group: "instance",
  fn() {
    judgeAll(pods4k, true);
  },
});

Deno.bench({
  name:
    "one instance with 2,000 pods without ownerReferences (found by label selector)",
  group: "instance",
  fn() {
    judgeAll(orphans2k, true);
  },
});

Deno.bench({
  name:
    "evaluate() one Deployment with a fresh 3-object related array (no index reuse)",
  group: "single",
  fn() {
    const g = group(7, 1);
    evaluate(g.resources[0], { related: g.owned, now: GENERATED_NOW });
  },
});
