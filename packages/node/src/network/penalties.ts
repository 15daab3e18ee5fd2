export interface PenaltyOptions {
  /** A peer with this many offences within `windowMs` is cut off. */
  readonly graylistAfter: number;
  /** How long an offence counts; the peer is admitted again once fewer than `graylistAfter` remain. */
  readonly windowMs: number;
}

/**
 * Recent offences per peer (malformed frames, answers that do not check out). Offences expire, so a
 * peer that behaves again is admitted again without anyone's action.
 */
export class PeerPenalties {
  readonly #options: PenaltyOptions;
  readonly #now: () => number;
  /** Times of each peer's offences, oldest first, never more than `graylistAfter`. */
  readonly #offences = new Map<string, number[]>();

  constructor(options: PenaltyOptions, now: () => number = Date.now) {
    this.#options = options;
    this.#now = now;
  }

  /** Records one offence; returns how many the peer has within the window, this one included. */
  record(peer: string): number {
    const times = this.#recent(peer);
    times.push(this.#now());
    if (times.length > this.#options.graylistAfter) times.shift();
    this.#offences.set(peer, times);
    return times.length;
  }

  isGraylisted(peer: string): boolean {
    return this.#recent(peer).length >= this.#options.graylistAfter;
  }

  #recent(peer: string): number[] {
    const since = this.#now() - this.#options.windowMs;
    const times = (this.#offences.get(peer) ?? []).filter((time) => time > since);
    // Forgetting peers without recent offences keeps the map as small as the set misbehaving now.
    if (times.length === 0) this.#offences.delete(peer);
    return times;
  }
}
