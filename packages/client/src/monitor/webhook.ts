import type { Alert } from "./alert.ts";

export interface WebhookOptions {
  readonly url: string;
  readonly timeoutMs: number;
  readonly fetch: typeof globalThis.fetch;
}

/**
 * POST the alert with its evidence as JSON. Resolves with why it failed, or undefined once the
 * receiver answered 2xx: a dead receiver must not stop the monitor, but it must be told.
 */
export async function postAlert(alert: Alert, options: WebhookOptions): Promise<string | undefined> {
  try {
    const response = await options.fetch(options.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(alert),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    await response.body?.cancel();
    return response.ok ? undefined : `the webhook answered HTTP ${response.status}`;
  } catch (error) {
    return `the webhook could not be reached: ${(error as Error).message}`;
  }
}
