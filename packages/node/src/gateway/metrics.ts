import type { Counter, Gauge, Histogram } from "prom-client";

/** A gateway tier's metrics (created with the node's others in metrics/metrics.ts). */
export interface GatewayMetrics {
  /** Rounds by outcome: signed, upstream_failed, upstream_timeout. */
  readonly rounds: Counter<"outcome">;
  /** Rounds signed upstream in a later second than the one their close aimed at (roundLeadMs too short). */
  readonly roundsLate: Counter;
  readonly roundHashes: Histogram;
  /** From a round's close to its upstream's answer (or failure). */
  readonly upstreamDuration: Histogram;
  /** Hashes accepted and not yet answered, across the rounds out upstream. */
  readonly pendingHashes: Gauge;
}

export type TierRoundOutcome = "signed" | "upstream_failed" | "upstream_timeout";
