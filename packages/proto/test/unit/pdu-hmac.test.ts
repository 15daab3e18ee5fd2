import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  computePduHmac,
  decodeAggregationRequestPdu,
  decodeExtendResponsePdu,
  encodeAggregationRequestPdu,
  HashAlgorithm,
  PduError,
  PduStatus,
  TempelError,
} from "../../src/index.ts";
import { readTestPackFile } from "./helpers/testpack.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);
const KEY = utf8("secret-of-agency-1");
const REQUEST = {
  header: { loginId: "agency-1", instanceId: 1n, messageId: 2n },
  requests: [{ requestId: 42n, requestHash: Uint8Array.of(0x01, ...new Uint8Array(32).fill(0xaa)) }],
};

describe("PDU HMAC", () => {
  it("verifies Guardtime's extender response from the test pack with its login's key", () => {
    const bytes = readTestPackFile(
      "valid-signatures",
      "resources",
      "extender-response-for-signature-with-deprecated-function-in-calendar-chain.tlv",
    );
    const { pdu, hmac } = decodeExtendResponsePdu(bytes);
    expect(pdu.header?.loginId).toBe("anon");
    expect(hmac?.algorithm).toBe(HashAlgorithm.SHA2_256);
    expect(hmac?.check(utf8("anon"))).toBe(true);
    expect(hmac?.check(utf8("anonymous"))).toBe(false);
  });

  it("covers everything up to the digest: the outer header and the HMAC element's own header included", () => {
    const algorithms = [
      [HashAlgorithm.SHA2_256, "sha256", 32],
      [HashAlgorithm.SHA2_384, "sha384", 48],
      [HashAlgorithm.SHA2_512, "sha512", 64],
    ] as const;
    for (const [algorithm, nodeName, digestLength] of algorithms) {
      const bytes = encodeAggregationRequestPdu(REQUEST, KEY, algorithm);
      const expected = createHmac(nodeName, KEY)
        .update(bytes.subarray(0, bytes.length - digestLength))
        .digest();
      expect(bytes.subarray(bytes.length - digestLength)).toEqual(new Uint8Array(expected));
      expect(bytes[bytes.length - digestLength - 1]).toBe(algorithm);
      expect(computePduHmac(bytes, KEY, algorithm)).toEqual(new Uint8Array(expected));
      expect(decodeAggregationRequestPdu(bytes).hmac.check(KEY)).toBe(true);
    }
  });

  it("fails the check when any single byte of the PDU changes", () => {
    const bytes = encodeAggregationRequestPdu(REQUEST, KEY);
    fc.assert(
      fc.property(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, delta) => {
        const tampered = Uint8Array.from(bytes, (byte, i) => (i === at ? (byte + delta) & 0xff : byte));
        try {
          expect(decodeAggregationRequestPdu(tampered).hmac.check(KEY)).toBe(false);
        } catch (error) {
          expect(error).toBeInstanceOf(TempelError);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("hands over the login id before any key is needed, so the server can look the key up", () => {
    const { pdu, hmac } = decodeAggregationRequestPdu(encodeAggregationRequestPdu(REQUEST, KEY));
    const keys = new Map([["agency-1", KEY]]);
    expect(hmac.check(keys.get(pdu.header.loginId)!)).toBe(true);
  });

  it("answers an HMAC algorithm this build cannot compute with an authentication failure", () => {
    const bytes = encodeAggregationRequestPdu(REQUEST, KEY);
    // Rewrite the HMAC imprint's algorithm byte to SM3 (known, 32-byte digest, not implemented).
    const sm3 = Uint8Array.from(bytes, (byte, i) => (i === bytes.length - 33 ? HashAlgorithm.SM3 : byte));
    expect(() => decodeAggregationRequestPdu(sm3)).toThrow(
      expect.objectContaining({ status: PduStatus.AUTHENTICATION_FAILURE, code: "PDU_HMAC_ALGORITHM" }),
    );
    expect(() => decodeAggregationRequestPdu(sm3)).toThrow(PduError);
  });
});
