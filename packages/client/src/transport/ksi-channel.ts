import {
  type DecodedResponsePdu,
  describeStatus,
  type ErrorPayload,
  type Hasher,
  MAX_PDU_BYTES,
  type PduHeader,
  type StatusService,
  TempelError,
} from "@tempel/proto";
import { ProtocolError, ServiceError } from "../errors.ts";
import type { EndpointPool } from "./endpoint-pool.ts";
import { httpFailure } from "./http-status.ts";
import { type HttpAnswer, type HttpRequest, mediaType } from "./http-transport.ts";

/** The agency the cluster knows: its login id and the HMAC key derived from its secret. */
export interface AgencyCredentials {
  readonly loginId: string;
  readonly key: Uint8Array;
}

interface ResponsePayload {
  readonly requestId: bigint;
  readonly status: number;
  readonly errorMessage?: string;
}

interface ResponsePdu<Payload> {
  readonly header?: PduHeader;
  readonly responses: readonly Payload[];
  readonly error?: ErrorPayload;
}

/** What tells the KSI aggregator and extender apart on the wire. */
export interface KsiService<Request extends { readonly requestId: bigint }, Payload extends ResponsePayload> {
  readonly name: StatusService;
  readonly path: string;
  /** Statuses another node, or a later attempt, may not give. */
  readonly retryableStatuses: ReadonlySet<number>;
  encode(
    header: PduHeader,
    request: Request,
    key: Uint8Array,
    hmacAlgorithm: number,
    hasher: Hasher,
  ): Uint8Array;
  decode(bytes: Uint8Array, hasher: Hasher): DecodedResponsePdu<ResponsePdu<Payload>>;
}

const KSI_REQUEST = "application/ksi-request";
const KSI_RESPONSE = "application/ksi-response";

/**
 * KSI PDU v2 exchanges with the cluster as one agency: one request payload per PDU, sent with
 * failover, and an answer accepted only when it is authenticated with the agency's key and answers
 * this very request. A node whose answer is unreadable, unauthenticated or wrong is treated like one
 * that is down, so the request moves on to another node.
 */
export class KsiChannel {
  readonly #pool: EndpointPool;
  readonly #agency: AgencyCredentials;
  readonly #hmacAlgorithm: number;
  /** What the PDU HMACs, and the answers' checks, hash with. */
  readonly hasher: Hasher;
  /** Grows across client instances (KSI: on every restart), so servers can tell their messages apart. */
  readonly #instanceId = BigInt(Date.now());
  #messageId = 0n;
  #requestId = 0n;

  constructor(pool: EndpointPool, agency: AgencyCredentials, hmacAlgorithm: number, hasher: Hasher) {
    this.#pool = pool;
    this.#agency = agency;
    this.#hmacAlgorithm = hmacAlgorithm;
    this.hasher = hasher;
  }

  nextRequestId(): bigint {
    this.#requestId += 1n;
    return this.#requestId;
  }

  /**
   * Send `request`, and turn its successful response payload into a value with `accept`, which
   * throws ProtocolError when the payload is not a right answer to the request.
   */
  exchange<Request extends { readonly requestId: bigint }, Payload extends ResponsePayload, T>(
    service: KsiService<Request, Payload>,
    request: Request,
    accept: (payload: Payload, endpoint: string) => T | Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    this.#messageId += 1n;
    const header: PduHeader = {
      loginId: this.#agency.loginId,
      instanceId: this.#instanceId,
      messageId: this.#messageId,
    };
    // fetch's types take bytes backed by an ArrayBuffer only; copying the small PDU satisfies them without a cast.
    const body = service.encode(header, request, this.#agency.key, this.#hmacAlgorithm, this.hasher).slice();
    const init: HttpRequest = { method: "POST", contentType: KSI_REQUEST, body };
    return this.#pool.request(
      service.path,
      init,
      async (response, endpoint) => {
        const payload = await this.#open(service, header, request.requestId, response, endpoint);
        return accept(payload, endpoint);
      },
      signal,
    );
  }

  async #open<Request extends { readonly requestId: bigint }, Payload extends ResponsePayload>(
    service: KsiService<Request, Payload>,
    header: PduHeader,
    requestId: bigint,
    response: HttpAnswer,
    endpoint: string,
  ): Promise<Payload> {
    if (response.status !== 200) throw await httpFailure(response, endpoint);
    if (mediaType(response) !== KSI_RESPONSE) {
      await response.discard();
      throw new ProtocolError(
        "BAD_CONTENT_TYPE",
        `${endpoint}${service.path} answered ${mediaType(response) || "untyped content"}, not a KSI response: is it a Tempel or KSI ${service.name}?`,
      );
    }
    const bytes = await response.bytes(MAX_PDU_BYTES, `${service.name} response`);
    let decoded: DecodedResponsePdu<ResponsePdu<Payload>>;
    try {
      decoded = service.decode(bytes, this.hasher);
    } catch (error) {
      if (!(error instanceof TempelError)) throw error;
      throw new ProtocolError(
        "BAD_PDU",
        `${endpoint}: unreadable ${service.name} response: ${error.message}`,
      );
    }
    const { pdu, hmac } = decoded;
    // An error the server could not authenticate (e.g. it does not know our login) comes without HMAC.
    if (pdu.error !== undefined) throw this.#refusal(service, pdu.error, endpoint);
    if (hmac === undefined || hmac.algorithm !== this.#hmacAlgorithm || !hmac.check(this.#agency.key)) {
      throw new ProtocolError(
        "BAD_HMAC",
        `${endpoint}: the ${service.name} response is not authenticated with this agency's key`,
      );
    }
    const echoed = pdu.header;
    if (
      echoed?.loginId !== header.loginId ||
      echoed.instanceId !== header.instanceId ||
      echoed.messageId !== header.messageId
    ) {
      throw new ProtocolError(
        "RESPONSE_MISMATCH",
        `${endpoint}: the ${service.name} answered another message`,
      );
    }
    const payload = pdu.responses[0];
    if (pdu.responses.length !== 1 || payload!.requestId !== requestId) {
      throw new ProtocolError(
        "RESPONSE_MISMATCH",
        `${endpoint}: the ${service.name} response does not answer request ${requestId} alone`,
      );
    }
    if (payload!.status !== 0) throw this.#refusal(service, payload!, endpoint);
    return payload!;
  }

  #refusal(
    service: Pick<KsiService<never, ResponsePayload>, "name" | "retryableStatuses">,
    error: ErrorPayload,
    endpoint: string,
  ): ServiceError {
    const known = describeStatus(service.name, error.status);
    const status = `0x${error.status.toString(16).padStart(4, "0")}`;
    const reason = error.errorMessage ?? known?.message ?? "unknown status";
    return new ServiceError(
      known?.name ?? "KSI_STATUS",
      `${endpoint}: the ${service.name} refused the request: ${reason} (KSI status ${status})`,
      { ksiStatus: error.status, retryable: service.retryableStatuses.has(error.status) },
    );
  }
}
