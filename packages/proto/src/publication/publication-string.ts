import { FormatError } from "../errors.ts";
import { isImprintShaped } from "../hash/imprint.ts";
import type { PublicationData } from "../signature/types.ts";
import { decodeBase32, encodeBase32 } from "./base32.ts";
import { crc32 } from "./crc32.ts";

/**
 * The printable publication code (spec §4.2): base32 of uint64_be(time) ‖ imprint ‖ uint32_be(CRC-32 of
 * the preceding bytes), with a dash after every 6 characters.
 */

const GROUP = 6;
/** Longest real code (SHA-512/SHA3-512 imprint: 77 bytes → 128 characters + 21 dashes), with headroom. */
const MAX_TEXT_LENGTH = 256;

export function encodePublicationString(data: PublicationData): string {
  const imprint = data.publishedHash;
  if (!Number.isSafeInteger(data.publicationTime) || data.publicationTime < 0) {
    throw new FormatError(
      "PUBLICATION_STRING_TIME",
      `publication time ${data.publicationTime} is out of range`,
    );
  }
  if (!isImprintShaped(imprint)) {
    throw new FormatError(
      "PUBLICATION_STRING_IMPRINT",
      "published hash is not an imprint of a known algorithm",
    );
  }
  const bytes = new Uint8Array(8 + imprint.length + 4);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(data.publicationTime));
  bytes.set(imprint, 8);
  view.setUint32(8 + imprint.length, crc32(bytes.subarray(0, 8 + imprint.length)));
  const text = encodeBase32(bytes);
  const groups: string[] = [];
  for (let i = 0; i < text.length; i += GROUP) groups.push(text.slice(i, i + GROUP));
  return groups.join("-");
}

/** Accepts the code with or without dashes, in either letter case; anything else is a FormatError. */
export function decodePublicationString(text: string): PublicationData {
  if (text.length > MAX_TEXT_LENGTH) {
    throw new FormatError(
      "PUBLICATION_STRING_LENGTH",
      `publication string of ${text.length} characters is too long`,
    );
  }
  const bytes = decodeBase32(text.replaceAll("-", ""));
  if (bytes.length < 8 + 1 + 4) {
    throw new FormatError(
      "PUBLICATION_STRING_LENGTH",
      `publication string decodes to only ${bytes.length} bytes`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const crcOffset = bytes.length - 4;
  if (crc32(bytes.subarray(0, crcOffset)) !== view.getUint32(crcOffset)) {
    throw new FormatError("PUBLICATION_STRING_CRC", "publication string checksum mismatch (mistyped?)");
  }
  const publishedHash = bytes.subarray(8, crcOffset);
  if (!isImprintShaped(publishedHash)) {
    throw new FormatError("PUBLICATION_STRING_IMPRINT", "publication string does not hold a valid imprint");
  }
  const time = view.getBigUint64(0);
  if (time > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new FormatError("PUBLICATION_STRING_TIME", `publication time ${time} is out of range`);
  }
  return { publicationTime: Number(time), publishedHash };
}
