import { FormatError } from "../errors.ts";
import { findHashAlgorithm } from "../hash/algorithms.ts";
import { type Imprint, isImprintShaped } from "../hash/imprint.ts";
import { type TlvElement, typeHex } from "../tlv/element.ts";
import { decodeSafeUint, decodeString, decodeUint } from "../tlv/values.ts";

/** Readers for the typed values the KSI codecs share; every failure is a FormatError. */

export function expectType(element: TlvElement, type: number, what: string): void {
  if (element.type !== type) {
    throw new FormatError(
      "TLV_UNEXPECTED_TYPE",
      `${what}: expected TLV ${typeHex(type)}, got ${typeHex(element.type)}`,
      {
        expected: type,
        type: element.type,
      },
    );
  }
}

/**
 * KSI times are uint64 seconds. A value past 2^53 - 1 is no real time (it lies 285 million years out),
 * but KSI parsers accept it and leave the judgement to verification, and the test pack has such
 * signatures that must reach verification (e.g. a time element with child bytes appended). Those decode
 * to the nearest double, which is just as far beyond every real time; the exact bytes stay in `source`.
 */
export function readTime(element: TlvElement): number {
  return element.value.length <= 6 ? decodeSafeUint(element) : Number(decodeUint(element));
}

/** An imprint of a known algorithm with the digest length that algorithm has. */
export function readImprint(element: TlvElement, what: string): Imprint {
  if (!isImprintShaped(element.value)) {
    throw new FormatError(
      "TLV_IMPRINT_INVALID",
      `${what} in TLV ${typeHex(element.type)} is not an imprint of a known hash algorithm`,
      { type: element.type },
    );
  }
  return element.value;
}

/** A one-octet hash algorithm id (aggregation algorithm, RFC 3161 algorithms, config) that KSI defines. */
export function readAlgorithmId(element: TlvElement, what: string): number {
  const id = decodeSafeUint(element);
  if (findHashAlgorithm(id) === undefined) {
    throw new FormatError("TLV_UNKNOWN_ALGORITHM", `${what}: unknown hash algorithm id ${id}`, { id });
  }
  return id;
}

/** A KSI string whose UTF-8 form (terminator excluded) is at most `maxBytes` long. */
export function readBoundedString(element: TlvElement, maxBytes: number, what: string): string {
  if (element.value.length > maxBytes + 1) {
    throw new FormatError("TLV_STRING_TOO_LONG", `${what} is longer than ${maxBytes} bytes`, {
      type: element.type,
    });
  }
  return decodeString(element);
}
