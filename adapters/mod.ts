/**
 * Adapters: the only code that talks to peers over the network (k8splugin,
 * A&AI, the Kubernetes API), each behind an interface that sync/ receives.
 *
 * @module
 */
export * from "./http.ts";
export * from "./k8splugin.ts";
export * from "./aai.ts";
export * from "./kube.ts";
export * from "./sha256.ts";
export * from "./retry.ts";
export * from "./clock.ts";
export * from "./k8splugin_subscriptions.ts";
export * from "./k8splugin_receiver.ts";
export * from "./lease.ts";
export * from "./kube_stream.ts";
export * from "./kube_watch.ts";
