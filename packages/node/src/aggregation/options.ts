export interface RoundOptions {
  /** Hashes accepted and not yet answered, across all rounds; above it requests are refused at once. */
  maxPending: number;
  /** Highest request level a client may ask for (KSI aggregator config "max level"). */
  maxLevel: number;
  /** Default hashes per second one agency may submit; an agency's own setting overrides it. */
  agencyQuotaPerSecond: number;
}

export const defaultRoundOptions: RoundOptions = {
  maxPending: 2_000_000,
  maxLevel: 20,
  agencyQuotaPerSecond: 200_000,
};
