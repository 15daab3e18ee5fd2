import {
  type AggregationRequestPayload,
  type AggregationResponsePayload,
  AggregatorStatus,
  decodeAggregationResponsePdu,
  encodeAggregationRequestPdu,
  type Hasher,
  type Imprint,
  internalPolicy,
  type KsiSignature,
  keyPolicy,
  type QuorumTrust,
  signatureFromAggregationResponse,
  TempelError,
  verifySignature,
} from "@tempel/proto";
import { ProtocolError } from "../errors.ts";
import type { KsiChannel, KsiService } from "../transport/ksi-channel.ts";

const aggregator: KsiService<AggregationRequestPayload, AggregationResponsePayload> = {
  name: "aggregator",
  path: "/ksi/aggregator",
  retryableStatuses: new Set([
    AggregatorStatus.TOO_MANY_REQUESTS,
    AggregatorStatus.INTERNAL_ERROR,
    AggregatorStatus.UPSTREAM_ERROR,
    AggregatorStatus.UPSTREAM_TIMEOUT,
  ]),
  encode: (header, request, key, hmacAlgorithm, hasher) =>
    encodeAggregationRequestPdu({ header, requests: [request] }, key, hmacAlgorithm, hasher),
  decode: (bytes, hasher) => decodeAggregationResponsePdu(bytes, { maxPayloads: 1, hasher }),
};

/**
 * The signature the aggregator answered, accepted only if it is internally consistent and covers
 * exactly the hash and level that were sent, and, when the cluster's members are known, its calendar
 * root carries a quorum certificate of them: a node cannot hand out a signature for something else,
 * nor one that only it (its own calendar auth record or certificate share) vouches for. Either is a
 * ProtocolError, so the request moves on to another node. The answer's first chain starts at the
 * request's level, as for libksi and Guardtime's other SDKs; the signature's starts at level 0, with
 * that level in its first link.
 */
async function acceptSignature(
  payload: AggregationResponsePayload,
  imprint: Imprint,
  level: number,
  trust: QuorumTrust | undefined,
  endpoint: string,
  hasher: Hasher,
): Promise<KsiSignature> {
  let signature: KsiSignature;
  try {
    signature = signatureFromAggregationResponse(payload, level);
  } catch (error) {
    if (!(error instanceof TempelError)) throw error;
    throw new ProtocolError("BAD_SIGNATURE", `${endpoint} answered parts of no signature: ${error.message}`);
  }
  const check = await verifySignature(
    signature,
    { documentHash: imprint, inputLevel: level, hasher },
    internalPolicy,
  );
  if (check.result !== "OK") {
    throw new ProtocolError(
      "BAD_SIGNATURE",
      `${endpoint} answered a signature that does not verify for the hash sent: ${check.code} ${check.message}`,
    );
  }
  if (trust === undefined) return signature;
  const certified = await verifySignature(signature, { quorumTrust: trust, hasher }, keyPolicy);
  if (certified.result !== "OK") {
    throw new ProtocolError(
      "UNCERTIFIED_SIGNATURE",
      `${endpoint} answered a signature whose calendar root is not certified by a quorum of the trusted members: ${certified.code} ${certified.message}`,
    );
  }
  return signature;
}

/**
 * Sign one imprint at `level` (the height of the client's own tree above it, 0 for a plain hash);
 * with `trust`, only a signature certified by a quorum of its members is accepted.
 */
export function requestSignature(
  channel: KsiChannel,
  imprint: Imprint,
  level: number,
  trust: QuorumTrust | undefined,
  signal?: AbortSignal,
): Promise<KsiSignature> {
  const request = {
    requestId: channel.nextRequestId(),
    requestHash: imprint,
    ...(level > 0 && { requestLevel: level }),
  };
  return channel.exchange(
    aggregator,
    request,
    (payload, endpoint) => acceptSignature(payload, imprint, level, trust, endpoint, channel.hasher),
    signal,
  );
}
