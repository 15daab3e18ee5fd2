export { Calendar, type CalendarOptions } from "./calendar.ts";
export {
  calendarChainOutput,
  calendarRootAtAggregationTime,
  calendarStepHash,
  rightLinksMatch,
} from "./chain.ts";
export { type CalendarConsistency, checkCalendarConsistency } from "./consistency.ts";
export { emptyCalendarLeaf, emptySubtreeRoot } from "./empty.ts";
export { CalendarError } from "./errors.ts";
export { MemoryCalendarStore } from "./memory-store.ts";
export {
  type CalendarNodeId,
  calendarChainAggregationTime,
  calendarNodeLastSecond,
  highBit,
} from "./shape.ts";
export type { CalendarAppend, CalendarNodeRecord, CalendarStore } from "./store.ts";
