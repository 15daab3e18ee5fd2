import { findHashAlgorithm } from "../hash/algorithms.ts";
import { encodePublicationString } from "../publication/publication-string.ts";
import { toHex } from "../util/bytes.ts";
import type {
  AggregationHashChain,
  AggregationLink,
  CalendarAuthRecord,
  CalendarHashChain,
  KsiSignature,
  LinkDirection,
  Metadata,
  PublicationData,
  PublicationRecord,
  QuorumCertificate,
  Rfc3161Record,
} from "./types.ts";

/**
 * A plain, JSON-safe view of a signature for `tempel inspect` and the JSON API: imprints as hex (algorithm
 * byte included), times as Unix seconds plus ISO 8601, 64-bit integers as decimal strings.
 */

export interface TimeJson {
  readonly unix: number;
  /** Absent when the value lies outside the range of a JavaScript Date. */
  readonly iso?: string;
}

export interface MicrosecondTimeJson {
  readonly unixMicros: string;
  readonly iso?: string;
}

export interface MetadataJson {
  readonly clientId: string;
  readonly machineId?: string;
  readonly sequenceNumber?: string;
  readonly requestTime?: MicrosecondTimeJson;
}

export type SiblingJson =
  | { readonly kind: "imprint"; readonly imprint: string }
  | { readonly kind: "legacyId"; readonly name: string; readonly hex: string }
  | { readonly kind: "metadata"; readonly metadata: MetadataJson; readonly hex: string };

export interface AggregationLinkJson {
  readonly direction: LinkDirection;
  readonly levelCorrection: number;
  readonly sibling: SiblingJson;
}

export interface AggregationChainJson {
  readonly aggregationTime: TimeJson;
  readonly chainIndex: readonly string[];
  readonly inputHash: string;
  readonly inputData?: string;
  readonly aggregationAlgorithm: string;
  readonly links: readonly AggregationLinkJson[];
}

export interface CalendarChainJson {
  readonly publicationTime: TimeJson;
  readonly aggregationTime: TimeJson;
  readonly inputHash: string;
  readonly links: readonly { readonly direction: LinkDirection; readonly sibling: string }[];
}

export interface PublicationDataJson {
  readonly publicationTime: TimeJson;
  readonly publishedHash: string;
  /** Absent when the time cannot be a real publication time (beyond 2^53 - 1). */
  readonly publicationString?: string;
}

export interface QuorumCertificateJson {
  readonly publishedData: PublicationDataJson;
  readonly shares: readonly { readonly memberId: string; readonly signature: string }[];
}

export interface PublicationRecordJson {
  readonly publishedData: PublicationDataJson;
  readonly references: readonly string[];
  readonly repositoryUris: readonly string[];
  readonly quorumCertificate?: QuorumCertificateJson;
}

export interface CalendarAuthRecordJson {
  readonly publishedData: PublicationDataJson;
  readonly signatureType: string;
  readonly signatureValue: string;
  readonly certificateId: string;
  readonly certificateRepositoryUri?: string;
}

export interface Rfc3161RecordJson {
  readonly aggregationTime: TimeJson;
  readonly chainIndex: readonly string[];
  readonly inputHash: string;
  readonly tstInfoPrefix: string;
  readonly tstInfoSuffix: string;
  readonly tstInfoAlgorithm: string;
  readonly signedAttributesPrefix: string;
  readonly signedAttributesSuffix: string;
  readonly signedAttributesAlgorithm: string;
}

export interface SignatureJson {
  /** The hash the signature is about: the RFC 3161 record's input, else the first chain's. */
  readonly inputHash: string;
  readonly aggregationTime: TimeJson;
  readonly aggregationChains: readonly AggregationChainJson[];
  readonly calendarChain?: CalendarChainJson;
  readonly publicationRecord?: PublicationRecordJson;
  readonly calendarAuthRecord?: CalendarAuthRecordJson;
  readonly rfc3161Record?: Rfc3161RecordJson;
  readonly quorumCertificate?: QuorumCertificateJson;
}

/** Date accepts ±8.64e15 ms. */
const MAX_DATE_MS = 8.64e15;

function isoFromMillis(ms: number): string | undefined {
  return Math.abs(ms) <= MAX_DATE_MS ? new Date(ms).toISOString() : undefined;
}

function timeJson(unix: number): TimeJson {
  const iso = isoFromMillis(unix * 1000);
  return { unix, ...(iso !== undefined && { iso }) };
}

function microsJson(micros: bigint): MicrosecondTimeJson {
  const iso = isoFromMillis(Number(micros / 1000n));
  return { unixMicros: micros.toString(), ...(iso !== undefined && { iso }) };
}

function algorithmName(id: number): string {
  return findHashAlgorithm(id)?.name ?? `0x${id.toString(16).padStart(2, "0")}`;
}

const lenientUtf8 = new TextDecoder("utf-8");

