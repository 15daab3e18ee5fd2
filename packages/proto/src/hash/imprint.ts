import { HashAlgorithmError } from "../errors.ts";
import { findHashAlgorithm, hashAlgorithm } from "./algorithms.ts";
import { type Hasher, nobleHasher } from "./hasher.ts";

/** A KSI data hash: one algorithm-id byte followed by the digest. Always of odd length. */
export type Imprint = Uint8Array;

export function imprintAlgorithm(imprint: Imprint): number {
  return imprint[0]!;
}

export function imprintDigest(imprint: Imprint): Uint8Array {
  return imprint.subarray(1);
}

export function makeImprint(algorithm: number, digest: Uint8Array): Imprint {
  const out = new Uint8Array(digest.length + 1);
  out[0] = algorithm;
  out.set(digest, 1);
  return out;
}

/** Hash `data` and return the imprint. */
export function hashImprint(algorithm: number, data: Uint8Array, hasher: Hasher = nobleHasher): Imprint {
  return makeImprint(algorithm, hasher(algorithm, data));
}

/** Whether `bytes` has the form of an imprint of a known algorithm (id known, length right). */
export function isImprintShaped(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return false;
  const info = findHashAlgorithm(bytes[0]!);
  return info !== undefined && bytes.length === info.digestLength + 1;
}

/** Strict check of an imprint from outside: known algorithm, exact digest length. */
export function checkImprint(bytes: Uint8Array, what = "imprint"): Imprint {
  if (bytes.length === 0) {
    throw new HashAlgorithmError("IMPRINT_EMPTY", `${what} is empty`);
  }
  const info = hashAlgorithm(bytes[0]!);
  if (bytes.length !== info.digestLength + 1) {
    throw new HashAlgorithmError(
      "IMPRINT_LENGTH",
      `${what}: ${info.name} digest must be ${info.digestLength} bytes, got ${bytes.length - 1}`,
      { algorithm: info.id, length: bytes.length - 1 },
    );
  }
  return bytes;
}
