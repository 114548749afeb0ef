/**
 * Readiness of a Service (reference §2.8, §4 "Service").
 *
 * Fields read: `spec.type` (default ClusterIP), `spec.clusterIP`,
 * `spec.externalIPs`, `status.loadBalancer.ingress[]` (`ip`, `hostname`,
 * `ports[].error`).
 *
 * | Situation | Verdict | Reason |
 * |---|---|---|
 * | `type: ExternalName` | Ready | `ExternalName` |
 * | `spec` present and `clusterIP` empty | Pending | `NoClusterIP` |
 * | LoadBalancer with any `ingress[].ports[].error` | Failed | `PortError` |
 * | LoadBalancer with an `ingress[]` entry having `ip` or `hostname` | Ready | `LoadBalancerReady` |
 * | LoadBalancer without one but with `spec.externalIPs` (Helm's rule) | Ready + warning | `ExternalIPs` |
 * | LoadBalancer without address, `requireLoadBalancerAddress` (default) | Pending | `NoLoadBalancerAddress` |
 * | LoadBalancer without address, `requireLoadBalancerAddress: false` | Ready + warning | `NoLoadBalancerAddress` |
 * | otherwise | Ready | `ClusterIP` (`Headless` for `clusterIP: None`) |
 *
 * Traps avoided: kstatus never checks the LB address; Argo CD accepts an
 * `ingress[]` entry without `ip`/`hostname` (argo-cd#997); nobody reads
 * `ports[].error`. Clusters without a load-balancer controller opt out
 * explicitly instead of passing silently.
 *
 * @module
 */
import { recordAt, stringAt, valueAt } from "./_fields.ts";
import { loadBalancerStatus } from "./_load_balancer.ts";
import { failed, pending, ready } from "./_readiness.ts";
import type { KubeObject, Readiness, RuleContext } from "./types.ts";

/**
 * Every reason this rule names itself, for the guard test that requires a
 * fixture per reason (reasons copied from a condition or a container state
 * are not listed).
 */
export const REASONS: readonly string[] = [
  "ClusterIP",
  "Headless",
  "ExternalName",
  "ExternalIPs",
  "LoadBalancerReady",
  "NoLoadBalancerAddress",
  "PortError",
  "NoClusterIP",
];

/** Decides the readiness of a Service. */
export function serviceRule(
  service: KubeObject,
  context: RuleContext,
): Readiness {
  const type = stringAt(service, "spec.type", "ClusterIP");
  if (type === "ExternalName") {
    return ready(
      "ExternalName",
      `alias for ${
        stringAt(service, "spec.externalName") || "(no externalName)"
      }`,
    );
  }
  const clusterIP = stringAt(service, "spec.clusterIP");
  if (recordAt(service, "spec") !== undefined && clusterIP === "") {
    return pending("NoClusterIP", "spec.clusterIP not allocated yet");
  }
  if (type === "LoadBalancer") return loadBalancer(service, context);
  if (clusterIP === "None") return ready("Headless", "headless Service");
  return ready("ClusterIP", `cluster IP ${clusterIP || "(not shown)"}`);
}

function loadBalancer(service: KubeObject, context: RuleContext): Readiness {
  const { addresses, portError } = loadBalancerStatus(service);
  if (portError !== undefined) {
    return failed("PortError", `load balancer port ${portError}`);
  }
  if (addresses.length > 0) {
    return ready(
      "LoadBalancerReady",
      `load balancer at ${addresses.join(", ")}`,
    );
  }
  const externalIPs = valueAt(service, "spec.externalIPs");
  if (Array.isArray(externalIPs) && externalIPs.length > 0) {
    return ready(
      "ExternalIPs",
      `reachable on spec.externalIPs ${externalIPs.join(", ")}`,
      ["no load balancer address published; relying on spec.externalIPs"],
    );
  }
  if (!context.options.requireLoadBalancerAddress) {
    return ready(
      "NoLoadBalancerAddress",
      "no load balancer address (not required by options)",
      [
        "LoadBalancer Service has no address; requireLoadBalancerAddress is off",
      ],
    );
  }
  return pending(
    "NoLoadBalancerAddress",
    "waiting for a load balancer address in status.loadBalancer.ingress",
  );
}
