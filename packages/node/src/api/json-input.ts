import { decodeSignature, FormatError, type KsiSignature } from "@tempel/proto";
import type { HashRequest } from "../aggregation/index.ts";
import { checkHashRequest, HashRequestError } from "../aggregation/index.ts";
import { HttpError } from "./http-error.ts";

/** Strict readers for JSON request bodies: every field is checked, unknown fields are refused. */

export function parseJsonObject(body: Uint8Array, allowed: readonly string[]): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch {
    throw new HttpError("BAD_JSON", "the body is not valid UTF-8 JSON");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new HttpError("BAD_JSON", "the body must be a JSON object");
  }
  for (const key of Object.keys(json)) {
    if (!allowed.includes(key)) throw new HttpError("UNKNOWN_FIELD", `unknown field "${key.slice(0, 64)}"`);
  }
  return json as Record<string, unknown>;
}

/** Longest imprint: SHA-512 (1 + 64 bytes). A longer hex text is refused before decoding. */
const MAX_IMPRINT_BYTES = 65;

/**
 * A request's hash items (see parseHashItem), their imprints decoded into one buffer: imprints live
 * until their round answers, and a buffer of its own for each was an allocation per hash that every
 * collection in the meantime had to move. The caller bounds `items`.
 */
export function parseHashItems(
  items: readonly unknown[],
  maxLevel: number,
  nowSeconds: number,
): HashRequest[] {
  const imprints = Buffer.allocUnsafe(items.length * MAX_IMPRINT_BYTES);
  let at = 0;
  return items.map((item, index) => {
    const hash = parseHashItem(item, index, maxLevel, nowSeconds, imprints, at);
    at += hash.imprint.length;
    return hash;
  });
}

/**
 * A hash item: `"<imprint hex>"` or `{"imprint": "<imprint hex>", "level": n}`. The imprint is decoded
 * into `into` at `at` (with room for MAX_IMPRINT_BYTES) and is a view of it.
 */
function parseHashItem(
  item: unknown,
  index: number,
  maxLevel: number,
  nowSeconds: number,
  into: Buffer,
  at: number,
): HashRequest {
  let hex: unknown = item;
  let level: unknown = 0;
  if (typeof item === "object" && item !== null && !Array.isArray(item)) {
    const fields = item as Record<string, unknown>;
    for (const key of Object.keys(fields)) {
      if (key !== "imprint" && key !== "level") {
        throw new HttpError("UNKNOWN_FIELD", `hashes[${index}]: unknown field "${key.slice(0, 64)}"`);
      }
    }
    hex = fields.imprint;
    // An absent level is 0; a null one is as wrong as any other non-number.
    if ("level" in fields) level = fields.level;
  }
  const imprint = typeof hex === "string" ? decodeImprintHex(hex, into, at) : undefined;
  if (imprint === undefined) {
    throw new HttpError(
      "BAD_IMPRINT",
      `hashes[${index}]: the imprint must be hex (algorithm id byte + digest)`,
    );
  }
  if (typeof level !== "number")
    throw new HttpError("LEVEL_RANGE", `hashes[${index}]: level must be a number`);
  try {
    return checkHashRequest(imprint, level, maxLevel, nowSeconds);
  } catch (error) {
    if (error instanceof HashRequestError)
      throw new HttpError(error.code, `hashes[${index}]: ${error.message}`);
    throw error;
  }
}

const HEX_TEXT = /^(?:[0-9a-fA-F]{2})*$/;

/**
 * Strict hex (even length, hex digits only, at most MAX_IMPRINT_BYTES) decoded into `into` at `at`;
 * undefined for anything else. The pattern comes first: Node's decoder reads a character beyond
 * Latin-1 by its low byte, so "İ0" would pass for "00". A plain view costs less than a Buffer's.
 */
function decodeImprintHex(hex: string, into: Buffer, at: number): Uint8Array | undefined {
  if (hex.length > 2 * MAX_IMPRINT_BYTES || !HEX_TEXT.test(hex)) return undefined;
  const length = into.write(hex, at, "hex");
  return new Uint8Array(into.buffer, into.byteOffset + at, length);
}

/** A Unix second from a query parameter or a JSON field. */
export function parseSecond(value: unknown, name: string): number {
  const n = typeof value === "string" && /^\d{1,15}$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
    throw new HttpError("BAD_TIME", `"${name}" must be a Unix time in seconds`);
  }
  return n;
}

/** The `from` and optional `to` seconds of a calendar query (`?from=t[&to=T]`). */
export function parseSecondsRange(url: URL): { from: number; to: number | undefined } {
  const from = parseSecond(url.searchParams.get("from"), "from");
  const toText = url.searchParams.get("to");
  return { from, to: toText === null ? undefined : parseSecond(toText, "to") };
}

/** Base64 of at most one TLV16 element: a longer text cannot be a signature. */
const MAX_SIGNATURE_BASE64 = Math.ceil((4 + 0xffff) / 3) * 4;

export function decodeSignatureText(text: string): KsiSignature {
  if (text.length > MAX_SIGNATURE_BASE64 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new HttpError("BAD_SIGNATURE", '"signature" must be the base64 of a KSI signature');
  }
  try {
    return decodeSignature(new Uint8Array(Buffer.from(text, "base64")));
  } catch (error) {
    if (error instanceof FormatError)
      throw new HttpError("BAD_SIGNATURE", `the signature does not parse: ${error.message}`);
    throw error;
  }
}

export function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}
