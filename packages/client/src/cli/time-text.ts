import { UsageError } from "./usage-error.ts";

/** Seconds a JavaScript Date can hold; a signature's 64-bit times may lie beyond. */
const MAX_DATE_SECONDS = 8.64e12;

function iso(unix: number): string | undefined {
  return Math.abs(unix) <= MAX_DATE_SECONDS ? new Date(unix * 1000).toISOString() : undefined;
}

/** A Unix second as people read it: ISO 8601 in UTC, with the number scripts use. */
export function timeText(unix: number): string {
  const text = iso(unix);
  return text === undefined ? `${unix}` : `${text.replace(".000Z", "Z")} (${unix})`;
}

/** A time in every command's --json: Unix seconds and ISO 8601 UTC, as `tempel inspect --json` gives it. */
export interface TimeJson {
  readonly unix: number;
  /** Absent for a time a Date cannot hold. */
  readonly iso?: string;
}

export function timeJson(unix: number): TimeJson {
  const text = iso(unix);
  return { unix, ...(text !== undefined && { iso: text }) };
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
