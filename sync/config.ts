/**
 * Configuration of a sync run: a YAML or JSON file plus environment
 * variables (DESIGN §9), validated by zod. Every problem is reported as a
 * {@linkcode ConfigError} naming the key (and the variable it came from).
 *
 * Environment variables override the file: `K8SPLUGIN_URL`, `AAI_URL`,
 * `AAI_API_VERSION`, `AAI_USERNAME`, `AAI_PASSWORD`, `AAI_PASSWORD_FILE`,
 * `AAI_CLOUD_OWNER`, `AAI_TENANT_ID`, `AAI_CA_FILE`, `AAI_INSECURE`,
 * `K8S_AAI_SYNC_SNAPSHOT`, `K8S_AAI_SYNC_CONFIG` (the file itself),
 * `K8S_AAI_SYNC_SOURCE`, `K8S_AAI_SYNC_OWNER`, `K8S_AAI_SYNC_BULK`,
 * `K8S_AAI_SYNC_DELETE_AFTER_MISSES`, `K8S_AAI_SYNC_MAX_DELETES`; without a
 * configured snapshot, systemd's `STATE_DIRECTORY` gives its folder.
 *
 * @module
 */

import { parse as parseYaml } from "yaml";
import { z } from "zod";
import type { RuleOptions } from "../rules/types.ts";
import type { Config, RegionConfig } from "./config_type.ts";

/** A configuration problem: a bad file, value or missing setting (exit 2). */
export class ConfigError extends Error {
  /** Dotted key that is wrong, when one is to blame. */
  readonly key: string | undefined;
  /** Builds the error; `key` names the offending setting. */
  constructor(message: string, options?: { key?: string; cause?: unknown }) {
    super(
      message,
      options?.cause === undefined ? {} : { cause: options.cause },
    );
    this.name = "ConfigError";
    this.key = options?.key;
  }
}

/** Parses `30s`, `5m`, `1h`, `250ms`, `1d` or a number of milliseconds; undefined when malformed. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === "number") {
    return Number.isFinite(value) && value >= 0 ? value : undefined;
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(value);
  if (!match) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
    (match[2] ?? "ms") as "ms"
  ];
  return Number(match[1]) * unit;
}

const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({
      code: "custom",
      message: `must be a duration like "30s", "5m" or a number of ms, got ${
        JSON.stringify(value)
      }`,
    });
    return z.NEVER;
  }
  return ms;
});

const url = z.string().refine((v) => {
  try {
    const u = new URL(v);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}, { message: "must be an http:// or https:// URL" });

const boolish = z.union([
  z.boolean(),
  z.enum(["true", "false", "1", "0", "yes", "no"]).transform((v) =>
    v === "true" || v === "1" || v === "yes"
  ),
]);

const positiveInt = z.coerce.number().int().positive();

const regionSchema = z.strictObject({
  cloudOwner: z.string().min(1).optional(),
  tenantId: z.string().min(1).optional(),
  /** Path of a kubeconfig file for this region's cluster. */
  kubeconfig: z.string().min(1).optional(),
  /** The kubeconfig YAML itself (secret). */
  kubeconfigInline: z.string().min(1).optional(),
});

const rulesSchema = z.strictObject({
  unschedulableGrace: duration.optional(),
  configErrorGrace: duration.optional(),
  restartStability: duration.optional(),
  crashLoopRestarts: positiveInt.optional(),
  stallTimeout: duration.optional(),
  imagePullGrace: duration.optional(),
  terminatingTimeout: duration.optional(),
  requireLoadBalancerAddress: boolish.optional(),
  ingressClassesRequiringAddress: z.array(z.string().min(1)).optional(),
  terminalReasons: z.record(z.string(), z.array(z.string().min(1)))
    .optional(),
});

/** The policies of {@linkcode Config.owners}. */
const ownerPolicy = z.enum(["skip", "annotate", "take"]);

/**
 * `owners`: a map `{CnfAdapter: annotate}`, or (from
 * `K8S_AAI_SYNC_OWNERS`) the string `CnfAdapter=annotate,Other=skip`.
 * Absent: `{CnfAdapter: annotate}`; an owner it does not name is `skip`.
 */
