import assert from "node:assert/strict";
import {
  formatFreshness,
  type FreshnessResult,
  rssSlope,
} from "../../bench/freshness.ts";

const MiB = 1048576;

Deno.test("rssSlope: bytes per minute by least squares; NaN under three samples", () => {
  const series = [0, 1, 2, 3].map((m) => ({
    atMs: m * 60_000,
    rss: (100 + 2 * m) * MiB,
  }));
  assert.equal(rssSlope(series), 2 * MiB);
  assert.equal(rssSlope([{ atMs: 0, rss: 1 }, { atMs: 1, rss: 2 }]), NaN);
  const flat = [0, 1, 2].map((m) => ({ atMs: m * 30_000, rss: 5 * MiB }));
  assert.equal(rssSlope(flat), 0);
});

Deno.test("formatFreshness: the table, then the RSS series and slopes of the watch modes", () => {
  const series = [0, 1, 2].map((k) => ({
    atMs: k * 30_000,
    rss: (100 + k) * MiB,
  }));
  const result: FreshnessResult = {
    mode: "kube",
    delay: { p50: 500, p95: 900, max: 1000, count: 3, missed: 0 },
    perMinute: { k8splugin: 1, kube: 2, aai: 3 },
    quietPerMinute: { k8splugin: 0, kube: 0, aai: 0 },
    aaiWrites: 3,
    changes: 3,
    rss: {
      start: 100 * MiB,
      end: 102 * MiB,
      series,
      slopePerMinute: rssSlope(series),
      steadySlopePerMinute: rssSlope(series.slice(1)),
    },
  };
  const text = formatFreshness([result]);
  assert.match(text, /\| kube \| 0\.50 s .*\| 100 MiB → 102 MiB \|/);
  assert.match(
    text,
    /RSS kube \(MiB at s\): 100 MiB@0, 101 MiB@30, 102 MiB@60; slope 2\.00 MiB\/min \(after the first sample: –\)/,
  );
});
