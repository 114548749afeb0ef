/**
 * The format of the health catalog: per CRD family (API group), per Kind,
 * which conditions or status fields carry health, which reasons and messages
 * are terminal, which mean "stopped on purpose", and what progress looks like.
 * The built-in catalog (`rules/catalog/<group>.ts`) and users' catalog files
 * share this one zod schema, so a user file is validated exactly like the
 * built-in data; {@linkcode parseCatalog} reads one from YAML or JSON text.
 *
 * @module
 */
import { parse } from "yaml";
import { z } from "zod";

/** A CamelCase verdict reason, like every reason a rule returns. */
const reasonCode = z.string().regex(
  /^[A-Z][A-Za-z0-9]{0,62}$/,
  'must be a CamelCase reason such as "InvalidSpec"',
);

/** A dotted field path such as `status.abort`. */
const fieldPath = z.string().regex(
  /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/,
  'must be a dotted field path such as "status.phase"',
);

/** A regular expression source, matched case-insensitively. */
const pattern = z.string().min(1).refine((source) => {
  try {
    new RegExp(source, "i");
    return true;
  } catch {
    return false;
  }
}, "must be a valid regular expression");

/**
 * One test on the object: a condition (by type, optionally status, reasons,
 * message pattern) or a status field (equal to a value, one of several, or
 * present and non-empty). `reason` is the verdict reason it yields.
 */
export const CatalogCheckSchema: z.ZodType<CatalogCheck> = z.strictObject({
  reason: reasonCode,
  condition: z.string().min(1).optional(),
  status: z.string().min(1).optional(),
  reasons: z.array(z.string().min(1)).min(1).optional(),
  field: fieldPath.optional(),
  equals: z.union([z.string(), z.number(), z.boolean()]).optional(),
  oneOf: z.array(z.string()).min(1).optional(),
  nonEmpty: z.literal(true).optional(),
  message: pattern.optional(),
}).refine(
  (check) => (check.condition === undefined) !== (check.field === undefined),
  'needs exactly one of "condition" or "field"',
).refine(
  (check) =>
    check.field === undefined ||
    [check.equals, check.oneOf, check.nonEmpty].filter((v) => v !== undefined)
        .length === 1,
  'a field check needs exactly one of "equals", "oneOf" or "nonEmpty"',
).refine(
  (check) =>
    check.condition !== undefined ||
    (check.status === undefined && check.reasons === undefined),
  '"status" and "reasons" belong to condition checks',
) as unknown as z.ZodType<CatalogCheck>;

/** A condition or field test of a catalog entry (see {@linkcode CatalogCheckSchema}). */
export interface CatalogCheck {
  /** The verdict reason when the check matches. */
  reason: string;
  /** Condition type to test. */
  condition?: string;
  /** Condition status it must have (`True`, `False`, `Unknown`…). */
  status?: string;
  /** Condition reasons, one of which it must have. */
  reasons?: string[];
  /** Status field to test (dotted path). */
  field?: string;
  /** The field equals this value. */
  equals?: string | number | boolean;
  /** The field is one of these strings. */
  oneOf?: string[];
  /** The field is present and not empty (`""`, `[]`, `{}`, `false`, `0`). */
  nonEmpty?: true;
  /** Regular expression the condition's message (or the field) must match, case-insensitive. */
  message?: string;
}

/** Reasons and message patterns that make a not-True health condition Failed. */
export interface CatalogTerminal {
  /** The verdict reason. */
  reason: string;
  /** Condition reasons that are terminal. */
  reasons?: string[];
  /** Regular expression on the condition's message, case-insensitive. */
  message?: string;
}

const terminalSchema = z.strictObject({
  reason: reasonCode,
  reasons: z.array(z.string().min(1)).min(1).optional(),
  message: pattern.optional(),
}).refine(
  (t) => t.reasons !== undefined || t.message !== undefined,
  'needs "reasons" or "message"',
);

/** A status field with the value sets that decide the verdict. */
export interface CatalogPhase {
  /** Dotted path of the phase field, e.g. `status.phase`. */
  field: string;
  /** Values that are healthy (the other checks still run). */
  ready: string[];
  /** Values that are Failed (the value is the reason). */
  failed?: string[];
  /** Values that mean stopped on purpose (Ready with a warning). */
  stopped?: string[];
  /** Dotted path of a message to quote, e.g. `status.message`. */
  message?: string;
}

