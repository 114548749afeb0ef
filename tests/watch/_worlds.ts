/**
 * The simulators an end-to-end `sync --watch` test runs against, with a
 * state folder: Kubernetes watches (the kube simulator behind k8splugin's
 * connectivity-info) or k8splugin subscriptions. All gone on dispose.
 *
 * @module
 */
import { type AaiSimSeed, startAai } from "../../sim/aai.ts";
import { simKubeconfig, startK8splugin } from "../../sim/k8splugin.ts";
import { type KubeSim, startKube } from "../../sim/kube.ts";
import type { Scenario } from "../../sim/scenario.ts";
import { baseEnv, freePort, type Proc, spawn, until } from "./_proc.ts";
import { FAST_SUBSCRIPTIONS } from "./_scenario.ts";

/** The k8splugin and A&AI simulators and a state folder. */
export interface World extends AsyncDisposable {
  k8s: ReturnType<typeof startK8splugin>;
  aai: Awaited<ReturnType<typeof startAai>>;
  dir: string;
}

/** A {@linkcode World} with the kube simulator. */
export interface KubeWorld extends World {
  kube: KubeSim;
}

/** A {@linkcode World} whose k8splugin calls back `port`. */
export interface SubscriptionWorld extends World {
  port: number;
  /** Starts `sync --watch` calling back on `port` (1 s notify interval); resolves once ready. */
  start(args: string[]): Promise<Proc>;
}

/** The kube simulator, k8splugin (its connectivity-info pointing there), A&AI and a state folder. */
export async function kubeWorld(
  sc: Scenario,
  kubeOptions: { bookmarkIntervalMs?: number } = {},
): Promise<KubeWorld> {
  const kube = await startKube({ scenario: sc, ...kubeOptions });
  const k8s = startK8splugin({
    scenario: sc,
    kubeconfigFor: (region) => simKubeconfig(region, kube.url),
  });
  const aai = await startAai({ seed: sc.aai as AaiSimSeed });
  const dir = await Deno.makeTempDir({ prefix: "sync-watch-" });
  return {
    kube,
    k8s,
    aai,
    dir,
    async [Symbol.asyncDispose]() {
      await aai[Symbol.asyncDispose]();
      await k8s[Symbol.asyncDispose]();
      await kube[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/**
 * The simulators of a subscriptions test (k8splugin with fast notifiers,
 * A&AI), a state folder and a port for the callbacks; all gone on dispose.
 */
export async function subscriptionWorld(
  sc: Scenario,
  timing: Partial<typeof FAST_SUBSCRIPTIONS> = {},
): Promise<SubscriptionWorld> {
  const k8s = startK8splugin({
    scenario: sc,
    subscriptionTiming: { ...FAST_SUBSCRIPTIONS, ...timing },
  });
  const aai = await startAai({ seed: sc.aai as AaiSimSeed });
  const dir = await Deno.makeTempDir({ prefix: "sync-watch-" });
  const port = freePort();
  return {
    k8s,
    aai,
    dir,
    port,
    async start(args: string[]): Promise<Proc> {
      const proc = spawn(
        [...args, "--callback-url", `http://127.0.0.1:${port}`],
        {
          ...baseEnv(k8s.url, aai.url, dir),
          K8S_AAI_SYNC_NOTIFY_INTERVAL: "1",
        },
        port,
      );
      try {
        await until(proc.ready, "/readyz", 30_000);
      } catch (error) {
        await proc[Symbol.asyncDispose]();
        throw error;
      }
      return proc;
    },
    async [Symbol.asyncDispose]() {
      await k8s[Symbol.asyncDispose]();
      await aai[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true });
    },
  };
}
