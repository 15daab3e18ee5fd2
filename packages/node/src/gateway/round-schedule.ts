/**
 * When a tier's rounds close: on the wall clock, at every multiple of `roundMs` since the Unix epoch
 * less `leadMs`, so that every tier and the core (whose rounds are whole seconds) line up. With a
 * `roundMs` that divides 1000 the round closing `leadMs` before each second ends is the second's
 * last, and its root, sent upstream at once, reaches an upstream whose own round closes at the
 * second (a core) or `leadMs` minus the hop before it (another tier) in time. Other lengths still
 * close on their multiples, which meet a second's end only every few seconds.
 */
export interface RoundSchedule {
  readonly roundMs: number;
  readonly leadMs: number;
}

/** The first close strictly after `now` (ms since the epoch). */
export function nextRoundClose(schedule: RoundSchedule, now: number): number {
  const { roundMs, leadMs } = schedule;
  return (Math.floor((now + leadMs) / roundMs) + 1) * roundMs - leadMs;
}

/**
 * The upstream second a round closed at `close` is meant for: the second its root reaches the core
 * in when each hop takes no more than the lead allows. A signature with a later aggregation time came
 * a second (or more) late.
 */
export function intendedSecond(schedule: RoundSchedule, close: number): number {
  return Math.ceil((close + schedule.leadMs) / 1000) - 1;
}
