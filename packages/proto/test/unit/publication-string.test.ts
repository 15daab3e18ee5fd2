import { describe, expect, it } from "vitest";
import {
  decodePublicationString,
  encodePublicationString,
  FormatError,
  fromHex,
  toHex,
} from "../../src/index.ts";
import { decodeBase32, encodeBase32 } from "../../src/publication/base32.ts";
import { crc32 } from "../../src/publication/crc32.ts";
import { readTestPackCsv, TEST_PACK_CSVS } from "./helpers/testpack.ts";

function formatErrorCode(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(FormatError);
    return (error as FormatError).code;
  }
  throw new Error("expected a FormatError");
}

const SPEC_CODE = "AAAAAA-CT5VGY-AAPUCF-L3EKCC-NRSX56-AXIDFL-VZJQK4-WDCPOE-3KIWGB-XGPPM3-O5BIMW-REOVR4";

describe("CRC-32 and base32 building blocks", () => {
  it("computes the zlib CRC-32 check value", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it("encodes and decodes the RFC 4648 base32 test vectors", () => {
    const vectors = [
      ["", ""],
      ["f", "MY======"],
      ["fo", "MZXQ===="],
      ["foo", "MZXW6==="],
      ["foob", "MZXW6YQ="],
      ["fooba", "MZXW6YTB"],
      ["foobar", "MZXW6YTBOI======"],
    ];
    for (const [text, base32] of vectors) {
      const bytes = new TextEncoder().encode(text);
      expect(encodeBase32(bytes)).toBe(base32);
      expect(decodeBase32(base32!)).toEqual(bytes);
      expect(decodeBase32(base32!.replace(/=+$/, "").toLowerCase())).toEqual(bytes);
    }
  });

  it("rejects impossible lengths, misplaced padding, foreign characters and non-zero spare bits", () => {
    expect(formatErrorCode(() => decodeBase32("MZXW6YTBO"))).toBe("BASE32_LENGTH");
    expect(formatErrorCode(() => decodeBase32("MY=="))).toBe("BASE32_LENGTH");
    expect(formatErrorCode(() => decodeBase32("MZXW6YTB========"))).toBe("BASE32_LENGTH");
    expect(formatErrorCode(() => decodeBase32("MY=Q===="))).toBe("BASE32_CHARACTER");
    expect(formatErrorCode(() => decodeBase32("M1======"))).toBe("BASE32_CHARACTER");
    expect(formatErrorCode(() => decodeBase32("MZ======"))).toBe("BASE32_TRAILING_BITS");
  });
});

describe("publication strings", () => {
  it("decodes the spec's example: 2014-08-15 00:00:00 UTC and its SHA-256 root", () => {
    const data = decodePublicationString(SPEC_CODE);
    expect(new Date(data.publicationTime * 1000).toISOString()).toBe("2014-08-15T00:00:00.000Z");
    expect(toHex(data.publishedHash)).toMatch(/^01f41157b2.*b7742865$/);
    expect(encodePublicationString(data)).toBe(SPEC_CODE);
  });

  const rows = [
    ...readTestPackCsv(TEST_PACK_CSVS.valid),
    ...readTestPackCsv(TEST_PACK_CSVS.internalPolicy),
  ].filter(
    (row) =>
      row.publicationString !== undefined &&
      row.publicationTime !== undefined &&
      row.calendarOutput !== undefined,
  );

  it("has test-pack vectors", () => {
    expect(rows.length).toBeGreaterThan(20);
  });

  it.each(rows)("$name: the code is its publication time and calendar root", (row) => {
    const data = decodePublicationString(row.publicationString!);
    expect(data.publicationTime).toBe(row.publicationTime);
    expect(toHex(data.publishedHash).toUpperCase()).toBe(row.calendarOutput);
    expect(encodePublicationString(data)).toBe(row.publicationString);
  });

  it("accepts the code without dashes and in lower case", () => {
    const expected = decodePublicationString(SPEC_CODE);
    expect(decodePublicationString(SPEC_CODE.replaceAll("-", ""))).toEqual(expected);
    expect(decodePublicationString(SPEC_CODE.toLowerCase())).toEqual(expected);
  });

  it("pads codes whose byte length is no multiple of 5 (SHA-512 roots)", () => {
    const data = {
      publicationTime: 1_700_000_000,
      publishedHash: Uint8Array.of(0x05, ...new Uint8Array(64).fill(0xab)),
    };
    const code = encodePublicationString(data);
    expect(code.replaceAll("-", "")).toMatch(/=+$/);
    expect(decodePublicationString(code)).toEqual(data);
  });

  it("catches a mistyped character by its checksum", () => {
    expect(SPEC_CODE[16]).toBe("P");
    const mistyped = SPEC_CODE.slice(0, 16) + "Q" + SPEC_CODE.slice(17);
    expect(formatErrorCode(() => decodePublicationString(mistyped))).toBe("PUBLICATION_STRING_CRC");
  });

  it("rejects codes that are too short, too long, or hold no valid imprint", () => {
    expect(formatErrorCode(() => decodePublicationString("AAAAAA-AA"))).toBe("PUBLICATION_STRING_LENGTH");
    expect(formatErrorCode(() => decodePublicationString("A".repeat(300)))).toBe("PUBLICATION_STRING_LENGTH");
    // A well-formed code around a 32-byte "imprint" with retired algorithm id 0x03.
    const bytes = new Uint8Array(8 + 33 + 4);
    bytes[8] = 0x03;
    new DataView(bytes.buffer).setUint32(41, crc32(bytes.subarray(0, 41)));
    expect(formatErrorCode(() => decodePublicationString(encodeBase32(bytes)))).toBe(
      "PUBLICATION_STRING_IMPRINT",
    );
  });

  it("refuses to write a code for a time beyond 2^53 - 1 or a hash that is no imprint", () => {
    const publishedHash = Uint8Array.of(0x01, ...new Uint8Array(32));
    expect(formatErrorCode(() => encodePublicationString({ publicationTime: 2 ** 64, publishedHash }))).toBe(
      "PUBLICATION_STRING_TIME",
    );
    expect(
      formatErrorCode(() =>
        encodePublicationString({ publicationTime: 1, publishedHash: publishedHash.subarray(1) }),
      ),
    ).toBe("PUBLICATION_STRING_IMPRINT");
  });

  it("rejects a publication time beyond 2^53 - 1", () => {
    const bytes = new Uint8Array(8 + 33 + 4);
    bytes.set(fromHex("ffffffffffffffff")!, 0);
    bytes[8] = 0x01;
    new DataView(bytes.buffer).setUint32(41, crc32(bytes.subarray(0, 41)));
    expect(formatErrorCode(() => decodePublicationString(encodeBase32(bytes)))).toBe(
      "PUBLICATION_STRING_TIME",
    );
  });
});
