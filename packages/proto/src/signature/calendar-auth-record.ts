import { encodeTlvSequence } from "../tlv/codec.ts";
import { type TlvElement, tlv } from "../tlv/element.ts";
import { Fields } from "../tlv/fields.ts";
import { decodeString, stringTlv } from "../tlv/values.ts";
import { decodePublicationData, encodePublicationData } from "./publication-data.ts";
import { expectType } from "./readers.ts";
import { CalendarAuthRecordTag, SignatureDataTag, SignatureTag } from "./tags.ts";
import type { CalendarAuthRecord, SignatureData } from "./types.ts";

const SIGNATURE_DATA_SPECS = [
  { type: SignatureDataTag.SIGNATURE_TYPE, name: "signature type", min: 1 },
  { type: SignatureDataTag.SIGNATURE_VALUE, name: "signature value", min: 1 },
  { type: SignatureDataTag.CERTIFICATE_ID, name: "certificate id", min: 1 },
  { type: SignatureDataTag.CERTIFICATE_REPOSITORY_URI, name: "certificate repository URI" },
] as const;

function decodeSignatureData(element: TlvElement): SignatureData {
  const fields = new Fields(element, SIGNATURE_DATA_SPECS, "signature data");
  const uri = fields.optional(SignatureDataTag.CERTIFICATE_REPOSITORY_URI);
  return {
    signatureType: decodeString(fields.required(SignatureDataTag.SIGNATURE_TYPE)),
    signatureValue: fields.required(SignatureDataTag.SIGNATURE_VALUE).value,
    certificateId: fields.required(SignatureDataTag.CERTIFICATE_ID).value,
    ...(uri !== undefined && { certificateRepositoryUri: decodeString(uri) }),
    source: element,
  };
}

function encodeSignatureData(data: SignatureData): TlvElement {
  if (data.source !== undefined) return data.source;
  const children = [
    stringTlv(SignatureDataTag.SIGNATURE_TYPE, data.signatureType),
    tlv(SignatureDataTag.SIGNATURE_VALUE, data.signatureValue),
    tlv(SignatureDataTag.CERTIFICATE_ID, data.certificateId),
  ];
  if (data.certificateRepositoryUri !== undefined) {
    children.push(stringTlv(SignatureDataTag.CERTIFICATE_REPOSITORY_URI, data.certificateRepositoryUri));
  }
  return tlv(CalendarAuthRecordTag.SIGNATURE_DATA, encodeTlvSequence(children));
}

const SPECS = [
  { type: CalendarAuthRecordTag.PUBLISHED_DATA, name: "published data", min: 1 },
  { type: CalendarAuthRecordTag.SIGNATURE_DATA, name: "signature data", min: 1 },
] as const;

export function decodeCalendarAuthRecord(element: TlvElement): CalendarAuthRecord {
  expectType(element, SignatureTag.CALENDAR_AUTH_RECORD, "calendar authentication record");
  const fields = new Fields(element, SPECS, "calendar authentication record");
  return {
    publishedData: decodePublicationData(fields.required(CalendarAuthRecordTag.PUBLISHED_DATA)),
    signatureData: decodeSignatureData(fields.required(CalendarAuthRecordTag.SIGNATURE_DATA)),
    source: element,
  };
}

export function encodeCalendarAuthRecord(record: CalendarAuthRecord): TlvElement {
  if (record.source !== undefined) return record.source;
  const value = encodeTlvSequence([
    encodePublicationData(record.publishedData),
    encodeSignatureData(record.signatureData),
  ]);
  return tlv(SignatureTag.CALENDAR_AUTH_RECORD, value);
}
