import { HashRequestError, RoundRejection } from "../aggregation/index.ts";
import type { Logger } from "../logger/index.ts";
import { CalendarRangeError, isContradictedCalendar } from "../store/index.ts";
import { type AnsweredCode, ERROR_TABLE } from "./error-table.ts";
import { HttpError } from "./http-error.ts";
import type { ApiMetrics } from "./metrics.ts";

/** An expected failure: the request's fault or the node's state, never a fault of the node's code. */
export type Refusal = HttpError | RoundRejection | HashRequestError | CalendarRangeError;

export function isRefusal(error: unknown): error is Refusal {
  return (
    error instanceof HttpError ||
    error instanceof RoundRejection ||
    error instanceof HashRequestError ||
    error instanceof CalendarRangeError
  );
}

/** An HTTP error answer: status, `{error: {code, message}}` and any header lines of its own. */
export interface HttpRefusal {
  readonly status: number;
  readonly code: AnsweredCode;
  readonly message: string;
  readonly headers: Record<string, string>;
}

export interface RefusalModules {
  readonly metrics: Pick<ApiMetrics, "rejectedRequests">;
  readonly logger: Logger;
  /** Seconds a client is told to wait before retrying after an overload answer. */
  readonly retryAfterSeconds: number;
}

/**
 * The HTTP answer for a request's failure, by ERROR_TABLE, logged and counted: a refusal as refused
 * (counted under its reason), anything else as the node's fault.
 */
export function httpRefusal(error: unknown, endpoint: string, modules: RefusalModules): HttpRefusal {
  if (!isRefusal(error)) {
    modules.logger.error("request failed", { endpoint, error });
    return isContradictedCalendar(error)
      ? answer(error.code, `${error.message}; ask another node of the cluster`, {})
      : answer("INTERNAL", "the node could not answer this request", {});
  }
  const rule = ERROR_TABLE[error.code];
  if (rule.reason !== undefined) modules.metrics.rejectedRequests.inc({ reason: rule.reason });
  modules.logger.info("request refused", {
    endpoint,
    status: rule.http,
    code: error.code,
    message: error.message,
  });
  const retryAfter = rule.retryAfter === "configured" ? modules.retryAfterSeconds : rule.retryAfter;
  return answer(
    error.code,
    error.message,
    retryAfter === undefined ? {} : { "retry-after": String(retryAfter) },
  );
}

function answer(code: AnsweredCode, message: string, headers: Record<string, string>): HttpRefusal {
  return { status: ERROR_TABLE[code].http, code, message, headers };
}
