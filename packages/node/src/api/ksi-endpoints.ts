import {
  type AggregationRequestPdu,
  type AggregationResponsePayload,
  aggregationResponsePayloadFor,
  type DecodedRequestPdu,
  decodeAggregationRequestPdu,
  decodeExtendRequestPdu,
  ExtenderStatus,
  type ExtendRequestPdu,
  type ExtendResponsePayload,
  encodeAggregationResponsePdu,
  encodeErrorResponsePdu,
  encodeExtendResponsePdu,
  type Hasher,
  type PduDecodeOptions,
  PduError,
  PduStatus,
  PduTag,
  type ResponsePduType,
} from "@tempel/proto";
import type {
  Agency,
  AgencyRegistry,
  HashRequest,
  RoundOptions,
  RoundSubmitter,
  SignedHashes,
} from "../aggregation/index.ts";
import { checkHashRequest, HashRequestError, RoundRejection } from "../aggregation/index.ts";
import type { Logger } from "../logger/index.ts";
import type { RejectReason } from "../metrics/index.ts";
import {
  CalendarRangeError,
  type CalendarReader,
  calendarChainBetween,
  isContradictedCalendar,
} from "../store/index.ts";
import { type KsiCode, ksiRule } from "./error-table.ts";
import { HttpError } from "./http-error.ts";
import type { ApiMetrics } from "./metrics.ts";
import type { ApiOptions } from "./options.ts";
import { STAND_IN_KEY } from "./stand-in-key.ts";

export type KsiEndpointOptions = Pick<ApiOptions, "maxPduBytes" | "maxPduPayloads"> &
  Pick<RoundOptions, "maxLevel">;

export interface KsiEndpointModules {
  readonly agencies: AgencyRegistry;
  readonly rounds: RoundSubmitter;
  /** Undefined on a gateway tier, which keeps no calendar: it serves no extender (routes.ts). */
  readonly calendar: CalendarReader | undefined;
  /** KSI id of the algorithm the node aggregates with (announced in the aggregator configuration). */
  readonly algorithm: number;
  /** What PDU HMACs are checked and written with (node:crypto in the node). */
  readonly hasher: Hasher;
  readonly metrics: ApiMetrics;
  readonly logger: Logger;
  readonly now: () => number;
}

/**
 * The KSI aggregator and extender (PDU v2 over HTTP). Every answer is a PDU: faults of one request
 * payload are that payload's status, faults of the whole PDU an error response. Responses to an
 * authenticated request carry an HMAC under the agency's key with the request's HMAC algorithm;
 * a request that cannot be authenticated gets the reduced error PDU, which has no HMAC.
 */
export class KsiEndpoints {
  readonly #options: KsiEndpointOptions;
  readonly #modules: KsiEndpointModules;

  constructor(options: KsiEndpointOptions, modules: KsiEndpointModules) {
    this.#options = options;
    this.#modules = modules;
  }

