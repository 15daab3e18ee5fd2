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
  readonly #offences = new Map<string, readonly number[]>();

  constructor(options: PenaltyOptions, now: () => number = Date.now) {
    this.#options = options;
    this.#now = now;
  }

  /** Records one offence; returns how many the peer has within the window, this one included. */
  record(peer: string): number {
    const times = [...this.#recent(peer), this.#now()].slice(-this.#options.graylistAfter);
    this.#offences.set(peer, times);
    return times.length;
  }

  isGraylisted(peer: string): boolean {
    return this.#recent(peer).length >= this.#options.graylistAfter;
  }

  /** Asked for every message sent and received: allocates nothing for a peer without offences. */
  #recent(peer: string): readonly number[] {
    const times = this.#offences.get(peer);
    if (times === undefined) return [];
    const since = this.#now() - this.#options.windowMs;
    if (times[0] > since) return times;
    const recent = times.filter((time) => time > since);
    // Forgetting peers without recent offences keeps the map as small as the set misbehaving now.
    if (recent.length === 0) this.#offences.delete(peer);
    else this.#offences.set(peer, recent);
    return recent;
  }
}
