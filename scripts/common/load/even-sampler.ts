/**
 * Picks `fraction` of a stream of items, spread evenly rather than at random, so a run's picks are
 * the same every time and every stretch of the run (and every node the requests rotate over) gets its
 * share: item n is picked when ⌊(n + 1)·fraction⌋ > ⌊n·fraction⌋.
 */
export class EvenSampler {
  readonly #fraction: number;
  #seen = 0;

  constructor(fraction: number) {
    if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`a fraction in (0, 1], got ${fraction}`);
    this.#fraction = fraction;
  }

  pick(): boolean {
    const before = Math.floor(this.#seen * this.#fraction);
    this.#seen++;
    return Math.floor(this.#seen * this.#fraction) > before;
  }
}
