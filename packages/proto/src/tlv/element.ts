import { FormatError } from "../errors.ts";

/** Bit masks of the first header byte (KSI TLV encoding). */
export const TLV16_FLAG = 0x80;
export const NON_CRITICAL_FLAG = 0x40;
export const FORWARD_FLAG = 0x20;

export const MAX_TLV8_TYPE = 0x1f;
export const MAX_TLV16_TYPE = 0x1fff;
export const MAX_TLV8_LENGTH = 0xff;
export const MAX_TLV16_LENGTH = 0xffff;

/**
 * One TLV element. `value` is a view into the bytes it was decoded from (no copy), so decoding a
 * signature allocates little. `tlv16` records the header form used on the wire, so that an element a
 * foreign encoder wrote as TLV16 although it fits TLV8 re-encodes byte for byte.
 */
export interface TlvElement {
  readonly type: number;
  readonly nonCritical: boolean;
  readonly forward: boolean;
  readonly tlv16: boolean;
  readonly value: Uint8Array;
}

export interface TlvHeaderOptions {
  nonCritical?: boolean;
  forward?: boolean;
  /** Force the TLV16 header form even when TLV8 would do. */
  tlv16?: boolean;
}

/** An element's header fields: what is written before its value. */
export type TlvHeader = Omit<TlvElement, "value">;

export function tlv(type: number, value: Uint8Array, options: TlvHeaderOptions = {}): TlvElement {
  return {
    type,
    nonCritical: options.nonCritical === true,
    forward: options.forward === true,
    tlv16: headerForm(type, value.length, options),
    value,
  };
}

/**
 * Whether an element of `type` with a value of `valueLength` bytes takes the TLV16 header form;
 * throws when no header can describe it.
 */
export function headerForm(type: number, valueLength: number, options: TlvHeaderOptions = {}): boolean {
  if (!Number.isInteger(type) || type < 0 || type > MAX_TLV16_TYPE) {
    throw new FormatError("TLV_TYPE_RANGE", `TLV type ${type} is outside 0..0x1fff`);
  }
  if (valueLength > MAX_TLV16_LENGTH) {
    throw new FormatError(
      "TLV_TOO_LONG",
      `TLV 0x${type.toString(16)} value of ${valueLength} bytes exceeds 65535`,
    );
  }
  return options.tlv16 === true || type > MAX_TLV8_TYPE || valueLength > MAX_TLV8_LENGTH;
}

export function headerLength(element: TlvHeader): number {
  return element.tlv16 ? 4 : 2;
}

export function encodedLength(element: TlvElement): number {
  return headerLength(element) + element.value.length;
}

export function typeHex(type: number): string {
  return "0x" + type.toString(16).padStart(2, "0");
}
