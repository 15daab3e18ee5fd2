import type { Hasher } from "../hash/hasher.ts";

/**
 * Writes the digest of `data` (algorithm id `algorithm`) into `out` at `offset`. The aggregation
 * tree hashes through this so that a platform that can produce a digest without allocating a new
 * buffer per call (node:crypto's `hash(…, "latin1")` returns a string) is not made to.
 */
export type DigestInto = (algorithm: number, data: Uint8Array, out: Uint8Array, offset: number) => void;

export function digestIntoFrom(hasher: Hasher): DigestInto {
  return (algorithm, data, out, offset) => out.set(hasher(algorithm, data), offset);
}
