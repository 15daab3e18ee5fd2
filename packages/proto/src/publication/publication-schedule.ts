import { FormatError } from "../errors.ts";

/**
 * When a cluster publishes a calendar root, as its genesis fixes it:
 * - `intervalSeconds`: at every multiple of it since the Unix epoch. Unix time has no leap seconds, so
 *   86 400 is daily at 00:00 UTC (Tempel's default) and 300 every five minutes (a local cluster);
 * - `dayOfMonth`: at 00:00:00 UTC on that day of every month, as Guardtime publishes on the 15th.
 */
export type PublicationSchedule =
  | { readonly intervalSeconds: number; readonly dayOfMonth?: undefined }
  | { readonly dayOfMonth: number; readonly intervalSeconds?: undefined };

export const DEFAULT_PUBLICATION_SCHEDULE: PublicationSchedule = { intervalSeconds: 86_400 };

/**
 * Each publication adds a record of a few hundred bytes (its quorum certificate included) to a file
 * every verifying client fetches, bounded at 16 MiB: a 5-second schedule reaches that in days, so
 * anything under a few minutes is for test clusters only. Daily publications fill it in a century.
 */
const MIN_INTERVAL_SECONDS = 5;
/** A year at most: a publication is what lets signatures outlive the cluster's keys. */
const MAX_INTERVAL_SECONDS = 366 * 86_400;
/** Days every month has. */
const MAX_DAY_OF_MONTH = 28;

function invalid(problem: string): FormatError {
  return new FormatError("PUBLICATION_SCHEDULE", `publication schedule: ${problem}`);
}

function integerIn(value: unknown, min: number, max: number, name: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(`${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** The schedule from its JSON form, `{"intervalSeconds": n}` or `{"dayOfMonth": d}`, strictly. */
export function parsePublicationSchedule(json: Readonly<Record<string, unknown>>): PublicationSchedule {
  const { intervalSeconds, dayOfMonth } = json;
  if ((intervalSeconds === undefined) === (dayOfMonth === undefined)) {
    throw invalid('give exactly one of "intervalSeconds" and "dayOfMonth"');
  }
  if (intervalSeconds !== undefined) {
    const interval = integerIn(
      intervalSeconds,
      MIN_INTERVAL_SECONDS,
      MAX_INTERVAL_SECONDS,
      "intervalSeconds",
    );
    return { intervalSeconds: interval };
  }
  return { dayOfMonth: integerIn(dayOfMonth, 1, MAX_DAY_OF_MONTH, "dayOfMonth") };
}

/** The schedule's JSON form (what parsePublicationSchedule reads). */
export function publicationScheduleToJson(schedule: PublicationSchedule): Record<string, number> {
  return schedule.intervalSeconds !== undefined
    ? { intervalSeconds: schedule.intervalSeconds }
    : { dayOfMonth: schedule.dayOfMonth };
}

/** The first publication time strictly after Unix second `time`. */
export function nextPublicationTime(schedule: PublicationSchedule, time: number): number {
  if (!Number.isSafeInteger(time)) throw invalid(`time ${time} is not a whole second`);
  if (schedule.intervalSeconds !== undefined) {
    const interval = schedule.intervalSeconds;
    return (Math.floor(time / interval) + 1) * interval;
  }
  const date = new Date(time * 1000);
  const inMonth = (monthOffset: number) =>
    Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + monthOffset, schedule.dayOfMonth) / 1000;
  const thisMonth = inMonth(0);
  return thisMonth > time ? thisMonth : inMonth(1);
}