const ownersSchema = z.preprocess(
  (value) =>
    typeof value === "string"
      ? Object.fromEntries(
        value.split(",").map((pair) => pair.trim()).filter(Boolean).map(
          (pair) => {
            const at = pair.lastIndexOf("=");
            return at < 0
              ? [pair, ""]
              : [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
          },
        ),
      )
      : value,
  z.record(z.string().min(1), ownerPolicy),
).default({ CnfAdapter: "annotate" });

const configSchema = z.strictObject({
  k8splugin: z.strictObject({
    url: url,
    timeout: duration.default(30_000),
    concurrency: positiveInt.default(8),
  }),
  aai: z.strictObject({
    url: url,
    apiVersion: z.string().regex(/^v[1-9][0-9]*$/, {
      message: 'must look like "v24"',
    }).default("v24"),
    username: z.string().default("AAI"),
    password: z.string().default("AAI"),
    passwordFile: z.string().optional(),
    caFile: z.string().optional(),
    insecure: boolish.default(false),
    appId: z.string().min(1).default("k8s-aai-sync"),
    timeout: duration.default(30_000),
    concurrency: positiveInt.default(8),
    bulk: boolish.default(false),
  }),
  /** `data-owner` written on and checked for every object we publish. */
  owner: z.string().min(1).default("k8s-aai-sync"),
  /** Prefix of the readiness labels (`<prefix>readiness=`, `<prefix>reason=`). */
  labelPrefix: z.string().min(1).default("k8s-aai-sync/"),
  /** What to do with objects of another `data-owner`, by owner (issue 13). */
  owners: ownersSchema,
  /** How long after a change of an SO-managed instance its objects are looked at. */
  soRewriteDelay: duration.default(45_000),
  /** Default cloud owner when neither the region nor connectivity-info gives one. */
  cloudOwner: z.string().min(1).optional(),
  /** Default tenant for every region that does not name one. */
  tenantId: z.string().min(1).optional(),
  regions: z.record(z.string(), regionSchema).default({}),
  source: z.enum(["k8splugin", "kube"]).default("k8splugin"),
  /** Fetch rules' context from the cluster when a region has a kube client. */
  enrich: boolish.default(false),
  snapshot: z.string().min(1).default("./state/snapshot.json"),
  deleteAfterMisses: positiveInt.default(2),
  /**
   * An empty instance list while the snapshot holds at least this many
   * instances (with objects) is suspicious: nothing is deleted, exit 1.
   */
  emptyListGuard: positiveInt.default(2),
  /** Absent: max(20, 10 % of owned objects). */
  maxDeletesPerRun: z.coerce.number().int().nonnegative().optional(),
  /** How long to wait before asking A&AI again for a vf-module it did not have. */
  vfModuleRetry: duration.default(600_000),
  interval: duration.default(30_000),
  /**
   * A pass stops starting new work after this long, commits what A&AI
   * confirmed and exits 75 (14.19). Below the cron interval.
   */
  passDeadline: duration.refine((ms) => ms >= 1_000, {
    message: "must be at least 1s",
  }).default(600_000),
  /** What this installation may adopt and delete (14.10). */
  scope: z.strictObject({
    /** Only these cloud regions (a shard); absent: every region. */
    regions: z.union([
      z.array(z.string().min(1)).min(1),
      // K8S_AAI_SYNC_SCOPE_REGIONS: comma-separated.
      z.string().transform((v) => v.split(",").map((r) => r.trim()))
        .pipe(z.array(z.string().min(1)).min(1)),
    ]).optional(),
    /** Earlier k8splugin URLs whose objects are ours too (after a move). */
    formerK8spluginUrls: z.array(url).default([]),
  }).default({ formerK8spluginUrls: [] }),
  rules: rulesSchema.default({}),
});

export type {
  Config,
  RegionConfig,
  RulesConfig,
  ScopeConfig,
} from "./config_type.ts";

/** Whether two types are assignable both ways. */
type Same<A, B> = [A] extends [B] ? [B] extends [A] ? true : false : false;
// The documented types of config_type.ts are what the schemas produce.
const _sameConfig: Same<Config, z.infer<typeof configSchema>> = true;
const _sameRegion: Same<RegionConfig, z.infer<typeof regionSchema>> = true;

/** The configuration as written in a file (before defaults). */
export type ConfigInput = z.input<typeof configSchema>;

/** Environment variable → dotted config key it overrides. */
export const ENV_KEYS: Readonly<Record<string, string>> = {
  K8SPLUGIN_URL: "k8splugin.url",
  AAI_URL: "aai.url",
  AAI_API_VERSION: "aai.apiVersion",
  AAI_USERNAME: "aai.username",
  AAI_PASSWORD: "aai.password",
  AAI_PASSWORD_FILE: "aai.passwordFile",
  AAI_CA_FILE: "aai.caFile",
  AAI_INSECURE: "aai.insecure",
  AAI_CLOUD_OWNER: "cloudOwner",
  AAI_TENANT_ID: "tenantId",
  K8S_AAI_SYNC_SNAPSHOT: "snapshot",
  K8S_AAI_SYNC_SOURCE: "source",
  K8S_AAI_SYNC_OWNER: "owner",
  K8S_AAI_SYNC_OWNERS: "owners",
  K8S_AAI_SYNC_BULK: "aai.bulk",
  K8S_AAI_SYNC_DELETE_AFTER_MISSES: "deleteAfterMisses",
  K8S_AAI_SYNC_MAX_DELETES: "maxDeletesPerRun",
  K8S_AAI_SYNC_PASS_DEADLINE: "passDeadline",
  K8S_AAI_SYNC_SCOPE_REGIONS: "scope.regions",
};

/** Sets a dotted key in a plain object, creating parents. */
function setKey(target: Record<string, unknown>, key: string, value: unknown) {
  const parts = key.split(".");
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== "object" || next === null || Array.isArray(next)) {
      node[part] = {};
    }
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}

