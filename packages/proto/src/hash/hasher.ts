import { ripemd160, sha1 } from "@noble/hashes/legacy.js";
import { sha256, sha384, sha512 } from "@noble/hashes/sha2.js";
import { sha3_224, sha3_256, sha3_384, sha3_512 } from "@noble/hashes/sha3.js";
import type { CHash } from "@noble/hashes/utils.js";
import { HashAlgorithmError } from "../errors.ts";
import { hashAlgorithm } from "./algorithms.ts";

/**
 * Computes the digest (without the algorithm byte) of `data` with KSI algorithm `algorithm`.
 * Injected where hashing is hot, so that Node can use `node:crypto` while browsers keep @noble/hashes.
 */
export interface Hasher {
  (algorithm: number, data: Uint8Array): Uint8Array;
  /**
   * The same digest written into `out` at `offset`, for a platform that produces it without a new
   * buffer per call (node:crypto's `hash(…, "latin1")` returns a string). The aggregation tree, which
   * hashes once per node, uses it when present.
   */
  readonly into?: DigestInto;
}

/** Writes the digest of `data` (algorithm id `algorithm`) into `out` at `offset`. */
export type DigestInto = (algorithm: number, data: Uint8Array, out: Uint8Array, offset: number) => void;

const NOBLE: ReadonlyArray<CHash | undefined> = (() => {
  const out: (CHash | undefined)[] = new Array(256).fill(undefined);
  out[0x00] = sha1;
  out[0x01] = sha256;
  out[0x02] = ripemd160;
  out[0x04] = sha384;
  out[0x05] = sha512;
  out[0x07] = sha3_224;
  out[0x08] = sha3_256;
  out[0x09] = sha3_384;
  out[0x0a] = sha3_512;
  return out;
})();

/** The @noble/hashes function of a KSI algorithm, for constructions that need one (HMAC). */
export function nobleHash(algorithm: number): CHash {
  const fn = NOBLE[algorithm];
  if (fn === undefined) {
    const info = hashAlgorithm(algorithm);
    throw new HashAlgorithmError("HASH_NOT_IMPLEMENTED", `hash algorithm ${info.name} is not implemented`, {
      id: algorithm,
    });
  }
  return fn;
}

/**
 * @noble/hashes as a Hasher: pure JS, so browser-safe, and the default of every function that takes a
 * hasher. Node.js programs pass `nodeHasher` (`@tempel/proto/node`) explicitly where hashing is hot.
 */
export const nobleHasher: Hasher = (algorithm, data) => nobleHash(algorithm)(data);
