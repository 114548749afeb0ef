/**
 * The validated configuration as declared, documented types: what
 * `loadConfig()` returns. `config.ts` checks at compile time that its zod
 * schema produces exactly these (a type inferred from zod cannot be
 * documented for `deno doc --lint`).
 *
 * @module
 */

import type { CatalogFamily } from "../rules/mod.ts";

/** Per-region placement and cluster access. */
export interface RegionConfig {
  /** A&AI cloud owner of the region. */
  cloudOwner?: string | undefined;
  /** A&AI tenant of the region. */
  tenantId?: string | undefined;
  /** Path of a kubeconfig file for this region's cluster. */
  kubeconfig?: string | undefined;
  /** The kubeconfig YAML itself (secret). */
  kubeconfigInline?: string | undefined;
  /** Honour `insecure-skip-tls-verify: true` in this region's kubeconfig (a lab). */
  allowInsecureSkipTlsVerify?: boolean | undefined;
}

/** Rule tunables (durations in ms); absent ones take the rules' defaults. */
export interface RulesConfig {
  /** How long a Pod may stay unschedulable before it is Failed. */
  unschedulableGrace?: number | undefined;
  /** How long a container config error may last before it is Failed. */
  configErrorGrace?: number | undefined;
  /** How long a container must run without restarting to count as stable. */
  restartStability?: number | undefined;
  /** Restarts after which a crash loop is Failed. */
  crashLoopRestarts?: number | undefined;
  /** How long a rollout may stall before it is Failed. */
  stallTimeout?: number | undefined;
  /** How long an image pull may fail before it is Failed. */
  imagePullGrace?: number | undefined;
  /** How long an object may stay Terminating before it is Failed. */
  terminatingTimeout?: number | undefined;
  /** Whether a LoadBalancer Service needs an address to be Ready. */
  requireLoadBalancerAddress?: boolean | undefined;
  /** Ingress classes whose Ingresses need an address to be Ready. */
  ingressClassesRequiringAddress?: string[] | undefined;
  /** Extra terminal waiting/termination reasons, by Kind. */
  terminalReasons?: Record<string, string[]> | undefined;
  /**
   * Health catalog files (YAML or JSON, the built-in catalog's format),
   * read and validated by `loadConfig()` into {@linkcode RulesConfig.catalog}.
   */
  catalogFiles?: string[] | undefined;
  /**
   * User health catalog families: the config's own `rules.catalog`, then
   * those of `catalogFiles` once `loadConfig()` read them. Their entries
   * replace built-in ones of the same `group/Kind`.
   */
  catalog?: CatalogFamily[] | undefined;
}

/**
 * What one installation may adopt and delete: objects whose `selflink`
 * points at its k8splugin (or a former URL of it), in its regions.
 */
export interface ScopeConfig {
  /** Only these cloud regions (a shard); absent: every region. */
  regions?: string[] | undefined;
  /** Earlier k8splugin base URLs whose objects are ours too (after a move). */
  formerK8spluginUrls: string[];
}

/** A validated configuration with defaults filled in (durations in ms). */
export interface Config {
  /** The k8splugin to read. */
  k8splugin: {
    /** Base URL, e.g. `http://multicloud-k8s:9015`. */
    url: string;
    /** Per-request timeout in ms. */
    timeout: number;
    /** Parallel status reads. */
    concurrency: number;
    /** CA bundle to trust, when given. */
    caFile?: string | undefined;
    /** Skip TLS verification (never by default). */
    insecure: boolean;
  };
  /** The A&AI to publish to. */
  aai: {
    /** Base URL, e.g. `https://aai:8443`. */
    url: string;
    /** Schema version, e.g. `v24`. */
    apiVersion: string;
    /** Basic-auth user. */
    username: string;
    /** Basic-auth password (secret). */
    password: string;
    /** File holding the password, when given. */
    passwordFile?: string | undefined;
    /** CA bundle to trust, when given. */
    caFile?: string | undefined;
    /** Skip TLS verification (never by default). */
    insecure: boolean;
    /** `X-FromAppId`. */
    appId: string;
    /** Per-request timeout in ms. */
    timeout: number;
    /** Parallel writes. */
    concurrency: number;
    /** Send writes in single-transaction bulk requests. */
    bulk: boolean;
  };
  /** `data-owner` written on and checked for every object we publish. */
  owner: string;
  /** Prefix of the readiness labels (`<prefix>readiness=`, `<prefix>reason=`). */
  labelPrefix: string;
  /**
   * What a pass does to objects A&AI holds under another `data-owner`, by
   * owner: `skip` (leave alone), `annotate` (merge only our readiness labels
   * into them, every other field as that owner wrote it) or `take` (treat
   * as ours). An owner not named is `skip`; `--take-ownership` is `take`
   * for every owner. Default `{CnfAdapter: "annotate"}`.
   */
  owners: Record<string, "skip" | "annotate" | "take">;
  /**
   * How long after a change of an SO-managed instance was first seen its
   * annotated objects are read (SO rewrites them within its
   * `min-notify-interval`, 30 s, plus k8splugin's poll), in ms.
   */
  soRewriteDelay: number;
  /** Default cloud owner when neither the region nor connectivity-info gives one. */
  cloudOwner?: string | undefined;
  /** Default tenant for every region that does not name one. */
  tenantId?: string | undefined;
  /** Per-region settings, by cloud region id. */
  regions: Record<string, RegionConfig>;
  /** Where resources are read from. */
  source: "k8splugin" | "kube";
  /** Fetch rules' context from the cluster when a region has a kube client. */
  enrich: boolean;
  /** Path of the snapshot file. */
  snapshot: string;
  /** Consecutive misses before a gone instance's objects are deleted. */
  deleteAfterMisses: number;
  /**
   * An empty instance list while the snapshot holds at least this many
   * instances (with objects) is suspicious: nothing is deleted, exit 1.
   */
  emptyListGuard: number;
  /** Absent: max(20, 10 % of owned objects). */
  maxDeletesPerRun?: number | undefined;
  /** How long to wait before asking A&AI again for a vf-module it did not have. */
  vfModuleRetry: number;
  /** Pause between passes of `--watch`, in ms. */
  interval: number;
  /**
   * How long one pass may take, in ms: then it starts no new work, commits
   * what A&AI confirmed and exits 75.
   */
  passDeadline: number;
  /** What this installation may adopt and delete. */
  scope: ScopeConfig;
  /** Rule tunables. */
  rules: RulesConfig;
}
