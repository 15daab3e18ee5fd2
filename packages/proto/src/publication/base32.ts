import { FormatError } from "../errors.ts";

/** RFC 4648 base32 (alphabet A–Z 2–7, `=` padding), as publication strings use it. */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

const VALUES = (() => {
  const values = new Int8Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) {
    values[ALPHABET.charCodeAt(i)] = i;
    values[ALPHABET.toLowerCase().charCodeAt(i)] = i;
  }
  return values;
})();

export function encodeBase32(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >>> bits) & 0x1f];
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 0x1f];
  return out.padEnd(Math.ceil(out.length / 8) * 8, "=");
}

/**
 * Strict decoding: letters of either case, `=` padding optional but only at the end and never more than
 * a quantum needs, and the unused low bits of the last character must be zero, so every byte string has
 * exactly one accepted (upper-case) spelling.
 */
export function decodeBase32(text: string): Uint8Array {
  const body = text.replace(/=+$/, "");
  const padded = text.length !== body.length;
  // Characters in the last quantum: 2, 4, 5 or 7 leave whole bytes; 1, 3 or 6 cannot occur.
  const tail = body.length % 8;
  if (tail === 1 || tail === 3 || tail === 6 || (padded && text.length !== Math.ceil(body.length / 8) * 8)) {
    throw new FormatError(
      "BASE32_LENGTH",
      `base32 text of ${text.length} characters has an impossible length`,
    );
  }
  const out = new Uint8Array(Math.floor((body.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let index = 0;
  for (let i = 0; i < body.length; i++) {
    const code = body.charCodeAt(i);
    const value = code < 128 ? VALUES[code]! : -1;
    if (value < 0) {
      throw new FormatError("BASE32_CHARACTER", `invalid base32 character at position ${i}`, { position: i });
    }
    buffer = ((buffer << 5) | value) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[index++] = (buffer >>> bits) & 0xff;
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0) {
    throw new FormatError("BASE32_TRAILING_BITS", "base32 text has non-zero unused trailing bits");
  }
  return out;
}
