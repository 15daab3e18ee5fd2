import { encodeTlvSequence } from "../tlv/codec.ts";
import { type TlvElement, tlv } from "../tlv/element.ts";
import { Fields } from "../tlv/fields.ts";
import { uintTlv } from "../tlv/values.ts";
import { expectType, readImprint, readTime } from "./readers.ts";
import { PublicationDataTag } from "./tags.ts";
import type { PublicationData } from "./types.ts";

const SPECS = [
  { type: PublicationDataTag.PUBLICATION_TIME, name: "publication time", min: 1 },
  { type: PublicationDataTag.PUBLISHED_HASH, name: "published hash", min: 1 },
] as const;

/** The 0x10 published-data element of calendar auth records, publication records and quorum certificates. */
export function decodePublicationData(element: TlvElement): PublicationData {
  expectType(element, PublicationDataTag.PUBLISHED_DATA, "published data");
  const fields = new Fields(element, SPECS, "published data");
  return {
    publicationTime: readTime(fields.required(PublicationDataTag.PUBLICATION_TIME)),
    publishedHash: readImprint(fields.required(PublicationDataTag.PUBLISHED_HASH), "published hash"),
    source: element,
  };
}

/**
 * The encoded element (header included) is what the calendar auth record's PKI signature and the quorum
 * certificate's shares sign. Built from scratch it carries the forward flag, as Guardtime's own records
 * do, so a Tempel record is byte-for-byte what a KSI signer would have signed.
 */
export function encodePublicationData(data: PublicationData): TlvElement {
  if (data.source !== undefined) return data.source;
  const value = encodeTlvSequence([
    uintTlv(PublicationDataTag.PUBLICATION_TIME, data.publicationTime),
    tlv(PublicationDataTag.PUBLISHED_HASH, data.publishedHash),
  ]);
  return tlv(PublicationDataTag.PUBLISHED_DATA, value, { forward: true });
}
