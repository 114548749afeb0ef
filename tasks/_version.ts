/**
 * The tool's version, for `--version` on every task, log lines and metrics.
 * Read from `deno.json` (`version`), the one place it is written.
 *
 * Other tasks call {@linkcode versionText} for their `--version`:
 * `new Command().version(versionText(), "--version")`.
 *
 * @module
 */
import denoJson from "../deno.json" with { type: "json" };

/** The version in `deno.json`, e.g. `0.1.0`. */
export const VERSION: string = (denoJson as { version?: string }).version ??
  "0.0.0";

/** What `--version` prints: `k8s-aai-sync 0.1.0 (deno 2.9.6)`. */
export function versionText(): string {
  return `k8s-aai-sync ${VERSION} (deno ${Deno.version.deno})`;
}
