import { locationPointerValue } from "../aggregation/chain.ts";
import { type ChainSegment, firstLinks } from "../aggregation/compose.ts";
import { FormatError } from "../errors.ts";
import { decodeTlv, writeTlvHeader } from "../tlv/codec.ts";
import { composite, encodePart, partLength, type TlvPart, writePart } from "../tlv/composite.ts";
import { headerLength, MAX_TLV16_LENGTH, type TlvElement } from "../tlv/element.ts";
import { Fields } from "../tlv/fields.ts";
import { aggregationChainPart, decodeAggregationChain } from "./aggregation-chain.ts";
import { decodeCalendarAuthRecord, encodeCalendarAuthRecord } from "./calendar-auth-record.ts";
import { decodeCalendarChain, encodeCalendarChain } from "./calendar-chain.ts";
import {
  bytesElementLength,
  header,
  LinkMemo,
  TLV16_HEADER_LENGTH,
  uintElementLength,
  writeBytesElement,
  writeUintElement,
} from "./link-writer.ts";
import { decodePublicationRecord, encodePublicationRecord } from "./publication-record.ts";
import { decodeQuorumCertificate, encodeQuorumCertificate } from "./quorum-certificate.ts";
import { expectType } from "./readers.ts";
import { decodeRfc3161Record, encodeRfc3161Record } from "./rfc3161-record.ts";
import { AggregationChainTag, SignatureTag } from "./tags.ts";
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

/**
 * Signatures that differ only in their first aggregation chain and end with the same bytes (the chains
 * above it, the calendar chain, the records): one round's signatures, each written straight from its
 * leaf's segment. Without a signature, chain, index array or element object per leaf, this gives what
 * encodeSignature gives for the signature whose first chain is `composeChains([segment],
 * aggregationTime, chainIndexPrefix)[0]` and whose other components are `following`'s (their bytes,
 * `tail`, are encoded once). Consecutive segments share the bytes of their common links (LinkMemo).
 */
export class SegmentSignatureWriter {
  readonly #time: number;
  readonly #prefix: readonly bigint[];
  /** The bytes every signature ends with. */
  readonly tail: Uint8Array;
  /** The chain fields every signature has alike: its time and the chain index above its own. */
  readonly #commonFieldsLength: number;

  /**
   * `following`: the components after the first chain (its `aggregationChains` the chains above it),
   * with no RFC 3161 record, which would come before the first chain.
   */
  constructor(
    aggregationTime: number,
    chainIndexPrefix: readonly bigint[],
    following: Omit<SignatureParts, "rfc3161Record">,
  ) {
    this.#time = aggregationTime;
    this.#prefix = chainIndexPrefix;
    this.tail = encodeParts(signatureComponents(following));
    let length = uintElementLength(AggregationChainTag.AGGREGATION_TIME, aggregationTime);
    for (const index of chainIndexPrefix) length += uintElementLength(AggregationChainTag.CHAIN_INDEX, index);
    this.#commonFieldsLength = length;
  }

  /**
   * The signature of each of `segments` (in leaf order, each with links), written like
   * encodeSignatures writes signatures: into one buffer from `allocate`, which the results are views of.
   */
  encode(
    segments: readonly ChainSegment[],
    allocate: (length: number) => Uint8Array = (length) => new Uint8Array(length),
  ): Uint8Array[] {
    // One per call: a memo copies links from where the chain before was written in the same buffer,
    // which a caller's scratch buffer may have had overwritten since.
    const memo = new LinkMemo();
    let total = 0;
    for (const segment of segments) total += this.#measure(segment, memo);
    const out = allocate(total);
    let offset = 0;
    const encoded: Uint8Array[] = new Array(segments.length);
    for (let i = 0; i < segments.length; i++) {
      const start = offset;
      offset = this.#write(segments[i]!, memo, out, offset);
      encoded[i] = out.subarray(start, offset);
    }
    return encoded;
  }

  #measure(segment: ChainSegment, memo: LinkMemo): number {
    const chain = this.#chainValueLength(segment, memo.measure(firstLinks(segment)));
    const value = TLV16_HEADER_LENGTH + chain + this.tail.length;
    // headerForm refuses a value too long for TLV16.
    return headerLength(header(SignatureTag.SIGNATURE, value)) + value;
  }

  #write(segment: ChainSegment, memo: LinkMemo, out: Uint8Array, offset: number): number {
    const links = firstLinks(segment);
    // Both headers are TLV16 whatever their length (types above 0xff): written once the body is.
    let at = offset + 2 * TLV16_HEADER_LENGTH;
    at = writeUintElement(AggregationChainTag.AGGREGATION_TIME, this.#time, out, at);
    for (const index of this.#prefix) at = writeUintElement(AggregationChainTag.CHAIN_INDEX, index, out, at);
    at = writeUintElement(AggregationChainTag.CHAIN_INDEX, locationPointerValue(links), out, at);
    at = writeBytesElement(AggregationChainTag.INPUT_HASH, segment.inputHash, out, at);
    at = writeUintElement(AggregationChainTag.AGGREGATION_ALGORITHM, segment.algorithm, out, at);
    at = memo.write(links, out, at);
    const chain = at - offset - 2 * TLV16_HEADER_LENGTH;
    out.set(this.tail, at);
    at += this.tail.length;
    const value = at - offset - TLV16_HEADER_LENGTH;
    writeTlvHeader(header(SignatureTag.SIGNATURE, value), value, out, offset);
    writeTlvHeader(header(SignatureTag.AGGREGATION_CHAIN, chain), chain, out, offset + TLV16_HEADER_LENGTH);
    return at;
  }

  #chainValueLength(segment: ChainSegment, linksLength: number): number {
    return (
      this.#commonFieldsLength +
      uintElementLength(AggregationChainTag.CHAIN_INDEX, locationPointerValue(segment.links)) +
      bytesElementLength(AggregationChainTag.INPUT_HASH, segment.inputHash) +
      uintElementLength(AggregationChainTag.AGGREGATION_ALGORITHM, segment.algorithm) +
      linksLength
    );
  }
}

function encodeParts(parts: readonly TlvPart[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += partLength(part);
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) at = writePart(part, out, at);
  return out;
}
