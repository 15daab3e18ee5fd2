import { checkAggregationLevel, MAX_AGGREGATION_LEVEL } from "../aggregation/chain.ts";
import { shiftChainStart } from "../aggregation/compose.ts";
import type { Hasher } from "../hash/hasher.ts";
import type { Imprint } from "../hash/imprint.ts";
import {
  assembleSignature,
  readSignatureComponents,
  SIGNATURE_COMPONENT_SPECS,
  type SignatureParts,
  signatureComponents,
} from "../signature/codec.ts";
import type { LinkMemo } from "../signature/link-writer.ts";
import { readImprint } from "../signature/readers.ts";
import { AggregationRequestTag, PduChildTag, PduTag, ResponseTag } from "../signature/tags.ts";
import type { KsiSignature } from "../signature/types.ts";
import { encodeTlvSequence } from "../tlv/codec.ts";
import { composite, type TlvPart } from "../tlv/composite.ts";
import { type TlvElement, tlv } from "../tlv/element.ts";
import { Fields } from "../tlv/fields.ts";
import { decodeSafeUint, decodeUint, uintTlv } from "../tlv/values.ts";
import { type AggregationAck, decodeAggregationAck, encodeAggregationAck } from "./ack.ts";
import { CONFIG_REQUEST, type ResponseBody, readConfigRequest, readResponseBody } from "./bodies.ts";
import { type AggregatorConfig, decodeAggregatorConfig, encodeAggregatorConfig } from "./config.ts";
import {
  type DecodedRequestPdu,
  type DecodedResponsePdu,
  openPdu,
  type PduAllocator,
  type PduHeader,
  PduKind,
  sealPdu,
} from "./envelope.ts";
import { encodeErrorPayload, readStatus, STATUS_SPECS, statusElements } from "./error-payload.ts";
import { PduError, withStatus } from "./errors.ts";
import { DEFAULT_HMAC_ALGORITHM } from "./hmac.ts";
import type { PduDecodeOptions } from "./limits.ts";
import { AggregatorStatus, describeStatus } from "./status.ts";

/** Aggregation PDUs (0x0220 request, 0x0221 response), spec §5. */

export interface AggregationRequestPayload {
  readonly requestId: bigint;
  readonly requestHash: Imprint;
  /** Level of the client's own tree root; absent for a plain document hash. */
  readonly requestLevel?: number;
}

export interface AggregationRequestPdu {
  readonly header: PduHeader;
  readonly requests: readonly AggregationRequestPayload[];
  /** The client asks for the aggregator configuration. */
  readonly configRequest?: boolean;
  readonly ackRequest?: AggregationAck;
}

/** One answer; on success it carries the components of the client's signature. */
export interface AggregationResponsePayload extends SignatureParts {
  readonly requestId: bigint;
  readonly status: number;
  readonly errorMessage?: string;
}

export interface AggregationResponsePdu extends ResponseBody<AggregationResponsePayload, AggregatorConfig> {
  readonly ack?: AggregationAck;
}

const REQUEST_PAYLOAD_SPECS = [
  { type: AggregationRequestTag.REQUEST_ID, name: "request id", min: 1 },
  { type: AggregationRequestTag.REQUEST_HASH, name: "request hash", min: 1 },
  { type: AggregationRequestTag.REQUEST_LEVEL, name: "request level" },
] as const;

function decodeRequestPayload(element: TlvElement): AggregationRequestPayload {
  const fields = new Fields(element, REQUEST_PAYLOAD_SPECS, "aggregation request payload");
  const level = fields.optional(AggregationRequestTag.REQUEST_LEVEL);
  const requestLevel = level === undefined ? undefined : decodeSafeUint(level);
  // KSI levels are one octet; a request above 255 could never be aggregated.
  if (requestLevel !== undefined && requestLevel > MAX_AGGREGATION_LEVEL) {
    throw new PduError(
      AggregatorStatus.INVALID_PAYLOAD,
      "PDU_REQUEST_LEVEL",
      `aggregation request level ${requestLevel} exceeds ${MAX_AGGREGATION_LEVEL}`,
    );
  }
  return {
    requestId: decodeUint(fields.required(AggregationRequestTag.REQUEST_ID)),
    requestHash: readImprint(fields.required(AggregationRequestTag.REQUEST_HASH), "request hash"),
    ...(requestLevel !== undefined && { requestLevel }),
  };
}

