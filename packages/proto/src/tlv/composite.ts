import { writeTlv, writeTlvHeader } from "./codec.ts";
import {
  encodedLength,
  headerForm,
  headerLength,
  type TlvElement,
  type TlvHeader,
  type TlvHeaderOptions,
} from "./element.ts";

/**
 * An element whose value is the encoding of its children, kept as the children until it is written.
 * Encoders build a whole structure (a signature, a response PDU) from these and write it into one
 * buffer: materializing each level's value first would allocate and copy every byte once per level.
 */
export interface TlvComposite extends TlvHeader {
  readonly valueLength: number;
  readonly children: readonly TlvPart[];
}

/**
 * Elements an encoder writes itself, straight from its own model: where a structure repeats many small
 * elements (a chain's links), an object per element would cost more than writing its bytes.
 */
export interface TlvRun {
  readonly length: number;
  write(out: Uint8Array, offset: number): number;
}

export type TlvPart = TlvElement | TlvComposite | TlvRun;

export function composite(
  type: number,
  children: readonly TlvPart[],
  options: TlvHeaderOptions = {},
): TlvComposite {
  let valueLength = 0;
  for (const child of children) valueLength += partLength(child);
  return {
    type,
    nonCritical: options.nonCritical === true,
    forward: options.forward === true,
    tlv16: headerForm(type, valueLength, options),
    valueLength,
    children,
  };
}

export function partLength(part: TlvPart): number {
  if ("value" in part) return encodedLength(part);
  return "children" in part ? headerLength(part) + part.valueLength : part.length;
}

/** Write `part` into `out` at `offset`; returns the offset past it. */
export function writePart(part: TlvPart, out: Uint8Array, offset: number): number {
  if ("value" in part) return writeTlv(part, out, offset);
  if (!("children" in part)) return part.write(out, offset);
  let at = writeTlvHeader(part, part.valueLength, out, offset);
  for (const child of part.children) at = writePart(child, out, at);
  return at;
}

export function encodePart(part: TlvPart): Uint8Array {
  const out = new Uint8Array(partLength(part));
  writePart(part, out, 0);
  return out;
}

/** A composite as an element with its value written out. */
export function toElement(part: TlvElement | TlvComposite): TlvElement {
  if ("value" in part) return part;
  const value = new Uint8Array(part.valueLength);
  let at = 0;
  for (const child of part.children) at = writePart(child, value, at);
  return { type: part.type, nonCritical: part.nonCritical, forward: part.forward, tlv16: part.tlv16, value };
}
