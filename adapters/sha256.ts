/**
 * The one SHA-256 helper: resource ids (hex, SO's CNF adapter formula),
 * fingerprints, read keys and file digests (base64url). `node:crypto`'s
 * synchronous hash rather than WebCrypto: a digest per resource per run,
 * and WebCrypto's async round trip costs over ten times more (measured by
 * the bench).
 *
 * @module
 */

import { createHash } from "node:crypto";

/** How a digest is spelled. */
export type DigestEncoding = "hex" | "base64url";

/**
 * SHA-256 of a UTF-8 string or of bytes, lower-case hex by default.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sha256 } from "./sha256.ts";
 * assert.equal(
 *   sha256("abc"),
 *   "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
 * );
 * assert.equal(sha256("abc", "base64url"), "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
 * ```
 */
export function sha256(
  data: string | Uint8Array,
  encoding: DigestEncoding = "hex",
): string {
  const hash = createHash("sha256");
  if (typeof data === "string") hash.update(data, "utf8");
  else hash.update(data);
  return hash.digest(encoding);
}

/** A SHA-256 fed in parts (a file written in chunks). */
export interface Sha256Stream {
  /** Adds bytes. */
  update(data: Uint8Array): void;
  /** The digest of everything added. */
  digest(encoding?: DigestEncoding): string;
}

/**
 * A SHA-256 fed in parts; the same digest as {@linkcode sha256} of the
 * parts joined.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sha256, sha256Stream } from "./sha256.ts";
 * const stream = sha256Stream();
 * stream.update(new TextEncoder().encode("a"));
 * stream.update(new TextEncoder().encode("bc"));
 * assert.equal(stream.digest(), sha256("abc"));
 * ```
 */
export function sha256Stream(): Sha256Stream {
  const hash = createHash("sha256");
  return {
    update(data) {
      hash.update(data);
    },
    digest(encoding = "hex") {
      return hash.digest(encoding);
    },
  };
}