function encodeRequestPayload(payload: AggregationRequestPayload): TlvElement {
  const children = [
    uintTlv(AggregationRequestTag.REQUEST_ID, payload.requestId),
    tlv(AggregationRequestTag.REQUEST_HASH, payload.requestHash),
  ];
  if (payload.requestLevel !== undefined) {
    children.push(uintTlv(AggregationRequestTag.REQUEST_LEVEL, payload.requestLevel));
  }
  return tlv(PduChildTag.PAYLOAD, encodeTlvSequence(children));
}

const RESPONSE_PAYLOAD_SPECS = [
  { type: ResponseTag.REQUEST_ID, name: "request id", min: 1 },
  ...STATUS_SPECS,
  ...SIGNATURE_COMPONENT_SPECS,
] as const;

function decodeResponsePayload(element: TlvElement): AggregationResponsePayload {
  const fields = new Fields(element, RESPONSE_PAYLOAD_SPECS, "aggregation response payload");
  return {
    requestId: decodeUint(fields.required(ResponseTag.REQUEST_ID)),
    ...readStatus(fields),
    ...readSignatureComponents(fields),
  };
}

function encodeResponsePayload(payload: AggregationResponsePayload, memos: LinkMemo[]): TlvPart {
  return composite(PduChildTag.PAYLOAD, [
    uintTlv(ResponseTag.REQUEST_ID, payload.requestId),
    ...statusElements(payload.status, payload.errorMessage),
    ...signatureComponents(payload, memos),
  ]);
}

const REQUEST_PDU = new PduKind(
  PduTag.AGGREGATION_REQUEST,
  "aggregation request PDU",
  "request payload",
  [
    { type: PduChildTag.CONFIG, name: "configuration request" },
    { type: PduChildTag.ACK, name: "acknowledgment request" },
  ],
  "required",
);

const RESPONSE_PDU = new PduKind(
  PduTag.AGGREGATION_RESPONSE,
  "aggregation response PDU",
  "response payload",
  [
    { type: PduChildTag.ERROR, name: "error" },
    { type: PduChildTag.CONFIG, name: "configuration" },
    { type: PduChildTag.ACK, name: "acknowledgment" },
  ],
  "optional",
);

export function decodeAggregationRequestPdu(
  bytes: Uint8Array,
  options: PduDecodeOptions = {},
): DecodedRequestPdu<AggregationRequestPdu> {
  const { header, hmac, fields } = openPdu(bytes, REQUEST_PDU, options);
  const configRequest = readConfigRequest(fields, "aggregation request PDU");
  const ack = fields.optional(PduChildTag.ACK);
  const pdu = withStatus(AggregatorStatus.INVALID_PAYLOAD, () => ({
    header: header!,
    requests: fields.all(PduChildTag.PAYLOAD).map(decodeRequestPayload),
    ...(configRequest && { configRequest }),
    ...(ack !== undefined && { ackRequest: decodeAggregationAck(ack) }),
  }));
  return { pdu, hmac: hmac! };
}

export function encodeAggregationRequestPdu(
  pdu: AggregationRequestPdu,
  key: Uint8Array,
  algorithm: number = DEFAULT_HMAC_ALGORITHM,
  hasher?: Hasher,
): Uint8Array {
  const body = pdu.requests.map(encodeRequestPayload);
  if (pdu.configRequest === true) body.push(CONFIG_REQUEST);
  if (pdu.ackRequest !== undefined) body.push(encodeAggregationAck(pdu.ackRequest));
  return sealPdu(PduTag.AGGREGATION_REQUEST, pdu.header, body, key, algorithm, undefined, hasher);
}

