/**
 * Property tests: whatever the input — random JSON, fixture objects with a
 * field replaced by a random value, or random related sets — `evaluate()`
 * returns a well-formed verdict and never throws. `RuleError` (an exception
 * inside a rule, i.e. a bug) must never appear; `InvalidObject` is the
 * expected answer to malformed content.
 */
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import fc from "fast-check";
import { parse } from "yaml";
import { evaluate, type Readiness, RULES } from "../../rules/mod.ts";

const NOW = new Date("2026-11-25T10:00:00Z");
const ROOT = new URL("../../fixtures/rules/", import.meta.url);

interface Fixture {
  object: unknown;
  related?: unknown[];
}

const fixtures: Fixture[] = await Promise.all(
  (await readdir(ROOT, { recursive: true }))
    .filter((file) => file.endsWith(".yaml"))
    .sort()
    .map(async (file) =>
      parse(
        await readFile(new URL(file.replaceAll("\\", "/"), ROOT), "utf8"),
      ) as Fixture
    ),
);

function assertWellFormed(result: Readiness): void {
  assert.ok(
    ["Ready", "Pending", "Failed"].includes(result.verdict),
    `verdict ${result.verdict}`,
  );
  assert.match(result.reason, /^[A-Z][A-Za-z0-9]*$/);
  assert.notEqual(result.reason, "RuleError", result.message);
  assert.equal(typeof result.message, "string");
  assert.ok(
    Array.isArray(result.warnings) &&
      result.warnings.every((w) => typeof w === "string"),
  );
}

/** Every path (as a key list) to a value inside `value`. */
function paths(
  value: unknown,
  prefix: (string | number)[] = [],
  out: (string | number)[][] = [],
): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(value)) {
    value.forEach((v, i) => paths(v, [...prefix, i], out));
  } else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  }
  return out;
}

function replaceAt(
  value: unknown,
  path: readonly (string | number)[],
  replacement: unknown,
): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  if (Array.isArray(value)) {
    const copy = [...value];
    copy[head as number] = replaceAt(copy[head as number], rest, replacement);
    return copy;
  }
  const copy = { ...(value as Record<string, unknown>) };
  copy[head as string] = replaceAt(copy[head as string], rest, replacement);
  return copy;
}

const junk = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant([]),
  fc.constant({}),
  fc.constant("2026-13-45T99:99:99Z"),
  fc.constant("True"),
  fc.array(fc.anything(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.anything(), { maxKeys: 3 }),
);

Deno.test("evaluate() never throws on arbitrary JSON values", () => {
  fc.assert(
    fc.property(fc.anything(), (value) => {
      assertWellFormed(evaluate(value, { now: NOW }));
    }),
    { numRuns: 2_000 },
  );
});

Deno.test("evaluate() never throws on objects of every rule key with random metadata, spec, status and related", () => {
  const keys = [...RULES.keys(), "example.com/Widget"];
  fc.assert(
    fc.property(
      fc.constantFrom(...keys),
      fc.anything(),
      fc.anything(),
      fc.anything(),
      fc.array(fc.anything(), { maxLength: 4 }),
      (key, metadata, spec, status, related) => {
        const slash = key.indexOf("/");
        const object = {
          apiVersion: slash < 0 ? "v1" : `${key.slice(0, slash)}/v1`,
          kind: key.slice(slash + 1),
          metadata,
          spec,
          status,
        };
        assertWellFormed(evaluate(object, { now: NOW, related }));
      },
    ),
    { numRuns: 3_000 },
  );
});

Deno.test("evaluate() never throws when up to three fields of a fixture or its related objects are replaced", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: fixtures.length - 1 }),
      fc.array(fc.tuple(fc.nat(), fc.boolean(), junk), {
        minLength: 1,
        maxLength: 3,
      }),
      (index, mutations) => {
        const fixture = fixtures[index] as Fixture;
        let object = fixture.object;
        let related: unknown = fixture.related ?? [];
        for (const [pick, inRelated, replacement] of mutations) {
          if (inRelated && Array.isArray(related) && related.length > 0) {
            const all = paths(related);
            related = replaceAt(
              related,
              all[pick % all.length] as (string | number)[],
              replacement,
            );
          } else {
            const all = paths(object);
            object = replaceAt(
              object,
              all[pick % all.length] as (string | number)[],
              replacement,
            );
          }
        }
        const list = Array.isArray(related) ? related : [related];
        assertWellFormed(evaluate(object, { now: NOW, related: list }));
      },
    ),
    { numRuns: 10_000 },
  );
});
