import type { Imprint } from "../hash/imprint.ts";
import type { TlvElement } from "../tlv/element.ts";

/**
 * The KSI signature model. Decoded objects keep the TLV they came from in `source`, and encoding
 * reuses it, so decode → encode is byte-identical (element order, unknown non-critical elements and
 * header forms included). Objects built by Tempel have no `source` and encode canonically.
 */

/** KSI metadata record (link element 0x04): who asked, as written into the aggregation chain. */
export interface Metadata {
  /** Padding 0x1E present (value `01` or `01 01`) to make the record's length even. */
  readonly padding?: Uint8Array;
  readonly clientId: string;
  readonly machineId?: string;
  readonly sequenceNumber?: bigint;
  /** Request time in microseconds since the Unix epoch. */
  readonly requestTime?: bigint;
}

export type LinkSibling =
  | { readonly kind: "imprint"; readonly imprint: Imprint }
  | { readonly kind: "legacyId"; readonly bytes: Uint8Array }
  /** `bytes` is the value of the 0x04 element (what the step hash uses); `metadata` its parsed form. */
  | { readonly kind: "metadata"; readonly bytes: Uint8Array; readonly metadata: Metadata };

/**
 * `left`: TLV 0x07, the running hash is the LEFT operand (sibling on the right).
 * `right`: TLV 0x08, the running hash is the RIGHT operand (sibling on the left).
 */
export type LinkDirection = "left" | "right";

export interface AggregationLink {
  readonly direction: LinkDirection;
  readonly levelCorrection: number;
  readonly sibling: LinkSibling;
  readonly source?: TlvElement;
}

export interface AggregationHashChain {
  readonly aggregationTime: number;
  readonly chainIndex: readonly bigint[];
  readonly inputData?: Uint8Array;
  readonly inputHash: Imprint;
  readonly aggregationAlgorithm: number;
  /** Leaf → root. */
  readonly links: readonly AggregationLink[];
  readonly source?: TlvElement;
}

export interface CalendarLink {
  readonly direction: LinkDirection;
  readonly sibling: Imprint;
}

export interface CalendarHashChain {
  readonly publicationTime: number;
  /** Absent on the wire means equal to the publication time; `aggregationTimePresent` records which. */
  readonly aggregationTime: number;
  readonly aggregationTimePresent: boolean;
  readonly inputHash: Imprint;
  /** Leaf → root. */
  readonly links: readonly CalendarLink[];
  readonly source?: TlvElement;
}

/** KSI "published data": a calendar root and the second it covers. */
export interface PublicationData {
  readonly publicationTime: number;
  readonly publishedHash: Imprint;
  readonly source?: TlvElement;
}

export interface PublicationRecord {
  readonly publishedData: PublicationData;
  readonly references: readonly string[];
  readonly repositoryUris: readonly string[];
  /** Tempel's quorum certificate for this root, carried as a non-critical element. */
  readonly quorumCertificate?: QuorumCertificate;
  readonly source?: TlvElement;
}

export interface SignatureData {
  /** OID of the signature algorithm, e.g. 1.2.840.113549.1.1.11 (sha256WithRSAEncryption). */
  readonly signatureType: string;
  readonly signatureValue: Uint8Array;
  readonly certificateId: Uint8Array;
  readonly certificateRepositoryUri?: string;
  readonly source?: TlvElement;
}

export interface CalendarAuthRecord {
  readonly publishedData: PublicationData;
  readonly signatureData: SignatureData;
  readonly source?: TlvElement;
}

export interface Rfc3161Record {
  readonly aggregationTime: number;
  readonly chainIndex: readonly bigint[];
  readonly inputHash: Imprint;
  readonly tstInfoPrefix: Uint8Array;
  readonly tstInfoSuffix: Uint8Array;
  readonly tstInfoAlgorithm: number;
  readonly signedAttributesPrefix: Uint8Array;
  readonly signedAttributesSuffix: Uint8Array;
  readonly signedAttributesAlgorithm: number;
  readonly source?: TlvElement;
}

/** One member's Ed25519 signature over the KSI published-data TLV (0x10) of a calendar root. */
export interface CertificateShare {
  /** The member's id as named in the genesis (its libp2p peer id string). */
  readonly memberId: string;
  readonly signature: Uint8Array;
}

/** Tempel's quorum certificate: q member signatures over the same published data. Non-critical. */
export interface QuorumCertificate {
  readonly publishedData: PublicationData;
  readonly shares: readonly CertificateShare[];
  readonly source?: TlvElement;
}

export interface KsiSignature {
  /** Ordered from the document up (decoded order is kept in `source`; this list is sorted). */
  readonly aggregationChains: readonly AggregationHashChain[];
  readonly calendarChain?: CalendarHashChain;
  readonly publicationRecord?: PublicationRecord;
  readonly calendarAuthRecord?: CalendarAuthRecord;
  readonly rfc3161Record?: Rfc3161Record;
  readonly quorumCertificate?: QuorumCertificate;
  readonly source?: TlvElement;
}
