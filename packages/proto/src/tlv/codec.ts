import { FormatError } from "../errors.ts";
import {
  encodedLength,
  FORWARD_FLAG,
  MAX_TLV8_LENGTH,
  MAX_TLV8_TYPE,
  NON_CRITICAL_FLAG,
  TLV16_FLAG,
  type TlvElement,
  type TlvHeader,
  typeHex,
} from "./element.ts";

/**
 * Decode the element that starts at `offset`. Throws FormatError on any framing fault; never reads
 * outside `bytes`. Its value is a view of `bytes` made directly on the buffer (`subarray` costs
 * about twice as much, and a signature has a hundred elements); it ends where the next one starts.
 */
function readTlv(bytes: Uint8Array, offset: number): TlvElement {
  const available = bytes.length - offset;
  if (available < 2) {
    throw new FormatError("TLV_TRUNCATED", `TLV header truncated at offset ${offset}`, { offset });
  }
  const first = bytes[offset]!;
  const tlv16 = (first & TLV16_FLAG) !== 0;
  let type: number;
  let length: number;
  let start: number;
  if (tlv16) {
    if (available < 4) {
      throw new FormatError("TLV_TRUNCATED", `TLV16 header truncated at offset ${offset}`, { offset });
    }
    type = ((first & 0x1f) << 8) | bytes[offset + 1]!;
    length = (bytes[offset + 2]! << 8) | bytes[offset + 3]!;
    start = offset + 4;
  } else {
    type = first & 0x1f;
    length = bytes[offset + 1]!;
    start = offset + 2;
  }
  if (start + length > bytes.length) {
    throw new FormatError(
      "TLV_TRUNCATED",
      `TLV ${typeHex(type)} at offset ${offset} declares ${length} value bytes but only ${bytes.length - start} remain`,
      { offset, type, length },
    );
  }
  return {
    type,
    nonCritical: (first & NON_CRITICAL_FLAG) !== 0,
    forward: (first & FORWARD_FLAG) !== 0,
    tlv16,
    value: new Uint8Array(bytes.buffer, bytes.byteOffset + start, length),
  };
}

/** Decode the element that starts at `offset`; returns it and the offset just past it. */
export function decodeTlvAt(bytes: Uint8Array, offset: number): { element: TlvElement; next: number } {
  const element = readTlv(bytes, offset);
  return { element, next: offset + encodedLength(element) };
}

/** Decode exactly one element that must span all of `bytes`. */
export function decodeTlv(bytes: Uint8Array): TlvElement {
  const element = readTlv(bytes, 0);
  const next = encodedLength(element);
  if (next !== bytes.length) {
    throw new FormatError("TLV_TRAILING_BYTES", `${bytes.length - next} bytes follow the TLV element`, {
      trailing: bytes.length - next,
    });
  }
  return element;
}

/**
 * Decode a sequence of elements filling all of `bytes` (an element's nested value, or a file body).
 * `maxElements` bounds the work an adversarial input can cause.
 */
export function decodeTlvSequence(bytes: Uint8Array, maxElements = 65_536): TlvElement[] {
  const out: TlvElement[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (out.length >= maxElements) {
      throw new FormatError("TLV_TOO_MANY_ELEMENTS", `more than ${maxElements} TLV elements`);
    }
    const element = readTlv(bytes, offset);
    out.push(element);
    offset += encodedLength(element);
  }
  return out;
}

/** Children of a nested element. */
export function childrenOf(element: TlvElement): TlvElement[] {
  return decodeTlvSequence(element.value);
}

/** Write the header of an element whose value is `length` bytes; returns the offset of the value. */
export function writeTlvHeader(element: TlvHeader, length: number, out: Uint8Array, offset: number): number {
  const flags = (element.nonCritical ? NON_CRITICAL_FLAG : 0) | (element.forward ? FORWARD_FLAG : 0);
  if (element.tlv16) {
    out[offset] = TLV16_FLAG | flags | ((element.type >> 8) & 0x1f);
    out[offset + 1] = element.type & 0xff;
    out[offset + 2] = (length >> 8) & 0xff;
    out[offset + 3] = length & 0xff;
    return offset + 4;
  }
  if (element.type > MAX_TLV8_TYPE || length > MAX_TLV8_LENGTH) {
    throw new FormatError("TLV_HEADER_FORM", `TLV ${typeHex(element.type)} does not fit a TLV8 header`);
  }
  out[offset] = flags | element.type;
  out[offset + 1] = length;
  return offset + 2;
}

/** Write an element into `out` at `offset`; returns the offset past it. */
export function writeTlv(element: TlvElement, out: Uint8Array, offset: number): number {
  const valueOffset = writeTlvHeader(element, element.value.length, out, offset);
  out.set(element.value, valueOffset);
  return valueOffset + element.value.length;
}

export function encodeTlv(element: TlvElement): Uint8Array {
  const out = new Uint8Array(encodedLength(element));
  writeTlv(element, out, 0);
  return out;
}

/** Concatenated encodings of `elements`: the value of a nested element. */
export function encodeTlvSequence(elements: readonly TlvElement[]): Uint8Array {
  let total = 0;
  for (const element of elements) total += encodedLength(element);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const element of elements) offset = writeTlv(element, out, offset);
  return out;
}
