export interface RoundOptions {
  /**
   * Hashes accepted and not yet answered, across all rounds; above it requests are refused at once.
   * About 300 bytes of heap each while pending (measured by test/perf/node.bench.ts).
   */
  maxPending: number;
  /** Highest request level a client may ask for (KSI aggregator config "max level"). */
  maxLevel: number;
  /** Default hashes per second one agency may submit; an agency's own setting overrides it. */
  agencyQuotaPerSecond: number;
  /**
   * How far into second t+1 a contribution for second t may still be offered. Agreement's leader
   * proposes entry t a grace period after t ends (250 ms by default); a round whose tree is ready
   * later than this is contributed for the current second instead, so it is not missed.
   */
  contributionDeadlineMs: number;
}

export const defaultRoundOptions: RoundOptions = {
  maxPending: 1_000_000,
  maxLevel: 20,
  agencyQuotaPerSecond: 200_000,
  contributionDeadlineMs: 150,
};
