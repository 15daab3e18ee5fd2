import { FormatError } from "../errors.ts";
import { encodeTlvSequence } from "../tlv/codec.ts";
import { type TlvElement, tlv, typeHex } from "../tlv/element.ts";
import { Fields } from "../tlv/fields.ts";
import { decodeString, stringTlv } from "../tlv/values.ts";
import { decodePublicationData, encodePublicationData } from "./publication-data.ts";
import { decodeQuorumCertificate, encodeQuorumCertificate } from "./quorum-certificate.ts";
import { PublicationRecordTag, PublicationsFileTag, SignatureTag } from "./tags.ts";
import type { PublicationRecord } from "./types.ts";

/** 0x0803 inside a signature, 0x0703 inside a publications file; the content is the same. */
export type PublicationRecordType =
  | typeof SignatureTag.PUBLICATION_RECORD
  | typeof PublicationsFileTag.PUBLICATION_RECORD;

const SPECS = [
  { type: PublicationRecordTag.PUBLISHED_DATA, name: "published data", min: 1 },
  { type: PublicationRecordTag.REFERENCE, name: "publication reference", max: Number.POSITIVE_INFINITY },
  { type: PublicationRecordTag.REPOSITORY_URI, name: "repository URI", max: Number.POSITIVE_INFINITY },
  { type: SignatureTag.QUORUM_CERTIFICATE, name: "quorum certificate" },
] as const;

export function decodePublicationRecord(element: TlvElement): PublicationRecord {
  if (
    element.type !== SignatureTag.PUBLICATION_RECORD &&
    element.type !== PublicationsFileTag.PUBLICATION_RECORD
  ) {
    throw new FormatError(
      "TLV_UNEXPECTED_TYPE",
      `publication record: unexpected TLV ${typeHex(element.type)}`,
      {
        type: element.type,
      },
    );
  }
  const fields = new Fields(element, SPECS, "publication record");
  const certificate = fields.optional(SignatureTag.QUORUM_CERTIFICATE);
  return {
    publishedData: decodePublicationData(fields.required(PublicationRecordTag.PUBLISHED_DATA)),
    references: fields.all(PublicationRecordTag.REFERENCE).map(decodeString),
    repositoryUris: fields.all(PublicationRecordTag.REPOSITORY_URI).map(decodeString),
    ...(certificate !== undefined && { quorumCertificate: decodeQuorumCertificate(certificate) }),
    source: element,
  };
}

/**
 * A decoded record keeps its bytes even when it moves between a signature and a publications file:
 * only the outer type changes.
 */
export function encodePublicationRecord(record: PublicationRecord, type: PublicationRecordType): TlvElement {
  const source = record.source;
  if (source !== undefined) return source.type === type ? source : { ...source, type };
  const children = [
    encodePublicationData(record.publishedData),
    ...record.references.map((reference) => stringTlv(PublicationRecordTag.REFERENCE, reference)),
    ...record.repositoryUris.map((uri) => stringTlv(PublicationRecordTag.REPOSITORY_URI, uri)),
  ];
  if (record.quorumCertificate !== undefined)
    children.push(encodeQuorumCertificate(record.quorumCertificate));
  return tlv(type, encodeTlvSequence(children));
}
