import { AggregatorStatus, ExtenderStatus, PduStatus } from "@tempel/proto";
import type { HashRequestErrorCode, RoundRejectionCode } from "../aggregation/index.ts";
import type { RejectReason } from "../metrics/index.ts";
import type { CalendarRangeErrorCode } from "../store/index.ts";

/** Codes of the API's own refusals (HttpError), each answered with the HTTP status below. */
export type ApiErrorCode =
  | "NOT_FOUND"
  | "METHOD_NOT_ALLOWED"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "BODY_TOO_LARGE"
  | "BODY_ABORTED"
  | "BAD_JSON"
  | "UNKNOWN_FIELD"
  | "BAD_HASHES"
  | "BAD_IMPRINT"
  | "BAD_TIME"
  | "BAD_SIGNATURE"
  | "UNAUTHENTICATED"
  | "AUTHENTICATION_FAILED"
  | "NOT_CERTIFIED"
  | "SIGNATURE_NOT_VERIFIED"
  | "NO_PUBLICATIONS"
  | "NOT_PUBLISHED"
  | "NO_TSA"
  | "ADMIN_LOOPBACK_ONLY"
  | "CERTIFICATE_REFUSED"
  | "BAD_PARTITION";

/** A fault of the node rather than of the request: answered 500, logged as an error, not counted. */
export type FaultCode = "INTERNAL" | "CALENDAR_CONTRADICTS_CERTIFICATE";

/** Codes a KSI client can be answered with, as a payload's or a PDU's status. */
export type KsiCode =
  | RoundRejectionCode
  | HashRequestErrorCode
  | CalendarRangeErrorCode
  | "AUTHENTICATION_FAILED"
  | "CALENDAR_CONTRADICTS_CERTIFICATE";

export type AnsweredCode =
  | ApiErrorCode
  | RoundRejectionCode
  | HashRequestErrorCode
  | CalendarRangeErrorCode
  | FaultCode;

export interface AnswerRule {
  /** The HTTP status of the JSON answer `{error: {code, message}}`. */
  readonly http: number;
  /** The label of `tempel_rejected_requests_total`; none for a failure that is not the client's. */
  readonly reason?: RejectReason;
  /** Retry-After seconds: a number, or the configured `retryAfterSeconds`. */
  readonly retryAfter?: number | "configured";
}

export interface KsiAnswerRule extends AnswerRule {
  /** The KSI status (aggregator, extender or PDU) of a payload or PDU refused with this code. */
  readonly ksi: number;
}

/**
 * How the node answers each code of an expected failure (and of its own faults), on both APIs: HTTP
 * status, KSI status and the metric reason. The one place that maps codes: a code missing here, or one
 * that no error class declares, does not compile.
 */
