/**
 * Requests to a cluster's API server for the long-running blocks (issue 17):
 * watch streams (`KubeWatcher`) and Leases (`leaseApi`), over
 * Deno's `fetch` with the credentials of a client-node `KubeConfig`.
 *
 * Permissions: `--allow-net`, `--allow-env` (client-node), `--allow-read`
 * for certificate and token files the kubeconfig names, `--allow-run` for
 * exec auth providers.
 *
 * @module
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { allowingPlainHttp } from "./kube.ts";

/** Requests to a cluster's API server with its kubeconfig's credentials (watches, Leases). */
export interface KubeStream {
  /** Sends a request for a path (and query) of the API server; the body is read as it arrives. */
  fetch(pathAndQuery: string, init?: RequestInit): Promise<Response>;
  /** Releases connections. */
  close(): void;
}

/**
 * A {@linkcode KubeStream} from a loaded client-node `KubeConfig`: its
 * credentials (token, token file, client certificate, exec/OIDC providers)
 * are asked for each request; its CA and client certificate go into a Deno
 * HTTP client. A plain `http://` server is accepted, as in
 * `adapters/kube.ts`.
 *
 * A region's watches go through `KubeClient.fetch()` (its own transport);
 * this one serves the Lease of `--leader-election`, whose credentials come
 * from the pod's service account (`KubeConfig.loadFromDefault()`), which
 * `KubeClient` (kubeconfig text only) does not read.
 */
export function kubeStreamFromKubeConfig(config: KubeConfig): KubeStream {
  let kc = config;
  const cluster = kc.getCurrentCluster();
  const server = cluster?.server.replace(/\/+$/, "");
  if (!cluster || !server) {
    throw new TypeError(
      "Cannot reach the cluster: the kubeconfig has no current cluster with a server",
    );
  }
  if (server.startsWith("https:") && cluster.skipTLSVerify) {
    // Deno's fetch cannot skip verification per client (adapters/kube.ts).
    throw new TypeError(
      "Cannot reach the cluster: insecure-skip-tls-verify is not supported over https: set certificate-authority-data (or certificate-authority) instead",
    );
  }
  if (server.startsWith("http:") && !cluster.skipTLSVerify) {
    kc = allowingPlainHttp(kc);
  }
  let client: Deno.HttpClient | undefined;
  return {
    async fetch(pathAndQuery, init = {}) {
      const options: {
        headers?: Record<string, unknown>;
        auth?: string;
        ca?: unknown;
        cert?: unknown;
        key?: unknown;
      } = {};
      await kc.applyToHTTPSOptions(options);
      const headers = new Headers(init.headers);
      if (!headers.has("accept")) headers.set("accept", "application/json");
      for (const [key, value] of Object.entries(options.headers ?? {})) {
        headers.set(key, String(value));
      }
      if (options.auth) {
        headers.set("authorization", `Basic ${btoa(options.auth)}`);
      }
      if (
        server.startsWith("https:") && !client && (options.ca || options.cert)
      ) {
        client = Deno.createHttpClient({
          ...(options.ca ? { caCerts: [String(options.ca)] } : {}),
          ...(options.cert && options.key
            ? { cert: String(options.cert), key: String(options.key) }
            : {}),
        });
      }
      return await fetch(server + pathAndQuery, {
        ...init,
        headers,
        ...(client ? { client } : {}),
      });
    },
    close() {
      client?.close();
      client = undefined;
    },
  };
}