export function decodeAggregationResponsePdu(
  bytes: Uint8Array,
  options: PduDecodeOptions = {},
): DecodedResponsePdu<AggregationResponsePdu> {
  const opened = openPdu(bytes, RESPONSE_PDU, options);
  const ack = opened.fields.optional(PduChildTag.ACK);
  const pdu = withStatus(AggregatorStatus.INVALID_PAYLOAD, () => ({
    ...readResponseBody(opened, "aggregation response PDU", decodeResponsePayload, decodeAggregatorConfig),
    ...(ack !== undefined && { ack: decodeAggregationAck(ack) }),
  }));
  return { pdu, ...(opened.hmac !== undefined && { hmac: opened.hmac }) };
}

export function encodeAggregationResponsePdu(
  pdu: AggregationResponsePdu & { readonly header: PduHeader },
  key: Uint8Array,
  algorithm: number = DEFAULT_HMAC_ALGORITHM,
  allocate?: PduAllocator,
  hasher?: Hasher,
): Uint8Array {
  // The payloads of one response share their chains' common links (see LinkMemo).
  const memos: LinkMemo[] = [];
  const body = pdu.responses.map((payload) => encodeResponsePayload(payload, memos));
  if (pdu.error !== undefined) body.push(encodeErrorPayload(pdu.error));
  if (pdu.config !== undefined) body.push(encodeAggregatorConfig(pdu.config));
  if (pdu.ack !== undefined) body.push(encodeAggregationAck(pdu.ack));
  return sealPdu(PduTag.AGGREGATION_RESPONSE, pdu.header, body, key, algorithm, allocate, hasher);
}

/**
 * The client's signature from a successful response payload to a request at `requestLevel`. The
 * response's first chain starts at the request's level, as it does for libksi and Guardtime's other
 * SDKs; a signature's first chain starts at level 0, so the level goes into its first link's level
 * correction (the GEN-03 rule then checks it against the input level a verifier is given). A
 * non-zero status becomes a PduError with that status; components that do not form a signature are a
 * FormatError, a level correction that no longer fits a level an AggregationError.
 */
export function signatureFromAggregationResponse(
  payload: AggregationResponsePayload,
  requestLevel = 0,
): KsiSignature {
  const { requestId, status, errorMessage, ...parts } = payload;
  if (status !== AggregatorStatus.OK) {
    const message = errorMessage ?? describeStatus("aggregator", status)?.message ?? "unknown status";
    throw new PduError(status, "AGGREGATION_FAILED", `aggregation request ${requestId} failed: ${message}`, {
      requestId,
    });
  }
  return withFirstChainStart(assembleSignature(parts), -checkAggregationLevel(requestLevel, "request level"));
}

/**
 * The successful response payload that hands `signature` to the client that sent `requestId` at
 * `requestLevel`: the inverse of signatureFromAggregationResponse. Throws AggregationError when the
 * signature's first link does not hold the request's level.
 */
export function aggregationResponsePayloadFor(
  requestId: bigint,
  signature: KsiSignature,
  requestLevel = 0,
): AggregationResponsePayload {
  const { source: _wholeSignature, ...parts } = withFirstChainStart(
    signature,
    checkAggregationLevel(requestLevel, "request level"),
  );
  return { requestId, status: AggregatorStatus.OK, ...parts };
}

/** `signature` with its first chain recomputed from `delta` levels higher (see shiftChainStart). */
function withFirstChainStart(signature: KsiSignature, delta: number): KsiSignature {
  if (delta === 0) return signature;
  const { source: _wholeSignature, aggregationChains, ...parts } = signature;
  const [first, ...rest] = aggregationChains;
  return { ...parts, aggregationChains: [shiftChainStart(first!, delta), ...rest] };
}
