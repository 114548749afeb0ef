/**
 * The README's "Guarantees" section names the test behind each guarantee;
 * every one of them must exist, word for word, so the section cannot
 * outlive its evidence.
 *
 * @module
 */

import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

/** The quoted test names of the README's Guarantees section. */
async function namedTests(): Promise<string[]> {
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  const start = readme.indexOf("\n## Guarantees\n");
  assert.ok(start >= 0, "the README has a Guarantees section");
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end).replace(/\s*\n\s*/g, " ");
  return [...section.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
}

/** The text of every test file (names may span lines: joined by spaces). */
async function testSources(): Promise<string> {
  const texts: string[] = [];
  const dir = new URL("tests/", ROOT);
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory) {
      for await (const file of Deno.readDir(new URL(`${entry.name}/`, dir))) {
        if (file.name.endsWith("_test.ts")) {
          texts.push(
            await Deno.readTextFile(
              new URL(`${entry.name}/${file.name}`, dir),
            ),
          );
        }
      }
    }
  }
  return texts.join("\n");
}

Deno.test("README: every test the Guarantees section names exists", async () => {
  const names = await namedTests();
  assert.ok(names.length >= 15, `${names.length} tests named`);
  const sources = await testSources();
  for (const name of names) {
    assert.ok(
      sources.includes(JSON.stringify(name)),
      `no test named ${JSON.stringify(name)}`,
    );
  }
});
