import { describe, expect, it } from "vitest";
import {
  decodeExtendRequestPdu,
  decodeExtendResponsePdu,
  decodeSignature,
  ExtenderStatus,
  type ExtendRequestPdu,
  encodeErrorResponsePdu,
  encodeExtendRequestPdu,
  encodeExtendResponsePdu,
  encodeTlv,
  encodeTlvSequence,
  PduChildTag,
  PduError,
  PduStatus,
  PduTag,
  stringTlv,
  type TlvElement,
  tlv,
  uintTlv,
} from "../../src/index.ts";
import { readTestPackFile, withoutSources } from "./helpers/testpack.ts";

const KEY = new TextEncoder().encode("extender-key");
const HEADER = { loginId: "agency-2" };

describe("extension request PDU", () => {
  const request: ExtendRequestPdu = {
    header: HEADER,
    requests: [
      { requestId: 1n, aggregationTime: 1_700_000_000, publicationTime: 1_702_598_400 },
      { requestId: 2n, aggregationTime: 1_700_000_001 },
    ],
    configRequest: true,
  };

  it("round-trips payloads with and without a publication time, and a configuration request", () => {
    const { pdu, hmac } = decodeExtendRequestPdu(encodeExtendRequestPdu(request, KEY));
    expect(pdu).toEqual(request);
    expect(hmac.check(KEY)).toBe(true);
  });

  it("answers a payload without aggregation time, or with a time past 2^53 - 1, with INVALID_PAYLOAD", () => {
    const header = tlv(PduChildTag.HEADER, encodeTlvSequence([stringTlv(0x01, "agency-2")]));
    const hmac = tlv(PduChildTag.HMAC, Uint8Array.of(0x01, ...new Uint8Array(32)));
    const withPayload = (...children: TlvElement[]) =>
      encodeTlv(
        tlv(
          PduTag.EXTEND_REQUEST,
          encodeTlvSequence([header, tlv(PduChildTag.PAYLOAD, encodeTlvSequence(children)), hmac]),
        ),
      );
    const cases = [
      [withPayload(uintTlv(0x01, 1)), "TLV_MISSING"],
      [withPayload(uintTlv(0x01, 1), uintTlv(0x02, 2n ** 60n)), "TLV_INTEGER_RANGE"],
    ] as const;
    for (const [bytes, code] of cases) {
      expect(() => decodeExtendRequestPdu(bytes)).toThrow(
        expect.objectContaining({ status: PduStatus.INVALID_PAYLOAD, code }),
      );
    }
  });
});

describe("extension response PDU", () => {
  const guardtimeResponse = readTestPackFile(
    "valid-signatures",
    "resources",
    "extender-response-for-signature-with-deprecated-function-in-calendar-chain.tlv",
  );

  it("decodes Guardtime's extender response and re-encodes it, HMAC included, byte for byte", () => {
    const { pdu } = decodeExtendResponsePdu(guardtimeResponse);
    const [response] = pdu.responses;
    expect(response).toMatchObject({ requestId: 1n, status: ExtenderStatus.OK });
    expect(response!.calendarChain).toMatchObject({
      publicationTime: 1710452045,
      aggregationTime: 1710452040,
    });
    const key = new TextEncoder().encode("anon");
    expect(encodeExtendResponsePdu({ ...pdu, header: pdu.header! }, key)).toEqual(guardtimeResponse);
  });

  it("round-trips a calendar chain built without source, the last calendar time and the extender configuration", () => {
    const chain = withoutSources(
      decodeSignature(readTestPackFile("valid-signatures", "signature-extended.ksig")).calendarChain!,
    );
    const config = {
      maxRequests: 100,
      parentUris: [],
      calendarFirstTime: 1_600_000_000,
      calendarLastTime: 1_700_000_000,
    };
    const response = { requestId: 4n, status: 0, calendarLastTime: 1_700_000_000, calendarChain: chain };
    const bytes = encodeExtendResponsePdu({ header: HEADER, responses: [response], config }, KEY);
    const { pdu, hmac } = decodeExtendResponsePdu(bytes);
    expect(hmac?.check(KEY)).toBe(true);
    expect(withoutSources(pdu.responses)).toEqual([response]);
    expect(pdu.config).toEqual(config);
  });

  it("reports a failed extension by status and message", () => {
    const failed = {
      requestId: 5n,
      status: ExtenderStatus.TIME_TOO_NEW,
      errorMessage: "not yet in the calendar",
    };
    const { pdu } = decodeExtendResponsePdu(
      encodeExtendResponsePdu({ header: HEADER, responses: [failed] }, KEY),
    );
    expect(pdu.responses).toEqual([failed]);
  });

  it("sends an unauthenticated error alone, which no request decoder accepts", () => {
    const bytes = encodeErrorResponsePdu(PduTag.EXTEND_RESPONSE, { status: PduStatus.INVALID_REQUEST });
    expect(decodeExtendResponsePdu(bytes).pdu).toEqual({
      responses: [],
      error: { status: PduStatus.INVALID_REQUEST },
    });
    expect(() => decodeExtendRequestPdu(bytes)).toThrow(PduError);
  });
});
