import {
  type CalendarHashChain,
  calendarChainAggregationTime,
  decodeExtendResponsePdu,
  ExtenderStatus,
  type ExtendRequestPayload,
  type ExtendResponsePayload,
  encodeExtendRequestPdu,
} from "@tempel/proto";
import { ProtocolError } from "../errors.ts";
import type { KsiChannel, KsiService } from "../transport/ksi-channel.ts";

const extender: KsiService<ExtendRequestPayload, ExtendResponsePayload> = {
  name: "extender",
  path: "/ksi/extender",
  // TIME_TOO_NEW: a node that lags behind the cluster may not have the second yet; another may.
  retryableStatuses: new Set([
    ExtenderStatus.TIME_TOO_NEW,
    ExtenderStatus.INTERNAL_ERROR,
    ExtenderStatus.DATABASE_MISSING,
    ExtenderStatus.DATABASE_CORRUPT,
    ExtenderStatus.UPSTREAM_ERROR,
    ExtenderStatus.UPSTREAM_TIMEOUT,
  ]),
  encode: (header, request, key, hmacAlgorithm) =>
    encodeExtendRequestPdu({ header, requests: [request] }, key, hmacAlgorithm),
  decode: (bytes) => decodeExtendResponsePdu(bytes, { maxPayloads: 1 }),
};

/** The chain answered, if it is one from the second asked for to the root asked for. */
function acceptChain(
  payload: ExtendResponsePayload,
  aggregationTime: number,
  publicationTime: number | undefined,
  endpoint: string,
): CalendarHashChain {
  const chain = payload.calendarChain;
  if (
    chain === undefined ||
    chain.aggregationTime !== aggregationTime ||
    (publicationTime !== undefined && chain.publicationTime !== publicationTime) ||
    calendarChainAggregationTime(chain.links, chain.publicationTime) !== aggregationTime
  ) {
    throw new ProtocolError(
      "BAD_CALENDAR_CHAIN",
      `${endpoint}: the extender did not answer a calendar chain from second ${aggregationTime}` +
        (publicationTime === undefined ? "" : ` to ${publicationTime}`),
    );
  }
  return chain;
}

/**
 * The calendar hash chain from `aggregationTime` to the calendar root at `publicationTime` (the
 * newest root the answering node has when undefined), from the cluster's KSI extender.
 */
export function requestCalendarChain(
  channel: KsiChannel,
  aggregationTime: number,
  publicationTime: number | undefined,
  signal?: AbortSignal,
): Promise<CalendarHashChain> {
  const request = {
    requestId: channel.nextRequestId(),
    aggregationTime,
    ...(publicationTime !== undefined && { publicationTime }),
  };
  return channel.exchange(
    extender,
    request,
    (payload, endpoint) => acceptChain(payload, aggregationTime, publicationTime, endpoint),
    signal,
  );
}
