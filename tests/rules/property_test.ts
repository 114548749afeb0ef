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
import {
  BUILT_IN_CATALOG,
  CatalogError,
  evaluate,
  type Readiness,
  RULES,
  validateCatalog,
} from "../../rules/mod.ts";

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

/** One key per built-in catalog entry (`*` groups and Kinds made concrete). */
const CATALOG_KEYS = BUILT_IN_CATALOG.flatMap((family) =>
  family.kinds.map((kind) =>
    `${family.group.replace(/^\*\./, "s3.aws.")}/${
      kind.kind === "*" ? "Bucket" : kind.kind
    }`
  )
);

Deno.test("evaluate() never throws on objects of every rule key and catalog entry with random metadata, spec, status and related", () => {
  const keys = [...RULES.keys(), ...CATALOG_KEYS, "example.com/Widget"];
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

/** Random status blocks shaped like the catalog's: conditions, phases, replica counts. */
const catalogStatus = fc.record({
  phase: fc.oneof(
    fc.constantFrom("Healthy", "Degraded", "Paused", "Running", "Failed"),
    junk,
  ),
  abort: fc.oneof(fc.boolean(), junk),
  replicas: fc.oneof(fc.nat(5), junk),
  updatedReplicas: fc.oneof(fc.nat(5), junk),
  availableReplicas: fc.oneof(fc.nat(5), junk),
  pauseConditions: fc.oneof(fc.constant([{ reason: "CanaryPauseStep" }]), junk),
  failureReason: fc.oneof(fc.string(), junk),
  modelStatus: fc.oneof(
    fc.record({
      transitionStatus: fc.constantFrom("BlockedByFailedLoad", "UpToDate"),
    }),
    junk,
  ),
  conditions: fc.oneof(
    fc.array(
      fc.record({
        type: fc.constantFrom(
          "Ready",
          "Available",
          "Healthy",
          "Installed",
          "Synced",
          "Reconciled",
          "NotReady",
          "InvalidSpec",
          "Progressing",
          "Stalled",
          "Paused",
          "Denied",
        ),
        status: fc.oneof(
          fc.constantFrom("True", "False", "Unknown", "Degraded"),
          junk,
        ),
        reason: fc.oneof(
          fc.constantFrom(
            "ProgressDeadlineExceeded",
            "RolloutAborted",
            "ReconcileError",
            "InvalidResourceException",
            "ReconcilePaused",
          ),
          fc.string(),
          junk,
        ),
        message: fc.oneof(fc.string(), fc.constant("404 page not found"), junk),
        lastTransitionTime: fc.oneof(fc.constant("2026-11-25T09:00:00Z"), junk),
      }, { requiredKeys: ["type"] }),
      { maxLength: 4 },
    ),
    junk,
  ),
}, { requiredKeys: [] });

Deno.test("evaluate() gives well-formed verdicts for catalog entries with random catalog-shaped statuses", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...CATALOG_KEYS),
      catalogStatus,
      fc.oneof(
        fc.record({ paused: fc.boolean(), suspend: fc.boolean() }),
        junk,
      ),
      (key, status, spec) => {
        const slash = key.indexOf("/");
        const object = {
          apiVersion: `${key.slice(0, slash)}/v1`,
          kind: key.slice(slash + 1),
          metadata: { name: "x", generation: 1 },
          spec,
          status,
        };
        assertWellFormed(evaluate(object, { now: NOW }));
        assertWellFormed(
          evaluate(object, {
            now: NOW,
            pendingSince: { reason: "NotReady", since: new Date(0) },
          }),
        );
      },
    ),
    { numRuns: 5_000 },
  );
});

Deno.test("validateCatalog() returns families or throws CatalogError, whatever the input", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.anything(),
        fc.record({
          family: fc.oneof(fc.string(), junk),
          group: fc.oneof(fc.constantFrom("example.com", "*.x.io"), junk),
          kinds: fc.oneof(
            fc.array(
              fc.dictionary(
                fc.constantFrom(
                  "kind",
                  "source",
                  "health",
                  "terminal",
                  "failed",
                  "phase",
                  "bogus",
                ),
                fc.anything(),
              ),
              { maxLength: 2 },
            ),
            junk,
          ),
        }),
      ),
      (data) => {
        try {
          validateCatalog(data, "random.yaml");
        } catch (error) {
          assert.ok(error instanceof CatalogError, String(error));
          assert.match(error.message, /"random\.yaml"/);
        }
      },
    ),
    { numRuns: 2_000 },
  );
});
