import type { MonitorClock } from "./clock.ts";

export interface WebhookOptions {
  readonly url: string;
  readonly timeoutMs: number;
  readonly fetch: typeof globalThis.fetch;
  /** Tries in all (default 1); a network error, a timeout, 429 or 5xx is tried again. */
  readonly attempts?: number;
  /** The pause before the second try, doubled before each next one (default 500 ms). */
  readonly backoffMs?: number;
  /** Needed for the pauses when `attempts` > 1. */
  readonly clock?: MonitorClock;
}

/**
 * POST the alert with its evidence as JSON, tried again with backoff while the receiver is down or
 * failing. Resolves with why it failed in the end, or undefined once the receiver answered 2xx: a
 * dead receiver must not stop the monitor or the watcher, but it must be told.
 */
export async function postAlert(alert: object, options: WebhookOptions): Promise<string | undefined> {
  const attempts = options.attempts ?? 1;
  const body = JSON.stringify(alert);
  let problem: string | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) await options.clock?.sleep((options.backoffMs ?? 500) * 2 ** (attempt - 2));
    let retry = true;
    try {
      const response = await options.fetch(options.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      await response.body?.cancel();
      if (response.ok) return undefined;
      problem = `the webhook answered HTTP ${response.status}`;
      retry = response.status === 429 || response.status >= 500;
    } catch (error) {
      problem = `the webhook could not be reached: ${(error as Error).message}`;
    }
    if (!retry) break;
  }
  return attempts > 1 ? `${problem} (after ${attempts} tries)` : problem;
}
