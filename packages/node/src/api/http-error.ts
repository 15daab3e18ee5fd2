import { TempelError } from "@tempel/proto";

/** A request the API refuses; becomes `{error: {code, message}}` with `status`. */
export class HttpError extends TempelError {
  readonly status: number;
  /** Seconds for a Retry-After header (overload). */
  readonly retryAfter?: number;

  constructor(status: number, code: string, message: string, retryAfter?: number) {
    super(code, message);
    this.status = status;
    if (retryAfter !== undefined) this.retryAfter = retryAfter;
  }
}
