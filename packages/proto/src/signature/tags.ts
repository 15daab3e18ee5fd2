/**
 * TLV types of the KSI signature, publications file and PDU v2 formats (spec §1, §4, §5), plus Tempel's
 * non-critical quorum certificate. Child types are only meaningful inside their parent, so each parent
 * has its own group.
 */

export const SignatureTag = {
  SIGNATURE: 0x0800,
  AGGREGATION_CHAIN: 0x0801,
  CALENDAR_CHAIN: 0x0802,
  PUBLICATION_RECORD: 0x0803,
  CALENDAR_AUTH_RECORD: 0x0805,
  RFC3161_RECORD: 0x0806,
  /** Tempel's quorum certificate: non-critical, so KSI verifiers skip it (see quorum-certificate.ts). */
  QUORUM_CERTIFICATE: 0x0810,
} as const;

export const AggregationChainTag = {
  AGGREGATION_TIME: 0x02,
  CHAIN_INDEX: 0x03,
  INPUT_DATA: 0x04,
  INPUT_HASH: 0x05,
  AGGREGATION_ALGORITHM: 0x06,
  /** The running hash is the left operand. */
  LEFT_LINK: 0x07,
  /** The running hash is the right operand. */
  RIGHT_LINK: 0x08,
} as const;

export const LinkTag = {
  LEVEL_CORRECTION: 0x01,
  SIBLING_HASH: 0x02,
  LEGACY_ID: 0x03,
  METADATA: 0x04,
} as const;

export const MetadataTag = {
  CLIENT_ID: 0x01,
  MACHINE_ID: 0x02,
  SEQUENCE_NUMBER: 0x03,
  REQUEST_TIME: 0x04,
  PADDING: 0x1e,
} as const;

export const CalendarChainTag = {
  PUBLICATION_TIME: 0x01,
  AGGREGATION_TIME: 0x02,
  INPUT_HASH: 0x05,
  LEFT_LINK: 0x07,
  RIGHT_LINK: 0x08,
} as const;

export const PublicationDataTag = {
  PUBLISHED_DATA: 0x10,
  PUBLICATION_TIME: 0x02,
  PUBLISHED_HASH: 0x04,
} as const;

export const PublicationRecordTag = {
  PUBLISHED_DATA: 0x10,
  REFERENCE: 0x09,
  REPOSITORY_URI: 0x0a,
} as const;

export const CalendarAuthRecordTag = {
  PUBLISHED_DATA: 0x10,
  SIGNATURE_DATA: 0x0b,
} as const;

export const SignatureDataTag = {
  SIGNATURE_TYPE: 0x01,
  SIGNATURE_VALUE: 0x02,
  CERTIFICATE_ID: 0x03,
  CERTIFICATE_REPOSITORY_URI: 0x04,
} as const;

export const Rfc3161Tag = {
  AGGREGATION_TIME: 0x02,
  CHAIN_INDEX: 0x03,
  INPUT_HASH: 0x05,
  TST_INFO_PREFIX: 0x10,
  TST_INFO_SUFFIX: 0x11,
  TST_INFO_ALGORITHM: 0x12,
  SIGNED_ATTRIBUTES_PREFIX: 0x13,
  SIGNED_ATTRIBUTES_SUFFIX: 0x14,
  SIGNED_ATTRIBUTES_ALGORITHM: 0x15,
} as const;

export const QuorumCertificateTag = {
  PUBLISHED_DATA: 0x10,
  SHARE: 0x02,
} as const;

export const CertificateShareTag = {
  MEMBER_ID: 0x01,
  SIGNATURE: 0x02,
} as const;

export const PublicationsFileTag = {
  HEADER: 0x0701,
  CERTIFICATE_RECORD: 0x0702,
  PUBLICATION_RECORD: 0x0703,
  SIGNATURE: 0x0704,
} as const;

export const PublicationsHeaderTag = {
  VERSION: 0x01,
  CREATION_TIME: 0x02,
  REPOSITORY_URI: 0x03,
} as const;

export const CertificateRecordTag = {
  CERTIFICATE_ID: 0x01,
  CERTIFICATE: 0x02,
} as const;

export const PduTag = {
  AGGREGATION_REQUEST: 0x0220,
  AGGREGATION_RESPONSE: 0x0221,
  EXTEND_REQUEST: 0x0320,
  EXTEND_RESPONSE: 0x0321,
} as const;

/** Children of every PDU. */
export const PduChildTag = {
  HEADER: 0x01,
  PAYLOAD: 0x02,
  ERROR: 0x03,
  CONFIG: 0x04,
  ACK: 0x05,
  HMAC: 0x1f,
} as const;

export const PduHeaderTag = {
  LOGIN_ID: 0x01,
  INSTANCE_ID: 0x02,
  MESSAGE_ID: 0x03,
} as const;

export const AggregationRequestTag = {
  REQUEST_ID: 0x01,
  REQUEST_HASH: 0x02,
  REQUEST_LEVEL: 0x03,
} as const;

/** Response payloads (aggregation and extension) and the error payload share these. */
export const ResponseTag = {
  REQUEST_ID: 0x01,
  STATUS: 0x04,
  ERROR_MESSAGE: 0x05,
  /** Extension responses only. */
  CALENDAR_LAST_TIME: 0x12,
} as const;

export const ExtendRequestTag = {
  REQUEST_ID: 0x01,
  AGGREGATION_TIME: 0x02,
  PUBLICATION_TIME: 0x03,
} as const;

export const ConfigTag = {
  MAX_LEVEL: 0x01,
  AGGREGATION_ALGORITHM: 0x02,
  AGGREGATION_PERIOD: 0x03,
  MAX_REQUESTS: 0x04,
  PARENT_URI: 0x10,
  CALENDAR_FIRST_TIME: 0x11,
  CALENDAR_LAST_TIME: 0x12,
} as const;

export const AckTag = {
  REQUEST_TIME: 0x01,
  RECEIPT_TIME: 0x02,
  ACK_TIME: 0x03,
  AGGREGATION_DELAY: 0x04,
  AGGREGATION_PERIOD: 0x05,
  AGGREGATION_DRIFT: 0x06,
} as const;
