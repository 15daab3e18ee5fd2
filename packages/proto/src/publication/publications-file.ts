import { FormatError } from "../errors.ts";
import { decodePublicationRecord, encodePublicationRecord } from "../signature/publication-record.ts";
import { readTime } from "../signature/readers.ts";
import { CertificateRecordTag, PublicationsFileTag, PublicationsHeaderTag } from "../signature/tags.ts";
import type { PublicationRecord } from "../signature/types.ts";
import { decodeTlvSequence, encodeTlv, encodeTlvSequence } from "../tlv/codec.ts";
import { encodedLength, type TlvElement, tlv, typeHex } from "../tlv/element.ts";
import { Fields } from "../tlv/fields.ts";
import { decodeSafeUint, decodeString, stringTlv, uintTlv } from "../tlv/values.ts";
import { concatBytes } from "../util/bytes.ts";

/**
 * The KSI publications file (spec §4.1): `KSIPUBLF`, then in this order one header (0x0701), certificate
 * records (0x0702), publication records (0x0703) and, last, the CMS signature (0x0704) over every byte
 * before it. Checking that CMS signature is the verifier's job; this codec hands over the signed bytes.
 */

export const PUBLICATIONS_FILE_MAGIC = Uint8Array.from("KSIPUBLF", (c) => c.charCodeAt(0));
export const PUBLICATIONS_FILE_VERSION = 1;
/** A publication record is about 100 bytes, a certificate a few KiB: room for centuries of them. */
export const MAX_PUBLICATIONS_FILE_BYTES = 16 * 1024 * 1024;
/**
 * Bounds the decoded element list separately: 16 MiB of 2-byte elements would be millions of objects.
 * 100 000 is a century of daily publications plus certificates.
 */
const MAX_ELEMENTS = 100_000;

export interface PublicationsFileHeader {
  readonly version: number;
  readonly creationTime: number;
  readonly repositoryUri?: string;
  readonly source?: TlvElement;
}

/** A certificate that can check calendar authentication records, looked up by `id`. */
export interface CertificateRecord {
  readonly id: Uint8Array;
  /** X.509 certificate, DER. */
  readonly der: Uint8Array;
  readonly source?: TlvElement;
}

export interface PublicationsFileContent {
  readonly header: PublicationsFileHeader;
  readonly certificates: readonly CertificateRecord[];
  readonly publications: readonly PublicationRecord[];
}

export interface PublicationsFile extends PublicationsFileContent {
  /** CMS SignedData (DER) over `signedBytes`. */
  readonly signature: Uint8Array;
  /** From the magic up to the start of the signature element. */
  readonly signedBytes: Uint8Array;
}

export type PublicationsFileSigner = (signedBytes: Uint8Array) => Promise<Uint8Array> | Uint8Array;

/** The earliest publication in the file at or after the signing second: the first one that can cover it. */
export function firstPublicationCovering(
  publications: readonly PublicationRecord[],
  time: number,
): PublicationRecord | undefined {
  let best: PublicationRecord | undefined;
  for (const publication of publications) {
    const at = publication.publishedData.publicationTime;
    if (at >= time && (best === undefined || at < best.publishedData.publicationTime)) best = publication;
  }
  return best;
}

const HEADER_SPECS = [
  { type: PublicationsHeaderTag.VERSION, name: "version", min: 1 },
  { type: PublicationsHeaderTag.CREATION_TIME, name: "creation time", min: 1 },
  { type: PublicationsHeaderTag.REPOSITORY_URI, name: "repository URI" },
] as const;

function decodeHeader(element: TlvElement): PublicationsFileHeader {
  const fields = new Fields(element, HEADER_SPECS, "publications file header");
  const version = decodeSafeUint(fields.required(PublicationsHeaderTag.VERSION));
  if (version !== PUBLICATIONS_FILE_VERSION) {
    throw new FormatError(
      "PUBLICATIONS_FILE_VERSION",
      `publications file version ${version} is not supported`,
      {
        version,
      },
    );
  }
  const uri = fields.optional(PublicationsHeaderTag.REPOSITORY_URI);
  return {
    version,
    creationTime: readTime(fields.required(PublicationsHeaderTag.CREATION_TIME)),
    ...(uri !== undefined && { repositoryUri: decodeString(uri) }),
    source: element,
  };
}

