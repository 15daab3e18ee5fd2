import { PduTag } from "@tempel/proto";
import type { RawResponse } from "./load-client.ts";

/**
 * How the load generator checks answers: every answer must be a signature for the hash it asked for,
 * yet the check must cost the generator little, since it shares the machine with the node it measures.
 * Each returns the hashes a response answers, 0 when it fails.
 */

const QUOTE = 0x22;
const COMMA = 0x2c;
const CLOSE_BRACKET = 0x5d;
const SIGNATURES_START = Buffer.from('"signatures":["');
/**
 * Base64 characters of a signature's first 128 bytes: its first aggregation chain's input hash follows
 * the signature and chain headers, the aggregation time and the chain indices, well within them.
 * Searching only there keeps a check from scanning the shared calendar parts of every signature.
 */
const IMPRINT_WINDOW = Math.ceil(128 / 3) * 4;

/**
 * How a JSON sign answer is checked without JSON.parse or decoding its signatures: the i-th base64
 * signature must hold the i-th imprint asked for where its first aggregation chain's input hash sits. Where the imprint
 * sits in the signature decides which of its bytes make whole base64 groups, so the base64 of the
 * whole imprint or of the part from its second or third byte (10 groups) must appear. An answer with a
 * signature missing, extra, or for another hash fails.
 */
export function jsonAnswerCheck(imprints: readonly Uint8Array[]): (response: RawResponse) => number {
  const needles = imprints.map((imprint) =>
    // Strings rather than buffers: hundreds of thousands of small buffers made every collection slow.
    [imprint, imprint.subarray(2, 32), imprint.subarray(1, 31)].map((part) =>
      Buffer.from(part).toString("base64"),
    ),
  );
  return ({ status, body }) => {
    if (status !== 200) return 0;
    let at = body.indexOf(SIGNATURES_START);
    if (at < 0) return 0;
    at += SIGNATURES_START.length - 1;
    for (let i = 0; i < needles.length; i++) {
      if (body[at] !== QUOTE) return 0;
      const end = body.indexOf(QUOTE, at + 1);
      if (end < 0) return 0;
      const signature = body.subarray(at + 1, Math.min(end, at + 1 + IMPRINT_WINDOW));
      if (!needles[i]!.some((needle) => signature.indexOf(needle, 0, "latin1") >= 0)) return 0;
      at = end + 1;
      if (body[at++] !== (i + 1 < needles.length ? COMMA : CLOSE_BRACKET)) return 0;
    }
    return needles.length;
  };
}

/**
 * A KSI answer to one hash is checked structurally: an aggregation response PDU that holds the imprint
 * asked for (the input hash of the signature's aggregation chain; a refused payload carries no chain).
 */
export function pduAnswerCheck(imprint: Uint8Array): (response: RawResponse) => number {
  return ({ status, body }) =>
    status === 200 &&
    body.length >= 2 &&
    (body.readUInt16BE(0) & 0x1fff) === PduTag.AGGREGATION_RESPONSE &&
    body.indexOf(imprint) >= 0
      ? 1
      : 0;
}
