import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  computePduHmac,
  decodeAggregationRequestPdu,
  decodeExtendResponsePdu,
  encodeAggregationRequestPdu,
  HashAlgorithm,
  type Hasher,
  nobleHasher,
  PduError,
  PduStatus,
  TempelError,
} from "../../src/index.ts";
import { hmac } from "../../src/pdu/hmac.ts";
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

  it("is RFC 2104's HMAC for every algorithm, with keys shorter than, equal to and longer than a block", () => {
    const algorithms = [
      [HashAlgorithm.SHA1, "sha1"],
      [HashAlgorithm.SHA2_256, "sha256"],
      [HashAlgorithm.RIPEMD160, "ripemd160"],
      [HashAlgorithm.SHA2_384, "sha384"],
      [HashAlgorithm.SHA2_512, "sha512"],
      [HashAlgorithm.SHA3_224, "sha3-224"],
      [HashAlgorithm.SHA3_256, "sha3-256"],
      [HashAlgorithm.SHA3_384, "sha3-384"],
      [HashAlgorithm.SHA3_512, "sha3-512"],
    ] as const;
    const data = utf8("the PDU bytes an HMAC covers");
    for (const [algorithm, nodeName] of algorithms) {
      for (const keyLength of [0, 1, 64, 72, 104, 128, 136, 144, 145, 300]) {
        const key = Uint8Array.from({ length: keyLength }, (_, i) => (i * 7 + keyLength) & 0xff);
        const expected = new Uint8Array(createHmac(nodeName, key).update(data).digest());
        expect(hmac(nobleHasher, algorithm, key, data), `${nodeName}, ${keyLength}-byte key`).toEqual(
          expected,
        );
      }
    }
  });

  it("is computed with the injected hasher on encode and on decode, so a platform's faster hash serves PDUs", () => {
    const calls: string[] = [];
    const counting =
      (what: string): Hasher =>
      (algorithm, data) => {
        calls.push(`${what} ${algorithm}`);
        return nobleHasher(algorithm, data);
      };
    const bytes = encodeAggregationRequestPdu(REQUEST, KEY, HashAlgorithm.SHA2_512, counting("encode"));
    expect(decodeAggregationRequestPdu(bytes, { hasher: counting("decode") }).hmac.check(KEY)).toBe(true);
    expect(calls).toEqual([
      ...Array(2).fill(`encode ${HashAlgorithm.SHA2_512}`),
      ...Array(2).fill(`decode ${HashAlgorithm.SHA2_512}`),
    ]);
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
