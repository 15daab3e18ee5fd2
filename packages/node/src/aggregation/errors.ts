import { TempelError } from "@tempel/proto";

/**
 * Why the rounds did not take or did not answer a request. Codes: OVERLOAD (too many hashes pending),
 * QUOTA (the agency's per-second quota is used up), STOPPING (the node is shutting down),
 * ROUND_FAILED (the round could not be completed; the client may retry).
 */
export class RoundRejection extends TempelError {}

/**
 * A hash a client asked to sign that the node will not sign. Codes: IMPRINT_EMPTY,
 * HASH_UNKNOWN_ALGORITHM, HASH_NOT_IMPLEMENTED, HASH_DEPRECATED, IMPRINT_LENGTH, LEVEL_RANGE.
 */
export class HashRequestError extends TempelError {}
