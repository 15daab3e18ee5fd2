export { decodeAggregationChain, encodeAggregationChain } from "./aggregation-chain.ts";
export { decodeCalendarAuthRecord, encodeCalendarAuthRecord } from "./calendar-auth-record.ts";
export { decodeCalendarChain, encodeCalendarChain } from "./calendar-chain.ts";
export {
  assembleSignature,
  decodeSignature,
  encodeSignature,
  encodeSignatures,
  MAX_SIGNATURE_BYTES,
  SegmentSignatureWriter,
  type SignatureParts,
} from "./codec.ts";
export * from "./json.ts";
export { decodeMetadata, encodeMetadataValue, type MetadataInput } from "./metadata.ts";
export { decodePublicationData, encodePublicationData } from "./publication-data.ts";
export {
  decodePublicationRecord,
  encodePublicationRecord,
  type PublicationRecordType,
} from "./publication-record.ts";
export { decodeQuorumCertificate, encodeQuorumCertificate } from "./quorum-certificate.ts";
export { decodeRfc3161Record, encodeRfc3161Record } from "./rfc3161-record.ts";
export * from "./tags.ts";
export type * from "./types.ts";
