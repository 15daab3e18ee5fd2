import { FormatError } from "../errors.ts";
import { decodeTlv } from "../tlv/codec.ts";
import { composite, encodePart, partLength, type TlvPart, writePart } from "../tlv/composite.ts";
import { MAX_TLV16_LENGTH, type TlvElement } from "../tlv/element.ts";
import { Fields } from "../tlv/fields.ts";
import { aggregationChainPart, decodeAggregationChain } from "./aggregation-chain.ts";
import { decodeCalendarAuthRecord, encodeCalendarAuthRecord } from "./calendar-auth-record.ts";
import { decodeCalendarChain, encodeCalendarChain } from "./calendar-chain.ts";
import { LinkMemo } from "./link-writer.ts";
import { decodePublicationRecord, encodePublicationRecord } from "./publication-record.ts";
import { decodeQuorumCertificate, encodeQuorumCertificate } from "./quorum-certificate.ts";
import { expectType } from "./readers.ts";
import { decodeRfc3161Record, encodeRfc3161Record } from "./rfc3161-record.ts";
import { SignatureTag } from "./tags.ts";
import type { KsiSignature } from "./types.ts";

/** A signature is one TLV16 element, so nothing longer can be one. */
export const MAX_SIGNATURE_BYTES = 4 + MAX_TLV16_LENGTH;

export type SignatureParts = Omit<KsiSignature, "source">;

/**
 * Checks the signature-level rules (spec §1.3) and orders the aggregation chains from the document up
 * (longest chain index first; equal lengths keep their order). Shared by the decoder and by everything
 * that puts a signature together from parts (aggregation responses, the aggregator, extension).
 */
export function assembleSignature(parts: SignatureParts, source?: TlvElement): KsiSignature {
  if (parts.aggregationChains.length === 0) {
    throw new FormatError("SIGNATURE_NO_AGGREGATION_CHAIN", "signature: has no aggregation hash chain");
  }
  if (
    parts.calendarChain === undefined &&
    (parts.calendarAuthRecord ?? parts.publicationRecord) !== undefined
  ) {
    throw new FormatError(
      "SIGNATURE_RECORD_WITHOUT_CALENDAR_CHAIN",
      "signature: a calendar authentication record or publication record needs a calendar hash chain",
    );
  }
  if (parts.calendarAuthRecord !== undefined && parts.publicationRecord !== undefined) {
    throw new FormatError(
      "SIGNATURE_AUTH_AND_PUBLICATION_RECORD",
      "signature: has both a calendar authentication record and a publication record",
    );
  }
  const aggregationChains = [...parts.aggregationChains].sort(
    (a, b) => b.chainIndex.length - a.chainIndex.length,
  );
  return { ...parts, aggregationChains, ...(source !== undefined && { source }) };
}

/**
 * Specs of the signature components, as a signature and an aggregation response payload carry them.
 * "At least one aggregation chain" is assembleSignature's rule, not a field count, because a failed
 * aggregation response has none.
 */
export const SIGNATURE_COMPONENT_SPECS = [
  { type: SignatureTag.AGGREGATION_CHAIN, name: "aggregation hash chain", max: Number.POSITIVE_INFINITY },
  { type: SignatureTag.CALENDAR_CHAIN, name: "calendar hash chain" },
  { type: SignatureTag.PUBLICATION_RECORD, name: "publication record" },
  { type: SignatureTag.CALENDAR_AUTH_RECORD, name: "calendar authentication record" },
  { type: SignatureTag.RFC3161_RECORD, name: "RFC 3161 record" },
  { type: SignatureTag.QUORUM_CERTIFICATE, name: "quorum certificate" },
] as const;

