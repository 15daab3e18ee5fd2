import { describe, expect, it } from "vitest";
import {
  type AggregationRequestPdu,
  AggregatorStatus,
  aggregationResponsePayloadFor,
  decodeAggregationRequestPdu,
  decodeAggregationResponsePdu,
  decodeSignature,
  describeStatus,
  ExtenderStatus,
  encodeAggregationRequestPdu,
  encodeAggregationResponsePdu,
  encodeErrorResponsePdu,
  encodeSignature,
  encodeTlv,
  encodeTlvSequence,
  FormatError,
  HashAlgorithm,
  MAX_PDU_BYTES,
  PduChildTag,
  PduError,
  PduStatus,
  PduTag,
  type QuorumCertificate,
  signatureFromAggregationResponse,
  stringTlv,
  type TlvElement,
  tlv,
  uintTlv,
} from "../../src/index.ts";
import { readTestPackFile } from "./helpers/testpack.ts";

const KEY = new TextEncoder().encode("agency-1-key");
const HEADER = { loginId: "agency-1", instanceId: 5n, messageId: 77n };
const hashOf = (fill: number) => Uint8Array.of(0x01, ...new Uint8Array(32).fill(fill));

function pduError(run: () => unknown): PduError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(PduError);
    return error as PduError;
  }
  throw new Error("expected a PduError");
}

/** A request PDU assembled by hand, for frames the encoder would never write. */
function rawRequest(...children: TlvElement[]): Uint8Array {
  return encodeTlv(tlv(PduTag.AGGREGATION_REQUEST, encodeTlvSequence(children)));
}

const header = tlv(PduChildTag.HEADER, encodeTlvSequence([stringTlv(0x01, "agency-1")]));
const hmac = tlv(PduChildTag.HMAC, hashOf(0));
const payload = (...children: TlvElement[]) => tlv(PduChildTag.PAYLOAD, encodeTlvSequence(children));
const goodPayload = payload(uintTlv(0x01, 1), tlv(0x02, hashOf(7)));

describe("aggregation request PDU", () => {
  const request: AggregationRequestPdu = {
    header: HEADER,
    requests: [
      { requestId: 1n, requestHash: hashOf(1) },
      { requestId: 2n, requestHash: hashOf(2), requestLevel: 3 },
      { requestId: 2n ** 64n - 1n, requestHash: Uint8Array.of(0x05, ...new Uint8Array(64).fill(3)) },
    ],
    configRequest: true,
    ackRequest: { requestTime: 1_700_000_000_123_456n },
  };

  it("round-trips several payloads, a configuration request and an acknowledgment request", () => {
    const { pdu, hmac } = decodeAggregationRequestPdu(encodeAggregationRequestPdu(request, KEY));
    expect(pdu).toEqual(request);
    expect(hmac.check(KEY)).toBe(true);
  });

  it("accepts a request that only asks for the configuration, and rejects one that asks for nothing", () => {
    const configOnly = decodeAggregationRequestPdu(
      encodeAggregationRequestPdu({ header: HEADER, requests: [], configRequest: true }, KEY),
    );
    expect(configOnly.pdu).toEqual({ header: HEADER, requests: [], configRequest: true });
    const empty = pduError(() =>
      decodeAggregationRequestPdu(encodeAggregationRequestPdu({ header: HEADER, requests: [] }, KEY)),
    );
    expect(empty).toMatchObject({ status: PduStatus.INVALID_REQUEST, code: "PDU_EMPTY" });
  });

  it("answers a malformed payload with INVALID_PAYLOAD and the specific fault", () => {
    const cases: [TlvElement, string][] = [
      [payload(uintTlv(0x01, 1), tlv(0x02, hashOf(7).subarray(0, 20))), "TLV_IMPRINT_INVALID"],
      [payload(uintTlv(0x01, 1), tlv(0x02, hashOf(7)), uintTlv(0x03, 256)), "PDU_REQUEST_LEVEL"],
      [payload(tlv(0x02, hashOf(7))), "TLV_MISSING"],
      [tlv(PduChildTag.CONFIG, Uint8Array.of(0x01, 0x00)), "PDU_CONFIG_REQUEST_NOT_EMPTY"],
    ];
    for (const [element, code] of cases) {
      const error = pduError(() => decodeAggregationRequestPdu(rawRequest(header, element, hmac)));
      expect(error).toMatchObject({ status: PduStatus.INVALID_PAYLOAD, code });
    }
  });

  it("answers a malformed frame with INVALID_REQUEST", () => {
    const loginTooLong = tlv(PduChildTag.HEADER, encodeTlvSequence([stringTlv(0x01, "x".repeat(257))]));
    const cases: [Uint8Array, string][] = [
      [rawRequest(header, goodPayload), "TLV_MISSING"],
      [rawRequest(goodPayload, header, hmac), "PDU_HEADER_NOT_FIRST"],
      [rawRequest(header, hmac, goodPayload), "PDU_HMAC_NOT_LAST"],
      [rawRequest(loginTooLong, goodPayload, hmac), "TLV_STRING_TOO_LONG"],
      [rawRequest(header, goodPayload, hmac).subarray(0, 20), "TLV_TRUNCATED"],
      [
        encodeTlv(tlv(PduTag.EXTEND_REQUEST, encodeTlvSequence([header, goodPayload, hmac]))),
        "TLV_UNEXPECTED_TYPE",
      ],
      [new Uint8Array(MAX_PDU_BYTES + 1), "PDU_TOO_LARGE"],
    ];
    for (const [bytes, code] of cases) {
      expect(pduError(() => decodeAggregationRequestPdu(bytes))).toMatchObject({
        status: PduStatus.INVALID_REQUEST,
        code,
      });
    }
  });

  it("applies the caller's size and payload-count bounds", () => {
    const bytes = rawRequest(header, goodPayload, goodPayload, goodPayload, hmac);
    expect(pduError(() => decodeAggregationRequestPdu(bytes, { maxPayloads: 2 }))).toMatchObject({
      status: PduStatus.INVALID_REQUEST,
      code: "TLV_DUPLICATE",
    });
    expect(pduError(() => decodeAggregationRequestPdu(bytes, { maxBytes: bytes.length - 1 })).code).toBe(
      "PDU_TOO_LARGE",
    );
    expect(
      decodeAggregationRequestPdu(bytes, { maxPayloads: 3, maxBytes: bytes.length }).pdu.requests,
    ).toHaveLength(3);
  });
});

