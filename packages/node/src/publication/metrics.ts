import type { Counter, Gauge, LabelledCounter } from "../metrics/index.ts";

/** What the publication service reports. */
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
