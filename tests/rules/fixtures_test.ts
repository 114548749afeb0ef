/**
 * Walks `fixtures/rules/<group|core>/<Kind>/<verdict>-<situation>.yaml` and
 * registers one test per file, named by its path. Each file holds
 * `description`, `now`, `object`, optional `related` and `options`, and
 * `expect: {verdict, reason, message?, warnings?}` — `message` is a substring
 * the message must contain, `warnings` substrings that some warning must
 * contain (`[]` asserts there is none). Two guard tests keep the tree and the
 * registry in step.
 */
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { parse } from "yaml";
import {
  BUILT_IN_CATALOG,
  BUILT_IN_HEALTH_CATALOG,
  declaredCatalogReasons,
  evaluate,
  GENERIC_REASONS,
  matchTerminalPattern,
  type Readiness,
  RULE_ALIASES,
  RULE_REASONS,
  ruleKeyOf,
  RULES,
  TERMINAL_PATTERNS,
  type Verdict,
} from "../../rules/mod.ts";

const ROOT = new URL("../../fixtures/rules/", import.meta.url);

/** Folders whose Kind has neither a rule nor a catalog entry: evidence for the generic rule. */
const GENERIC_FOLDERS: ReadonlySet<string> = new Set([
  "example.com/Widget",
  "tekton.dev/TaskRun",
]);

/** Keys whose rule cannot answer Failed (only the preamble's timeouts can). */
const CANNOT_FAIL: ReadonlySet<string> = new Set([
  "batch/CronJob",
  ...[...RULES.entries()].filter(([, rule]) => rule === RULES.get("ConfigMap"))
    .map(([key]) => key),
]);

/** Known gaps: fixture path → why it is not expected to pass yet. */
const IGNORED: ReadonlyMap<string, string> = new Map([]);

interface Fixture {
  description: string;
  now: string;
  object: unknown;
  related?: unknown[];
  options?: Record<string, unknown>;
  /** What the caller remembers: Pending with `reason` since `since`. */
  pendingSince?: { reason: string; since: string };
  expect: {
    verdict: Verdict;
    reason: string;
    message?: string;
    warnings?: string[];
  };
}

/** `core/Pod` → `Pod`; `apps/Deployment` stays. */
function folderKey(folder: string): string {
  return folder.startsWith("core/") ? folder.slice("core/".length) : folder;
}

const files = (await readdir(ROOT, { recursive: true }))
  .filter((file) => file.endsWith(".yaml"))
  .map((file) => file.replaceAll("\\", "/"))
  .sort();

const folders = new Map<string, Set<Verdict>>();
for (const file of files) {
  const folder = file.split("/").slice(0, -1).join("/");
  const verdict = file.split("/").pop()?.split("-")[0];
  const verdicts = folders.get(folder) ?? new Set<Verdict>();
  if (verdict === "ready") verdicts.add("Ready");
  if (verdict === "pending") verdicts.add("Pending");
  if (verdict === "failed") verdicts.add("Failed");
  folders.set(folder, verdicts);
}

/** Every fixture's expectation, by name (`apps/Deployment/ready-available`). */
const expected = new Map<string, Fixture>();
for (const file of files) {
  expected.set(
    file.replace(/\.yaml$/, ""),
    parse(await readFile(new URL(file, ROOT), "utf8")) as Fixture,
  );
}

/** `verdict/reason` pairs of the fixtures in `folder`. */
function outcomes(folder: string): Set<string> {
  const out = new Set<string>();
  for (const [name, fixture] of expected) {
    if (name.slice(0, name.lastIndexOf("/")) !== folder) continue;
    out.add(`${fixture.expect.verdict}/${fixture.expect.reason}`);
  }
  return out;
}

