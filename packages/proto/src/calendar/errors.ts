import { TempelError } from "../errors.ts";

/** A calendar request or append outside what the calendar holds: a second before 0, after the head, out of order. */
export class CalendarError extends TempelError {}
