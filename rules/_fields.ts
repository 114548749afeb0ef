/**
 * Tolerant readers for unstructured Kubernetes objects. A missing field (or a
 * JSON `null`) yields the caller's default; a field that is present with the
 * wrong type raises {@linkcode FieldError}, which `evaluate()` turns into a
 * Pending `InvalidObject` verdict naming the field. Rules never index into an
 * object directly.
 *
 * @module
 */

/** A JSON object. */
export type Fields = Record<string, unknown>;

/** A field is present but has the wrong type; `evaluate()` reports it. */
export class FieldError extends Error {
  /** Dotted path of the offending field, e.g. `status.readyReplicas`. */
  readonly path: string;

  /** Builds the error for the field at `path`. */
  constructor(path: string, message: string) {
    super(message);
    this.name = "FieldError";
    this.path = path;
  }
}

/** One entry of a `conditions` list, read tolerantly. */
export interface Condition {
  /** Condition type, e.g. `Ready`. */
  type: string;
  /** `True`, `False`, `Unknown` (or whatever the controller wrote). */
  status: string;
  /** CamelCase reason, empty when absent. */
  reason: string;
  /** Human message, empty when absent. */
  message: string;
  /** `lastTransitionTime` in epoch ms, when present. */
  lastTransitionMs: number | undefined;
  /** `lastUpdateTime` in epoch ms, when present (Deployment conditions). */
  lastUpdateMs: number | undefined;
  /** Per-condition `observedGeneration` (metav1.Condition), when an integer. */
  observedGeneration: number | undefined;
}

const SPLIT_PATHS = new Map<string, readonly string[]>();

/**
 * Parsed conditions per raw list, owned by one evaluator: the preamble and
 * the Kind rule both read them, and owner rules re-read pods. Each
 * `createEvaluator()` makes its own, so evaluators never share or reset each
 * other's cache, and an object changed in place between two `evaluate()`
 * calls is parsed afresh.
 */
export class ConditionCache {
  #parsed = new WeakMap<
    readonly Fields[],
    { path: string; conditions: Condition[] }
  >();

  /** The parsed conditions of `list` read at `path`, if cached. */
  get(list: readonly Fields[], path: string): Condition[] | undefined {
    const cached = this.#parsed.get(list);
    return cached !== undefined && cached.path === path
      ? cached.conditions
      : undefined;
  }

  /** Remembers the parsed conditions of `list` read at `path`. */
  set(list: readonly Fields[], path: string, conditions: Condition[]): void {
    this.#parsed.set(list, { path, conditions });
  }
}

/** True for a non-null, non-array object. */
export function isRecord(value: unknown): value is Fields {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Names the JSON type of a value for error messages: `a string ("3")`. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  switch (typeof value) {
    case "string":
      return `a string (${JSON.stringify(value.slice(0, 40))})`;
    case "number":
      return `the number ${value}`;
    case "boolean":
      return `the boolean ${value}`;
    case "object":
      return "an object";
    default:
      return `a ${typeof value}`;
  }
}

function segments(path: string): readonly string[] {
  let parts = SPLIT_PATHS.get(path);
  if (parts === undefined) {
    parts = path.split(".");
    SPLIT_PATHS.set(path, parts);
  }
  return parts;
}

/**
 * Reads the value at a dotted path. Missing or `null` intermediate objects
 * yield `undefined`; an intermediate that is a scalar or an array raises
 * {@linkcode FieldError}.
 */
export function valueAt(object: unknown, path: string): unknown {
  let current: unknown = object;
  const parts = segments(path);
  for (let i = 0; i < parts.length; i++) {
    if (current === undefined || current === null) return undefined;
    if (!isRecord(current)) {
      const prefix = parts.slice(0, i).join(".");
      throw new FieldError(
        prefix,
        `${prefix} is ${describe(current)}, expected an object`,
      );
    }
    current = current[parts[i] as string];
  }
  return current;
}

/** Reads an integer field; missing or `null` gives `fallback`. */
export function intAt(object: unknown, path: string, fallback: number): number {
  const value = valueAt(object, path);
  if (value === undefined || value === null) return fallback;
  if (typeof value === "number" && Number.isInteger(value)) return value;
  throw new FieldError(
    path,
    `${path} is ${describe(value)}, expected an integer`,
  );
}

/** Reads an integer field that may be absent: `undefined` when missing. */
export function optionalIntAt(
  object: unknown,
  path: string,
): number | undefined {
  const value = valueAt(object, path);
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number" && Number.isInteger(value)) return value;
  throw new FieldError(
    path,
    `${path} is ${describe(value)}, expected an integer`,
  );
}

/** Reads a string field; missing or `null` gives `fallback`. */
export function stringAt(object: unknown, path: string, fallback = ""): string {
  const value = valueAt(object, path);
  if (value === undefined || value === null) return fallback;
  if (typeof value === "string") return value;
  throw new FieldError(
    path,
    `${path} is ${describe(value)}, expected a string`,
  );
}

/** Reads a boolean field; missing or `null` gives `fallback`. */
export function boolAt(
  object: unknown,
  path: string,
  fallback: boolean,
): boolean {
  const value = valueAt(object, path);
  if (value === undefined || value === null) return fallback;
  if (typeof value === "boolean") return value;
  throw new FieldError(
    path,
    `${path} is ${describe(value)}, expected a boolean`,
  );
}

