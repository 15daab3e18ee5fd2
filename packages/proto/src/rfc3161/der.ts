import { FormatError } from "../errors.ts";

/**
 * A small DER writer and strict reader: just what RFC 3161 requests, tokens and their X.509 need.
 * The reader takes DER only (definite, minimal lengths; low tag numbers), so what it accepts has one
 * encoding and a request cannot be read two ways; the writer emits DER, SET OF sorted (X.690 §11.6).
 */

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Context-specific tag number n, constructed (EXPLICIT, or IMPLICIT over a constructed type). */
export const contextTag = (n: number): number => 0xa0 | n;
/** Context-specific tag number n, primitive (IMPLICIT over a primitive type). */
export const contextPrimitive = (n: number): number => 0x80 | n;

// ---- writing ----

/** Octets of a definite length's encoding: 1 below 128, else 1 + the bytes of the length. */
function lengthSize(length: number): number {
  if (length < 0x80) return 1;
  let size = 1;
  for (let l = length; l > 0; l = Math.floor(l / 256)) size++;
  return size;
}

/** One TLV: `tag`, the definite length, then the parts concatenated. Written in place: tokens nest a dozen deep. */
export function der(tag: number, ...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const header = lengthSize(length);
  const out = new Uint8Array(1 + header + length);
  out[0] = tag;
  if (header === 1) out[1] = length;
  else {
    out[1] = 0x80 | (header - 1);
    for (let i = header, l = length; i >= 2; i--, l = Math.floor(l / 256)) out[i] = l & 0xff;
  }
  let at = 1 + header;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export const derSequence = (...parts: readonly Uint8Array[]): Uint8Array => der(TAG.SEQUENCE, ...parts);

/** SET OF: the elements in ascending order of their encodings, as DER requires. */
export function derSetOf(elements: readonly Uint8Array[], tag: number = TAG.SET): Uint8Array {
  return der(tag, ...[...elements].sort(compareBytes));
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Minimal two's complement, as DER INTEGER contents. */
export function integerContents(value: bigint): Uint8Array {
  // The magnitude's bits and a sign bit; ~value is the magnitude to count for a negative value.
  const magnitude = value < 0n ? ~value : value;
  const hex = magnitude.toString(16);
  const bits = magnitude === 0n ? 0 : 4 * (hex.length - 1) + 32 - Math.clz32(Number.parseInt(hex[0]!, 16));
  const out = new Uint8Array(Math.floor(bits / 8) + 1);
  let v = value;
  for (let i = out.length - 1; i >= 0; i--, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

export const derInteger = (value: bigint | number): Uint8Array =>
  der(TAG.INTEGER, integerContents(BigInt(value)));

/** A positive INTEGER from unsigned big-endian bytes (a leading 00 when the top bit is set). */
export function derUnsignedInteger(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return (trimmed[0] ?? 0) & 0x80 ? der(TAG.INTEGER, Uint8Array.of(0), trimmed) : der(TAG.INTEGER, trimmed);
}

export const derOctetString = (bytes: Uint8Array): Uint8Array => der(TAG.OCTET_STRING, bytes);
export const DER_NULL: Uint8Array = Uint8Array.of(TAG.NULL, 0);
export const derBoolean = (value: boolean): Uint8Array => Uint8Array.of(TAG.BOOLEAN, 1, value ? 0xff : 0);
const TEXT = new TextEncoder();
export const derUtf8 = (text: string): Uint8Array => der(TAG.UTF8_STRING, TEXT.encode(text));
export const derPrintable = (text: string): Uint8Array => der(TAG.PRINTABLE_STRING, TEXT.encode(text));

/** BIT STRING of whole octets (keys, signatures). */
export const derBitString = (bytes: Uint8Array): Uint8Array => der(TAG.BIT_STRING, Uint8Array.of(0), bytes);

/** BIT STRING of named bits (bit 0 = the first octet's top bit), trailing zero bits dropped (X.690 §11.2.2). */
export function derNamedBits(bits: readonly number[]): Uint8Array {
  if (bits.length === 0) return Uint8Array.of(TAG.BIT_STRING, 1, 0);
  const highest = Math.max(...bits);
  const octets = new Uint8Array(Math.floor(highest / 8) + 1);
  for (const bit of bits) octets[bit >> 3]! |= 0x80 >> (bit & 7);
  return der(TAG.BIT_STRING, Uint8Array.of(7 - (highest & 7)), octets);
}

const oidCache = new Map<string, Uint8Array>();

export function derOid(dotted: string): Uint8Array {
  const cached = oidCache.get(dotted);
  if (cached !== undefined) return cached;
  const arcs = dotted.split(".").map((arc) => BigInt(arc));
  if (arcs.length < 2) throw new FormatError("DER_OID", `${dotted} is not an object identifier`);
  const out: number[] = [];
  const base128 = (value: bigint) => {
    const group: number[] = [Number(value & 0x7fn)];
    for (let v = value >> 7n; v > 0n; v >>= 7n) group.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...group);
  };
  base128(arcs[0]! * 40n + arcs[1]!);
  for (const arc of arcs.slice(2)) base128(arc);
  const encoded = der(TAG.OID, Uint8Array.from(out));
  oidCache.set(dotted, encoded);
  return encoded;
}

/** AlgorithmIdentifier with absent parameters, or NULL ones when `nullParameters`. */
export const derAlgorithm = (oid: string, nullParameters = false): Uint8Array =>
  nullParameters ? derSequence(derOid(oid), DER_NULL) : derSequence(derOid(oid));

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** GeneralizedTime `YYYYMMDDhhmmssZ` of whole Unix seconds (RFC 3161 §2.4.2, RFC 5280 §4.1.2.5.2). */
export function derGeneralizedTime(unixSeconds: number): Uint8Array {
  const d = new Date(unixSeconds * 1000);
  const text =
    pad(d.getUTCFullYear(), 4) +
    pad(d.getUTCMonth() + 1) +
    pad(d.getUTCDate()) +
    pad(d.getUTCHours()) +
    pad(d.getUTCMinutes()) +
    pad(d.getUTCSeconds()) +
    "Z";
  return der(TAG.GENERALIZED_TIME, TEXT.encode(text));
}

/** X.509 Time: UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5). */
export function derX509Time(unixSeconds: number): Uint8Array {
  const year = new Date(unixSeconds * 1000).getUTCFullYear();
  if (year >= 2050) return derGeneralizedTime(unixSeconds);
  const general = derGeneralizedTime(unixSeconds);
  return der(TAG.UTC_TIME, general.subarray(4));
}

// ---- reading ----

/** One element read: its tag, its contents and its whole encoding (both views of the input). */
export interface DerElement {
  readonly tag: number;
  readonly value: Uint8Array;
  readonly der: Uint8Array;
}

function derError(message: string): FormatError {
  return new FormatError("DER_MALFORMED", message);
}

/** The element at `offset` of `bytes`, strictly DER-framed. */
export function readElement(bytes: Uint8Array, offset = 0): DerElement {
  if (offset + 2 > bytes.length) throw derError("truncated element");
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw derError(`high tag numbers are not used here (tag 0x${tag.toString(16)})`);
  let length = bytes[offset + 1]!;
  let header = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0) throw derError("indefinite length is not DER");
    if (count > 4) throw derError("length too large");
    if (offset + 2 + count > bytes.length) throw derError("truncated length");
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[offset + 2 + i]!;
    if (length < 0x80 || bytes[offset + 2] === 0) throw derError("length not minimally encoded");
    header += count;
  }
  const end = offset + header + length;
  if (end > bytes.length) throw derError("element longer than its input");
  return { tag, value: bytes.subarray(offset + header, end), der: bytes.subarray(offset, end) };
}

/** The whole of `bytes` as exactly one element. */
export function readSingle(bytes: Uint8Array): DerElement {
  const element = readElement(bytes);
  if (element.der.length !== bytes.length) throw derError("trailing bytes after the element");
  return element;
}

/** The elements a constructed element holds. */
export function readChildren(element: DerElement): DerElement[] {
  if ((element.tag & 0x20) === 0) throw derError(`tag 0x${element.tag.toString(16)} is not constructed`);
  const out: DerElement[] = [];
  for (let at = 0; at < element.value.length; ) {
    const child = readElement(element.value, at);
    out.push(child);
    at += child.der.length;
  }
  return out;
}

/** Reads a constructed element's children in order, each optional field by its tag. */
export class DerFields {
  readonly #children: DerElement[];
  #next = 0;

  constructor(element: DerElement, expectedTag: number = TAG.SEQUENCE) {
    expectTag(element, expectedTag);
    this.#children = readChildren(element);
  }

  /** The next child, which must carry `tag`. */
  take(tag: number, what: string): DerElement {
    const child = this.#children[this.#next];
    if (child === undefined) throw derError(`${what} is missing`);
    expectTag(child, tag, what);
    this.#next++;
    return child;
  }

  /** The next child when it carries `tag`. */
  optional(tag: number): DerElement | undefined {
    const child = this.#children[this.#next];
    if (child?.tag !== tag) return undefined;
    this.#next++;
    return child;
  }

  /** The next child whatever its tag, if there is one. */
  optionalAny(): DerElement | undefined {
    const child = this.#children[this.#next];
    if (child !== undefined) this.#next++;
    return child;
  }

  /** The next child whatever its tag. */
  any(what: string): DerElement {
    const child = this.#children[this.#next++];
    if (child === undefined) throw derError(`${what} is missing`);
    return child;
  }

  /** No child is left unread. */
  end(what: string): void {
    if (this.#next !== this.#children.length) throw derError(`unexpected element after ${what}`);
  }
}

export function expectTag(element: DerElement, tag: number, what = "element"): void {
  if (element.tag !== tag) {
    throw derError(`${what}: expected tag 0x${tag.toString(16)}, got 0x${element.tag.toString(16)}`);
  }
}

export function readInteger(element: DerElement): bigint {
  expectTag(element, TAG.INTEGER, "INTEGER");
  const v = element.value;
  if (v.length === 0) throw derError("empty INTEGER");
  if (v.length > 1 && ((v[0] === 0 && (v[1]! & 0x80) === 0) || (v[0] === 0xff && (v[1]! & 0x80) !== 0))) {
    throw derError("INTEGER not minimally encoded");
  }
  // Up to 6 octets fit a double exactly: one BigInt instead of one per octet (a request's nonce).
  if (v.length <= 6) {
    let small = 0;
    for (const byte of v) small = small * 256 + byte;
    if (v[0]! & 0x80) small -= 256 ** v.length;
    return BigInt(small);
  }
  let value = 0n;
  for (const byte of v) value = (value << 8n) | BigInt(byte);
  if (v[0]! & 0x80) value -= 1n << BigInt(8 * v.length);
  return value;
}

export function readBoolean(element: DerElement): boolean {
  expectTag(element, TAG.BOOLEAN, "BOOLEAN");
  const v = element.value;
  if (v.length !== 1 || (v[0] !== 0 && v[0] !== 0xff)) throw derError("BOOLEAN is not DER (00 or FF)");
  return v[0] === 0xff;
}

export function readOid(element: DerElement): string {
  expectTag(element, TAG.OID, "OBJECT IDENTIFIER");
  const v = element.value;
  if (v.length === 0 || (v[v.length - 1]! & 0x80) !== 0) throw derError("malformed OBJECT IDENTIFIER");
  const arcs: bigint[] = [];
  // Arcs below 2^46 are read as doubles (exact), larger ones as BigInt: a TSA reads one OID per request.
  let small = 0;
  let value: bigint | undefined;
  let started = false;
  for (const byte of v) {
    if (!started && byte === 0x80) throw derError("OBJECT IDENTIFIER arc not minimally encoded");
    started = true;
    if (value === undefined && small < 2 ** 46) small = small * 128 + (byte & 0x7f);
    else value = ((value ?? BigInt(small)) << 7n) | BigInt(byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(value ?? BigInt(small));
      small = 0;
      value = undefined;
      started = false;
    }
  }
  const first = arcs[0]!;
  const head = first < 80n ? [first / 40n, first % 40n] : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].join(".");
}

/** An AlgorithmIdentifier: its OID and its parameters' encoding, if any. */
export function readAlgorithm(element: DerElement): { oid: string; parameters: DerElement | undefined } {
  const fields = new DerFields(element);
  const oid = readOid(fields.take(TAG.OID, "algorithm"));
  const parameters = fields.optionalAny();
  fields.end("the AlgorithmIdentifier's parameter");
  return { oid, parameters };
}

/** Unix seconds of a GeneralizedTime or UTCTime without fractions (the forms DER X.509 and TSTInfo use). */
export function readTime(element: DerElement): number {
  const text = new TextDecoder().decode(element.value);
  const match =
    element.tag === TAG.UTC_TIME
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
      : element.tag === TAG.GENERALIZED_TIME
        ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d*[1-9])?Z$/.exec(text)
        : null;
  if (match === null) throw derError(`not a DER time: ${text.slice(0, 32)}`);
  const [, y, mo, d, h, mi, s] = match.map(Number) as number[];
  const year = element.tag === TAG.UTC_TIME ? (y! < 50 ? 2000 + y! : 1900 + y!) : y!;
  const ms = Date.UTC(year, mo! - 1, d!, h!, mi!, s!);
  // Date.UTC rolls 31 April over to 1 May: a time it had to roll is no real time, and two texts would read as one.
  const back = new Date(ms);
  if (back.getUTCMonth() !== mo! - 1 || back.getUTCDate() !== d! || back.getUTCHours() !== h! || s! > 59) {
    throw derError(`${text} is no real time`);
  }
  return ms / 1000;
}
