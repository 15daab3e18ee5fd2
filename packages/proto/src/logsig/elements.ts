import { TempelError } from "../errors.ts";
import { checkImprint, type Imprint } from "../hash/imprint.ts";
import { childrenOf, decodeTlvAt, encodeTlv, encodeTlvSequence } from "../tlv/codec.ts";
import { type TlvElement, tlv, typeHex } from "../tlv/element.ts";
import { uintTlv } from "../tlv/values.ts";
import { LogsigFormatError } from "./errors.ts";
import { BlockSignatureTag, HeaderTag, LogsigTag, MetaRecordTag } from "./tags.ts";

/**
 * The elements of a LOGSIG12 file, each with `source`, the bytes it was read from (whole TLV), so a
 * file writes back byte for byte; an element made here has none and encodes canonically (the form
 * `logksi create` and rsyslog write).
 */
export interface BlockHeader {
  readonly kind: "header";
  /** KSI hash algorithm id of every record hash, mask, leaf and node of the block. */
  readonly algorithm: number;
  /** Fresh random bytes per block, mixed into every mask. */
  readonly seed: Uint8Array;
  /** The last leaf of the previous block (the zero hash for the first block of a chain). */
  readonly inputHash: Imprint;
  readonly source?: Uint8Array;
}

export interface RecordHash {
  readonly kind: "record-hash";
  readonly imprint: Imprint;
  readonly source?: Uint8Array;
}

export interface TreeHash {
  readonly kind: "tree-hash";
  readonly imprint: Imprint;
  readonly source?: Uint8Array;
}

export interface MetaRecord {
  readonly kind: "meta-record";
  /** The number of records before it in its block. */
  readonly index: number;
  readonly key: string;
  /** Read as octets; the writers store a NUL-terminated string. */
  readonly value: Uint8Array;
  readonly source?: Uint8Array;
}

export interface BlockSignature {
  readonly kind: "block-signature";
  /** Records of the block, meta-records included. */
  readonly recordCount: number;
  /** The whole serialized KSI signature (TLV 0x0800), when the block is signed. */
  readonly ksiSignature?: Uint8Array;
  /** A block left unsigned: its root as the signer computed it, and why (rsyslog's error text). */
  readonly unsigned?: { readonly root: Imprint; readonly reason?: string };
  /** An RFC 3161 token of a legacy (LOGSIG11) file, kept as bytes. */
  readonly rfc3161Token?: Uint8Array;
  readonly source?: Uint8Array;
}

/** A top-level element this reader does not know; logksi skips such elements, and so does Tempel. */
export interface UnknownElement {
  readonly kind: "unknown";
  readonly type: number;
  readonly source: Uint8Array;
}

export type LogsigElement =
  | BlockHeader
  | RecordHash
  | TreeHash
  | MetaRecord
  | BlockSignature
  | UnknownElement;

function fail(code: string, message: string, offset: number): never {
  throw new LogsigFormatError(code, `${message} (at byte ${offset})`, { offset });
}

function child(children: readonly TlvElement[], type: number): TlvElement | undefined {
  return children.find((c) => c.type === type);
}

function required(children: readonly TlvElement[], type: number, what: string, offset: number): TlvElement {
  const found = child(children, type);
  if (found === undefined) fail("LOGSIG_MISSING_ELEMENT", `${what} is missing`, offset);
  return found;
}

function imprintOf(element: TlvElement, what: string, offset: number): Imprint {
  try {
    return checkImprint(element.value, what);
  } catch (error) {
    if (error instanceof TempelError) fail("LOGSIG_BAD_IMPRINT", error.message, offset);
    throw error;
  }
}

/** Lenient like logksi: integers of up to 6 bytes, minimal or not (rsyslog writes the algorithm as one octet). */
function uint(element: TlvElement, what: string, offset: number): number {
  const v = element.value;
  if (v.length > 6) fail("LOGSIG_BAD_INTEGER", `${what} has ${v.length} bytes`, offset);
  let n = 0;
  for (const byte of v) n = n * 256 + byte;
  return n;
}

/** NUL-terminated UTF-8 (the terminator optional on reading), as the writers store texts. */
function text(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}

function parseHeader(children: readonly TlvElement[], source: Uint8Array, offset: number): BlockHeader {
  const algorithm = uint(
    required(children, HeaderTag.ALGORITHM, "block header: hash algorithm", offset),
    "hash algorithm",
    offset,
  );
  const seed = required(children, HeaderTag.SEED, "block header: random seed", offset).value.slice();
  const inputHash = imprintOf(
    required(children, HeaderTag.INPUT_HASH, "block header: input hash", offset),
    "block header: input hash",
    offset,
  );
  return { kind: "header", algorithm, seed, inputHash, source };
}

function parseMetaRecord(children: readonly TlvElement[], source: Uint8Array, offset: number): MetaRecord {
  const index = uint(
    required(children, MetaRecordTag.INDEX, "meta-record: index", offset),
    "meta-record index",
    offset,
  );
  const pair = childrenOf(required(children, MetaRecordTag.PAIR, "meta-record: key-value pair", offset));
  const key = text(required(pair, MetaRecordTag.KEY, "meta-record: key", offset).value);
  const value = required(pair, MetaRecordTag.VALUE, "meta-record: value", offset).value.slice();
  return { kind: "meta-record", index, key, value, source };
}

