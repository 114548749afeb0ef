/**
 * Kubernetes `Status` error documents of the Kubernetes API simulator.
 *
 * @module
 */

/** A Kubernetes `Status` failure document. */
export function statusResponse(
  code: number,
  reason: string,
  message: string,
  details?: Record<string, unknown>,
): Response {
  return Response.json({
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  }, { status: code });
}

/** `deployments.apps` or `pods`: how the API server names a resource in messages. */
export function qualifiedName(
  resource: { name: string; group: string },
): string {
  return resource.group ? `${resource.name}.${resource.group}` : resource.name;
}
