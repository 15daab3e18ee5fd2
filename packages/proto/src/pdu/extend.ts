import type { Hasher } from "../hash/hasher.ts";
import { decodeCalendarChain, encodeCalendarChain } from "../signature/calendar-chain.ts";
import { ExtendRequestTag, PduChildTag, PduTag, ResponseTag, SignatureTag } from "../signature/tags.ts";
import type { CalendarHashChain } from "../signature/types.ts";
import { encodeTlvSequence } from "../tlv/codec.ts";
import { type TlvElement, tlv } from "../tlv/element.ts";
import { Fields } from "../tlv/fields.ts";
import { decodeSafeUint, decodeUint, uintTlv } from "../tlv/values.ts";
import { CONFIG_REQUEST, type ResponseBody, readConfigRequest, readResponseBody } from "./bodies.ts";
import { decodeExtenderConfig, type ExtenderConfig, encodeExtenderConfig } from "./config.ts";
import {
  type DecodedRequestPdu,
  type DecodedResponsePdu,
  openPdu,
  type PduHeader,
  PduKind,
  sealPdu,
} from "./envelope.ts";
import { encodeErrorPayload, readStatus, STATUS_SPECS, statusElements } from "./error-payload.ts";
import { withStatus } from "./errors.ts";
import { DEFAULT_HMAC_ALGORITHM } from "./hmac.ts";
import type { PduDecodeOptions } from "./limits.ts";
import { ExtenderStatus } from "./status.ts";

/** Extension PDUs (0x0320 request, 0x0321 response), spec §5. */

export interface ExtendRequestPayload {
  readonly requestId: bigint;
  /** The round the calendar chain starts from. */
  readonly aggregationTime: number;
  /** The calendar root it should reach; absent means the newest one. */
  readonly publicationTime?: number;
}

export interface ExtendRequestPdu {
  readonly header: PduHeader;
  readonly requests: readonly ExtendRequestPayload[];
  readonly configRequest?: boolean;
}

export interface ExtendResponsePayload {
  readonly requestId: bigint;
  readonly status: number;
  readonly errorMessage?: string;
  /** Aggregation time of the newest calendar entry the extender has. */
  readonly calendarLastTime?: number;
  readonly calendarChain?: CalendarHashChain;
}

export type ExtendResponsePdu = ResponseBody<ExtendResponsePayload, ExtenderConfig>;

const REQUEST_PAYLOAD_SPECS = [
  { type: ExtendRequestTag.REQUEST_ID, name: "request id", min: 1 },
  { type: ExtendRequestTag.AGGREGATION_TIME, name: "aggregation time", min: 1 },
  { type: ExtendRequestTag.PUBLICATION_TIME, name: "publication time" },
] as const;

function decodeRequestPayload(element: TlvElement): ExtendRequestPayload {
  const fields = new Fields(element, REQUEST_PAYLOAD_SPECS, "extension request payload");
  const publicationTime = fields.optional(ExtendRequestTag.PUBLICATION_TIME);
  return {
    requestId: decodeUint(fields.required(ExtendRequestTag.REQUEST_ID)),
    aggregationTime: decodeSafeUint(fields.required(ExtendRequestTag.AGGREGATION_TIME)),
    ...(publicationTime !== undefined && { publicationTime: decodeSafeUint(publicationTime) }),
  };
}

function encodeRequestPayload(payload: ExtendRequestPayload): TlvElement {
  const children = [
    uintTlv(ExtendRequestTag.REQUEST_ID, payload.requestId),
    uintTlv(ExtendRequestTag.AGGREGATION_TIME, payload.aggregationTime),
  ];
  if (payload.publicationTime !== undefined) {
    children.push(uintTlv(ExtendRequestTag.PUBLICATION_TIME, payload.publicationTime));
  }
  return tlv(PduChildTag.PAYLOAD, encodeTlvSequence(children));
}

const RESPONSE_PAYLOAD_SPECS = [
  { type: ResponseTag.REQUEST_ID, name: "request id", min: 1 },
  ...STATUS_SPECS,
  { type: ResponseTag.CALENDAR_LAST_TIME, name: "calendar last time" },
  { type: SignatureTag.CALENDAR_CHAIN, name: "calendar hash chain" },
] as const;

