import { HashAlgorithm } from "@tempel/proto";
import { describe, expect, it } from "vitest";
import { HashRequestError } from "../../src/aggregation/errors.ts";
import { checkHashRequest } from "../../src/aggregation/hash-request.ts";

const NOW = 1_763_780_000;
const imprint = (algorithm: number, digestLength: number) => {
  const out = new Uint8Array(digestLength + 1);
  out[0] = algorithm;
  return out;
};

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof HashRequestError) return error.code;
    throw error;
  }
  return "accepted";
}

describe("checkHashRequest", () => {
  it("accepts SHA-2 and SHA-3 imprints of the right length at levels up to the maximum", () => {
    expect(checkHashRequest(imprint(HashAlgorithm.SHA2_256, 32), 0, 20, NOW).level).toBe(0);
    expect(checkHashRequest(imprint(HashAlgorithm.SHA2_512, 64), 20, 20, NOW).level).toBe(20);
    expect(checkHashRequest(imprint(HashAlgorithm.SHA3_256, 32), 3, 20, NOW).imprint).toHaveLength(33);
  });

  it("names each fault with its own code", () => {
    expect(codeOf(() => checkHashRequest(new Uint8Array(0), 0, 20, NOW))).toBe("IMPRINT_EMPTY");
    expect(codeOf(() => checkHashRequest(imprint(0x03, 28), 0, 20, NOW))).toBe("HASH_UNKNOWN_ALGORITHM");
    expect(codeOf(() => checkHashRequest(imprint(0x7f, 32), 0, 20, NOW))).toBe("HASH_UNKNOWN_ALGORITHM");
    expect(codeOf(() => checkHashRequest(imprint(HashAlgorithm.SM3, 32), 0, 20, NOW))).toBe(
      "HASH_NOT_IMPLEMENTED",
    );
    expect(codeOf(() => checkHashRequest(imprint(HashAlgorithm.SHA1, 20), 0, 20, NOW))).toBe(
      "HASH_DEPRECATED",
    );
    expect(codeOf(() => checkHashRequest(imprint(HashAlgorithm.SHA2_256, 31), 0, 20, NOW))).toBe(
      "IMPRINT_LENGTH",
    );
    expect(codeOf(() => checkHashRequest(imprint(HashAlgorithm.SHA2_256, 33), 0, 20, NOW))).toBe(
      "IMPRINT_LENGTH",
    );
    expect(codeOf(() => checkHashRequest(imprint(HashAlgorithm.SHA2_256, 32), 21, 20, NOW))).toBe(
      "LEVEL_RANGE",
    );
    expect(codeOf(() => checkHashRequest(imprint(HashAlgorithm.SHA2_256, 32), 1.5, 20, NOW))).toBe(
      "LEVEL_RANGE",
    );
  });

  it("accepted SHA-1 before its deprecation date (2016-07-01)", () => {
    expect(codeOf(() => checkHashRequest(imprint(HashAlgorithm.SHA1, 20), 0, 20, 1_400_000_000))).toBe(
      "accepted",
    );
  });
});
