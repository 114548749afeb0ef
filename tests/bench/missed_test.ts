import assert from "node:assert/strict";
import {
  type BenchResult,
  DEFAULT_SCALE,
  missedLine,
  type TargetResult,
} from "../../bench/mod.ts";

const TARGETS: TargetResult[] = [
  { name: "steady: 0 A&AI requests", pass: true, detail: "" },
  {
    name: "steady: wall time ≤ 1.5 × k8splugin floor",
    pass: false,
    detail: "",
  },
];

function at(instances: number): BenchResult {
  return {
    scale: {
      instances,
      resourcesPerInstance: DEFAULT_SCALE.resourcesPerInstance,
    },
  } as BenchResult;
}

Deno.test("missedLine() says MISSED only at the scale the targets are set for", () => {
  assert.equal(
    missedLine(at(200), TARGETS),
    `bench: 1 target(s) not met at 200 instances, below the ${DEFAULT_SCALE.instances} they are set for: steady: wall time ≤ 1.5 × k8splugin floor`,
  );
  assert.equal(
    missedLine(at(DEFAULT_SCALE.instances), TARGETS),
    "bench: 1 target(s) MISSED: steady: wall time ≤ 1.5 × k8splugin floor",
  );
  assert.equal(missedLine(at(200), [TARGETS[0]!]), undefined);
});
