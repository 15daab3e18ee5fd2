import { UsageError } from "./usage-error.ts";

/** A Unix second as people read it: ISO 8601 in UTC, with the number scripts use. */
export function timeText(unix: number): string {
  return `${new Date(unix * 1000).toISOString().replace(".000Z", "Z")} (${unix})`;
}

/** A time given on the command line: Unix seconds, or an ISO 8601 date-time with a time zone. */
export function parseTime(text: string, option: string): number {
  if (/^\d{1,12}$/.test(text)) return Number(text);
  const ms = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(text)
    ? Date.parse(text)
    : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new UsageError(`${option} ${text}: expected Unix seconds or a date-time like 2026-01-15T00:00:00Z`);
  }
  return Math.floor(ms / 1000);
}
