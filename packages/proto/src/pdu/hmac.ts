import { FormatError, HashAlgorithmError } from "../errors.ts";
import { HashAlgorithm, hashAlgorithm } from "../hash/algorithms.ts";
import { type Hasher, nobleHasher } from "../hash/hasher.ts";

export const DEFAULT_HMAC_ALGORITHM = HashAlgorithm.SHA2_256;

/** Input block length in bytes (RFC 2104's B) of each algorithm an HMAC can be made with. */
const BLOCK_LENGTH: ReadonlyMap<number, number> = new Map([
  [HashAlgorithm.SHA1, 64],
  [HashAlgorithm.SHA2_256, 64],
  [HashAlgorithm.RIPEMD160, 64],
  [HashAlgorithm.SHA2_384, 128],
  [HashAlgorithm.SHA2_512, 128],
  [HashAlgorithm.SHA3_224, 144],
  [HashAlgorithm.SHA3_256, 136],
  [HashAlgorithm.SHA3_384, 104],
  [HashAlgorithm.SHA3_512, 72],
]);

const MAX_DIGEST_LENGTH = 64;

/**
 * Where both hash inputs of an HMAC are put together, reused from call to call (a hasher reads its
 * input and keeps nothing): in V8 a fresh buffer of more than 64 bytes lives outside the heap and
 * costs more to allocate than hashing a PDU.
 */
let scratch = new Uint8Array(4096);

/**
 * HMAC (RFC 2104) over `hasher`, so that it runs on whatever hash implementation the platform
 * injected: node:crypto in the node, where PDU HMACs over whole signatures are a large part of
 * answering a request, @noble/hashes in browsers.
 */
export function hmac(hasher: Hasher, algorithm: number, key: Uint8Array, data: Uint8Array): Uint8Array {
  const block = BLOCK_LENGTH.get(algorithm);
  if (block === undefined) {
    throw new HashAlgorithmError(
      "HASH_NOT_IMPLEMENTED",
      `no HMAC with hash algorithm ${hashAlgorithm(algorithm).name}`,
      { id: algorithm },
    );
  }
  const blockKey = key.length > block ? hasher(algorithm, key) : key;
  const needed = block + Math.max(data.length, MAX_DIGEST_LENGTH);
  if (scratch.length < needed) scratch = new Uint8Array(needed);
  const padKey = (pad: number) => {
    scratch.fill(0, 0, block);
    scratch.set(blockKey);
    for (let i = 0; i < block; i++) scratch[i]! ^= pad;
  };
  padKey(0x36);
  scratch.set(data, block);
  const innerDigest = hasher(algorithm, scratch.subarray(0, block + data.length));
  padKey(0x5c);
  scratch.set(innerDigest, block);
  const mac = hasher(algorithm, scratch.subarray(0, block + innerDigest.length));
  // The padded key stays in no buffer after the call.
  scratch.fill(0, 0, block);
  return mac;
}

/**
 * The PDU HMAC (spec §5): keyed with the login's secret over the whole serialized PDU, outer header
 * included, up to but excluding the digest bytes at its very end — so it also covers the HMAC element's
 * own header and algorithm byte. `pdu` holds any bytes (e.g. zeros) where the digest goes.
 */
export function computePduHmac(
  pdu: Uint8Array,
  key: Uint8Array,
  algorithm: number,
  hasher: Hasher = nobleHasher,
): Uint8Array {
  const digestLength = hashAlgorithm(algorithm).digestLength;
  if (pdu.length < digestLength) {
    throw new FormatError(
      "PDU_TOO_SHORT",
      `PDU of ${pdu.length} bytes cannot hold a ${digestLength}-byte HMAC`,
    );
  }
  return hmac(hasher, algorithm, key, pdu.subarray(0, pdu.length - digestLength));
}

/** Comparison whose time does not depend on where the inputs differ. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