describe("aggregation response PDU", () => {
  const original = readTestPackFile("valid-signatures", "signature-one-aggregation-chain-chc-and-auth.ksig");
  const signature = decodeSignature(original);
  const certificate: QuorumCertificate = {
    publishedData: signature.calendarAuthRecord!.publishedData,
    shares: [{ memberId: "12D3KooWnode1", signature: new Uint8Array(64).fill(4) }],
  };

  it("carries a signature to the client, which rebuilds it byte for byte", () => {
    const bytes = encodeAggregationResponsePdu(
      { header: HEADER, responses: [aggregationResponsePayloadFor(9n, signature)] },
      KEY,
    );
    const { pdu, hmac } = decodeAggregationResponsePdu(bytes);
    expect(hmac?.check(KEY)).toBe(true);
    expect(pdu.responses[0]).toMatchObject({ requestId: 9n, status: AggregatorStatus.OK });
    expect(encodeSignature(signatureFromAggregationResponse(pdu.responses[0]!))).toEqual(original);
  });

  it("writes every byte of a response into a caller's buffer, whatever that buffer held", () => {
    const pdu = { header: HEADER, responses: [aggregationResponsePayloadFor(9n, signature)] };
    const fresh = encodeAggregationResponsePdu(pdu, KEY);
    const reused = new Uint8Array(fresh.length).fill(0xa5);
    const written = encodeAggregationResponsePdu(pdu, KEY, HashAlgorithm.SHA2_256, (length) =>
      reused.subarray(0, length),
    );
    expect(written).toEqual(fresh);
    expect(written.buffer).toBe(reused.buffer);
  });

  it("carries Tempel's quorum certificate, the configuration and an acknowledgment alongside", () => {
    const config = {
      maxLevel: 20,
      aggregationAlgorithm: HashAlgorithm.SHA2_256,
      aggregationPeriod: 1000,
      maxRequests: 16_000,
      parentUris: ["http://127.0.0.1:8080/ksi/aggregator", "http://127.0.0.1:8081/ksi/aggregator"],
    };
    const ack = {
      requestTime: 1n,
      receiptTime: 2n,
      ackTime: 3n,
      aggregationDelay: 400,
      aggregationPeriod: 1000,
      aggregationDrift: 0,
    };
    const bytes = encodeAggregationResponsePdu(
      {
        header: HEADER,
        responses: [aggregationResponsePayloadFor(9n, { ...signature, quorumCertificate: certificate })],
        config,
        ack,
      },
      KEY,
    );
    const { pdu } = decodeAggregationResponsePdu(bytes);
    expect(pdu.config).toEqual(config);
    expect(pdu.ack).toEqual(ack);
    const rebuilt = signatureFromAggregationResponse(pdu.responses[0]!);
    expect(rebuilt.quorumCertificate?.shares).toEqual(certificate.shares);
    expect(rebuilt.quorumCertificate?.publishedData.publishedHash).toEqual(
      certificate.publishedData.publishedHash,
    );
  });

  it("turns a failed payload into a PduError with the aggregator's status", () => {
    const failed = { requestId: 3n, status: AggregatorStatus.OVER_QUOTA, aggregationChains: [] };
    const { pdu } = decodeAggregationResponsePdu(
      encodeAggregationResponsePdu({ header: HEADER, responses: [failed] }, KEY),
    );
    const error = pduError(() => signatureFromAggregationResponse(pdu.responses[0]!));
    expect(error).toMatchObject({ status: AggregatorStatus.OVER_QUOTA, code: "AGGREGATION_FAILED" });
    expect(error.message).toContain("quota");
  });

  it("rejects a successful payload whose components do not form a signature", () => {
    expect(() =>
      signatureFromAggregationResponse({ requestId: 1n, status: 0, aggregationChains: [] }),
    ).toThrow(FormatError);
  });

  it("sends an unauthenticated error alone, without header or HMAC", () => {
    const bytes = encodeErrorResponsePdu(PduTag.AGGREGATION_RESPONSE, {
      status: PduStatus.AUTHENTICATION_FAILURE,
      errorMessage: "unknown login id",
    });
    const { pdu, hmac } = decodeAggregationResponsePdu(bytes);
    expect(hmac).toBeUndefined();
    expect(pdu).toEqual({
      responses: [],
      error: { status: PduStatus.AUTHENTICATION_FAILURE, errorMessage: "unknown login id" },
    });
  });

  it("rejects content without header and HMAC other than an error, and a header without HMAC", () => {
    const error = tlv(PduChildTag.ERROR, encodeTlvSequence([uintTlv(0x04, 0x0101)]));
    const response = (...children: TlvElement[]) =>
      encodeTlv(tlv(PduTag.AGGREGATION_RESPONSE, encodeTlvSequence(children)));
    expect(
      pduError(() =>
        decodeAggregationResponsePdu(response(error, payload(uintTlv(0x01, 1), uintTlv(0x04, 0)))),
      ).code,
    ).toBe("PDU_UNAUTHENTICATED_CONTENT");
    expect(pduError(() => decodeAggregationResponsePdu(response(header, error))).code).toBe(
      "PDU_HMAC_HEADER_PAIR",
    );
  });

  it("rejects a configuration naming an unknown hash algorithm", () => {
    const config = tlv(PduChildTag.CONFIG, encodeTlvSequence([uintTlv(0x02, 0x03)]));
    const bytes = encodeTlv(tlv(PduTag.AGGREGATION_RESPONSE, encodeTlvSequence([header, config, hmac])));
    expect(pduError(() => decodeAggregationResponsePdu(bytes))).toMatchObject({
      status: PduStatus.INVALID_PAYLOAD,
      code: "TLV_UNKNOWN_ALGORITHM",
    });
  });
});

describe("status codes", () => {
  it("name the same code differently for aggregators and extenders", () => {
    expect(AggregatorStatus.OVER_QUOTA).toBe(0x0105);
    expect(ExtenderStatus.TIME_TOO_OLD).toBe(0x0105);
    expect(describeStatus("aggregator", 0x0105)?.name).toBe("OVER_QUOTA");
    expect(describeStatus("extender", 0x0105)?.name).toBe("TIME_TOO_OLD");
    expect(describeStatus("extender", 0x0202)?.name).toBe("DATABASE_CORRUPT");
    expect(describeStatus("aggregator", 0x0202)).toBeUndefined();
    expect(describeStatus("aggregator", PduStatus.AUTHENTICATION_FAILURE)?.message).toMatch(/authenticated/);
  });
});
