export interface BackoffOptions {
  /** Ceiling of the first retry's delay. */
  readonly initialMs: number;
  /** Ceiling of every later delay. */
  readonly maxMs: number;
}

/**
 * Delay before retry number `attempt` (1-based): the ceiling doubles from `initialMs` up to `maxMs`,
 * and the delay is drawn from its upper half. The jitter keeps members that lost the same peer from
 * redialling it in lockstep; the fixed lower half keeps a retry from firing at once.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.maxMs, options.initialMs * 2 ** (attempt - 1));
  return ceiling / 2 + random() * (ceiling / 2);
}