export const ERROR_TABLE: { readonly [C in AnsweredCode]: C extends KsiCode ? KsiAnswerRule : AnswerRule } = {
  NOT_FOUND: { http: 404, reason: "bad_request" },
  METHOD_NOT_ALLOWED: { http: 405, reason: "bad_request" },
  UNSUPPORTED_MEDIA_TYPE: { http: 415, reason: "bad_request" },
  BODY_TOO_LARGE: { http: 413, reason: "too_large" },
  BODY_ABORTED: { http: 400, reason: "bad_request" },
  BAD_JSON: { http: 400, reason: "bad_request" },
  UNKNOWN_FIELD: { http: 400, reason: "bad_request" },
  BAD_HASHES: { http: 400, reason: "bad_request" },
  BAD_IMPRINT: { http: 400, reason: "bad_imprint" },
  BAD_TIME: { http: 400, reason: "bad_request" },
  BAD_SIGNATURE: { http: 400, reason: "bad_request" },
  UNAUTHENTICATED: { http: 401, reason: "unauthenticated" },
  AUTHENTICATION_FAILED: { http: 401, ksi: PduStatus.AUTHENTICATION_FAILURE, reason: "unauthenticated" },
  NOT_CERTIFIED: { http: 409, reason: "bad_request" },
  SIGNATURE_NOT_VERIFIED: { http: 422, reason: "bad_request" },
  NO_PUBLICATIONS: { http: 404, reason: "bad_request" },
  NOT_PUBLISHED: { http: 404, reason: "bad_request" },
  NO_TSA: { http: 404, reason: "bad_request" },
  ADMIN_LOOPBACK_ONLY: { http: 403, reason: "bad_request" },
  CERTIFICATE_REFUSED: { http: 403, reason: "unauthenticated" },
  BAD_PARTITION: { http: 400, reason: "bad_request" },

  // A quota is per second: the next second has room.
  QUOTA: { http: 429, ksi: AggregatorStatus.OVER_QUOTA, reason: "quota", retryAfter: 1 },
  OVERLOAD: {
    http: 503,
    ksi: AggregatorStatus.TOO_MANY_REQUESTS,
    reason: "overload",
    retryAfter: "configured",
  },
  STOPPING: {
    http: 503,
    ksi: AggregatorStatus.TOO_MANY_REQUESTS,
    reason: "shutting_down",
    retryAfter: "configured",
  },
  // The members this node needs to certify a round are, for a KSI client, its upstream.
  NO_QUORUM: {
    http: 503,
    ksi: AggregatorStatus.UPSTREAM_ERROR,
    reason: "no_quorum",
    retryAfter: "configured",
  },
  // The round failed: the node's fault, logged by the rounds, so not counted as a refusal.
  ROUND_FAILED: { http: 503, ksi: AggregatorStatus.INTERNAL_ERROR, retryAfter: "configured" },
  // A gateway tier's upstream failed its round: not the client's fault, logged by the tier.
  UPSTREAM_FAILED: { http: 503, ksi: AggregatorStatus.UPSTREAM_ERROR, retryAfter: "configured" },
  UPSTREAM_TIMEOUT: { http: 503, ksi: AggregatorStatus.UPSTREAM_TIMEOUT, retryAfter: "configured" },

  IMPRINT_EMPTY: { http: 400, ksi: AggregatorStatus.INVALID_PAYLOAD, reason: "bad_imprint" },
  HASH_UNKNOWN_ALGORITHM: { http: 400, ksi: AggregatorStatus.INVALID_PAYLOAD, reason: "bad_imprint" },
  HASH_NOT_IMPLEMENTED: { http: 400, ksi: AggregatorStatus.INVALID_PAYLOAD, reason: "bad_imprint" },
  HASH_DEPRECATED: { http: 400, ksi: AggregatorStatus.INVALID_PAYLOAD, reason: "bad_imprint" },
  IMPRINT_LENGTH: { http: 400, ksi: AggregatorStatus.INVALID_PAYLOAD, reason: "bad_imprint" },
  LEVEL_RANGE: { http: 400, ksi: AggregatorStatus.REQUEST_TOO_LARGE, reason: "bad_imprint" },

  INVALID_TIME_RANGE: { http: 400, ksi: ExtenderStatus.INVALID_TIME_RANGE, reason: "bad_request" },
  TIME_TOO_OLD: { http: 400, ksi: ExtenderStatus.TIME_TOO_OLD, reason: "bad_request" },
  TIME_TOO_NEW: { http: 400, ksi: ExtenderStatus.TIME_TOO_NEW, reason: "bad_request" },
  TIME_IN_FUTURE: { http: 400, ksi: ExtenderStatus.TIME_IN_FUTURE, reason: "bad_request" },

  INTERNAL: { http: 500 },
  // The client must ask another node, and KSI has a status that says so.
  CALENDAR_CONTRADICTS_CERTIFICATE: { http: 500, ksi: ExtenderStatus.DATABASE_CORRUPT },
};

/** The rule of a code that KSI clients are answered with: one that has a KSI status. */
export function ksiRule(code: KsiCode): KsiAnswerRule {
  return ERROR_TABLE[code];
}
