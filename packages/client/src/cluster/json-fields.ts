import { fromHex, type Imprint, isImprintShaped } from "@tempel/proto";
import { ProtocolError } from "../errors.ts";

/** Strict readers for the fields of a node's JSON answers; `where` names the field in errors. */

function wrong(where: string, expected: string): ProtocolError {
  return new ProtocolError("BAD_JSON", `${where} must be ${expected}`);
}

export function objectAt(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw wrong(where, "an object");
  return value as Record<string, unknown>;
}

export function arrayAt(value: unknown, where: string, maxLength: number): unknown[] {
  if (!Array.isArray(value) || value.length > maxLength) throw wrong(where, `a list of at most ${maxLength}`);
  return value;
}

/** A non-negative safe integer: seconds, counts, terms. */
export function countAt(value: unknown, where: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw wrong(where, "a non-negative integer");
  }
  return value;
}

/** Ids, URLs and roles are short; a longer text is not one. */
export function textAt(value: unknown, where: string, maxLength = 256): string {
  if (typeof value !== "string" || value.length > maxLength)
    throw wrong(where, `text of at most ${maxLength} characters`);
  return value;
}

export function flagAt(value: unknown, where: string): boolean {
  if (typeof value !== "boolean") throw wrong(where, "true or false");
  return value;
}

export function imprintAt(value: unknown, where: string): Imprint {
  const bytes = fromHex(textAt(value, where, 2 * 65));
  if (bytes === undefined || !isImprintShaped(bytes)) throw wrong(where, "a hex imprint");
  return bytes;
}

/** Base64 (standard alphabet) of at most `maxBytes` bytes. */
export function base64At(value: unknown, where: string, maxBytes: number): Uint8Array {
  const text = textAt(value, where, Math.ceil(maxBytes / 3) * 4);
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    throw wrong(where, "base64");
  }
}
