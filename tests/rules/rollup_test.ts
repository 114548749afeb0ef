import assert from "node:assert/strict";
import { type Readiness, rollup } from "../../rules/mod.ts";

function r(
  verdict: Readiness["verdict"],
  reason: string,
  resource?: string,
  warnings: string[] = [],
) {
  return {
    verdict,
    reason,
    message: `${reason} message`,
    warnings,
    ...(resource === undefined ? {} : { resource }),
  };
}

Deno.test("rollup() of nothing is Ready NoResources with a warning", () => {
  const result = rollup([]);
  assert.equal(result.verdict, "Ready");
  assert.equal(result.reason, "NoResources");
  assert.deepEqual(result.warnings, ["nothing to judge"]);
  assert.deepEqual(result.counts, { Ready: 0, Pending: 0, Failed: 0 });
});

Deno.test("rollup() is Ready AllReady when every item is Ready, keeping their warnings", () => {
  const result = rollup([
    r("Ready", "Available", "Deployment/web", ["2 restarts"]),
    r("Ready", "Exists", "ConfigMap/c"),
  ]);
  assert.deepEqual(result, {
    verdict: "Ready",
    reason: "AllReady",
    message: "2/2 resources ready",
    warnings: ["Deployment/web: 2 restarts"],
    counts: { Ready: 2, Pending: 0, Failed: 0 },
  });
});

Deno.test("rollup() is Pending when any item is Pending and none Failed, naming the first Pending", () => {
  const result = rollup([
    r("Ready", "Available", "Deployment/web"),
    r("Pending", "NoLoadBalancerAddress", "Service/web"),
    r("Pending", "Binding", "PersistentVolumeClaim/data"),
  ]);
  assert.equal(result.verdict, "Pending");
  assert.equal(result.reason, "NoLoadBalancerAddress");
  assert.equal(result.resource, "Service/web");
  assert.equal(
    result.message,
    "Service/web: NoLoadBalancerAddress: NoLoadBalancerAddress message (0 Failed, 2 Pending, 1 Ready)",
  );
  assert.deepEqual(result.warnings, [
    "PersistentVolumeClaim/data is Pending (Binding)",
  ]);
});

Deno.test("rollup() is Failed when any item is Failed, and the first Failed beats earlier Pending items", () => {
  const result = rollup([
    r("Pending", "LessReady", "StatefulSet/db"),
    r("Failed", "CrashLoopBackOff", "Deployment/web", ["pod restarted"]),
    r("Failed", "Lost", "PersistentVolumeClaim/data"),
  ]);
  assert.equal(result.verdict, "Failed");
  assert.equal(result.reason, "CrashLoopBackOff");
  assert.equal(result.resource, "Deployment/web");
  assert.match(
    result.message,
    /^Deployment\/web: CrashLoopBackOff: .* \(2 Failed, 1 Pending, 0 Ready\)$/,
  );
  assert.deepEqual(result.warnings, [
    "StatefulSet/db is Pending (LessReady)",
    "PersistentVolumeClaim/data is Failed (Lost)",
    "Deployment/web: pod restarted",
  ]);
  assert.deepEqual(result.counts, { Ready: 0, Pending: 1, Failed: 2 });
});

Deno.test("rollup() numbers unnamed items and accepts any iterable", () => {
  const result = rollup(
    new Set([r("Ready", "Exists"), r("Failed", "Stalled")]),
  );
  assert.equal(
    result.message,
    "resource #2: Stalled: Stalled message (1 Failed, 0 Pending, 1 Ready)",
  );
  assert.equal("resource" in result, false);
});

Deno.test("rollup() names items by kind and name when resource is absent", () => {
  const result = rollup([
    { verdict: "Ready", reason: "Available", message: "ok", warnings: [] },
    {
      verdict: "Pending",
      reason: "LessReady",
      message: "1/2 replicas ready",
      warnings: [],
      kind: "StatefulSet",
      name: "db",
    },
  ]);
  assert.equal(
    result.message,
    "StatefulSet/db: LessReady: 1/2 replicas ready (0 Failed, 1 Pending, 1 Ready)",
  );
  assert.equal(result.resource, "StatefulSet/db");
});
