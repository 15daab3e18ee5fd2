/**
 * Time and randomness as agreement sees them. Production uses the system's; the deterministic
 * simulation substitutes a virtual clock (with per-node skew) and a seeded generator.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  setTimer(callback: () => void, delayMs: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
  /** Uniform in [0, 1): election timeouts are randomised with it. */
  random(): number;
}

/** Opaque to agreement; each clock hands back whatever identifies its timers. */
export type TimerHandle = unknown;

export const systemClock: Clock = offsetClock(0);

/**
 * The system's clock moved by `offsetMs`: how a node is run with a skewed clock (chaos runs, tests).
 * Timers are relative and need no offset.
 */
export function offsetClock(offsetMs: number): Clock {
  return {
    now: offsetMs === 0 ? () => Date.now() : () => Date.now() + offsetMs,
    setTimer: (callback, delayMs) => setTimeout(callback, delayMs),
    clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    random: () => Math.random(),
  };
}
