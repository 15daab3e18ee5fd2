import { type CalendarHashChain, TempelError } from "@tempel/proto";

/**
 * Codes of CalendarRangeError, named as the KSI extender's statuses: INVALID_TIME_RANGE (aggregation
 * time after publication time), TIME_TOO_OLD (before the cluster's genesis), TIME_TOO_NEW (not in the
 * calendar yet), TIME_IN_FUTURE (after now).
 */
export type CalendarRangeErrorCode =
  | "INVALID_TIME_RANGE"
  | "TIME_TOO_OLD"
  | "TIME_TOO_NEW"
  | "TIME_IN_FUTURE";

/** A calendar chain request outside what the calendar can answer. */
export class CalendarRangeError extends TempelError<CalendarRangeErrorCode> {}

export interface CalendarReader {
  readonly genesisTime: number;
  readonly head: number;
  chain(time: number, rootTime: number): Promise<CalendarHashChain>;
}

/** The calendar chain from `aggregationTime` to the root at `publicationTime`, or at the head when absent. */
export function calendarChainBetween(
  calendar: CalendarReader,
  aggregationTime: number,
  publicationTime: number | undefined,
  nowSeconds: number,
): Promise<CalendarHashChain> {
  const head = calendar.head;
  const to = publicationTime ?? head;
  if (aggregationTime < calendar.genesisTime) {
    throw new CalendarRangeError(
      "TIME_TOO_OLD",
      `second ${aggregationTime} is before the calendar's genesis ${calendar.genesisTime}`,
    );
  }
  if (aggregationTime > nowSeconds || to > nowSeconds) {
    throw new CalendarRangeError(
      "TIME_IN_FUTURE",
      `second ${Math.max(aggregationTime, to)} is in the future`,
    );
  }
  if (to < aggregationTime) {
    throw new CalendarRangeError(
      "INVALID_TIME_RANGE",
      `publication time ${to} is before aggregation time ${aggregationTime}`,
    );
  }
  if (to > head) {
    throw new CalendarRangeError("TIME_TOO_NEW", `second ${to} is not in the calendar yet (head ${head})`);
  }
  return calendar.chain(aggregationTime, to);
}
