import type { Gauge, Histogram, LabelledCounter } from "../metrics/index.ts";

/** What the round pipeline reports. */
export interface RoundMetrics {
  /** Rounds closed, by outcome (certified, missed, empty, failed, no_quorum). */
  readonly rounds: LabelledCounter<"outcome">;
  readonly roundHashes: Pick<Histogram, "observe">;
  readonly roundBuildDuration: Histogram;
  readonly roundCommitDuration: Histogram;
  readonly roundAnswerDuration: Histogram;
  /** Accepting a hash → handing out its signature, in seconds. */
  readonly signatureLatency: Pick<Histogram, "observe">;
  /** Hashes accepted and not yet answered. */
  readonly pendingRequests: Gauge;
}
