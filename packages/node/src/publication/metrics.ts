/**
 * What the publication service reports. The node's metrics module creates the instruments
 * (prom-client counters and gauges fit these shapes).
 */
export interface PublicationMetrics {
  /** Publication records this node made and signed. */
  readonly published: Counter;
  /** Publication time of the newest record in the file this node serves. */
  readonly latestPublication: Gauge;
  /**
   * Peers' publications files refused, by reason: `untrusted` (CMS signature), `noncanonical`,
   * `root`, `record`, `sequence` (see PublicationsGrowth), `calendar` (a record the calendar here
   * contradicts), `certificate` (no valid quorum certificate).
   */
  readonly peerFileRejections: LabelledCounter<"reason">;
}

interface Counter {
  inc(): void;
}

interface LabelledCounter<L extends string> {
  inc(labels: Record<L, string>): void;
}

interface Gauge {
  set(value: number): void;
}

const noop = { inc: () => {}, set: () => {} };

export const noPublicationMetrics: PublicationMetrics = {
  published: noop,
  latestPublication: noop,
  peerFileRejections: noop,
};
