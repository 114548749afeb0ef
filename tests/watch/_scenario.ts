/**
 * The scenario the watch tests run the simulators on: one instance,
 * `practical_nobel`, whose Deployment changes, is deleted by hand (its
 * `/status` fails, which kills k8splugin's notifier), is repaired and changes
 * again; plus `brave_brattain`, which never changes.
 *
 * @module
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { parseScenario, type Scenario } from "../../sim/scenario.ts";

const REQUEST = {
  "rb-name": "vfw",
  "rb-version": "v1",
  "profile-name": "p1",
  "cloud-region": "kud",
};

function deployment(name: string, resourceVersion: string, ready: number) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, resourceVersion },
    spec: { replicas: 1 },
    status: { readyReplicas: ready },
  };
}

/** Step names, in order: what each step does to `practical_nobel`. */
export const STEPS = [
  "baseline",
  "changed",
  "broken",
  "repaired",
  "changed again",
] as const;

/** The scenario (see the module doc). */
export function watchScenario(): Scenario {
  const steady = {
    id: "brave_brattain",
    request: REQUEST,
    namespace: "ns",
    objects: [deployment("web", "1", 1)],
  };
  const instance = (objects: unknown[], missing?: unknown[]) => ({
    id: "practical_nobel",
    request: REQUEST,
    namespace: "ns",
    objects,
    ...(missing ? { missing } : {}),
  });
  const packetgen = (rv: string, ready: number) =>
    deployment("packetgen", rv, ready);
  const instances: unknown[][] = [
    [instance([packetgen("1", 0)])],
    [instance([packetgen("2", 1)])],
    [instance([packetgen("2", 1)], [{
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: "packetgen",
    }])],
    [instance([packetgen("3", 1)])],
    [instance([packetgen("4", 0)])],
  ];
  return parseScenario({
    regions: [{ cloudRegion: "kud", cloudOwner: "CloudOwner" }],
    steps: STEPS.map((name, i) => ({
      name,
      now: `2026-11-25T10:0${i}:00Z`,
      instances: [...instances[i]!, steady],
    })),
  }, "watch");
}

/** Subscription timings for tests: no start-up sleeps, 40 ms polls. */
export const FAST_SUBSCRIPTIONS = {
  firstCallDelayMs: 0,
  notifierStartMs: 10,
  intervalFloorMs: 40,
  restoreDelayMs: 30,
};

/**
 * A kubeconfig for the Kubernetes API simulator at `url` with no TLS
 * setting at all: a plain `http://` server must be accepted as it is.
 */
export function plainKubeconfig(url: string): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    `clusters: [{name: sim, cluster: {server: '${url}'}}]`,
    "users: [{name: u, user: {token: t}}]",
    "contexts: [{name: c, context: {cluster: sim, user: u}}]",
    "current-context: c",
  ].join("\n");
}

/** Polls `check` every 10 ms; fails after 3 s naming `what` (in-process tests). */
export async function until(
  check: () => boolean,
  what: string,
): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (check()) return;
    await sleep(10);
  }
  assert.fail(`timed out waiting for ${what}`);
}
