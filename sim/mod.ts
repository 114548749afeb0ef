/**
 * Simulators: in-process fakes of k8splugin, the Kubernetes API and A&AI that
 * serve real HTTP on loopback, driven by scenario files; used by tests,
 * `deno task demo`, `deno task bench` and `deno task sim`.
 *
 * @module
 */
export * from "./faults.ts";
export * from "./scenario.ts";
export * from "./k8splugin.ts";
export * from "./k8splugin_subscriptions.ts";
export * from "./aai.ts";
export * from "./kube.ts";
export * from "./so.ts";
