import { TempelError } from "@tempel/proto";

/** No endpoint could be reached (connection refused, DNS, reset) or all timed out. */
export class NetworkError extends TempelError {}

/** An endpoint answered with something that is not a valid response (wrong type, bad PDU, bad HMAC). */
export class ProtocolError extends TempelError {}

/**
 * The service answered with an error status: `httpStatus` and, for KSI PDUs, the KSI status code
 * (e.g. 0x0102 authentication failure, 0x0106 too many requests).
 */
export class ServiceError extends TempelError {
  readonly httpStatus: number | undefined;
  readonly ksiStatus: number | undefined;
  /** Whether another endpoint or a later retry may succeed (overload, internal error). */
  readonly retryable: boolean;

  constructor(
    code: string,
    message: string,
    fields: { httpStatus?: number; ksiStatus?: number; retryable: boolean },
  ) {
    super(code, message, { httpStatus: fields.httpStatus, ksiStatus: fields.ksiStatus });
    this.httpStatus = fields.httpStatus;
    this.ksiStatus = fields.ksiStatus;
    this.retryable = fields.retryable;
  }
}

/** A signature did not verify; `result` carries the KSI code (e.g. INT-04) and message. */
export class VerificationError extends TempelError {}

/** The caller's AbortSignal fired. */
export class AbortedError extends TempelError {
  constructor(reason?: unknown) {
    super("ABORTED", reason instanceof Error ? reason.message : "the operation was aborted");
  }
}

/** What was asked for does not exist yet (e.g. no publication after the signing second); try later. */
export class NotYetAvailableError extends TempelError {}

/** The client was given options it cannot work with; the message names the option. */
export class OptionsError extends TempelError {
  constructor(message: string) {
    super("OPTIONS", message);
  }
}
