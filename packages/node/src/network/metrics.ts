/**
 * The metrics the network reports. The objects are created with the node's other metrics
 * (metrics/); prom-client's Counter, Gauge and Histogram fit these shapes. Suggested names are given
 * per field.
 */
export interface NetworkMetrics {
  /** `tempel_network_peers_connected`: members with an open connection. */
  readonly peersConnected: { set(value: number): void };
  /** `tempel_network_messages_sent_total{kind}`. */
  readonly messagesSent: LabelledCounter<"kind">;
  /** `tempel_network_messages_received_total{kind}`. */
  readonly messagesReceived: LabelledCounter<"kind">;
  /** `tempel_network_messages_dropped_total{kind, reason}`: outgoing or incoming, never delivered. */
  readonly messagesDropped: LabelledCounter<"kind" | "reason">;
  /** `tempel_network_gossip_validation_total{topic, result, reason}`. */
  readonly gossipValidation: LabelledCounter<"topic" | "result" | "reason">;
  /** `tempel_network_dial_failures_total`. */
  readonly dialFailures: { inc(): void };
  /** `tempel_network_peer_penalties_total{reason}`: offences recorded against members. */
  readonly peerPenalties: LabelledCounter<"reason">;
  /** `tempel_network_request_duration_seconds{result}`: `request()` from start to answer or failure. */
  readonly requestDuration: { observe(labels: Record<"result", string>, seconds: number): void };
}

export interface LabelledCounter<Label extends string> {
  inc(labels: Record<Label, string>, value?: number): void;
}

/** The `kind` label: one-way messages, the two halves of an exchange, and gossip. */
export type MessageKind = "message" | "request" | "response" | "gossip";