/** Reads an object field; `undefined` when missing or `null`. */
export function recordAt(object: unknown, path: string): Fields | undefined {
  const value = valueAt(object, path);
  if (value === undefined || value === null) return undefined;
  if (isRecord(value)) return value;
  throw new FieldError(
    path,
    `${path} is ${describe(value)}, expected an object`,
  );
}

/** Reads a list of objects; missing or `null` gives `[]`. */
export function recordsAt(object: unknown, path: string): Fields[] {
  const value = valueAt(object, path);
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    throw new FieldError(
      path,
      `${path} is ${describe(value)}, expected a list`,
    );
  }
  for (let i = 0; i < value.length; i++) {
    if (!isRecord(value[i])) {
      throw new FieldError(
        `${path}[${i}]`,
        `${path}[${i}] is ${describe(value[i])}, expected an object`,
      );
    }
  }
  return value as Fields[];
}

/** Reads a map of strings (labels, annotations); missing gives `{}`. */
export function stringMapAt(
  object: unknown,
  path: string,
): Record<string, string> {
  const value = recordAt(object, path);
  if (value === undefined) return {};
  for (const key in value) {
    if (typeof value[key] !== "string") {
      throw new FieldError(
        `${path}.${key}`,
        `${path}.${key} is ${describe(value[key])}, expected a string`,
      );
    }
  }
  return value as Record<string, string>;
}

/** Parses an RFC 3339 timestamp; `undefined` when missing. */
export function timeAt(object: unknown, path: string): number | undefined {
  const value = valueAt(object, path);
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new FieldError(
    path,
    `${path} is ${describe(value)}, expected an RFC 3339 time`,
  );
}

/**
 * Reads `status.conditions` (or another conditions list) tolerantly; with
 * the evaluator's `cache` (`context.conditionCache`), each list is parsed once.
 */
export function conditionsAt(
  object: unknown,
  cache?: ConditionCache,
  path = "status.conditions",
): Condition[] {
  // An empty map where the list belongs (`conditions: {}`, as some
  // controllers and hand-written objects have it) holds no condition.
  const raw = valueAt(object, path);
  if (isRecord(raw) && Object.keys(raw).length === 0) return [];
  const list = recordsAt(object, path);
  if (list.length === 0) return [];
  const cached = cache?.get(list, path);
  if (cached !== undefined) return cached;
  const out: Condition[] = [];
  for (let i = 0; i < list.length; i++) {
    const entry = list[i] as Fields;
    const at = `${path}[${i}]`;
    const generation = entry["observedGeneration"];
    out.push({
      type: entryString(entry, "type", at),
      // A boolean status (hand-written objects) means the same as its string.
      status: typeof entry["status"] === "boolean"
        ? (entry["status"] ? "True" : "False")
        : entryString(entry, "status", at),
      reason: entryString(entry, "reason", at),
      message: entryString(entry, "message", at),
      lastTransitionMs: entryTime(entry, "lastTransitionTime", at),
      lastUpdateMs: entryTime(entry, "lastUpdateTime", at),
      observedGeneration:
        typeof generation === "number" && Number.isInteger(generation)
          ? generation
          : undefined,
    });
  }
  cache?.set(list, path, out);
  return out;
}

function entryString(entry: Fields, field: string, at: string): string {
  const value = entry[field];
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  throw new FieldError(
    `${at}.${field}`,
    `${at}.${field} is ${describe(value)}, expected a string`,
  );
}

function entryTime(
  entry: Fields,
  field: string,
  at: string,
): number | undefined {
  const value = entry[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new FieldError(
    `${at}.${field}`,
    `${at}.${field} is ${describe(value)}, expected an RFC 3339 time`,
  );
}

/**
 * Runs `read` on a nested entry, prefixing the path of any
 * {@linkcode FieldError} with `prefix` (e.g. `status.containerStatuses[0]`)
 * so the message names the full field.
 */
export function within<T>(prefix: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof FieldError)) throw error;
    throw new FieldError(
      `${prefix}.${error.path}`,
      `${prefix}.${error.message}`,
    );
  }
}

/** Finds the condition of the given type, if any. */
export function findCondition(
  conditions: readonly Condition[],
  type: string,
): Condition | undefined {
  for (const condition of conditions) {
    if (condition.type === type) return condition;
  }
  return undefined;
}

/** Formats a duration in ms as `45s`, `6m` or `2h5m` for messages. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 120) return `${minutes}m`;
  const rest = minutes % 60;
  return `${Math.floor(minutes / 60)}h${rest === 0 ? "" : `${rest}m`}`;
}

/** Describes a condition for messages: `Ready=False (IssuerNotFound: …)`. */
export function describeCondition(condition: Condition): string {
  const detail = [condition.reason, condition.message].filter((s) => s !== "")
    .join(": ");
  return `${condition.type}=${condition.status}${
    detail === "" ? "" : ` (${detail})`
  }`;
}

/** True when `reason` is a CamelCase token usable as a verdict reason. */
export function isReasonCode(reason: string): boolean {
  return /^[A-Z][A-Za-z0-9]{0,62}$/.test(reason);
}