function encodeHeader(header: PublicationsFileHeader): TlvElement {
  if (header.source !== undefined) return header.source;
  const children = [
    uintTlv(PublicationsHeaderTag.VERSION, header.version),
    uintTlv(PublicationsHeaderTag.CREATION_TIME, header.creationTime),
  ];
  if (header.repositoryUri !== undefined) {
    children.push(stringTlv(PublicationsHeaderTag.REPOSITORY_URI, header.repositoryUri));
  }
  return tlv(PublicationsFileTag.HEADER, encodeTlvSequence(children));
}

const CERTIFICATE_SPECS = [
  { type: CertificateRecordTag.CERTIFICATE_ID, name: "certificate id", min: 1 },
  { type: CertificateRecordTag.CERTIFICATE, name: "certificate", min: 1 },
] as const;

function decodeCertificateRecord(element: TlvElement): CertificateRecord {
  const fields = new Fields(element, CERTIFICATE_SPECS, "certificate record");
  return {
    id: fields.required(CertificateRecordTag.CERTIFICATE_ID).value,
    der: fields.required(CertificateRecordTag.CERTIFICATE).value,
    source: element,
  };
}

function encodeCertificateRecord(record: CertificateRecord): TlvElement {
  if (record.source !== undefined) return record.source;
  const value = encodeTlvSequence([
    tlv(CertificateRecordTag.CERTIFICATE_ID, record.id),
    tlv(CertificateRecordTag.CERTIFICATE, record.der),
  ]);
  return tlv(PublicationsFileTag.CERTIFICATE_RECORD, value);
}

function orderError(message: string): FormatError {
  return new FormatError("PUBLICATIONS_FILE_ORDER", `publications file: ${message}`);
}

export function decodePublicationsFile(
  bytes: Uint8Array,
  maxBytes: number = MAX_PUBLICATIONS_FILE_BYTES,
): PublicationsFile {
  if (bytes.length > maxBytes) {
    throw new FormatError(
      "PUBLICATIONS_FILE_TOO_LARGE",
      `publications file of ${bytes.length} bytes exceeds ${maxBytes}`,
    );
  }
  const magic = PUBLICATIONS_FILE_MAGIC.length;
  if (bytes.length < magic || !PUBLICATIONS_FILE_MAGIC.every((byte, i) => bytes[i] === byte)) {
    throw new FormatError("PUBLICATIONS_FILE_MAGIC", "not a publications file (no KSIPUBLF magic)");
  }
  const elements = decodeTlvSequence(bytes.subarray(magic), MAX_ELEMENTS);
  const first = elements[0];
  const last = elements[elements.length - 1];
  if (first?.type !== PublicationsFileTag.HEADER) throw orderError("the header must come first");
  if (elements.length < 2 || last?.type !== PublicationsFileTag.SIGNATURE) {
    throw orderError("the signature must come last");
  }
  const certificates: CertificateRecord[] = [];
  const publications: PublicationRecord[] = [];
  for (const element of elements.slice(1, -1)) {
    if (element.type === PublicationsFileTag.CERTIFICATE_RECORD) {
      if (publications.length > 0) throw orderError("certificate record after a publication record");
      certificates.push(decodeCertificateRecord(element));
    } else if (element.type === PublicationsFileTag.PUBLICATION_RECORD) {
      publications.push(decodePublicationRecord(element));
    } else if (
      element.type === PublicationsFileTag.HEADER ||
      element.type === PublicationsFileTag.SIGNATURE
    ) {
      throw orderError(`second ${typeHex(element.type)} element`);
    } else if (!element.nonCritical) {
      throw new FormatError(
        "TLV_UNKNOWN_CRITICAL",
        `publications file: unknown element ${typeHex(element.type)}`,
        {
          type: element.type,
        },
      );
    }
  }
  return {
    header: decodeHeader(first),
    certificates,
    publications,
    signature: last.value,
    signedBytes: bytes.subarray(0, bytes.length - encodedLength(last)),
  };
}

/**
 * Without `sign`, returns just the bytes a CMS signer signs (the file minus its signature element), for
 * signers that cannot be called inline.
 */
export async function encodePublicationsFile(
  content: PublicationsFileContent,
  sign?: PublicationsFileSigner,
): Promise<Uint8Array> {
  const elements = [
    encodeHeader(content.header),
    ...content.certificates.map(encodeCertificateRecord),
    ...content.publications.map((record) =>
      encodePublicationRecord(record, PublicationsFileTag.PUBLICATION_RECORD),
    ),
  ];
  const signedBytes = concatBytes(PUBLICATIONS_FILE_MAGIC, encodeTlvSequence(elements));
  if (sign === undefined) return signedBytes;
  const signature = await sign(signedBytes);
  return concatBytes(signedBytes, encodeTlv(tlv(PublicationsFileTag.SIGNATURE, signature)));
}
