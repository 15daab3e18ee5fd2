import { type Agency, RoundRejection } from "../aggregation/index.ts";

/**
 * Hashes each agency has sent in the current second, against its `quotaPerSecond`: a tier enforces
 * its own agencies' quotas, as a core member does, so one client cannot fill the tier's `maxPending`.
 */
export class AgencyQuotas {
  readonly #now: () => number;
  #second = -1;
  readonly #used = new Map<string, number>();

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Count `count` hashes of `agency`, or refuse them all (QUOTA) when they would pass its quota. */
  take(agency: Agency, count: number): void {
    const second = Math.floor(this.#now() / 1000);
    if (second !== this.#second) {
      // A new second: every agency starts again, and agencies gone quiet are forgotten.
      this.#second = second;
      this.#used.clear();
    }
    const used = this.#used.get(agency.loginId) ?? 0;
    if (used + count > agency.quotaPerSecond) {
      throw new RoundRejection(
        "QUOTA",
        `agency ${agency.loginId} may submit ${agency.quotaPerSecond} hashes per second; ${used} already taken this second`,
      );
    }
    this.#used.set(agency.loginId, used + count);
  }
}
