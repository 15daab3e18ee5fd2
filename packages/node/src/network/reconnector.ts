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
  /** Failed attempts since the last connection that lasted. */
  failures: number;
  connectedAt: number | null;
  timer: ReturnType<typeof setTimeout> | null;
  dialing: boolean;
}

/**
 * Keeps this node connected to every other member: dials all of them at start, redials a member
 * that disconnected, and retries failed dials with exponential backoff and jitter. Each member has at
 * most one dial or one timer pending, so no event can pile up dials.
 *
 * A connection that closes before it has lasted `backoff.maxMs` counts as a failed attempt. A member
 * whose gater refuses us lets our side finish its handshake and then closes the connection: were
 * that a success, both ends would spin through handshakes without pause.
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
    for (const peer of peers)
      this.#peers.set(peer, { failures: 0, connectedAt: null, timer: null, dialing: false });
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
    state.connectedAt = Date.now();
    this.cancel(peer);
  }

  disconnected(peer: string): void {
    const state = this.#peers.get(peer);
    if (state === undefined) return;
    const lasted = state.connectedAt !== null && Date.now() - state.connectedAt >= this.#backoff.maxMs;
    state.connectedAt = null;
    state.failures = lasted ? 0 : state.failures + 1;
    // Even after a connection that lasted, the redial waits a jittered moment, so that both ends
    // of a lost link do not dial each other at once.
    this.#schedule(peer, this.#delay(state));
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

  #delay(state: PeerState): number {
    return backoffDelay(Math.max(1, state.failures), this.#backoff, this.#random);
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
      // A connection lost while the dial was still settling left its disconnect event unanswered.
      if (this.#deps.wantsDial(peer)) retryInMs = this.#delay(state);
    } catch (error) {
      if (this.#stopped.signal.aborted) return;
      state.failures++;
      retryInMs = this.#delay(state);
      this.#deps.onDialFailure(peer, error, state.failures, retryInMs);
    } finally {
      state.dialing = false;
    }
    if (retryInMs !== null) this.#schedule(peer, retryInMs);
  }
}
