import { hash } from "node:crypto";
import { type DigestInto, HashAlgorithm, type Hasher, hashAlgorithm, nobleHasher } from "../hash/index.ts";

/** KSI algorithm id → OpenSSL digest name. SM3 stays with proto, which refuses it as not implemented. */
const OPENSSL_NAMES: ReadonlyMap<number, string> = new Map([
  [HashAlgorithm.SHA1, "sha1"],
  [HashAlgorithm.SHA2_256, "sha256"],
  [HashAlgorithm.RIPEMD160, "ripemd160"],
  [HashAlgorithm.SHA2_384, "sha384"],
  [HashAlgorithm.SHA2_512, "sha512"],
  [HashAlgorithm.SHA3_224, "sha3-224"],
  [HashAlgorithm.SHA3_256, "sha3-256"],
  [HashAlgorithm.SHA3_384, "sha3-384"],
  [HashAlgorithm.SHA3_512, "sha3-512"],
]);

/**
 * Writes the digest through node:crypto's one-shot `hash()`, taken as a "binary" (latin1) string and
 * copied out: a Buffer made by node:crypto has a backing store of its own, which costs more to
 * allocate and collect than the hash itself.
 */
const digestInto: DigestInto = (algorithm, data, out, offset) => {
  const name = OPENSSL_NAMES.get(algorithm);
  if (name === undefined) {
    out.set(nobleHasher(algorithm, data), offset);
    return;
  }
  const text = hash(name, data, "binary");
  for (let i = 0; i < text.length; i++) out[offset + i] = text.charCodeAt(i);
};

/**
 * proto's Hasher on OpenSSL: several times faster than the pure-JS hashes for the short inputs of
 * tree building (see test/perf/node.bench.ts). Its `into` lets the aggregation tree take each node's
 * digest straight into its own buffer.
 */
export const nodeHasher: Hasher = Object.assign(
  (algorithm: number, data: Uint8Array): Uint8Array => {
    const digest = new Uint8Array(hashAlgorithm(algorithm).digestLength);
    digestInto(algorithm, data, digest, 0);
    return digest;
  },
  { into: digestInto },
);
