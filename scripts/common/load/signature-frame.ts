import {
  AggregationChainTag,
  bytesEqual,
  childrenOf,
  decodeSafeUint,
  decodeTlv,
  FormatError,
  type Imprint,
  SignatureTag,
  type TlvElement,
} from "@tempel/proto";

/**
 * The load generator's cheap check of an encoded signature that is not picked for full verification:
 * it must be one TLV signature element whose elements are all well-formed, and its lowest aggregation
 * chain (the one with the longest chain index, as KSI orders them) must start at `imprint`, the hash
 * that was sent. A few microseconds instead of a full decode and verification: what lets one
 * generator check every answer at tens of thousands of signatures per second. Returns the signature's
 * aggregation second, or "wrong_input" for a signature of another hash; throws FormatError for a
 * malformed one.
 */
export function checkSignatureFrame(bytes: Uint8Array, imprint: Imprint): number | "wrong_input" {
  const signature = decodeTlv(bytes);
  if (signature.type !== SignatureTag.SIGNATURE) {
    throw new FormatError("NOT_A_SIGNATURE", `TLV 0x${signature.type.toString(16)} is not a signature`);
  }
  let lowest: TlvElement[] | undefined;
  let lowestIndexLength = -1;
  for (const element of childrenOf(signature)) {
    if (element.type !== SignatureTag.AGGREGATION_CHAIN) continue;
    const fields = childrenOf(element);
    const indexLength = fields.filter((f) => f.type === AggregationChainTag.CHAIN_INDEX).length;
    if (indexLength > lowestIndexLength) {
      lowest = fields;
      lowestIndexLength = indexLength;
    }
  }
  const inputHash = lowest?.find((f) => f.type === AggregationChainTag.INPUT_HASH);
  const time = lowest?.find((f) => f.type === AggregationChainTag.AGGREGATION_TIME);
  if (inputHash === undefined || time === undefined) {
    throw new FormatError("NO_AGGREGATION_CHAIN", "the signature has no complete aggregation chain");
  }
  return bytesEqual(inputHash.value, imprint) ? decodeSafeUint(time) : "wrong_input";
}
