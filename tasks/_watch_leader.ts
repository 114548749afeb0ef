/**
 * Leader election of `sync --watch --leader-election` (issue 17): a
 * `coordination.k8s.io` Lease in the pod's namespace, held by one replica
 * at a time. The leader labels its own pod (`POD_NAME`, `POD_NAMESPACE`)
 * so that the Service k8splugin calls back reaches it only.
 *
 * `@kubernetes/client-node` is loaded only when an election is built.
 *
 * Permissions: `--allow-net` (the API server), `--allow-read` (kubeconfig,
 * service account namespace), `--allow-env`, `--allow-sys` (hostname).
 *
 * @module
 */
import type { KubeStream } from "../adapters/kube_stream.ts";
import type { LeaseElector } from "../adapters/lease.ts";
import type { SyncLogger } from "../sync/mod.ts";

/** A pod, by namespace and name. */
export interface PodRef {
  /** `metadata.name`. */
  name: string;
  /** `metadata.namespace`. */
  namespace: string;
}

/** What {@linkcode LeaderElection.from} needs. */
export interface LeaderElectionOptions {
  /** `--lease-duration`; the renew deadline and retry period follow from it. */
  leaseDurationMs: number;
  /** `POD_NAME` and `POD_NAMESPACE` (the Downward API). */
  env: Record<string, string | undefined>;
  /** Where the Lease's and the pod label's failures go. */
  log: SyncLogger;
  /** Told when this replica starts leading; its pod is labelled after. */
  onStartedLeading(): void;
  /** Told when it stops leading; its pod's label is removed after. */
  onStoppedLeading(): void;
}

/** A Lease elector, the API server stream it uses, and the pod it labels. */
export class LeaderElection {
  readonly #elector: LeaseElector;
  readonly #stream: KubeStream;
  readonly #pod: PodRef | undefined;

  /** Builds the elector from the default kubeconfig (in-cluster in a pod). */
  static async from(options: LeaderElectionOptions): Promise<LeaderElection> {
    const { env, log, leaseDurationMs } = options;
    const { KubeConfig } = await import("@kubernetes/client-node");
    const { kubeStreamFromKubeConfig } = await import(
      "../adapters/kube_stream.ts"
    );
    const lease = await import("../adapters/lease.ts");
    const kc = new KubeConfig();
    kc.loadFromDefault();
    const stream = kubeStreamFromKubeConfig(kc);
    const pod = env.POD_NAME
      ? { name: env.POD_NAME, namespace: env.POD_NAMESPACE ?? "default" }
      : undefined;
    const namespace = env.POD_NAMESPACE ?? await serviceAccountNamespace();
    const label = (on: boolean) => {
      if (!pod) return Promise.resolve();
      return lease.markLeaderPod(stream, pod, on).catch((error) =>
        log.warn((error as Error).message)
      );
    };
    const elector = new lease.LeaseElector({
      api: lease.leaseApi(stream),
      namespace,
      identity: lease.holderIdentity(env.POD_NAME ?? Deno.hostname()),
      leaseDurationMs,
      renewDeadlineMs: Math.round(leaseDurationMs * 2 / 3),
      retryPeriodMs: Math.max(100, Math.round(leaseDurationMs / 7.5)),
      onStartedLeading() {
        options.onStartedLeading();
        void label(true);
      },
      onStoppedLeading() {
        options.onStoppedLeading();
        void label(false);
      },
      onError(error) {
        log.warn(error.message);
      },
    });
    return new LeaderElection(elector, stream, pod);
  }

  /** Stores what it is given. */
  constructor(elector: LeaseElector, stream: KubeStream, pod?: PodRef) {
    this.#elector = elector;
    this.#stream = stream;
    this.#pod = pod;
  }

  /** Starts campaigning for the Lease. */
  start(): void {
    this.#elector.start();
  }

  /** On shutdown: releases the Lease and, if it was leading, unlabels the pod. */
  async resign(): Promise<void> {
    const wasLeading = this.#elector.isLeader;
    await this.#elector.close();
    if (wasLeading && this.#pod) {
      const { markLeaderPod } = await import("../adapters/lease.ts");
      await markLeaderPod(this.#stream, this.#pod, false).catch(() => {});
    }
  }

  /** Closes the API server stream (after {@linkcode LeaderElection.resign}). */
  close(): void {
    this.#stream.close();
  }
}

/** The namespace of the pod's service account, else `default`. */
async function serviceAccountNamespace(): Promise<string> {
  try {
    return (await Deno.readTextFile(
      "/var/run/secrets/kubernetes.io/serviceaccount/namespace",
    )).trim();
  } catch {
    return "default";
  }
}
