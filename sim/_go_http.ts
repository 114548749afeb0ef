/**
 * How k8splugin's Go handlers write responses (`http.Error`,
 * `json.NewEncoder(w).Encode`, `json.Marshal`), shared by the k8splugin
 * simulator and its status subscriptions.
 *
 * @module
 */

/** A plain-text error exactly like Go's `http.Error`. */
export function goError(status: number, message: string): Response {
  return new Response(`${message}\n`, {
    status,
    headers: {
      "content-type": "text/plain; charset=utf-8",
      "x-content-type-options": "nosniff",
    },
  });
}

/** JSON text like Go's `json.Encoder.Encode` (HTML-escaped, trailing newline). */
export function goJsonText(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  ) + "\n";
}

/** A JSON response like k8splugin's handlers write it. */
export function goJson(value: unknown, status = 200): Response {
  return jsonText(goJsonText(value), status);
}

/** A response carrying already-encoded JSON text. */
export function jsonText(text: string, status = 200): Response {
  return new Response(text, {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** A copy with every object's keys sorted (Go marshals maps sorted: unstructured objects). */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      out[key] = sortKeys((value as Record<string, unknown>)[key]);
    }
    return out;
  }
  return value;
}

/** `json.Marshal` text: HTML-escaped, no trailing newline. */
export function goMarshal(value: unknown): string {
  return goJsonText(value).slice(0, -1);
}
