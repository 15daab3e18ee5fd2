import { FormatError } from "../errors.ts";
import { type TlvElement, type TlvHeaderOptions, tlv, typeHex } from "./element.ts";

/**
 * KSI integers: unsigned big-endian, minimal length (zero is the empty value), at most 8 bytes.
 */
export function decodeUint(element: TlvElement): bigint {
  const v = element.value;
  if (v.length > 8) {
    throw new FormatError(
      "TLV_INTEGER_TOO_LONG",
      `integer in TLV ${typeHex(element.type)} has ${v.length} bytes`,
    );
  }
  checkMinimal(element);
  // Ids of requests and rounds are small: one BigInt from a number, not one per byte.
  if (v.length <= MAX_SMALL_BYTES) return BigInt(smallUint(v));
  let n = 0n;
  for (const byte of v) n = (n << 8n) | BigInt(byte);
  return n;
}

/** An integer that must fit a JS number exactly (times, levels, ids). */
export function decodeSafeUint(element: TlvElement): number {
  const v = element.value;
  if (v.length <= MAX_SMALL_BYTES) {
    checkMinimal(element);
    return smallUint(v);
  }
  const big = decodeUint(element);
  if (big > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new FormatError("TLV_INTEGER_RANGE", `integer in TLV ${typeHex(element.type)} is too large`);
  }
  return Number(big);
}

/** Integers of up to this many bytes are below 2^48, so a number holds them exactly. */
const MAX_SMALL_BYTES = 6;

function smallUint(v: Uint8Array): number {
  let n = 0;
  for (const byte of v) n = n * 256 + byte;
  return n;
}

function checkMinimal(element: TlvElement): void {
  const v = element.value;
  if (v.length > 0 && v[0] === 0) {
    throw new FormatError(
      "TLV_INTEGER_NOT_MINIMAL",
      `integer in TLV ${typeHex(element.type)} has a leading zero byte`,
    );
  }
}

const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);

export function uintBytes(value: bigint | number): Uint8Array {
  // Every signature encodes a few integers: below 2^53 they are written without BigInt arithmetic.
  const small = typeof value === "number" ? value : value <= MAX_SAFE_BIGINT ? Number(value) : -1;
  if (Number.isSafeInteger(small) && small >= 0) {
    let length = 0;
    for (let n = small; n > 0; n = Math.floor(n / 256)) length++;
    const out = new Uint8Array(length);
    for (let i = length - 1, n = small; i >= 0; i--, n = Math.floor(n / 256)) out[i] = n % 256;
    return out;
  }
  let n = typeof value === "bigint" ? value : BigInt(value);
  if (n < 0n || n > 0xffff_ffff_ffff_ffffn) {
    throw new FormatError("TLV_INTEGER_RANGE", `integer ${n} is outside 0..2^64-1`);
  }
  if (typeof value === "number" && !Number.isSafeInteger(value)) {
    throw new FormatError("TLV_INTEGER_RANGE", `integer ${value} is not a safe integer`);
  }
  const bytes: number[] = [];
  while (n > 0n) {
    bytes.push(Number(n & 0xffn));
    n >>= 8n;
  }
  return Uint8Array.from(bytes.reverse());
}

export function uintTlv(type: number, value: bigint | number, options?: TlvHeaderOptions): TlvElement {
  return tlv(type, uintBytes(value), options);
}

const utf8Decoder = new TextDecoder("utf-8", { fatal: true });
const utf8Encoder = new TextEncoder();

const MAX_ASCII_FAST = 256;

function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return false;
  return true;
}

/** KSI strings: UTF-8 with exactly one terminating NUL, which is the last byte. */
export function decodeString(element: TlvElement): string {
  const v = element.value;
  if (v.length === 0 || v[v.length - 1] !== 0) {
    throw new FormatError(
      "TLV_STRING_NOT_TERMINATED",
      `string in TLV ${typeHex(element.type)} is not NUL-terminated`,
    );
  }
  const body = v.subarray(0, v.length - 1);
  if (body.includes(0)) {
    throw new FormatError(
      "TLV_STRING_EMBEDDED_NUL",
      `string in TLV ${typeHex(element.type)} contains a NUL byte`,
    );
  }
  // Ids and names are short ASCII, for which this is several times cheaper than a TextDecoder call.
  if (body.length <= MAX_ASCII_FAST && isAscii(body)) return String.fromCharCode.apply(null, body as never);
  try {
    return utf8Decoder.decode(body);
  } catch {
    throw new FormatError("TLV_STRING_NOT_UTF8", `string in TLV ${typeHex(element.type)} is not valid UTF-8`);
  }
}

export function stringBytes(value: string): Uint8Array {
  // Every response PDU echoes its login id: for short ASCII, copying the characters is several times
  // cheaper than a TextEncoder call.
  if (value.length <= MAX_ASCII_FAST) {
    const out = new Uint8Array(value.length + 1);
    let i = 0;
    for (; i < value.length; i++) {
      const code = value.charCodeAt(i);
      if (code === 0 || code >= 0x80) break;
      out[i] = code;
    }
    if (i === value.length) return out;
  }
  const body = utf8Encoder.encode(value);
  if (body.includes(0)) throw new FormatError("TLV_STRING_EMBEDDED_NUL", "string contains a NUL character");
  const out = new Uint8Array(body.length + 1);
  out.set(body);
  return out;
}

export function stringTlv(type: number, value: string, options?: TlvHeaderOptions): TlvElement {
  return tlv(type, stringBytes(value), options);
}
