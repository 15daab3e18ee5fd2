import {
  bytesEqual,
  type CalendarHashChain,
  calendarChainAggregationTime,
  calendarChainOutput,
  decodeExtendResponsePdu,
  ExtenderStatus,
  type ExtendRequestPayload,
  type ExtendResponsePayload,
  encodeExtendRequestPdu,
  type Hasher,
  type Imprint,
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
  encode: (header, request, key, hmacAlgorithm, hasher) =>
    encodeExtendRequestPdu({ header, requests: [request] }, key, hmacAlgorithm, hasher),
  decode: (bytes, hasher) => decodeExtendResponsePdu(bytes, { maxPayloads: 1, hasher }),
};

/**
 * The chain answered, if it is one from the second asked for to the root asked for, and reaches
 * `root` when that is known (a root certified by a quorum or published): a node that answers another
 * chain is treated as failed.
 */
function acceptChain(
  payload: ExtendResponsePayload,
  aggregationTime: number,
  publicationTime: number | undefined,
  root: Imprint | undefined,
  endpoint: string,
  hasher: Hasher,
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
  if (root !== undefined && !bytesEqual(calendarChainOutput(chain, hasher), root)) {
    throw new ProtocolError(
      "BAD_CALENDAR_CHAIN",
      `${endpoint}: the extender's calendar chain does not reach the certified root at ${chain.publicationTime}`,
    );
  }
  return chain;
}

/**
 * The calendar hash chain from `aggregationTime` to the calendar root at `publicationTime` (the
 * newest root the answering node has when undefined), from the cluster's KSI extender; when `root`
 * is given, only a chain that reaches it.
 */
export function requestCalendarChain(
  channel: KsiChannel,
  aggregationTime: number,
  publicationTime: number | undefined,
  signal?: AbortSignal,
  root?: Imprint,
): Promise<CalendarHashChain> {
  const request = {
    requestId: channel.nextRequestId(),
    aggregationTime,
    ...(publicationTime !== undefined && { publicationTime }),
  };
  return channel.exchange(
    extender,
    request,
    (payload, endpoint) =>
      acceptChain(payload, aggregationTime, publicationTime, root, endpoint, channel.hasher),
    signal,
  );
}