/** Decodes the components present in `fields` (checked against SIGNATURE_COMPONENT_SPECS). */
export function readSignatureComponents(fields: Fields): SignatureParts {
  const calendarChain = fields.optional(SignatureTag.CALENDAR_CHAIN);
  const publicationRecord = fields.optional(SignatureTag.PUBLICATION_RECORD);
  const calendarAuthRecord = fields.optional(SignatureTag.CALENDAR_AUTH_RECORD);
  const rfc3161Record = fields.optional(SignatureTag.RFC3161_RECORD);
  const quorumCertificate = fields.optional(SignatureTag.QUORUM_CERTIFICATE);
  return {
    aggregationChains: fields.all(SignatureTag.AGGREGATION_CHAIN).map(decodeAggregationChain),
    ...(calendarChain !== undefined && { calendarChain: decodeCalendarChain(calendarChain) }),
    ...(publicationRecord !== undefined && { publicationRecord: decodePublicationRecord(publicationRecord) }),
    ...(calendarAuthRecord !== undefined && {
      calendarAuthRecord: decodeCalendarAuthRecord(calendarAuthRecord),
    }),
    ...(rfc3161Record !== undefined && { rfc3161Record: decodeRfc3161Record(rfc3161Record) }),
    ...(quorumCertificate !== undefined && { quorumCertificate: decodeQuorumCertificate(quorumCertificate) }),
  };
}

/** Decodes a serialized KSI signature (TLV 0x0800); element order on the wire is free. */
export function decodeSignature(bytes: Uint8Array): KsiSignature {
  if (bytes.length > MAX_SIGNATURE_BYTES) {
    throw new FormatError(
      "SIGNATURE_TOO_LARGE",
      `signature of ${bytes.length} bytes exceeds ${MAX_SIGNATURE_BYTES}`,
    );
  }
  const element = decodeTlv(bytes);
  expectType(element, SignatureTag.SIGNATURE, "signature");
  return assembleSignature(
    readSignatureComponents(new Fields(element, SIGNATURE_COMPONENT_SPECS, "signature")),
    element,
  );
}

/**
 * The signature's components in canonical order (the order Guardtime's service writes them). Signatures
 * written into one buffer share `memos`, one per chain position, so that their chains share the bytes
 * of common links.
 */
export function signatureComponents(sig: SignatureParts, memos: LinkMemo[] = []): TlvPart[] {
  const out: TlvPart[] = [];
  if (sig.rfc3161Record !== undefined) out.push(encodeRfc3161Record(sig.rfc3161Record));
  sig.aggregationChains.forEach((chain, i) => {
    const memo = memos[i] ?? new LinkMemo();
    memos[i] = memo;
    out.push(aggregationChainPart(chain, memo));
  });
  if (sig.calendarChain !== undefined) out.push(encodeCalendarChain(sig.calendarChain));
  if (sig.publicationRecord !== undefined) {
    out.push(encodePublicationRecord(sig.publicationRecord, SignatureTag.PUBLICATION_RECORD));
  }
  if (sig.calendarAuthRecord !== undefined) out.push(encodeCalendarAuthRecord(sig.calendarAuthRecord));
  if (sig.quorumCertificate !== undefined) out.push(encodeQuorumCertificate(sig.quorumCertificate));
  return out;
}

function signaturePart(sig: KsiSignature, memos?: LinkMemo[]): TlvPart {
  return sig.source ?? composite(SignatureTag.SIGNATURE, signatureComponents(sig, memos));
}

/** Byte-identical to the decoded input when `sig.source` is set; canonical otherwise. */
export function encodeSignature(sig: KsiSignature): Uint8Array {
  return encodePart(signaturePart(sig));
}

/**
 * Each signature as encodeSignature gives it, all written into one buffer that the results are
 * views of: a batch costs one allocation instead of one per signature. `allocate` provides that
 * buffer (at least `length` bytes; default a new one): a caller that only reads the bytes before its
 * next call can hand out the same scratch buffer each time.
 */
export function encodeSignatures(
  signatures: readonly KsiSignature[],
  allocate: (length: number) => Uint8Array = (length) => new Uint8Array(length),
): Uint8Array[] {
  const memos: LinkMemo[] = [];
  const parts = signatures.map((sig) => signaturePart(sig, memos));
  let total = 0;
  for (const part of parts) total += partLength(part);
  const out = allocate(total);
  let offset = 0;
  return parts.map((part) => {
    const start = offset;
    offset = writePart(part, out, offset);
    return out.subarray(start, offset);
  });
}
