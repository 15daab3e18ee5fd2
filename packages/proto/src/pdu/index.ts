export type { AggregationAck } from "./ack.ts";
export {
  type AggregationRequestPayload,
  type AggregationRequestPdu,
  type AggregationResponsePayload,
  type AggregationResponsePdu,
  aggregationResponsePayloadFor,
  decodeAggregationRequestPdu,
  decodeAggregationResponsePdu,
  encodeAggregationRequestPdu,
  encodeAggregationResponsePdu,
  signatureFromAggregationResponse,
} from "./aggregation.ts";
export type { ResponseBody } from "./bodies.ts";
export type { AggregatorConfig, ExtenderConfig } from "./config.ts";
export type { DecodedRequestPdu, DecodedResponsePdu, PduAllocator, PduHeader, PduHmac } from "./envelope.ts";
export { type ErrorPayload, encodeErrorResponsePdu, type ResponsePduType } from "./error-payload.ts";
export { PduError } from "./errors.ts";
export {
  decodeExtendRequestPdu,
  decodeExtendResponsePdu,
  type ExtendRequestPayload,
  type ExtendRequestPdu,
  type ExtendResponsePayload,
  type ExtendResponsePdu,
  encodeExtendRequestPdu,
  encodeExtendResponsePdu,
} from "./extend.ts";
export { computePduHmac, DEFAULT_HMAC_ALGORITHM } from "./hmac.ts";
export * from "./limits.ts";
export * from "./status.ts";
