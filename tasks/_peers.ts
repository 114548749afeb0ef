/**
 * The one place the CLI tasks pick peer implementations from a validated
 * config (cloudydeno's `ClientProviderChain` idea): the HTTP k8splugin and
 * A&AI clients, and the per-region kube clients.
 *
 * The HTTP adapters are imported from their files rather than
 * `adapters/mod.ts`, which also re-exports `adapters/kube.ts`: loading
 * `@kubernetes/client-node` costs a process about 60 MiB of RSS (measured by
 * the bench), so {@linkcode kubeClientsFrom} imports it only when a region
 * can have a cluster client.
 *
 * @module
 */
import { type AaiExchange, HttpAaiClient } from "../adapters/aai.ts";
import type { Exchange } from "../adapters/http.ts";
import { HttpK8spluginClient } from "../adapters/k8splugin.ts";
import type { KubeClients, KubeRegionConfig } from "../adapters/kube.ts";
import type { Config } from "../sync/mod.ts";

/** The A&AI client a config describes; `onExchange` sees every request (for logs). */
export function aaiClientFrom(
  config: Config,
  onExchange?: (exchange: AaiExchange) => void,
  signal?: AbortSignal,
): HttpAaiClient {
  return new HttpAaiClient({
    baseUrl: config.aai.url,
    apiVersion: config.aai.apiVersion,
    username: config.aai.username,
    password: config.aai.password,
    appId: config.aai.appId,
    timeoutMs: config.aai.timeout,
    insecure: config.aai.insecure,
    caFile: config.aai.caFile || undefined,
    onExchange,
    signal,
  });
}

/** The k8splugin client a config describes; `onExchange` sees every request (for logs). */
export function k8spluginClientFrom(
  config: Config,
  onExchange?: (exchange: Exchange) => void,
  onSkippedEntry?: (message: string) => void,
  signal?: AbortSignal,
): HttpK8spluginClient {
  return new HttpK8spluginClient({
    ...(onSkippedEntry ? { onSkippedEntry } : {}),
    baseUrl: config.k8splugin.url,
    timeoutMs: config.k8splugin.timeout,
    insecure: config.k8splugin.insecure,
    ...(config.k8splugin.caFile ? { caFile: config.k8splugin.caFile } : {}),
    ...(onExchange ? { onExchange } : {}),
    ...(signal ? { signal } : {}),
  });
}

/**
 * The kube clients of a run: a region's configured kubeconfig, else (with
 * `source: kube` or `enrich`) the one k8splugin's connectivity-info holds.
 * `undefined` when no region can have one, without loading
 * `@kubernetes/client-node` at all.
 */
export async function kubeClientsFrom(
  config: Config,
  k8splugin: HttpK8spluginClient,
  source: "k8splugin" | "kube",
): Promise<KubeClients | undefined> {
  const regions: Record<string, KubeRegionConfig> = {};
  for (const [name, region] of Object.entries(config.regions)) {
    const allowInsecure = region.allowInsecureSkipTlsVerify
      ? { allowInsecure: true }
      : {};
    if (region.kubeconfigInline) {
      regions[name] = { kubeconfig: region.kubeconfigInline, ...allowInsecure };
    } else if (region.kubeconfig) {
      regions[name] = { kubeconfigPath: region.kubeconfig, ...allowInsecure };
    } else if (region.allowInsecureSkipTlsVerify) {
      // The kubeconfig comes from connectivity-info; only the permission here.
      regions[name] = allowInsecure;
    }
  }
  const viaConnectivityInfo = source === "kube" || config.enrich;
  if (
    !viaConnectivityInfo &&
    !Object.values(regions).some((r) => r.kubeconfig || r.kubeconfigPath)
  ) {
    return undefined;
  }
  const { KubeClients } = await import("../adapters/kube.ts");
  return new KubeClients({
    regions,
    k8splugin: viaConnectivityInfo ? k8splugin : undefined,
  });
}
