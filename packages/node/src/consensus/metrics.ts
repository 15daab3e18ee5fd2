/**
 * What agreement reports. The node's metrics module creates the instruments (prom-client counters,
 * histograms and gauges fit these shapes); state such as role, term and leader is read from
 * `Agreement.status()` at scrape time instead.
 */
export interface AgreementMetrics {
  /** Elections this node started. */
  readonly elections: Counter;
  /** Second t's end → entry t committed, as seen by this node. */
  readonly commitLatency: Histogram;
  /** Second t's end → certificate for t assembled by this node. */
  readonly certificateLatency: Histogram;
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

interface Counter {
  inc(): void;
}

interface LabelledCounter<L extends string> {
  inc(labels: Record<L, string>): void;
}

interface Histogram {
  observe(value: number): void;
}

interface Gauge {
  set(value: number): void;
}

const noop = { inc: () => {}, observe: () => {}, set: () => {} };

export const noAgreementMetrics: AgreementMetrics = {
  elections: noop,
  commitLatency: noop,
  certificateLatency: noop,
  missedContributions: noop,
  droppedMessages: noop,
  signRefusals: noop,
  peerFaults: noop,
  equivocations: noop,
  leaderClockOffset: noop,
};
