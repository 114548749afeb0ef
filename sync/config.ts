/**
 * Configuration of a sync run: a YAML or JSON file plus environment
 * variables (DESIGN §9), validated by zod. Every problem is reported as a
 * {@linkcode ConfigError} naming the key (and the variable it came from).
 *
 * Environment variables override the file: `K8SPLUGIN_URL`, `AAI_URL`,
 * `AAI_API_VERSION`, `AAI_USERNAME`, `AAI_PASSWORD`, `AAI_PASSWORD_FILE`,
 * `AAI_CLOUD_OWNER`, `AAI_TENANT_ID`, `AAI_CA_FILE`, `AAI_INSECURE`,
 * `K8SPLUGIN_CA_FILE`, `K8SPLUGIN_INSECURE`,
 * `K8S_AAI_SYNC_SNAPSHOT`, `K8S_AAI_SYNC_CONFIG` (the file itself),
 * `K8S_AAI_SYNC_SOURCE`, `K8S_AAI_SYNC_OWNER`, `K8S_AAI_SYNC_BULK`,
 * `K8S_AAI_SYNC_DELETE_AFTER_MISSES`, `K8S_AAI_SYNC_MAX_DELETES`,
 * `K8S_AAI_SYNC_CATALOG_FILES` (comma-separated); without a
 * configured snapshot, systemd's `STATE_DIRECTORY` gives its folder.
 *
 * @module
 */

import { parse as parseYaml } from "yaml";
import { z } from "zod";
import {
  CatalogError,
  type CatalogFamily,
  parseCatalog,
  type RuleOptions,
  validateCatalog,
} from "../rules/mod.ts";
import type { Config, RegionConfig } from "./config_type.ts";

import {
  baseUrl,
  boolish,
  CONCURRENCY,
  ConfigError,
  duration,
  INTERVAL,
  pathSegment,
  RULE_DURATION,
  shown,
  TIMEOUT,
  wholeNumber,
} from "./config_fields.ts";

const regionSchema = z.strictObject({
  cloudOwner: pathSegment.optional(),
  tenantId: pathSegment.optional(),
  /** Path of a kubeconfig file for this region's cluster. */
  kubeconfig: z.string().min(1).optional(),
  /** The kubeconfig YAML itself (secret). */
  kubeconfigInline: z.string().min(1).optional(),
  /** Honour `insecure-skip-tls-verify: true` in this region's kubeconfig (a lab). */
  allowInsecureSkipTlsVerify: boolish.optional(),
});

