/**
 * `recheckAt`: an evaluation reports every future time at which a verdict
 * would change with the clock alone, so `sync` may keep the verdicts of an
 * unchanged instance until the earliest one. Checked against every rule
 * fixture: before that time the verdict and reason must not move.
 */
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { parse } from "yaml";
import { createEvaluator, type Readiness } from "../../rules/mod.ts";

const ROOT = new URL("../../fixtures/rules/", import.meta.url);

interface Fixture {
  now: string;
  object: unknown;
  related?: unknown[];
  options?: Record<string, unknown>;
  pendingSince?: { reason: string; since: string };
}

const MINUTE = 60_000;
/** Later clocks each fixture is judged at, as offsets from its `now`. */
const PROBES_MS = [1, MINUTE, 10 * MINUTE, 60 * MINUTE, 24 * 60 * MINUTE];
const DAY = 24 * 60 * MINUTE;
PROBES_MS.push(30 * DAY, 400 * DAY, 10 * 365 * DAY);

/** Judges `fixture` at `at`, with the earliest recheck time it reported. */
function judgeAt(
  fixture: Fixture,
  at: number,
): { result: Readiness; recheck: number | undefined } {
  let recheck: number | undefined;
  const judge = createEvaluator({
    now: new Date(at),
    related: fixture.related ?? [],
    ...(fixture.options === undefined ? {} : { options: fixture.options }),
    recheckAt: (ms) => {
      assert.ok(ms > at, `recheck time ${ms} is not after the clock ${at}`);
      recheck = recheck === undefined ? ms : Math.min(recheck, ms);
    },
  });
  const memory = fixture.pendingSince === undefined ? undefined : {
    pendingSince: {
      reason: fixture.pendingSince.reason,
      since: new Date(fixture.pendingSince.since),
    },
  };
  return { result: judge(fixture.object, memory), recheck };
}

const files = (await readdir(ROOT, { recursive: true }))
  .filter((file) => file.endsWith(".yaml"))
  .map((file) => file.replaceAll("\\", "/"))
  .sort();

/** Fixtures whose verdict waits on a grace period or timeout still running. */
const fixtures = await Promise.all(files.map(async (file) => ({
  name: file.replace(/\.yaml$/, ""),
  fixture: parse(await readFile(new URL(file, ROOT), "utf8")) as Fixture,
})));

Deno.test("recheckAt: no fixture's verdict or reason changes before the earliest time it reported", () => {
  const moved: string[] = [];
  for (const { name, fixture } of fixtures) {
    const start = Date.parse(fixture.now);
    const first = judgeAt(fixture, start);
    for (const offset of PROBES_MS) {
      const at = start + offset;
      if (first.recheck !== undefined && at >= first.recheck) break;
      const later = judgeAt(fixture, at).result;
      if (
        later.verdict !== first.result.verdict ||
        later.reason !== first.result.reason
      ) {
        moved.push(
          `${name}: ${first.result.verdict}/${first.result.reason} became ${later.verdict}/${later.reason} after ${offset} ms, recheck ${
            first.recheck === undefined
              ? "never"
              : `${first.recheck - start} ms`
          }`,
        );
      }
    }
  }
  assert.deepEqual(moved, []);
});

Deno.test("recheckAt: a grace period still running is reported, and the verdict moves when it runs out", () => {
  const timed = [
    "core/Pod/pending-unschedulable-within-grace",
    "core/Pod/pending-config-error-within-grace",
    "core/Pod/pending-image-pull-backoff-within-grace",
    "core/Pod/pending-recently-restarted",
    "core/Pod/pending-terminating",
  ];
  for (const name of timed) {
    const entry = fixtures.find((f) => f.name === name);
    assert.ok(entry, `fixture ${name} exists`);
    const start = Date.parse(entry.fixture.now);
    const first = judgeAt(entry.fixture, start);
    assert.ok(first.recheck !== undefined, `${name} reports a recheck time`);
    const before = judgeAt(entry.fixture, first.recheck - 1).result;
    const after = judgeAt(entry.fixture, first.recheck).result;
    assert.deepEqual(
      [before.verdict, before.reason],
      [first.result.verdict, first.result.reason],
      `${name} holds until the recheck time`,
    );
    assert.notDeepEqual(
      [after.verdict, after.reason],
      [first.result.verdict, first.result.reason],
      `${name} changes at the recheck time`,
    );
  }
});

Deno.test("recheckAt: settled verdicts report nothing", () => {
  for (
    const name of [
      "core/Pod/ready-running",
      "core/Pod/failed-crashloop",
      "apps/Deployment/ready-available",
    ]
  ) {
    const entry = fixtures.find((f) => f.name === name);
    assert.ok(entry, `fixture ${name} exists`);
    const { recheck } = judgeAt(entry.fixture, Date.parse(entry.fixture.now));
    assert.equal(recheck, undefined, name);
  }
});
