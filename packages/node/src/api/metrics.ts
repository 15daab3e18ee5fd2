import type { LabelledCounter } from "../metrics/index.ts";

/** What the HTTP API reports, and the text it serves on /metrics. */
export interface ApiMetrics {
  readonly httpRequests: LabelledCounter<"endpoint" | "status">;
  /** Requests refused before reaching a round, by RejectReason. */
  readonly rejectedRequests: LabelledCounter<"reason">;
  /** Connections closed as they came, over the total or the per-address cap (api.maxConnections…). */
  readonly refusedConnections: LabelledCounter<"reason">;
  /** Every metric of the node in Prometheus' text format. */
  readonly registry: { metrics(): Promise<string>; readonly contentType: string };
}
