import { TempelError } from "@tempel/proto";
import type { HashRequestErrorCode } from "../aggregation/index.ts";
import { type ApiErrorCode, ERROR_TABLE } from "./error-table.ts";

/**
 * A request the API refuses; becomes `{error: {code, message}}` with the status error-table.ts gives
 * its code. A hash's own codes (HashRequestError) pass through a JSON request unchanged.
 */
export class HttpError extends TempelError<ApiErrorCode | HashRequestErrorCode> {
  get status(): number {
    return ERROR_TABLE[this.code].http;
  }
}
