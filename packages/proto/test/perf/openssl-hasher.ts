import { hash } from "node:crypto";
import { HashAlgorithm } from "../../src/hash/algorithms.ts";
import type { Hasher } from "../../src/hash/hasher.ts";

/**
 * What a node (and the CLI) injects: SHA-256 from OpenSSL, the digest copied out of a latin1 string
 * (a Buffer from node:crypto costs more to allocate and collect than hashing a short input).
 */
export const opensslSha256: Hasher = (algorithm, data) => {
  if (algorithm !== HashAlgorithm.SHA2_256) throw new Error("the benchmark hashes SHA-256 only");
  const text = hash("sha256", data, "binary");
  const digest = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) digest[i] = text.charCodeAt(i);
  return digest;
};
