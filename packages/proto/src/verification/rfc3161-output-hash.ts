import type { Hasher } from "../hash/hasher.ts";
import { hashImprint, type Imprint, imprintDigest } from "../hash/imprint.ts";
import type { Rfc3161Record } from "../signature/types.ts";
import { concatBytes } from "../util/bytes.ts";

/**
 * The hash a legacy RFC 3161 record feeds into the first aggregation chain: the TSTInfo rebuilt
 * around the document digest and hashed, then the signed attributes rebuilt around that digest and
 * hashed, and that imprint hashed once more with `outputAlgorithm` (the first chain's input algorithm).
 */
export function rfc3161OutputHash(record: Rfc3161Record, outputAlgorithm: number, hasher: Hasher): Imprint {
  const tstInfoDigest = hasher(
    record.tstInfoAlgorithm,
    concatBytes(record.tstInfoPrefix, imprintDigest(record.inputHash), record.tstInfoSuffix),
  );
  const signedAttributes = hashImprint(
    record.signedAttributesAlgorithm,
    concatBytes(record.signedAttributesPrefix, tstInfoDigest, record.signedAttributesSuffix),
    hasher,
  );
  return hashImprint(outputAlgorithm, signedAttributes, hasher);
}
