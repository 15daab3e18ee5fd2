import { hash } from "node:crypto";
import { HashAlgorithm, type Hasher, nobleHasher } from "@tempel/proto";

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
 * proto's Hasher on OpenSSL through node:crypto's one-shot `hash()`: several times faster than the
 * pure-JS hashes for the short inputs of tree building (see test/perf/node.bench.ts). The digest is
 * taken as a "binary" (latin1) string and copied out: a Buffer made by node:crypto has a backing store of its
 * own, which costs more to allocate and collect than the hash itself.
 */
export const nodeHasher: Hasher = (algorithm, data) => {
  const name = OPENSSL_NAMES.get(algorithm);
  if (name === undefined) return nobleHasher(algorithm, data);
  const text = hash(name, data, "binary");
  const digest = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) digest[i] = text.charCodeAt(i);
  return digest;
};