/**
 * Validates configuration data (already merged with the environment) and
 * fills in defaults. `origins` maps dotted keys to the variable they came
 * from, so errors can name it.
 *
 * @throws {ConfigError} naming the first bad key and the problem.
 */
export function parseConfig(
  data: unknown,
  source = "configuration",
  origins: Record<string, string> = {},
): Config {
  const result = configSchema.safeParse(data ?? {});
  if (result.success) return result.data;
  const messages = result.error.issues.map((issue) => {
    const key = issue.path.map(String).join(".");
    // A variable that sets a whole map (K8S_AAI_SYNC_OWNERS) is named for
    // its entries too.
    const origin = origins[key] ??
      issue.path.map((_, i) =>
        origins[issue.path.slice(0, i).map(String).join(".")]
      ).findLast((o) => o !== undefined);
    const where = origin ? `${origin} (${key})` : `"${key || "(root)"}"`;
    let message = issue.message;
    if (issue.code === "invalid_type" && issue.input === undefined) {
      message = "is required";
    } else if (issue.code === "unrecognized_keys") {
      message = `has unknown keys ${
        issue.keys.map((k) => `"${k}"`).join(", ")
      }`;
    }
    return { key, text: `${where} ${message}` };
  });
  const missingUrls = messages.filter((m) =>
    (m.key === "k8splugin.url" || m.key === "aai.url" ||
      m.key === "k8splugin" || m.key === "aai") &&
    m.text.endsWith("is required")
  );
  if (missingUrls.length > 0) {
    throw new ConfigError(
      `Set K8SPLUGIN_URL and AAI_URL (or k8splugin.url and aai.url in a config file given by --config or K8S_AAI_SYNC_CONFIG): ${source} has no ${
        missingUrls.map((m) => m.key.replace(/\.url$/, "") + ".url").join(
          " and ",
        )
      }`,
      { key: missingUrls[0]!.key },
    );
  }
  throw new ConfigError(
    `Invalid ${source}: ${messages.map((m) => m.text).join("; ")}`,
    { key: messages[0]?.key ?? "" },
  );
}

