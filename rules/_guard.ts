/**
 * Turns exceptions raised while judging an object into verdicts, so that no
 * rule ever throws: a {@linkcode FieldError} (a field of the wrong type) is
 * Pending `InvalidObject`, anything else (a bug in a rule) Pending
 * `RuleError`.
 *
 * @module
 */
import { FieldError } from "./_fields.ts";
import { pending } from "./_readiness.ts";
import type { Readiness, Rule } from "./types.ts";

/** Wraps a rule so that it returns {@linkcode ruleFailure} instead of throwing. */
export function guardRule(rule: Rule): Rule {
  return function guarded(object, context) {
    try {
      return rule(object, context);
    } catch (error) {
      return ruleFailure(error);
    }
  };
}

/** The verdict for an exception raised while judging an object. */
export function ruleFailure(error: unknown): Readiness {
  if (error instanceof FieldError) {
    return pending("InvalidObject", error.message);
  }
  return pending(
    "RuleError",
    `the rule failed on this object: ${
      error instanceof Error ? error.message : String(error)
    }`,
  );
}
