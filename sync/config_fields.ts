/**
 * The field parsers the configuration schema is built from (durations,
 * bounded whole numbers, yes/no words, base URLs, A&AI path segments) and
 * {@linkcode ConfigError}, which every one of them reports with the key named.
 *
 * @module
 */

import { z } from "zod";

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

/** Formats ms as the shortest exact duration text (`90s`, `10m`, `24d`). */
export function formatDuration(ms: number): string {
  for (
    const [unit, size] of [["d", 86_400_000], ["h", 3_600_000], [
      "m",
      60_000,
    ], ["s", 1000]] as const
  ) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** The value shown in an error: quoted, shortened. */
export function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

/**
 * A duration between `min` and `max` ms: `"30s"`, `"5m"` or a number of ms,
 * with the bounds in the error (a timer longer than 2^31-1 ms fires at once).
 */
export function duration(
  min: number,
  max: number,
): z.ZodPipe<z.ZodUnknown, z.ZodTransform<number, unknown>> {
  return z.unknown().transform((value, ctx) => {
    const ms = typeof value === "string" || typeof value === "number"
      ? parseDuration(value)
      : undefined;
    if (ms === undefined || ms < min || ms > max) {
      ctx.addIssue({
        code: "custom",
        message: `must be a duration from ${formatDuration(min)} to ${
          formatDuration(max)
        } like "30s" or "5m" (or a number of ms), got ${shown(value)}`,
      });
      return z.NEVER;
    }
    return ms;
  });
}

/** A whole number from `min` to `max` (a digit string from the environment too). */
export function wholeNumber(
  min: number,
  max: number,
): z.ZodPipe<z.ZodUnknown, z.ZodTransform<number, unknown>> {
  return z.unknown().transform((value, ctx) => {
    const n = typeof value === "number"
      ? value
      : typeof value === "string" && /^\s*\d+\s*$/.test(value)
      ? Number(value)
      : NaN;
    if (!Number.isInteger(n) || n < min || n > max) {
      ctx.addIssue({
        code: "custom",
        message: `must be a whole number from ${min} to ${max}, got ${
          shown(value)
        }`,
      });
      return z.NEVER;
    }
    return n;
  });
}

/** Words accepted for a yes/no setting (the environment has only strings). */
export const BOOLEAN_WORDS: Readonly<Record<string, boolean>> = {
  true: true,
  false: false,
  yes: true,
  no: false,
  "1": true,
  "0": false,
};

/** `true`/`false` (or yes/no, 1/0 from the environment). */
export const boolish = z.unknown().transform((value, ctx) => {
  if (typeof value === "boolean") return value;
  const word = typeof value === "string"
    ? BOOLEAN_WORDS[value.trim().toLowerCase()]
    : undefined;
  if (word === undefined) {
    ctx.addIssue({
      code: "custom",
      message: `must be true or false (or yes/no, 1/0), got ${shown(value)}`,
    });
    return z.NEVER;
  }
  return word;
});

/**
 * A peer's base URL: http(s), no credentials (they would end up in logs,
 * selflinks and `check -o json`; #2), no query or fragment, no API path
 * (`apiPath` matches the path the tool appends itself). A trailing `/` is
 * dropped.
 */
export function baseUrl(
  example: string,
  apiPath: RegExp,
  apiHint: string,
): z.ZodPipe<z.ZodUnknown, z.ZodTransform<string, unknown>> {
  return z.unknown().transform((value, ctx) => {
    function fail(message: string): never {
      ctx.addIssue({ code: "custom", message });
      return z.NEVER as never;
    }
    if (value === undefined) return fail("is required");
    if (typeof value !== "string" || value.trim() === "") {
      return fail(`must be an http:// or https:// URL like "${example}"`);
    }
    let url: URL;
    try {
      url = new URL(value.trim());
    } catch {
      return fail(
        `must be an http:// or https:// URL like "${example}", got ${
          shown(value)
        }`,
      );
    }
    if (url.username || url.password) {
      // Never echo the value: it holds a password.
      return fail(
        "must not hold a user name or password (user:password@): they would show up in logs and A&AI; remove them from the URL",
      );
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      return fail(
        `must be an http:// or https:// URL like "${example}", got ${
          shown(value)
        }`,
      );
    }
    if (url.search || url.hash || /[?#]/.test(value)) {
      return fail(
        `must not have a query (?…) or fragment (#…), got ${shown(value)}`,
      );
    }
    const path = url.pathname.replace(/\/+$/, "");
    if (apiPath.test(path)) {
      return fail(
        `must be the base URL without ${apiHint}: use "${url.origin}${
          path.replace(apiPath, "")
        }"${apiHint.includes("vN") ? " and set aai.apiVersion" : ""}`,
      );
    }
    return `${url.origin}${path}`;
  });
}

/**
 * A value used as one A&AI path segment (cloud owner, tenant id): not empty,
 * not `.` or `..` (URL parsers resolve them even percent-encoded).
 */
export const pathSegment = z.unknown().transform((value, ctx) => {
  if (
    typeof value !== "string" || value.trim() === "" || value === "." ||
    value === ".." || [...value].some((c) => c.charCodeAt(0) < 0x20)
  ) {
    ctx.addIssue({
      code: "custom",
      message: `must be a non-empty name other than "." and "..", got ${
        shown(value)
      }`,
    });
    return z.NEVER;
  }
  return value;
});

/** Bounds of the settings (checked at load; the README's table). */
export const TIMEOUT = [100, 600_000] as const; // 100ms .. 10m per attempt
export const CONCURRENCY = [1, 256] as const;
export const RULE_DURATION = [0, 24 * 86_400_000] as const; // up to 24d
/** Bounds of `interval` and `sync --watch --interval`: 10ms to 1d. */
export const INTERVAL = [10, 86_400_000] as const;

/**
 * Parses a duration given on the command line within `[min, max]` ms.
 *
 * @throws {ConfigError} naming `what` (the flag) and the bounds.
 */
export function parseDurationIn(
  value: string,
  what: string,
  [min, max]: readonly [number, number],
): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms < min || ms > max) {
    throw new ConfigError(
      `Invalid ${what} ${shown(value)}: use a duration from ${
        formatDuration(min)
      } to ${formatDuration(max)} like 30s or 5m`,
    );
  }
  return ms;
}

/**
 * Parses a `--watch` interval within {@linkcode INTERVAL}.
 *
 * @throws {ConfigError} naming `what` and the bounds.
 */
export function parseInterval(value: string, what = "--interval"): number {
  return parseDurationIn(value, what, INTERVAL);
}