const phaseSchema = z.strictObject({
  field: fieldPath,
  ready: z.array(z.string().min(1)).min(1),
  failed: z.array(reasonCode).optional(),
  stopped: z.array(reasonCode).optional(),
  message: fieldPath.optional(),
});

/** Replica counts that must reach the desired count (Deployment-like CRs). */
export interface CatalogReplicas {
  /** Desired count (default `spec.replicas`, itself defaulting to 1). */
  desired?: string;
  /** Replicas running the current template. */
  updated?: string;
  /** All replicas, old ones included: more than `updated` means old ones remain. */
  current?: string;
  /** Ready replicas. */
  ready?: string;
  /** Available replicas. */
  available?: string;
}

const replicasSchema = z.strictObject({
  desired: fieldPath.optional(),
  updated: fieldPath.optional(),
  current: fieldPath.optional(),
  ready: fieldPath.optional(),
  available: fieldPath.optional(),
});

/** How one Kind (or every Kind of the group, `"*"`) reports health. */
export interface CatalogKind {
  /** The Kind, or `*` for every Kind of the group without its own entry. */
  kind: string;
  /** Where the status shapes come from (project file or documentation URL). */
  source: string;
  /** Conditions that must all be True where present; at least one must be present. */
  health?: string[];
  /** Checks that make the object Failed at once, in order. */
  failed?: CatalogCheck[];
  /** Checks that make the object Ready whatever else it reports (e.g. a static source); consulted first. */
  ready?: CatalogCheck[];
  /** Checks that mean stopped on purpose: Ready, with a warning. */
  stopped?: CatalogCheck[];
  /** Checks that mean work in progress: Pending. */
  progress?: CatalogCheck[];
  /** Reasons and messages that make a not-True health condition Failed. */
  terminal?: CatalogTerminal[];
  /** A phase field, when the Kind reports one. */
  phase?: CatalogPhase;
  /** Replica counts, for Deployment-like Kinds. */
  replicas?: CatalogReplicas;
  /**
   * The verdict when no health condition and no phase is present: `Pending`
   * (default, the controller has not reported) or `Ready` (Kinds without a
   * status subresource, e.g. Crossplane's Composition).
   */
  noStatus?: "Ready" | "Pending";
  /**
   * `true` when the controller enforces its own progress deadline and
   * reports it (Argo Rollouts' `progressDeadlineSeconds`): no stall timeout.
   */
  nativeDeadline?: boolean;
}

/** {@linkcode CatalogKind} as a zod schema. */
export const CatalogKindSchema: z.ZodType<CatalogKind> = z.strictObject({
  kind: z.string().regex(
    /^(\*|[A-Z][A-Za-z0-9]*)$/,
    'must be a Kind such as "Rollout", or "*"',
  ),
  source: z.string().min(1),
  health: z.array(z.string().min(1)).optional(),
  failed: z.array(CatalogCheckSchema).optional(),
  ready: z.array(CatalogCheckSchema).optional(),
  stopped: z.array(CatalogCheckSchema).optional(),
  progress: z.array(CatalogCheckSchema).optional(),
  terminal: z.array(terminalSchema).optional(),
  phase: phaseSchema.optional(),
  replicas: replicasSchema.optional(),
  noStatus: z.enum(["Ready", "Pending"]).optional(),
  nativeDeadline: z.boolean().optional(),
}).refine(
  (k) =>
    (k.health?.length ?? 0) > 0 || k.phase !== undefined ||
    k.noStatus === "Ready",
  'needs "health" conditions, a "phase", or "noStatus: Ready"',
) as unknown as z.ZodType<CatalogKind>;

/** One CRD family: an API group (or `*.suffix` for a family of groups) and its Kinds. */
export interface CatalogFamily {
  /** Project name, e.g. `Argo Rollouts`. */
  family: string;
  /** API group, e.g. `argoproj.io`, or `*.upbound.io` for every group ending so. */
  group: string;
  /** Where the other tools (Argo CD, kstatus, Helm) disagree with this entry, for docs. */
  disagreements?: string;
  /** One entry per Kind. */
  kinds: CatalogKind[];
}

/** {@linkcode CatalogFamily} as a zod schema. */
export const CatalogFamilySchema: z.ZodType<CatalogFamily> = z.strictObject({
  family: z.string().min(1),
  group: z.string().regex(
    /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/,
    'must be an API group such as "argoproj.io", or "*.suffix"',
  ),
  disagreements: z.string().optional(),
  kinds: z.array(CatalogKindSchema).min(1),
}) as unknown as z.ZodType<CatalogFamily>;

