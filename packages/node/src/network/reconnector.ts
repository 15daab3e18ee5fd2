import { type BackoffOptions, backoffDelay } from "./backoff.ts";

export interface ReconnectorDeps {
  /** Opens (or finds) a connection to `peer`; rejects when it cannot. */
  dial(peer: string, signal: AbortSignal): Promise<void>;
  /** False for peers that are blocked or already connected: they need no dial now. */
  wantsDial(peer: string): boolean;
  /** A dial failed; the next attempt comes after `retryInMs`. */
  onDialFailure(peer: string, error: unknown, attempt: number, retryInMs: number): void;
}

interface PeerState {
  /** Failed dials since the last connection. */
  failures: number;
  timer: ReturnType<typeof setTimeout> | null;
  dialing: boolean;
}

/**
 * Keeps this node connected to every other member: dials all of them at start, redials a member
 * that disconnected, and retries failed dials with exponential backoff and jitter. Each member has at
 * most one dial or one timer pending, so no event can pile up dials.
 */
export class Reconnector {
  readonly #backoff: BackoffOptions;
  readonly #dialTimeoutMs: number;
  readonly #deps: ReconnectorDeps;
  readonly #random: () => number;
  readonly #peers = new Map<string, PeerState>();
  readonly #stopped = new AbortController();

  constructor(
    peers: Iterable<string>,
    options: { backoff: BackoffOptions; dialTimeoutMs: number },
    deps: ReconnectorDeps,
    random: () => number = Math.random,
  ) {
    this.#backoff = options.backoff;
    this.#dialTimeoutMs = options.dialTimeoutMs;
    this.#deps = deps;
    this.#random = random;
    for (const peer of peers) this.#peers.set(peer, { failures: 0, timer: null, dialing: false });
  }

  start(): void {
    for (const peer of this.#peers.keys()) void this.#dial(peer);
  }

  stop(): void {
    this.#stopped.abort();
    for (const peer of this.#peers.keys()) this.cancel(peer);
  }

  connected(peer: string): void {
    const state = this.#peers.get(peer);
    if (state === undefined) return;
    state.failures = 0;
    this.cancel(peer);
  }

  /** The first redial waits a jittered moment so that both ends of a lost link do not dial at once. */
  disconnected(peer: string): void {
    this.#schedule(peer, backoffDelay(1, this.#backoff, this.#random));
  }

  /** Dial now with a fresh backoff: after a block is lifted. */
  retryNow(peer: string): void {
    const state = this.#peers.get(peer);
    if (state === undefined) return;
    state.failures = 0;
    this.cancel(peer);
    void this.#dial(peer);
  }

  cancel(peer: string): void {
    const state = this.#peers.get(peer);
    if (state?.timer == null) return;
    clearTimeout(state.timer);
    state.timer = null;
  }

  #schedule(peer: string, delayMs: number): void {
    const state = this.#peers.get(peer);
    if (state === undefined || state.timer !== null || state.dialing || this.#stopped.signal.aborted) return;
    state.timer = setTimeout(() => {
      state.timer = null;
      void this.#dial(peer);
    }, delayMs);
  }

  async #dial(peer: string): Promise<void> {
    const state = this.#peers.get(peer);
    if (state === undefined || state.dialing || this.#stopped.signal.aborted || !this.#deps.wantsDial(peer)) {
      return;
    }
    state.dialing = true;
    let retryInMs: number | null = null;
    try {
      const signal = AbortSignal.any([this.#stopped.signal, AbortSignal.timeout(this.#dialTimeoutMs)]);
      await this.#deps.dial(peer, signal);
      state.failures = 0;
      // A connection lost while the dial was still settling left its disconnect event unanswered.
      if (this.#deps.wantsDial(peer)) retryInMs = backoffDelay(1, this.#backoff, this.#random);
    } catch (error) {
      if (this.#stopped.signal.aborted) return;
      state.failures++;
      retryInMs = backoffDelay(state.failures, this.#backoff, this.#random);
      this.#deps.onDialFailure(peer, error, state.failures, retryInMs);
    } finally {
      state.dialing = false;
    }
    if (retryInMs !== null) this.#schedule(peer, retryInMs);
  }
}
