import { TimestampTokenError } from "./timestamp-token-error.ts";

/**
 * The least DER reading a time-stamp token's verifier needs: one TLV at a time, definite minimal
 * lengths, single-byte tags (every tag in CMS, X.509 and RFC 3161 is one), nothing past the end.
 */
export interface Der {
  readonly tag: number;
  /** The whole TLV, header included: what a hash or a signature covers. */
  readonly bytes: Uint8Array;
  readonly content: Uint8Array;
}

export const DerTag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
  /** [n] constructed, context-specific. */
  context: (n: number) => 0xa0 | n,
} as const;

function malformed(message: string): TimestampTokenError {
  return new TimestampTokenError("DER_MALFORMED", message);
}

/** The TLV starting at `offset` of `bytes`. */
export function readTlv(bytes: Uint8Array, offset: number): Der {
  if (offset + 2 > bytes.length) throw malformed("a DER element is cut short");
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw malformed("a DER element has a multi-byte tag");
  let length = bytes[offset + 1]!;
  let header = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw malformed("a DER length is indefinite or too long");
    if (offset + 2 + count > bytes.length) throw malformed("a DER length is cut short");
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[offset + 2 + i]!;
    if (length < 0x80 || bytes[offset + 2] === 0) throw malformed("a DER length is not minimal");
    header += count;
  }
  const end = offset + header + length;
  if (end > bytes.length) throw malformed("a DER element runs past its container");
  return { tag, bytes: bytes.subarray(offset, end), content: bytes.subarray(offset + header, end) };
}

/** Exactly one TLV filling `bytes`. */
export function readOne(bytes: Uint8Array): Der {
  const tlv = readTlv(bytes, 0);
  if (tlv.bytes.length !== bytes.length) throw malformed("bytes follow the DER element");
  return tlv;
}

/** The elements of a constructed value, in order. */
export function children(node: Der): Der[] {
  if ((node.tag & 0x20) === 0) throw malformed(`DER element 0x${node.tag.toString(16)} is not constructed`);
  const out: Der[] = [];
  for (let offset = 0; offset < node.content.length; ) {
    const child = readTlv(node.content, offset);
    out.push(child);
    offset += child.bytes.length;
  }
  return out;
}

/** `node`, once it is known to carry `tag`. */
export function expectTag(node: Der | undefined, tag: number, what: string): Der {
  if (node === undefined) throw malformed(`${what} is missing`);
  if (node.tag !== tag) {
    throw malformed(`${what} has tag 0x${node.tag.toString(16)}, expected 0x${tag.toString(16)}`);
  }
  return node;
}

/** The dotted form of an OBJECT IDENTIFIER. */
export function oidText(node: Der | undefined, what: string): string {
  const { content } = expectTag(node, DerTag.OID, what);
  const arcs: bigint[] = [];
  let value = 0n;
  for (let i = 0; i < content.length; i++) {
    const byte = content[i]!;
    if (value === 0n && byte === 0x80) throw malformed(`${what} is not minimally encoded`);
    value = (value << 7n) | BigInt(byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(value);
      value = 0n;
    } else if (i === content.length - 1) {
      throw malformed(`${what} is cut short`);
    }
  }
  if (arcs.length === 0) throw malformed(`${what} is empty`);
  const first = arcs[0]!;
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].join(".");
}

/** A small non-negative INTEGER (a version), as a number. */
export function smallInteger(node: Der | undefined, what: string): number {
  const { content } = expectTag(node, DerTag.INTEGER, what);
  if (content.length === 0 || content.length > 4 || content[0]! & 0x80) {
    throw malformed(`${what} is not a small non-negative integer`);
  }
  return content.reduce((value, byte) => value * 256 + byte, 0);
}

/** A GeneralizedTime `YYYYMMDDhhmmss[.f]Z` as Unix seconds, the fraction dropped. */
export function generalizedTime(node: Der | undefined, what: string): number {
  const text = new TextDecoder().decode(expectTag(node, DerTag.GENERALIZED_TIME, what).content);
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d*[1-9])?Z$/.exec(text);
  if (match === null) throw malformed(`${what} ${JSON.stringify(text)} is not a UTC GeneralizedTime`);
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const back = new Date(ms);
  if (
    back.getUTCDate() !== day ||
    back.getUTCHours() !== hour ||
    back.getUTCMinutes() !== minute ||
    second > 59
  ) {
    throw malformed(`${what} ${text} is no real time`);
  }
  return ms / 1000;
}