for (const file of files) {
  const name = file.replace(/\.yaml$/, "");
  const ignored = IGNORED.get(name);
  Deno.test({
    name,
    ignore: ignored !== undefined,
    async fn() {
      const fixture = parse(
        await readFile(new URL(file, ROOT), "utf8"),
      ) as Fixture;
      assert.equal(
        typeof fixture.description,
        "string",
        "fixture needs a description",
      );
      assert.ok(
        !Number.isNaN(Date.parse(fixture.now)),
        "fixture needs a valid now",
      );
      const folder = name.split("/").slice(0, -1).join("/");
      const key = ruleKeyOf(fixture.object);
      assert.ok(
        key === folderKey(folder) ||
          RULE_ALIASES.get(key ?? "") === folderKey(folder),
        `object key ${key} does not belong in folder ${folder}`,
      );
      const result: Readiness = evaluate(fixture.object, {
        now: new Date(fixture.now),
        related: fixture.related ?? [],
        ...(fixture.options === undefined ? {} : { options: fixture.options }),
        ...(fixture.pendingSince === undefined ? {} : {
          pendingSince: {
            reason: fixture.pendingSince.reason,
            since: new Date(fixture.pendingSince.since),
          },
        }),
      });
      const explain = `${result.verdict} ${result.reason}: ${result.message} [${
        result.warnings.join(" | ")
      }]`;
      assert.equal(
        name.split("/").pop()?.split("-")[0],
        fixture.expect.verdict.toLowerCase(),
        "file name must start with the verdict",
      );
      assert.equal(result.verdict, fixture.expect.verdict, explain);
      assert.equal(result.reason, fixture.expect.reason, explain);
      if (fixture.expect.message !== undefined) {
        assert.ok(
          result.message.includes(fixture.expect.message),
          `message lacks "${fixture.expect.message}": ${explain}`,
        );
      }
      if (fixture.expect.warnings !== undefined) {
        if (fixture.expect.warnings.length === 0) {
          assert.deepEqual(result.warnings, [], explain);
        }
        for (const expected of fixture.expect.warnings) {
          assert.ok(
            result.warnings.some((w) => w.includes(expected)),
            `no warning contains "${expected}": ${explain}`,
          );
        }
      }
    },
  });
}

Deno.test("RULES: every key has a fixture folder with Ready, Pending and (where it can fail) Failed cases", () => {
  const missing: string[] = [];
  for (const key of RULES.keys()) {
    if (RULE_ALIASES.has(key)) continue;
    const folder = key.includes("/") ? key : `core/${key}`;
    const verdicts = folders.get(folder) ?? new Set();
    const needed: Verdict[] = CANNOT_FAIL.has(key)
      ? ["Ready", "Pending"]
      : ["Ready", "Pending", "Failed"];
    for (const verdict of needed) {
      if (!verdicts.has(verdict)) {
        missing.push(`${folder}: no ${verdict} case`);
      }
    }
  }
  assert.deepEqual(missing, []);
});

Deno.test("RULES: every fixture folder maps to a rule key or is generic-rule evidence, and aliases share their rule", () => {
  const orphans = [...folders.keys()].filter((folder) =>
    !RULES.has(folderKey(folder)) &&
    BUILT_IN_HEALTH_CATALOG.lookup(folderKey(folder)) === undefined &&
    !GENERIC_FOLDERS.has(folder)
  );
  assert.deepEqual(orphans, []);
  for (const folder of GENERIC_FOLDERS) {
    assert.ok(
      !RULES.has(folder) &&
        BUILT_IN_HEALTH_CATALOG.lookup(folder) === undefined,
      `${folder} has a rule or catalog entry now; move it out of GENERIC_FOLDERS`,
    );
    assert.ok(folders.has(folder), `${folder} has no fixtures`);
  }
  for (const [alias, key] of RULE_ALIASES) {
    assert.equal(RULES.get(alias), RULES.get(key), alias);
  }
});