function decodeResponsePayload(element: TlvElement): ExtendResponsePayload {
  const fields = new Fields(element, RESPONSE_PAYLOAD_SPECS, "extension response payload");
  const lastTime = fields.optional(ResponseTag.CALENDAR_LAST_TIME);
  const chain = fields.optional(SignatureTag.CALENDAR_CHAIN);
  return {
    requestId: decodeUint(fields.required(ResponseTag.REQUEST_ID)),
    ...readStatus(fields),
    ...(lastTime !== undefined && { calendarLastTime: decodeSafeUint(lastTime) }),
    ...(chain !== undefined && { calendarChain: decodeCalendarChain(chain) }),
  };
}

function encodeResponsePayload(payload: ExtendResponsePayload): TlvElement {
  const children = [
    uintTlv(ResponseTag.REQUEST_ID, payload.requestId),
    ...statusElements(payload.status, payload.errorMessage),
  ];
  if (payload.calendarLastTime !== undefined) {
    children.push(uintTlv(ResponseTag.CALENDAR_LAST_TIME, payload.calendarLastTime));
  }
  if (payload.calendarChain !== undefined) children.push(encodeCalendarChain(payload.calendarChain));
  return tlv(PduChildTag.PAYLOAD, encodeTlvSequence(children));
}

const REQUEST_PDU = new PduKind(
  PduTag.EXTEND_REQUEST,
  "extension request PDU",
  "request payload",
  [{ type: PduChildTag.CONFIG, name: "configuration request" }],
  "required",
);

const RESPONSE_PDU = new PduKind(
  PduTag.EXTEND_RESPONSE,
  "extension response PDU",
  "response payload",
  [
    { type: PduChildTag.ERROR, name: "error" },
    { type: PduChildTag.CONFIG, name: "configuration" },
  ],
  "optional",
);

export function decodeExtendRequestPdu(
  bytes: Uint8Array,
  options: PduDecodeOptions = {},
): DecodedRequestPdu<ExtendRequestPdu> {
  const { header, hmac, fields } = openPdu(bytes, REQUEST_PDU, options);
  const configRequest = readConfigRequest(fields, "extension request PDU");
  const pdu = withStatus(ExtenderStatus.INVALID_PAYLOAD, () => ({
    header: header!,
    requests: fields.all(PduChildTag.PAYLOAD).map(decodeRequestPayload),
    ...(configRequest && { configRequest }),
  }));
  return { pdu, hmac: hmac! };
}

export function encodeExtendRequestPdu(
  pdu: ExtendRequestPdu,
  key: Uint8Array,
  algorithm: number = DEFAULT_HMAC_ALGORITHM,
  hasher?: Hasher,
): Uint8Array {
  const body = pdu.requests.map(encodeRequestPayload);
  if (pdu.configRequest === true) body.push(CONFIG_REQUEST);
  return sealPdu(PduTag.EXTEND_REQUEST, pdu.header, body, key, algorithm, undefined, hasher);
}

export function decodeExtendResponsePdu(
  bytes: Uint8Array,
  options: PduDecodeOptions = {},
): DecodedResponsePdu<ExtendResponsePdu> {
  const opened = openPdu(bytes, RESPONSE_PDU, options);
  const pdu = withStatus(ExtenderStatus.INVALID_PAYLOAD, () =>
    readResponseBody(opened, "extension response PDU", decodeResponsePayload, decodeExtenderConfig),
  );
  return { pdu, ...(opened.hmac !== undefined && { hmac: opened.hmac }) };
}

export function encodeExtendResponsePdu(
  pdu: ExtendResponsePdu & { readonly header: PduHeader },
  key: Uint8Array,
  algorithm: number = DEFAULT_HMAC_ALGORITHM,
  hasher?: Hasher,
): Uint8Array {
  const body = pdu.responses.map(encodeResponsePayload);
  if (pdu.error !== undefined) body.push(encodeErrorPayload(pdu.error));
  if (pdu.config !== undefined) body.push(encodeExtenderConfig(pdu.config));
  return sealPdu(PduTag.EXTEND_RESPONSE, pdu.header, body, key, algorithm, undefined, hasher);
}
