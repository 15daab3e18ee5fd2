import { TempelError } from "@tempel/proto";

/**
 * Why the rounds did not take or did not answer a request: OVERLOAD (too many hashes pending), QUOTA
 * (the agency's per-second quota is used up), STOPPING (the node is shutting down), NO_QUORUM (too
 * few members reachable to certify a round), ROUND_FAILED (the round could not be completed; the
 * client may retry), UPSTREAM_FAILED and UPSTREAM_TIMEOUT (a gateway tier's upstream refused its
 * round's root or did not answer in time).
 */
export type RoundRejectionCode =
  | "OVERLOAD"
  | "QUOTA"
  | "STOPPING"
  | "NO_QUORUM"
  | "ROUND_FAILED"
  | "UPSTREAM_FAILED"
  | "UPSTREAM_TIMEOUT";

export class RoundRejection extends TempelError<RoundRejectionCode> {}

export type HashRequestErrorCode =
  | "IMPRINT_EMPTY"
  | "HASH_UNKNOWN_ALGORITHM"
  | "HASH_NOT_IMPLEMENTED"
  | "HASH_DEPRECATED"
  | "IMPRINT_LENGTH"
  | "LEVEL_RANGE";

/** A hash a client asked to sign that the node will not sign. */
export class HashRequestError extends TempelError<HashRequestErrorCode> {}
