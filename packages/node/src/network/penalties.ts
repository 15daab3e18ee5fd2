export interface PenaltyOptions {
  /** A peer with this many recent offences is cut off until they have decayed below it. */
  readonly graylistAfter: number;
  /** Time in which an offence's weight halves. */
  readonly halfLifeMs: number;
}

/**
 * Recent offences per peer (malformed frames, answers that do not check out), decaying
 * exponentially so that a peer which behaves again is admitted again without anyone's action.
 */
export class PeerPenalties {
  readonly #options: PenaltyOptions;
  readonly #now: () => number;
  readonly #offences = new Map<string, { weight: number; at: number }>();

  constructor(options: PenaltyOptions, now: () => number = Date.now) {
    this.#options = options;
    this.#now = now;
  }

  /** Records one offence; returns the peer's weight of recent offences including it. */
  record(peer: string): number {
    const weight = this.weight(peer) + 1;
    this.#offences.set(peer, { weight, at: this.#now() });
    return weight;
  }

  weight(peer: string): number {
    const entry = this.#offences.get(peer);
    if (entry === undefined) return 0;
    const weight = entry.weight * 0.5 ** ((this.#now() - entry.at) / this.#options.halfLifeMs);
    // Forgotten entries keep the map as small as the set of peers misbehaving now.
    if (weight < 0.01) this.#offences.delete(peer);
    return weight;
  }

  isGraylisted(peer: string): boolean {
    return this.weight(peer) >= this.#options.graylistAfter;
  }
}