const rulesSchema = z.strictObject({
  unschedulableGrace: duration(...RULE_DURATION).optional(),
  configErrorGrace: duration(...RULE_DURATION).optional(),
  restartStability: duration(...RULE_DURATION).optional(),
  crashLoopRestarts: wholeNumber(1, 1000).optional(),
  stallTimeout: duration(...RULE_DURATION).optional(),
  imagePullGrace: duration(...RULE_DURATION).optional(),
  terminatingTimeout: duration(...RULE_DURATION).optional(),
  requireLoadBalancerAddress: boolish.optional(),
  ingressClassesRequiringAddress: z.array(z.string().min(1)).optional(),
  terminalReasons: z.record(z.string(), z.array(z.string().min(1)))
    .optional(),
  /** Health catalog files (a comma-separated string from the environment). */
  catalogFiles: z.preprocess(
    (value) =>
      typeof value === "string"
        ? value.split(",").map((file) => file.trim()).filter(Boolean)
        : value,
    z.array(z.string().min(1)),
  ).optional(),
  /**
   * Health catalog families written in the config itself; `loadConfig()`
   * appends those of `catalogFiles`.
   */
  catalog: z.unknown().transform((value, ctx): CatalogFamily[] => {
    try {
      return validateCatalog(
        Array.isArray(value) ? { families: value } : value,
        "rules.catalog",
      );
    } catch (error) {
      if (!(error instanceof CatalogError)) throw error;
      ctx.addIssue({ code: "custom", message: error.message });
      return z.NEVER;
    }
  }).optional(),
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

/** The `data-owner` of SO's CNF adapter: writing as it would fight it. */
const FOREIGN_OWNERS = ["CnfAdapter"];

const configSchema = z.strictObject({
  k8splugin: z.strictObject({
    url: baseUrl("http://multicloud-k8s:9015", /\/v1$/, "/v1"),
    timeout: duration(...TIMEOUT).default(30_000),
    concurrency: wholeNumber(...CONCURRENCY).default(8),
    /** PEM file of the CA that signed k8splugin's certificate. */
    caFile: z.string().min(1).optional(),
    insecure: boolish.default(false),
  }),
  aai: z.strictObject({
    url: baseUrl(
      "https://aai.onap:8443",
      /\/aai(\/v\d+)?$/,
      "/aai or /aai/vN",
    ),
    apiVersion: z.string().regex(/^v(2[4-9]|[3-9]\d|\d{3,})$/, {
      message: 'must be "v24" or later (k8s-resource exists since v24)',
    }).default("v24"),
    username: z.string().default("AAI"),
    password: z.string().default("AAI"),
    passwordFile: z.string().min(1).optional(),
    caFile: z.string().min(1).optional(),
    insecure: boolish.default(false),
    appId: z.string().min(1).default("k8s-aai-sync"),
    timeout: duration(...TIMEOUT).default(30_000),
    concurrency: wholeNumber(...CONCURRENCY).default(8),
    bulk: boolish.default(false),
  }),
  /** `data-owner` written on and checked for every object we publish. */
  owner: z.string().min(1).refine((v) => !FOREIGN_OWNERS.includes(v), {
    message:
      'must not be "CnfAdapter": that is SO\'s CNF adapter\'s data-owner, and the two would overwrite each other (keep the default "k8s-aai-sync")',
  }).default("k8s-aai-sync"),
  /** Prefix of the readiness labels (`<prefix>readiness=`, `<prefix>reason=`). */
  labelPrefix: z.string().min(1).default("k8s-aai-sync/"),
  /** What to do with objects of another `data-owner`, by owner (issue 13). */
  owners: ownersSchema,
  /** How long after a change of an SO-managed instance its objects are looked at. */
  soRewriteDelay: duration(0, 86_400_000).default(45_000),
  /** Default cloud owner when neither the region nor connectivity-info gives one. */
  cloudOwner: pathSegment.optional(),
  /** Default tenant for every region that does not name one. */
  tenantId: pathSegment.optional(),
  regions: z.record(z.string(), regionSchema).default({}),
  source: z.enum(["k8splugin", "kube"]).default("k8splugin"),
  /** Fetch rules' context from the cluster when a region has a kube client. */
  enrich: boolish.default(false),
  snapshot: z.string().min(1).default("./state/snapshot.json"),
  deleteAfterMisses: wholeNumber(1, 1000).default(2),
  /**
   * An empty instance list while the snapshot holds at least this many
   * instances (with objects) is suspicious: nothing is deleted, exit 1.
   */
  emptyListGuard: wholeNumber(1, 1_000_000).default(2),
  /** Absent: max(20, 10 % of owned objects). */
  maxDeletesPerRun: wholeNumber(0, 1_000_000_000).optional(),
  /** How long to wait before asking A&AI again for a vf-module it did not have. */
  vfModuleRetry: duration(0, RULE_DURATION[1]).default(600_000),
  interval: duration(...INTERVAL).default(30_000),
  /**
   * A pass stops starting new work after this long, commits what A&AI
   * confirmed and exits 75 (14.19). Below the cron interval.
   */
  passDeadline: duration(1_000, 86_400_000).default(600_000),
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
    formerK8spluginUrls: z.array(
      baseUrl("http://multicloud-k8s:9015", /\/v1$/, "/v1"),
    ).default([]),
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
  K8SPLUGIN_CA_FILE: "k8splugin.caFile",
  K8SPLUGIN_INSECURE: "k8splugin.insecure",
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
  K8S_AAI_SYNC_CATALOG_FILES: "rules.catalogFiles",
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

/** The value at a path of the raw data (undefined when absent). */
function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let node = data;
  for (const part of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[part];
  }
  return node;
}

/** Keys whose values are never echoed in an error. */
const SECRET_KEY = /password|kubeconfig/i;

/**
 * An issue in operator words: the problem with the value that is there
 * ("is required" only when nothing is), never raw validator text.
 */
function issueText(issue: z.core.$ZodIssue, value: unknown): string {
  const secret = issue.path.some((p) => SECRET_KEY.test(String(p)));
  const got = secret || value === undefined ? "" : `, got ${shown(value)}`;
  switch (issue.code) {
    case "custom":
      return issue.message;
    case "unrecognized_keys":
      return `has unknown keys ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
    case "invalid_value":
      return `must be one of ${
        issue.values.map((v) => JSON.stringify(v)).join(", ")
      }${got}`;
    case "invalid_format":
      return `${issue.message}${got}`;
    case "too_small":
      return issue.origin === "string"
        ? `must not be empty`
        : `must be at least ${issue.minimum}${got}`;
    case "too_big":
      return `must be at most ${issue.maximum}${got}`;
    case "invalid_type":
      if (value === undefined) return "is required";
      return `must be ${
        issue.expected === "object"
          ? "a mapping of keys"
          : issue.expected === "array"
          ? "a list"
          : `a ${issue.expected}`
      }${got}`;
    default:
      return `is not valid${got}`;
  }
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
    return {
      key,
      text: `${where} ${issueText(issue, valueAt(data, issue.path))}`,
    };
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
  await loadCatalogFiles(config, origins["rules.catalogFiles"]);
  for (
    const [peer, key, settings] of [
      ["k8splugin", "k8splugin.caFile", config.k8splugin],
      ["A&AI", "aai.caFile", config.aai],
    ] as const
  ) {
    if (settings.caFile) {
      await checkCaFile(settings.caFile, peer, key, origins[key]);
    }
  }
  return config;
}

/**
 * Reads and validates the health catalog files of `rules.catalogFiles` with
 * the rules' own `parseCatalog`, and sets `rules.catalog` to the config's
 * own families followed by theirs: one array for every evaluator of the run.
 *
 * @throws {ConfigError} naming the file (and the path inside it).
 */
async function loadCatalogFiles(
  config: Config,
  origin: string | undefined,
): Promise<void> {
  const files = config.rules.catalogFiles ?? [];
  if (files.length === 0) return;
  const key = "rules.catalogFiles";
  const where = origin ? `${origin} (${key})` : key;
  const families = [...(config.rules.catalog ?? [])];
  for (const file of files) {
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch (error) {
      throw new ConfigError(
        `Cannot read health catalog "${file}" (${where}): ${
          (error as Error).message
        }`,
        { key, cause: error },
      );
    }
    try {
      families.push(...parseCatalog(text, file));
    } catch (error) {
      if (!(error instanceof CatalogError)) throw error;
      throw new ConfigError(error.message, { key, cause: error });
    }
  }
  config.rules.catalog = families;
}

/**
 * Checks up front that a CA file is readable PEM: a missing file is a
 * configuration error (exit 2), not a network error to retry (#17).
 */
async function checkCaFile(
  path: string,
  peer: string,
  key: string,
  origin: string | undefined,
): Promise<void> {
  const where = origin ? `${origin} (${key})` : key;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new ConfigError(
      `Cannot read the ${peer} CA file "${path}" (${where}): ${
        (error as Error).message
      }`,
      { key, cause: error },
    );
  }
  if (!text.includes("-----BEGIN CERTIFICATE-----")) {
    throw new ConfigError(
      `Cannot use the ${peer} CA file "${path}" (${where}): it holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
      { key },
    );
  }
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
