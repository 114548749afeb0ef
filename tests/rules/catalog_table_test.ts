/**
 * docs/rules.md's health-catalog table is generated from the catalog; this
 * test fails when it has drifted (regenerate with
 * `deno run --allow-read=docs --allow-write=docs tests/rules/catalog_table.ts`).
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { BEGIN, DOC, END, renderCatalogSection } from "./catalog_table.ts";

/**
 * Undoes `deno fmt`'s table padding and prose wrapping, so only content is
 * compared.
 */
function normalise(text: string): string {
  return text.split("\n").map((line) =>
    line.startsWith("|")
      ? line.split("|").map((cell) => {
        const trimmed = cell.trim();
        return /^-+$/.test(trimmed) ? "---" : trimmed;
      }).join("|")
      : line.trim()
  ).join("\n").replace(/\s+/g, " ");
}

Deno.test("docs/rules.md: the health-catalog table matches BUILT_IN_CATALOG", async () => {
  const text = await readFile(DOC, "utf8");
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  assert.ok(start >= 0 && end > start, "docs/rules.md has the table markers");
  assert.equal(
    normalise(text.slice(start, end + END.length)),
    normalise(renderCatalogSection()),
    "docs/rules.md is out of date: run deno run --allow-read=docs --allow-write=docs tests/rules/catalog_table.ts",
  );
});
