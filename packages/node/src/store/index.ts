export { Bucket, type BucketId } from "./buckets.ts";
export {
  CalendarRangeError,
  type CalendarRangeErrorCode,
  type CalendarReader,
  calendarChainBetween,
} from "./calendar-range.ts";
export type { CalendarCheckReport } from "./check.ts";
export { type NodeDb, openNodeDb, plainView } from "./db.ts";
export { isContradictedCalendar, StoreError, type StoreErrorCode } from "./errors.ts";
export { bucketRange, keyNumber, nameKey, numberKey, numberKeyWithByte } from "./keys.ts";
export type { StoreMetrics } from "./metrics.ts";
export { NodeCalendar, type NodeCalendarOptions } from "./node-calendar.ts";
export { defaultStoreOptions, type StoreOptions } from "./options.ts";
export type { RoundRecord } from "./round-record.ts";