function parseBlockSignature(
  children: readonly TlvElement[],
  source: Uint8Array,
  offset: number,
): BlockSignature {
  const recordCount = uint(
    required(children, BlockSignatureTag.RECORD_COUNT, "block signature: record count", offset),
    "record count",
    offset,
  );
  const ksi = child(children, LogsigTag.KSI_SIGNATURE);
  if (ksi !== undefined)
    return { kind: "block-signature", recordCount, ksiSignature: ksi.value.slice(), source };
  const token = child(children, LogsigTag.RFC3161_TOKEN);
  if (token !== undefined) {
    return { kind: "block-signature", recordCount, rfc3161Token: token.value.slice(), source };
  }
  const unsigned = child(children, BlockSignatureTag.UNSIGNED);
  if (unsigned === undefined) {
    fail(
      "LOGSIG_NO_SIGNATURE",
      "block signature: neither a KSI signature nor an unsigned-block marker",
      offset,
    );
  }
  const parts = childrenOf(unsigned);
  const root = imprintOf(
    required(parts, BlockSignatureTag.ROOT, "unsigned block: root hash", offset),
    "unsigned block: root hash",
    offset,
  );
  const reason = child(parts, BlockSignatureTag.REASON);
  return {
    kind: "block-signature",
    recordCount,
    unsigned: { root, ...(reason !== undefined && { reason: text(reason.value) }) },
    source,
  };
}

/** Decode the top-level element at `offset` of `bytes`; returns it and the offset past it. */
export function decodeLogsigElement(
  bytes: Uint8Array,
  offset: number,
): { element: LogsigElement; next: number } {
  let decoded: { element: TlvElement; next: number };
  try {
    decoded = decodeTlvAt(bytes, offset);
  } catch (error) {
    if (error instanceof TempelError)
      fail("LOGSIG_TRUNCATED", `incomplete element: ${error.message}`, offset);
    throw error;
  }
  const { element: tlvElement, next } = decoded;
  // Views of the bytes read, not copies: a file holds a record hash per line.
  const source = bytes.subarray(offset, next);
  const nested = (): TlvElement[] => {
    try {
      return childrenOf(tlvElement);
    } catch (error) {
      if (error instanceof TempelError) {
        fail("LOGSIG_BAD_ELEMENT", `element ${typeHex(tlvElement.type)}: ${error.message}`, offset);
      }
      throw error;
    }
  };
  let element: LogsigElement;
  switch (tlvElement.type) {
    case LogsigTag.BLOCK_HEADER:
      element = parseHeader(nested(), source, offset);
      break;
    case LogsigTag.RECORD_HASH:
      element = { kind: "record-hash", imprint: imprintOf(tlvElement, "record hash", offset), source };
      break;
    case LogsigTag.TREE_HASH:
      element = { kind: "tree-hash", imprint: imprintOf(tlvElement, "tree hash", offset), source };
      break;
    case LogsigTag.META_RECORD:
      element = parseMetaRecord(nested(), source, offset);
      break;
    case LogsigTag.BLOCK_SIGNATURE:
      element = parseBlockSignature(nested(), source, offset);
      break;
    default:
      element = { kind: "unknown", type: tlvElement.type, source };
  }
  return { element, next };
}

function top(type: number, children: readonly TlvElement[]): Uint8Array {
  return encodeTlv(tlv(type, encodeTlvSequence(children), { tlv16: true }));
}

function nulText(value: string): Uint8Array {
  const body = new TextEncoder().encode(value);
  const out = new Uint8Array(body.length + 1);
  out.set(body);
  return out;
}

/** The element's bytes: its source when it was read, else its canonical encoding. */
export function encodeLogsigElement(element: LogsigElement): Uint8Array {
  if (element.source !== undefined) return element.source;
  switch (element.kind) {
    case "header":
      return top(LogsigTag.BLOCK_HEADER, [
        uintTlv(HeaderTag.ALGORITHM, element.algorithm),
        tlv(HeaderTag.SEED, element.seed),
        tlv(HeaderTag.INPUT_HASH, element.inputHash),
      ]);
    case "record-hash":
      return encodeTlv(tlv(LogsigTag.RECORD_HASH, element.imprint));
    case "tree-hash":
      return encodeTlv(tlv(LogsigTag.TREE_HASH, element.imprint));
    case "meta-record":
      return encodeMetaRecord(element);
    case "block-signature": {
      const count = uintTlv(BlockSignatureTag.RECORD_COUNT, element.recordCount);
      if (element.ksiSignature !== undefined) {
        return top(LogsigTag.BLOCK_SIGNATURE, [count, tlv(LogsigTag.KSI_SIGNATURE, element.ksiSignature)]);
      }
      if (element.rfc3161Token !== undefined) {
        return top(LogsigTag.BLOCK_SIGNATURE, [count, tlv(LogsigTag.RFC3161_TOKEN, element.rfc3161Token)]);
      }
      const unsigned = element.unsigned!;
      const parts = [tlv(BlockSignatureTag.ROOT, unsigned.root)];
      if (unsigned.reason !== undefined) parts.push(tlv(BlockSignatureTag.REASON, nulText(unsigned.reason)));
      return top(LogsigTag.BLOCK_SIGNATURE, [
        count,
        tlv(BlockSignatureTag.UNSIGNED, encodeTlvSequence(parts)),
      ]);
    }
    case "unknown":
      return element.source;
  }
}

/** A meta-record's TLV: what its record hash is taken over. */
export function encodeMetaRecord(record: Omit<MetaRecord, "kind">): Uint8Array {
  if (record.source !== undefined) return record.source;
  const pair = encodeTlvSequence([
    tlv(MetaRecordTag.KEY, nulText(record.key)),
    tlv(MetaRecordTag.VALUE, record.value),
  ]);
  return top(LogsigTag.META_RECORD, [
    uintTlv(MetaRecordTag.INDEX, record.index),
    tlv(MetaRecordTag.PAIR, pair),
  ]);
}

/** A meta-record value as the KSI writers store texts: UTF-8 with a terminating NUL. */
export function metaRecordText(value: string): Uint8Array {
  return nulText(value);
}
