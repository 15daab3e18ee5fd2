import { AbortedError, NetworkError, ProtocolError, ServiceError } from "../errors.ts";
import { fetchTransport, type HttpAnswer, type HttpRequest, type HttpTransport } from "./http-transport.ts";

export interface EndpointPoolOptions {
  /** Base URLs of the cluster's nodes, e.g. http://127.0.0.1:8080. */
  endpoints: readonly string[];
  /** Per-attempt timeout. */
  timeoutMs?: number;
  /** Further attempts after the first, spread over the endpoints. */
  retries?: number;
  /** First backoff delay before a retry round; doubles each round, with jitter. */
  backoffMs?: number;
  /** Start a second, hedged request on another endpoint when the first has not answered by then. */
  hedgeAfterMs?: number;
  /** How long a failed endpoint is skipped before it is tried again. */
  quarantineMs?: number;
  /** Default: the platform's fetch. */
  transport?: HttpTransport;
  now?: () => number;
}

export const endpointPoolDefaults = {
  timeoutMs: 10_000,
  retries: 3,
  backoffMs: 200,
  quarantineMs: 5_000,
} as const;

/** Turns an answer into a value, or throws ServiceError/ProtocolError. */
export type ResponseParser<T> = (response: HttpAnswer, endpoint: string) => Promise<T>;

interface EndpointState {
  readonly url: string;
  downUntil: number;
  failures: number;
}

/**
 * Sends a request to one of the cluster's nodes with failover: an endpoint that errs or times out is
 * skipped for a while and the request moves on to the next; retryable service answers (overload,
 * internal error) move on too, while final ones (bad request, authentication) are returned at once.
 */
export class EndpointPool {
  private readonly states: EndpointState[];
  private readonly options: Required<Omit<EndpointPoolOptions, "hedgeAfterMs" | "endpoints">> & {
    hedgeAfterMs: number | undefined;
  };
  private next = 0;

  constructor(options: EndpointPoolOptions) {
    if (options.endpoints.length === 0) {
      throw new NetworkError("NO_ENDPOINTS", "no endpoints configured: pass at least one node URL");
    }
    this.states = options.endpoints.map((url) => ({
      url: url.replace(/\/+$/, ""),
      downUntil: 0,
      failures: 0,
    }));
    this.options = {
      timeoutMs: options.timeoutMs ?? endpointPoolDefaults.timeoutMs,
      retries: options.retries ?? endpointPoolDefaults.retries,
      backoffMs: options.backoffMs ?? endpointPoolDefaults.backoffMs,
      quarantineMs: options.quarantineMs ?? endpointPoolDefaults.quarantineMs,
      hedgeAfterMs: options.hedgeAfterMs,
      transport: options.transport ?? fetchTransport(globalThis.fetch.bind(globalThis)),
      now: options.now ?? Date.now,
    };
  }

  get endpoints(): readonly string[] {
    return this.states.map((s) => s.url);
  }

  /** Perform `path` with `init` against the cluster; `parse` validates the answer. */
  async request<T>(
    path: string,
    init: HttpRequest,
    parse: ResponseParser<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    const attempts = this.options.retries + 1;
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (signal?.aborted) throw new AbortedError(signal.reason);
      if (attempt > 0 && attempt % this.states.length === 0) {
        await this.backoff(attempt / this.states.length, signal);
      }
      try {
        return await this.hedged(path, init, parse, signal);
      } catch (error) {
        if (error instanceof AbortedError) throw error;
        if (error instanceof ServiceError && !error.retryable) throw error;
        lastError = error;
      }
    }
    if (lastError instanceof ServiceError || lastError instanceof ProtocolError) throw lastError;
    throw new NetworkError(
      "UNAVAILABLE",
      `no node answered after ${attempts} attempts (${this.states.map((s) => s.url).join(", ")}): ${
        lastError instanceof Error ? lastError.message : String(lastError)
      }. Check that the cluster is running and the endpoint URLs are right.`,
    );
  }

  private async hedged<T>(
    path: string,
    init: HttpRequest,
    parse: ResponseParser<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    const first = this.pick();
    const hedgeAfter = this.options.hedgeAfterMs;
    if (hedgeAfter === undefined || this.states.length < 2)
      return this.attempt(first, path, init, parse, signal);

    const race = new AbortController();
    const onAbort = () => race.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const primary = this.attempt(first, path, init, parse, race.signal);
      let hedgeTimer: ReturnType<typeof setTimeout> | undefined;
      // A hedge starts only while the primary is still pending; a primary that fails first hands the
      // failure straight to the caller's failover loop instead of waiting for the hedge delay.
      const hedge = new Promise<T>((resolve, reject) => {
        hedgeTimer = setTimeout(() => {
          hedgeTimer = undefined;
          const second = this.pick(first);
          this.attempt(second, path, init, parse, race.signal).then(resolve, reject);
        }, hedgeAfter);
        primary.catch((error: unknown) => {
          if (hedgeTimer !== undefined) {
            clearTimeout(hedgeTimer);
            reject(error);
          }
        });
      });
      const attempts = [primary, hedge];
      try {
        return await Promise.any(attempts);
      } catch (error) {
        const errors = error instanceof AggregateError ? error.errors : [error];
        throw errors.find((e) => e instanceof ServiceError && !e.retryable) ?? errors[0];
      } finally {
        clearTimeout(hedgeTimer);
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      race.abort();
    }
  }

  private async attempt<T>(
    state: EndpointState,
    path: string,
    init: HttpRequest,
    parse: ResponseParser<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      const response = await this.options.transport(state.url + path, { ...init, signal: combined });
      const value = await parse(response, state.url);
      state.failures = 0;
      state.downUntil = 0;
      return value;
    } catch (error) {
      if (signal?.aborted) throw new AbortedError(signal.reason);
      const final = error instanceof ServiceError && !error.retryable;
      if (!final) this.markDown(state);
      if (error instanceof ServiceError || error instanceof ProtocolError) throw error;
      if (timeout.aborted) {
        throw new NetworkError("TIMEOUT", `${state.url} did not answer within ${this.options.timeoutMs} ms`);
      }
      throw new NetworkError(
        "NETWORK",
        `${state.url}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /** The next endpoint in rotation that is not quarantined; if all are, the one back soonest. */
  private pick(exclude?: EndpointState): EndpointState {
    const now = this.options.now();
    const n = this.states.length;
    for (let i = 0; i < n; i++) {
      const state = this.states[(this.next + i) % n]!;
      if (state !== exclude && state.downUntil <= now) {
        this.next = (this.next + i + 1) % n;
        return state;
      }
    }
    const candidates = this.states.filter((s) => s !== exclude);
    const pool = candidates.length > 0 ? candidates : this.states;
    return pool.reduce((a, b) => (a.downUntil <= b.downUntil ? a : b));
  }

  private markDown(state: EndpointState): void {
    state.failures += 1;
    const factor = Math.min(2 ** (state.failures - 1), 8);
    state.downUntil = this.options.now() + this.options.quarantineMs * factor;
  }

  private backoff(round: number, signal?: AbortSignal): Promise<void> {
    const base = this.options.backoffMs * 2 ** (round - 1);
    const delay = base / 2 + Math.random() * base;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(done, delay);
      function done() {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }
      function onAbort() {
        clearTimeout(timer);
        reject(new AbortedError(signal?.reason));
      }
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}
