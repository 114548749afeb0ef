/**
 * Reason and message patterns that say a `False` health condition will not
 * clear by itself (a configuration or spec error), so a custom resource is
 * Failed at once instead of waiting for the stall timeout — which a retrying
 * controller pushes out indefinitely by touching its conditions (issue 16).
 * Data: each pattern names the fixture that backs it, and a test fails when
 * that fixture is missing or does not end Failed.
 *
 * @module
 */

/** One terminal pattern: a regular expression on the reason and/or the message. */
export interface TerminalPattern {
  /** Stable name of the pattern (docs, tests). */
  name: string;
  /** Regular expression on the condition's reason (case-sensitive, anchored by the author). */
  reason?: string;
  /** Regular expression on the condition's message, case-insensitive. */
  message?: string;
  /** The fixture that shows it, `group/Kind/file` without `.yaml`. */
  fixture: string;
}

/**
 * The generic terminal patterns, consulted for any `False` health condition
 * of a custom resource (the generic rule and catalog entries alike).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TERMINAL_PATTERNS } from "./mod.ts";
 * assert.ok(TERMINAL_PATTERNS.some((p) => p.name === "AdmissionDenied"));
 * ```
 */
export const TERMINAL_PATTERNS: readonly TerminalPattern[] = Object.freeze([
  {
    name: "InvalidSpec",
    reason:
      "^(InvalidSpec|InvalidConfiguration|InvalidConfig|InvalidProviderConfig|ConfigError|SpecError)$",
    message:
      "\\bis invalid\\b|\\binvalid (spec|configuration)\\b|\\bspec is invalid\\b",
    fixture: "example.com/Widget/failed-invalid-spec",
  },
  {
    name: "ValidationFailed",
    reason: "^ValidationFailed$",
    message: "\\bvalidation failed\\b|\\bfailed validation\\b",
    fixture: "example.com/Widget/failed-validation-failed",
  },
  {
    name: "HttpNotFound",
    message: "\\b404\\b[^\\n]*\\bnot found\\b|\\bstatus code 404\\b",
    fixture: "example.com/Widget/failed-acme-account-404",
  },
  {
    name: "AuthenticationFailed",
    reason: "^(AuthenticationFailed|Unauthorized)$",
    message:
      "\\bauthentication (failed|required)\\b|\\bunable to authenticate\\b|\\b401 unauthorized\\b",
    fixture: "example.com/Widget/failed-authentication-failed",
  },
  {
    name: "RepositoryNotFound",
    message: "\\brepository (not found|does not exist)\\b",
    fixture: "example.com/Widget/failed-repository-not-found",
  },
  {
    name: "RepositoryDenied",
    message:
      "\\brequested access to the resource is denied\\b|\\bpull access denied\\b|\\brepository [^\\n]*\\bdenied\\b",
    fixture: "example.com/Widget/failed-repository-denied",
  },
  {
    name: "AdmissionDenied",
    message: "\\badmission webhook [^\\n]*\\bdenied the request\\b",
    fixture: "example.com/Widget/failed-admission-denied",
  },
  {
    name: "QuotaExceeded",
    reason: "^QuotaExceeded$",
    message: "\\bexceeded quota\\b|\\bquota exceeded\\b",
    fixture: "example.com/Widget/failed-quota-exceeded",
  },
  {
    name: "CertificateMismatch",
    message:
      "\\b(thumbprint|fingerprint)\\b[^\\n]*\\b(mismatch|does not match|doesn't match)\\b|\\bcertificate signed by unknown authority\\b",
    fixture: "example.com/Widget/failed-certificate-thumbprint-mismatch",
  },
  {
    name: "RevisionFailed",
    reason: "^RevisionFailed$",
    message: '\\brevision "[^"]*" failed\\b',
    fixture: "example.com/Widget/failed-revision-failed",
  },
]);

interface Compiled {
  name: string;
  reason: RegExp | undefined;
  message: RegExp | undefined;
}

const COMPILED: readonly Compiled[] = TERMINAL_PATTERNS.map((p) => ({
  name: p.name,
  reason: p.reason === undefined ? undefined : new RegExp(p.reason),
  message: p.message === undefined ? undefined : new RegExp(p.message, "i"),
}));

/**
 * The name of the first terminal pattern the condition's reason or message
 * matches, else `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { matchTerminalPattern } from "./mod.ts";
 * assert.equal(
 *   matchTerminalPattern({ reason: "Failed", message: "x is forbidden: exceeded quota: compute" }),
 *   "QuotaExceeded",
 * );
 * ```
 */
export function matchTerminalPattern(
  condition: { reason: string; message: string },
): string | undefined {
  for (const pattern of COMPILED) {
    if (pattern.reason?.test(condition.reason)) return pattern.name;
    if (pattern.message?.test(condition.message)) return pattern.name;
  }
  return undefined;
}
