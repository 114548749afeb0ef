/**
 * Reads `status.loadBalancer.ingress[]`, shared by the Service and Ingress
 * rules: the published addresses and the first port error.
 *
 * @module
 */
import { intAt, recordsAt, stringAt, within } from "./_fields.ts";

/** What a load balancer status says. */
export interface LoadBalancerStatus {
  /** Every `ip` or `hostname` published. */
  addresses: string[];
  /** The first `ports[].error`, as `"80/TCP: PortAllocationFailed"`. */
  portError: string | undefined;
}

/** Reads the load balancer status of a Service or Ingress. */
export function loadBalancerStatus(object: unknown): LoadBalancerStatus {
  const addresses: string[] = [];
  let portError: string | undefined;
  recordsAt(object, "status.loadBalancer.ingress").forEach((entry, i) =>
    within(`status.loadBalancer.ingress[${i}]`, () => {
      recordsAt(entry, "ports").forEach((port, j) =>
        within(`ports[${j}]`, () => {
          const error = stringAt(port, "error");
          if (error !== "" && portError === undefined) {
            portError = `${intAt(port, "port", 0)}/${
              stringAt(port, "protocol", "TCP")
            }: ${error}`;
          }
        })
      );
      const address = stringAt(entry, "ip") || stringAt(entry, "hostname");
      if (address !== "") addresses.push(address);
    })
  );
  return { addresses, portError };
}
