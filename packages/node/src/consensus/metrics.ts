import type { Counter, Gauge, Histogram, LabelledCounter } from "../metrics/index.ts";

/**
 * What agreement reports. State such as role, term and leader is read from `Agreement.status()` at
 * scrape time instead.
 */
export interface AgreementMetrics {
  /** Elections this node started. */
  readonly elections: Counter;
  /** Second t's end → entry t committed, as seen by this node. */
  readonly commitLatency: Pick<Histogram, "observe">;
  /** Second t's end → certificate for t assembled by this node. */
  readonly certificateLatency: Pick<Histogram, "observe">;
  /** This node's contributions that did not make it into their entry or were never certified. */
  readonly missedContributions: Counter;
  /** Consensus messages dropped, by reason (malformed, oversized, not a member, stale...). */
  readonly droppedMessages: LabelledCounter<"reason">;
  /** Seconds this node refused to sign, by reason (not_ended, too_old). */
  readonly signRefusals: LabelledCounter<"reason">;
  /** Peers caught sending something that does not check out, by reason. */
  readonly peerFaults: LabelledCounter<"reason">;
  /** Proofs that a member signed two conflicting statements, by kind (vote, contribution, share). */
  readonly equivocations: LabelledCounter<"kind">;
  /** Latest estimate of (leader's clock − own clock), in seconds. */
  readonly leaderClockOffset: Gauge;
}