Deno.test("RULE_REASONS: every reason a rule names has a fixture in a folder of that rule", () => {
  const missing: string[] = [];
  const byRule = new Map<unknown, { keys: string[]; reasons: Set<string> }>();
  for (const [key, reasons] of RULE_REASONS) {
    const rule = RULES.get(key);
    const entry = byRule.get(rule) ?? { keys: [], reasons: new Set() };
    entry.keys.push(key);
    for (const reason of reasons) entry.reasons.add(reason);
    byRule.set(rule, entry);
  }
  for (const { keys, reasons } of byRule.values()) {
    const seen = new Set<string>();
    for (const key of keys) {
      const folder = key.includes("/") ? key : `core/${key}`;
      for (const outcome of outcomes(folder)) {
        seen.add(outcome.slice(outcome.indexOf("/") + 1));
      }
    }
    for (const reason of reasons) {
      if (!seen.has(reason)) {
        missing.push(`${keys[0]}: no fixture for ${reason}`);
      }
    }
  }
  assert.deepEqual(missing, []);
});

Deno.test("GENERIC_REASONS: every reason the generic rule names has a fixture in a folder it judges", () => {
  const seen = new Set<string>();
  for (const folder of GENERIC_FOLDERS) {
    for (const outcome of outcomes(folder)) {
      seen.add(outcome.slice(outcome.indexOf("/") + 1));
    }
  }
  assert.deepEqual(GENERIC_REASONS.filter((r) => !seen.has(r)), []);
});

Deno.test("BUILT_IN_CATALOG: every entry has Ready and Pending fixtures and one per declared reason; every family a Failed one", () => {
  const missing: string[] = [];
  const folderList = [...folders.keys()];
  for (const family of BUILT_IN_CATALOG) {
    let familyFails = false;
    for (const kind of family.kinds) {
      const key = `${family.group}/${kind.kind}`;
      const entry = family.group.startsWith("*.") || kind.kind === "*"
        ? undefined
        : BUILT_IN_HEALTH_CATALOG.lookup(key);
      const kindFolders = entry !== undefined ? [key] : folderList.filter(
        (folder) =>
          !RULES.has(folder) &&
          BUILT_IN_HEALTH_CATALOG.lookup(folder)?.key === key,
      );
      const seen = new Set<string>();
      for (const folder of kindFolders) {
        for (const outcome of outcomes(folder)) seen.add(outcome);
      }
      const verdicts = new Set([...seen].map((o) => o.split("/")[0]));
      const needs: Verdict[] = RULES.has(key) ? [] : ["Ready", "Pending"];
      for (const verdict of needs) {
        if (!verdicts.has(verdict)) missing.push(`${key}: no ${verdict} case`);
      }
      if (verdicts.has("Failed")) familyFails = true;
      const declared = declaredCatalogReasons(kind);
      for (const verdict of ["Failed", "Ready", "Pending"] as const) {
        for (const reason of new Set(declared[verdict])) {
          if (!seen.has(`${verdict}/${reason}`)) {
            missing.push(`${key}: no ${verdict} fixture for ${reason}`);
          }
        }
      }
    }
    if (!familyFails) missing.push(`${family.group}: no Failed case`);
  }
  assert.deepEqual(missing, []);
});

Deno.test("TERMINAL_PATTERNS: each pattern's fixture exists, ends Failed and matches that pattern", () => {
  for (const pattern of TERMINAL_PATTERNS) {
    const fixture = expected.get(pattern.fixture);
    assert.ok(fixture, `${pattern.name}: fixture ${pattern.fixture} exists`);
    assert.equal(fixture.expect.verdict, "Failed", pattern.name);
    const object = fixture.object as {
      status?: { conditions?: { reason?: string; message?: string }[] };
    };
    const names = (object.status?.conditions ?? []).map((c) =>
      matchTerminalPattern({
        reason: c.reason ?? "",
        message: c.message ?? "",
      })
    );
    assert.ok(
      names.includes(pattern.name),
      `${pattern.fixture} matches ${names.join(", ")}, not ${pattern.name}`,
    );
  }
});
