import { encodeTlvSequence } from "../tlv/codec.ts";
import { type TlvElement, tlv } from "../tlv/element.ts";
import { Fields } from "../tlv/fields.ts";
import { decodeUint, uintTlv } from "../tlv/values.ts";
import { expectType, readAlgorithmId, readImprint, readTime } from "./readers.ts";
import { Rfc3161Tag, SignatureTag } from "./tags.ts";
import type { Rfc3161Record } from "./types.ts";

const SPECS = [
  { type: Rfc3161Tag.AGGREGATION_TIME, name: "aggregation time", min: 1 },
  { type: Rfc3161Tag.CHAIN_INDEX, name: "chain index", min: 1, max: Number.POSITIVE_INFINITY },
  { type: Rfc3161Tag.INPUT_HASH, name: "input hash", min: 1 },
  { type: Rfc3161Tag.TST_INFO_PREFIX, name: "TSTInfo prefix", min: 1 },
  { type: Rfc3161Tag.TST_INFO_SUFFIX, name: "TSTInfo suffix", min: 1 },
  { type: Rfc3161Tag.TST_INFO_ALGORITHM, name: "TSTInfo algorithm", min: 1 },
  { type: Rfc3161Tag.SIGNED_ATTRIBUTES_PREFIX, name: "signed attributes prefix", min: 1 },
  { type: Rfc3161Tag.SIGNED_ATTRIBUTES_SUFFIX, name: "signed attributes suffix", min: 1 },
  { type: Rfc3161Tag.SIGNED_ATTRIBUTES_ALGORITHM, name: "signed attributes algorithm", min: 1 },
] as const;

export function decodeRfc3161Record(element: TlvElement): Rfc3161Record {
  expectType(element, SignatureTag.RFC3161_RECORD, "RFC 3161 record");
  const fields = new Fields(element, SPECS, "RFC 3161 record");
  return {
    aggregationTime: readTime(fields.required(Rfc3161Tag.AGGREGATION_TIME)),
    chainIndex: fields.all(Rfc3161Tag.CHAIN_INDEX).map(decodeUint),
    inputHash: readImprint(fields.required(Rfc3161Tag.INPUT_HASH), "input hash"),
    tstInfoPrefix: fields.required(Rfc3161Tag.TST_INFO_PREFIX).value,
    tstInfoSuffix: fields.required(Rfc3161Tag.TST_INFO_SUFFIX).value,
    tstInfoAlgorithm: readAlgorithmId(fields.required(Rfc3161Tag.TST_INFO_ALGORITHM), "TSTInfo algorithm"),
    signedAttributesPrefix: fields.required(Rfc3161Tag.SIGNED_ATTRIBUTES_PREFIX).value,
    signedAttributesSuffix: fields.required(Rfc3161Tag.SIGNED_ATTRIBUTES_SUFFIX).value,
    signedAttributesAlgorithm: readAlgorithmId(
      fields.required(Rfc3161Tag.SIGNED_ATTRIBUTES_ALGORITHM),
      "signed attributes algorithm",
    ),
    source: element,
  };
}

export function encodeRfc3161Record(record: Rfc3161Record): TlvElement {
  if (record.source !== undefined) return record.source;
  const value = encodeTlvSequence([
    uintTlv(Rfc3161Tag.AGGREGATION_TIME, record.aggregationTime),
    ...record.chainIndex.map((index) => uintTlv(Rfc3161Tag.CHAIN_INDEX, index)),
    tlv(Rfc3161Tag.INPUT_HASH, record.inputHash),
    tlv(Rfc3161Tag.TST_INFO_PREFIX, record.tstInfoPrefix),
    tlv(Rfc3161Tag.TST_INFO_SUFFIX, record.tstInfoSuffix),
    uintTlv(Rfc3161Tag.TST_INFO_ALGORITHM, record.tstInfoAlgorithm),
    tlv(Rfc3161Tag.SIGNED_ATTRIBUTES_PREFIX, record.signedAttributesPrefix),
    tlv(Rfc3161Tag.SIGNED_ATTRIBUTES_SUFFIX, record.signedAttributesSuffix),
    uintTlv(Rfc3161Tag.SIGNED_ATTRIBUTES_ALGORITHM, record.signedAttributesAlgorithm),
  ]);
  return tlv(SignatureTag.RFC3161_RECORD, value);
}
