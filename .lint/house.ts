/**
 * House lint rules (STYLE.md): the one-way rooms and top-level `function`
 * declarations, machine-checked like Deno std's `_tools/lint_plugin.ts`.
 *
 * Lint plugins need a default export; it is the one exception to the house
 * rule against them.
 *
 * @module
 */

/** Which rooms each room may import values from (besides itself). */
const ALLOWED_VALUE_IMPORTS: Record<string, readonly string[]> = {
  rules: [],
  adapters: [],
  sync: ["rules", "adapters"],
  sim: ["adapters"],
  tasks: ["rules", "adapters", "sync", "sim", "bench"],
  bench: ["rules", "adapters", "sync", "sim"],
};

/** The room (top-level folder) of an absolute path, or undefined outside the project. */
function roomOf(path: string, root: string): string | undefined {
  if (!path.startsWith(root)) return undefined;
  const [first, ...rest] = path.slice(root.length).split("/");
  return rest.length > 0 ? first : "";
}

/** The project root: the folder holding `.lint/`. */
const ROOT = new URL("../", import.meta.url).pathname;

const plugin: Deno.lint.Plugin = {
  name: "house",
  rules: {
    "one-way-rooms": {
      create(context) {
        const from = roomOf(context.filename, ROOT);
        const allowed = from === undefined
          ? undefined
          : ALLOWED_VALUE_IMPORTS[from];
        return {
          ImportDeclaration(node) {
            const specifier = node.source.value;
            if (!allowed || !specifier.startsWith(".")) return;
            const target = new URL(specifier, `file://${context.filename}`)
              .pathname;
            const to = roomOf(target, ROOT);
            if (to === undefined || to === from || to === "") return;
            const isPrivate = /\/_[^/]*$/.test(target);
            if (isPrivate) {
              context.report({
                node,
                message:
                  `"${specifier}" is private to ${to}/: import ${to}/mod.ts instead`,
              });
              return;
            }
            if (node.importKind === "type") return;
            if (!allowed.includes(to)) {
              context.report({
                node,
                message:
                  `${from}/ must not import from ${to}/ (imports flow tasks → sync → {rules, adapters}; types only otherwise)`,
              });
            }
          },
        };
      },
    },
    "function-declarations": {
      create(context) {
        return {
          VariableDeclarator(node) {
            const declaration = node.parent;
            const holder = declaration?.parent;
            const topLevel = holder?.type === "Program" ||
              (holder?.type === "ExportNamedDeclaration" &&
                holder.parent?.type === "Program");
            const init = node.init;
            if (
              topLevel && init &&
              (init.type === "ArrowFunctionExpression" ||
                init.type === "FunctionExpression")
            ) {
              context.report({
                node,
                message:
                  "Use a top-level function declaration, not a function assigned to a constant",
              });
            }
          },
        };
      },
    },
  },
};

export default plugin;
