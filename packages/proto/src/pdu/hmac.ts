import { hmac } from "@noble/hashes/hmac.js";
import { FormatError } from "../errors.ts";
import { HashAlgorithm, hashAlgorithm } from "../hash/algorithms.ts";
import { nobleHash } from "../hash/hasher.ts";

export const DEFAULT_HMAC_ALGORITHM = HashAlgorithm.SHA2_256;

/**
 * The PDU HMAC (spec §5): keyed with the login's secret over the whole serialized PDU, outer header
 * included, up to but excluding the digest bytes at its very end — so it also covers the HMAC element's
 * own header and algorithm byte. `pdu` holds any bytes (e.g. zeros) where the digest goes.
 */
export function computePduHmac(pdu: Uint8Array, key: Uint8Array, algorithm: number): Uint8Array {
  const digestLength = hashAlgorithm(algorithm).digestLength;
  if (pdu.length < digestLength) {
    throw new FormatError(
      "PDU_TOO_SHORT",
      `PDU of ${pdu.length} bytes cannot hold a ${digestLength}-byte HMAC`,
    );
  }
  return hmac(nobleHash(algorithm), key, pdu.subarray(0, pdu.length - digestLength));
}

/** Comparison whose time does not depend on where the inputs differ. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
