/**
 * Readiness of an Ingress (reference §2.10, §4 "Ingress").
 *
 * Fields read: `spec.ingressClassName` (or the legacy
 * `kubernetes.io/ingress.class` annotation), `status.loadBalancer.ingress[]`
 * (`ip`, `hostname`, `ports[].error`).
 *
 * | Situation | Verdict | Reason |
 * |---|---|---|
 * | any `ingress[].ports[].error` | Failed | `PortError` |
 * | an entry with `ip` or `hostname` | Ready | `Address` |
 * | no address, class listed in `ingressClassesRequiringAddress` | Pending | `NoAddress` |
 * | no address otherwise | Ready + warning | `AddressNotPublished` |
 *
 * Trap avoided: Argo CD keeps an Ingress Progressing forever when its
 * controller never publishes status (Traefik, Contour, NGINX without
 * `--publish-service`: argo-cd#968, #14607); waiting on the address is an
 * explicit opt-in per class.
 *
 * @module
 */
import { stringAt } from "./_fields.ts";
import { loadBalancerStatus } from "./_load_balancer.ts";
import { failed, pending, ready } from "./_readiness.ts";
import { annotationsOf } from "./_related.ts";
import type { KubeObject, Readiness, RuleContext } from "./types.ts";

/**
 * Every reason this rule names itself, for the guard test that requires a
 * fixture per reason (reasons copied from a condition or a container state
 * are not listed).
 */
export const REASONS: readonly string[] = [
  "Address",
  "AddressNotPublished",
  "NoAddress",
  "PortError",
];

/** Decides the readiness of an Ingress. */
export function ingressRule(
  ingress: KubeObject,
  context: RuleContext,
): Readiness {
  const { addresses, portError } = loadBalancerStatus(ingress);
  if (portError !== undefined) return failed("PortError", `port ${portError}`);
  if (addresses.length > 0) {
    return ready("Address", `served at ${addresses.join(", ")}`);
  }
  const className = stringAt(ingress, "spec.ingressClassName") ||
    annotationsOf(ingress)["kubernetes.io/ingress.class"] || "";
  if (
    className !== "" &&
    context.options.ingressClassesRequiringAddress.includes(className)
  ) {
    return pending(
      "NoAddress",
      `ingress class "${className}" publishes an address; none yet`,
    );
  }
  return ready(
    "AddressNotPublished",
    "accepted; the controller has not published an address",
    [
      "status.loadBalancer.ingress is empty",
    ],
  );
}