function metadataJson(metadata: Metadata): MetadataJson {
  return {
    clientId: metadata.clientId,
    ...(metadata.machineId !== undefined && { machineId: metadata.machineId }),
    ...(metadata.sequenceNumber !== undefined && { sequenceNumber: metadata.sequenceNumber.toString() }),
    ...(metadata.requestTime !== undefined && { requestTime: microsJson(metadata.requestTime) }),
  };
}

function linkJson(link: AggregationLink): AggregationLinkJson {
  const sibling = link.sibling;
  let json: SiblingJson;
  if (sibling.kind === "imprint") json = { kind: "imprint", imprint: toHex(sibling.imprint) };
  else if (sibling.kind === "legacyId") {
    // Byte 2 is the name length; the name follows it (checked when decoded).
    const name = lenientUtf8.decode(sibling.bytes.subarray(3, 3 + (sibling.bytes[2] ?? 0)));
    json = { kind: "legacyId", name, hex: toHex(sibling.bytes) };
  } else json = { kind: "metadata", metadata: metadataJson(sibling.metadata), hex: toHex(sibling.bytes) };
  return { direction: link.direction, levelCorrection: link.levelCorrection, sibling: json };
}

function aggregationChainJson(chain: AggregationHashChain): AggregationChainJson {
  return {
    aggregationTime: timeJson(chain.aggregationTime),
    chainIndex: chain.chainIndex.map(String),
    inputHash: toHex(chain.inputHash),
    ...(chain.inputData !== undefined && { inputData: toHex(chain.inputData) }),
    aggregationAlgorithm: algorithmName(chain.aggregationAlgorithm),
    links: chain.links.map(linkJson),
  };
}

function calendarChainJson(chain: CalendarHashChain): CalendarChainJson {
  return {
    publicationTime: timeJson(chain.publicationTime),
    aggregationTime: timeJson(chain.aggregationTime),
    inputHash: toHex(chain.inputHash),
    links: chain.links.map((link) => ({ direction: link.direction, sibling: toHex(link.sibling) })),
  };
}

function publicationDataJson(data: PublicationData): PublicationDataJson {
  return {
    publicationTime: timeJson(data.publicationTime),
    publishedHash: toHex(data.publishedHash),
    ...(Number.isSafeInteger(data.publicationTime) && { publicationString: encodePublicationString(data) }),
  };
}

function quorumCertificateJson(certificate: QuorumCertificate): QuorumCertificateJson {
  return {
    publishedData: publicationDataJson(certificate.publishedData),
    shares: certificate.shares.map((share) => ({
      memberId: share.memberId,
      signature: toHex(share.signature),
    })),
  };
}

function publicationRecordJson(record: PublicationRecord): PublicationRecordJson {
  return {
    publishedData: publicationDataJson(record.publishedData),
    references: record.references,
    repositoryUris: record.repositoryUris,
    ...(record.quorumCertificate !== undefined && {
      quorumCertificate: quorumCertificateJson(record.quorumCertificate),
    }),
  };
}

function calendarAuthRecordJson(record: CalendarAuthRecord): CalendarAuthRecordJson {
  const data = record.signatureData;
  return {
    publishedData: publicationDataJson(record.publishedData),
    signatureType: data.signatureType,
    signatureValue: toHex(data.signatureValue),
    certificateId: toHex(data.certificateId),
    ...(data.certificateRepositoryUri !== undefined && {
      certificateRepositoryUri: data.certificateRepositoryUri,
    }),
  };
}

function rfc3161RecordJson(record: Rfc3161Record): Rfc3161RecordJson {
  return {
    aggregationTime: timeJson(record.aggregationTime),
    chainIndex: record.chainIndex.map(String),
    inputHash: toHex(record.inputHash),
    tstInfoPrefix: toHex(record.tstInfoPrefix),
    tstInfoSuffix: toHex(record.tstInfoSuffix),
    tstInfoAlgorithm: algorithmName(record.tstInfoAlgorithm),
    signedAttributesPrefix: toHex(record.signedAttributesPrefix),
    signedAttributesSuffix: toHex(record.signedAttributesSuffix),
    signedAttributesAlgorithm: algorithmName(record.signedAttributesAlgorithm),
  };
}

export function signatureToJson(sig: KsiSignature): SignatureJson {
  const first = sig.aggregationChains[0]!;
  return {
    inputHash: toHex(sig.rfc3161Record?.inputHash ?? first.inputHash),
    aggregationTime: timeJson(first.aggregationTime),
    aggregationChains: sig.aggregationChains.map(aggregationChainJson),
    ...(sig.calendarChain !== undefined && { calendarChain: calendarChainJson(sig.calendarChain) }),
    ...(sig.publicationRecord !== undefined && {
      publicationRecord: publicationRecordJson(sig.publicationRecord),
    }),
    ...(sig.calendarAuthRecord !== undefined && {
      calendarAuthRecord: calendarAuthRecordJson(sig.calendarAuthRecord),
    }),
    ...(sig.rfc3161Record !== undefined && { rfc3161Record: rfc3161RecordJson(sig.rfc3161Record) }),
    ...(sig.quorumCertificate !== undefined && {
      quorumCertificate: quorumCertificateJson(sig.quorumCertificate),
    }),
  };
}