/**
 * Loads the configuration: the file at `path` (else `K8S_AAI_SYNC_CONFIG`,
 * else none), YAML or JSON, then the environment variables of
 * {@linkcode ENV_KEYS} on top, then validation. `AAI_PASSWORD_FILE` /
 * `aai.passwordFile` is read here (trailing newline removed).
 *
 * @throws {ConfigError} for an unreadable file, bad syntax or a bad value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadConfig } from "./config.ts";
 * const config = await loadConfig(undefined, {
 *   K8SPLUGIN_URL: "http://multicloud-k8s:9015",
 *   AAI_URL: "http://aai:80",
 * });
 * assert.equal(config.aai.apiVersion, "v24");
 * ```
 */
export async function loadConfig(
  path?: string,
  env: Record<string, string | undefined> = {},
): Promise<Config> {
  const file = path ?? env.K8S_AAI_SYNC_CONFIG;
  let data: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch (error) {
      throw new ConfigError(
        `Cannot read config file "${file}": ${(error as Error).message}`,
        { cause: error },
      );
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(text); // JSON is YAML too
    } catch (error) {
      throw new ConfigError(
        `Cannot parse config file "${file}": ${(error as Error).message}`,
        { cause: error },
      );
    }
    if (parsed !== null && parsed !== undefined) {
      if (typeof parsed !== "object" || Array.isArray(parsed)) {
        throw new ConfigError(
          `Cannot use config file "${file}": it must hold a mapping of keys`,
        );
      }
      data = parsed as Record<string, unknown>;
    }
  }
  const origins: Record<string, string> = {};
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value === undefined || value === "") continue;
    setKey(data, key, value);
    origins[key] = name;
  }
  // Under systemd, StateDirectory= gives the state folder (DESIGN §6).
  const stateDirectory = env.STATE_DIRECTORY?.split(":")[0];
  if (data.snapshot === undefined && stateDirectory) {
    data.snapshot = `${stateDirectory.replace(/\/+$/, "")}/snapshot.json`;
    origins.snapshot = "STATE_DIRECTORY";
  }
  const config = parseConfig(
    data,
    file ? `config "${file}"` : "configuration",
    origins,
  );
  if (config.aai.passwordFile) {
    try {
      config.aai.password = (await Deno.readTextFile(config.aai.passwordFile))
        .replace(/\r?\n$/, "");
    } catch (error) {
      throw new ConfigError(
        `Cannot read the A&AI password file "${config.aai.passwordFile}" (aai.passwordFile): ${
          (error as Error).message
        }`,
        { key: "aai.passwordFile", cause: error },
      );
    }
  }
  return config;
}

/** Rule tunables from the config, in the units `RuleOptions` uses. */
export function ruleOptions(config: Config): Partial<RuleOptions> {
  const r = config.rules;
  const out: Partial<RuleOptions> = {};
  if (r.unschedulableGrace !== undefined) {
    out.unschedulableGraceMs = r.unschedulableGrace;
  }
  if (r.configErrorGrace !== undefined) {
    out.configErrorGraceMs = r.configErrorGrace;
  }
  if (r.restartStability !== undefined) {
    out.restartStabilityMs = r.restartStability;
  }
  if (r.crashLoopRestarts !== undefined) {
    out.crashLoopRestarts = r.crashLoopRestarts;
  }
  if (r.stallTimeout !== undefined) out.stallTimeoutMs = r.stallTimeout;
  if (r.imagePullGrace !== undefined) out.imagePullGraceMs = r.imagePullGrace;
  if (r.terminatingTimeout !== undefined) {
    out.terminatingTimeoutMs = r.terminatingTimeout;
  }
  if (r.requireLoadBalancerAddress !== undefined) {
    out.requireLoadBalancerAddress = r.requireLoadBalancerAddress;
  }
  if (r.ingressClassesRequiringAddress !== undefined) {
    out.ingressClassesRequiringAddress = r.ingressClassesRequiringAddress;
  }
  if (r.terminalReasons !== undefined) {
    out.terminalReasons = r.terminalReasons;
  }
  return out;
}

/** A config for tests and tools: the two URLs plus any overrides. */
export function makeConfig(
  input: Partial<ConfigInput> & {
    k8splugin: ConfigInput["k8splugin"];
    aai: ConfigInput["aai"];
  },
): Config {
  return parseConfig(input, "configuration");
}