/**
 * A user catalog file: `families:` with a list of families (the format of
 * `rules/catalog/<group>.ts`), or a single family.
 */
export const CatalogFileSchema: z.ZodType<{ families: CatalogFamily[] }> = z
  .union([
    z.strictObject({ families: z.array(CatalogFamilySchema) }),
    CatalogFamilySchema.transform((family) => ({ families: [family] })),
  ]) as unknown as z.ZodType<{ families: CatalogFamily[] }>;

/** A catalog file cannot be parsed or does not match the schema. */
export class CatalogError extends SyntaxError {
  /** The file (or other source) named by the caller. */
  readonly source: string;
  /** Dotted path inside the file, e.g. `families.0.kinds.1.terminal.0.message`. */
  readonly path: string;

  /** Builds the error for `path` inside `source`. */
  constructor(
    source: string,
    path: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "CatalogError";
    this.source = source;
    this.path = path;
  }
}

/**
 * Parses a health-catalog file (YAML or JSON) and validates it against the
 * catalog schema, so that users extend the catalog without code.
 *
 * @param text The file's content.
 * @param source The file name, for error messages.
 * @returns The families it declares.
 * @throws {CatalogError} When the text is not YAML/JSON or does not match the schema; the message names the file and the path.
 *
 * Permissions: the `yaml` parser reads the `LOG_TOKENS` and `LOG_STREAM`
 * environment variables (`--allow-env=LOG_TOKENS,LOG_STREAM`); callers that
 * already parsed the file use {@linkcode validateCatalog} instead.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCatalog } from "./mod.ts";
 * const families = parseCatalog(`
 * family: Widgets
 * group: example.com
 * kinds:
 *   - kind: Widget
 *     source: https://example.com/widget-operator/docs/status
 *     health: [Ready]
 *     terminal: [{ reason: ProvisioningFailed, reasons: [ProvisioningFailed] }]
 * `, "widgets.yaml");
 * assert.equal(families[0]?.kinds[0]?.kind, "Widget");
 * ```
 */
export function parseCatalog(text: string, source: string): CatalogFamily[] {
  let data: unknown;
  try {
    data = parse(text);
  } catch (error) {
    // Only the parser's own errors mean a bad file (a missing permission does not).
    if (!(error instanceof Error) || !error.name.startsWith("YAML")) {
      throw error;
    }
    throw new CatalogError(
      source,
      "",
      `Cannot read health catalog "${source}": ${
        error instanceof Error ? error.message.split("\n")[0] : String(error)
      }`,
      { cause: error },
    );
  }
  return validateCatalog(data, source);
}

/**
 * Validates already-parsed catalog data (e.g. a `catalog:` block of the
 * config file) against the schema.
 *
 * @throws {CatalogError} When the data does not match; the message names `source` and the path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CatalogError, validateCatalog } from "./mod.ts";
 * assert.throws(
 *   () => validateCatalog({ family: "X", group: "x.io", kinds: [{ kind: "Y", source: "s" }] }, "x.yaml"),
 *   CatalogError,
 * );
 * ```
 */
export function validateCatalog(
  data: unknown,
  source: string,
): CatalogFamily[] {
  const parsed = CatalogFileSchema.safeParse(data);
  if (parsed.success) return parsed.data.families;
  const issue = pickIssue(parsed.error.issues);
  const path = issue.path.map(String).join(".");
  throw new CatalogError(
    source,
    path,
    `Cannot use health catalog "${source}": ${
      path === "" ? "" : `"${path}" `
    }${issue.message}`,
    { cause: parsed.error },
  );
}

/** The deepest issue (inside a union, the branch that got furthest). */
function pickIssue(issues: readonly z.core.$ZodIssue[]): {
  path: PropertyKey[];
  message: string;
} {
  let best: { path: PropertyKey[]; message: string } = {
    path: [],
    message: "does not match the catalog format",
  };
  let depth = -1;
  function visit(list: readonly z.core.$ZodIssue[], prefix: PropertyKey[]) {
    for (const issue of list) {
      const path = [...prefix, ...issue.path];
      if (issue.code === "invalid_union" && issue.errors.length > 0) {
        for (const branch of issue.errors) visit(branch, path);
        continue;
      }
      if (path.length > depth) {
        depth = path.length;
        best = { path, message: issue.message };
      }
    }
  }
  visit(issues, []);
  return best;
}