  /**
   * Checks the PDU and its payloads at once and hands the hashes to the round. What waits for the
   * round (about a second, for every request the node holds) is kept small: the payloads' answers
   * so far and the accepted payloads' indexes, not the decoding's intermediate objects. A PDU that
   * needs no round (refused, or only asking for the configuration) is answered at once.
   */
  aggregate(body: Uint8Array): Promise<Uint8Array> | Uint8Array {
    const opened = this.#open(body, PduTag.AGGREGATION_RESPONSE, decodeAggregationRequestPdu);
    if (opened instanceof Uint8Array) return opened;
    const { pdu, agency, hmacAlgorithm } = opened;
    const { header, requests, configRequest } = pdu;
    // What the answer needs of the payloads: the closures below keep these, not the decoded PDU.
    const requestIds = requests.map((request) => request.requestId);
    const nowSeconds = Math.floor(this.#modules.now() / 1000);
    const responses: AggregationResponsePayload[] = new Array(requests.length);
    // Indexes of the payloads whose hashes go into the round, in the order of `hashes`. Both are
    // sized up front: the round keeps `hashes`, and arrays grown by push keep spare capacity.
    const accepted = new Array<number>(requests.length);
    const hashes = new Array<HashRequest>(requests.length);
    let count = 0;
    for (let index = 0; index < requests.length; index++) {
      const request = requests[index]!;
      try {
        hashes[count] = checkHashRequest(
          request.requestHash,
          request.requestLevel ?? 0,
          this.#options.maxLevel,
          nowSeconds,
        );
        accepted[count++] = index;
      } catch (error) {
        if (!(error instanceof HashRequestError)) throw error;
        const status = this.#refusedFor(error.code, "ksi_aggregator", error.message);
        responses[index] = failedPayload(request.requestId, status, error.message);
      }
    }
    const answer = () =>
      encodeAggregationResponsePdu(
        {
          // The same login, instance and message ids: what the client matches the response by.
          header,
          responses,
          ...(configRequest === true && {
            config: {
              maxLevel: this.#options.maxLevel,
              aggregationAlgorithm: this.#modules.algorithm,
              aggregationPeriod: 1000,
              maxRequests: this.#options.maxPduPayloads,
              parentUris: [],
            },
          }),
        },
        agency.key,
        hmacAlgorithm,
        fromBufferPool,
        this.#modules.hasher,
      );
    if (count === 0) return answer();
    accepted.length = count;
    hashes.length = count;
    const refuse = (error: unknown) => {
      if (!(error instanceof RoundRejection)) throw error;
      const status = this.#refusedFor(error.code, "ksi_aggregator", error.message);
      for (const index of accepted) {
        responses[index] = failedPayload(requestIds[index]!, status, error.message);
      }
      return answer();
    };
    let signed: Promise<SignedHashes>;
    try {
      signed = this.#modules.rounds.submit(agency, hashes);
    } catch (error) {
      return refuse(error);
    }
    return signed.then((round) => {
      for (let i = 0; i < accepted.length; i++) {
        const index = accepted[i]!;
        // The answer's first chain starts at the request's level, as KSI clients recompute it.
        responses[index] = aggregationResponsePayloadFor(
          requestIds[index]!,
          round.signature(i),
          hashes[i]!.level,
        );
      }
      return answer();
    }, refuse);
  }

  /** Whether this node extends signatures: a core member does, a gateway tier does not. */
  get extends(): boolean {
    return this.#modules.calendar !== undefined;
  }

  async extend(body: Uint8Array): Promise<Uint8Array> {
    const { calendar } = this.#modules;
    if (calendar === undefined)
      throw new HttpError("NOT_FOUND", "this gateway does not extend; ask a core node");
    const opened = this.#open(body, PduTag.EXTEND_RESPONSE, decodeExtendRequestPdu);
    if (opened instanceof Uint8Array) return opened;
    const { pdu, agency, hmacAlgorithm } = opened;
    const nowSeconds = Math.floor(this.#modules.now() / 1000);
    const responses: ExtendResponsePayload[] = [];
    for (const request of pdu.requests) {
      const head = calendar.head;
      const calendarLastTime = head >= calendar.genesisTime ? head : undefined;
      try {
        const calendarChain = await calendarChainBetween(
          calendar,
          request.aggregationTime,
          request.publicationTime,
          nowSeconds,
        );
        responses.push({
          requestId: request.requestId,
          status: ExtenderStatus.OK,
          calendarLastTime: head,
          calendarChain,
        });
      } catch (error) {
        if (isContradictedCalendar(error)) {
          // This node's calendar no longer matches what the cluster certified: the client must ask
          // another node.
          this.#modules.logger.error("extend refused: calendar contradicts a certificate", { error });
          responses.push({
            requestId: request.requestId,
            status: ksiRule(error.code).ksi,
            errorMessage: error.message,
          });
          continue;
        }
        if (!(error instanceof CalendarRangeError)) throw error;
        const status = this.#refusedFor(error.code, "ksi_extender", error.message);
        responses.push({
          requestId: request.requestId,
          status,
          errorMessage: error.message,
          ...(calendarLastTime !== undefined && { calendarLastTime }),
        });
      }
    }
    return encodeExtendResponsePdu(
      {
        // The same login, instance and message ids: what the client matches the response by.
        header: pdu.header,
        responses,
        ...(pdu.configRequest === true && {
          config: {
            maxRequests: this.#options.maxPduPayloads,
            parentUris: [],
            calendarFirstTime: calendar.genesisTime,
            ...(calendar.head >= calendar.genesisTime && { calendarLastTime: calendar.head }),
          },
        }),
      },
      agency.key,
      hmacAlgorithm,
      this.#modules.hasher,
    );
  }

  /**
   * Decode and authenticate a request PDU: the agency is looked up by the header's login id before
   * the HMAC is checked with its key. Returns the reduced error response when either fails.
   */
  #open<T extends AggregationRequestPdu | ExtendRequestPdu>(
    body: Uint8Array,
    responseType: ResponsePduType,
    decode: (bytes: Uint8Array, options: PduDecodeOptions) => DecodedRequestPdu<T>,
  ): { pdu: T; agency: Agency; hmacAlgorithm: number } | Uint8Array {
    const endpoint = responseType === PduTag.AGGREGATION_RESPONSE ? "ksi_aggregator" : "ksi_extender";
    const refuse = (reason: RejectReason, status: number, message: string, detail?: object) => {
      this.#refused(reason, endpoint, status, message, detail);
      return encodeErrorResponsePdu(responseType, { status, errorMessage: message });
    };
    let decoded: DecodedRequestPdu<T>;
    try {
      decoded = decode(body, {
        maxBytes: this.#options.maxPduBytes,
        maxPayloads: this.#options.maxPduPayloads,
        hasher: this.#modules.hasher,
      });
    } catch (error) {
      if (!(error instanceof PduError)) throw error;
      return refuse(
        error.status === PduStatus.AUTHENTICATION_FAILURE ? "unauthenticated" : "bad_request",
        error.status,
        error.message,
      );
    }
    const { pdu, hmac } = decoded;
    const agency = this.#modules.agencies.get(pdu.header.loginId);
    // An unknown login is answered as a wrong HMAC, after as much work (stand-in-key.ts); only
    // the log tells them apart.
    if (!hmac.check(agency?.key ?? STAND_IN_KEY) || agency === undefined) {
      const message = "the login id and the PDU's HMAC do not match an agency and its key";
      const status = this.#refusedFor("AUTHENTICATION_FAILED", endpoint, message, {
        knownLogin: agency !== undefined,
      });
      return encodeErrorResponsePdu(responseType, { status, errorMessage: message });
    }
    return { pdu, agency, hmacAlgorithm: hmac.algorithm };
  }

  /**
   * The KSI status for a refusal's code (error-table.ts), the refusal counted and logged if the table
   * gives it a reason (a failed round is the node's fault, logged by the rounds instead).
   */
  #refusedFor(code: KsiCode, endpoint: string, message: string, detail?: object): number {
    const rule = ksiRule(code);
    if (rule.reason !== undefined) this.#refused(rule.reason, endpoint, rule.ksi, message, detail);
    return rule.ksi;
  }

  #refused(reason: RejectReason, endpoint: string, status: number, message: string, detail?: object): void {
    this.#modules.metrics.rejectedRequests.inc({ reason });
    this.#modules.logger.info("request refused", {
      endpoint,
      status: `0x${status.toString(16).padStart(4, "0")}`,
      message,
      ...detail,
    });
  }
}

/**
 * Aggregation responses are a couple of kilobytes and answered by the thousand each second: Node's
 * Buffer pool hands out slices of one slab for several, where each fresh array has its own backing
 * store to allocate and collect.
 */
const fromBufferPool = (length: number): Uint8Array => Buffer.allocUnsafe(length);

/** A payload that carries a status instead of signature components (proto's type asks for a chain list). */
function failedPayload(requestId: bigint, status: number, errorMessage: string): AggregationResponsePayload {
  return { requestId, status, errorMessage, aggregationChains: [] };
}
