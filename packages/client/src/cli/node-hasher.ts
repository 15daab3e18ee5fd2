import { hash } from "node:crypto";
import { HashAlgorithm, type Hasher, nobleHasher } from "@tempel/proto";

/** KSI algorithm id → OpenSSL digest name; the others stay with proto's pure-JS hashes. */
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
 * proto's Hasher on OpenSSL (node:crypto's one-shot `hash()`): several times faster than the pure-JS
 * hashes on the short inputs of chain steps, which dominate verifying many signatures.
 */
export const nodeHasher: Hasher = (algorithm, data) => {
  const name = OPENSSL_NAMES.get(algorithm);
  return name === undefined ? nobleHasher(algorithm, data) : hash(name, data, "buffer");
};
