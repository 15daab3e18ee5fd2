import type { Counter, Gauge, LabelledCounter, LabelledHistogram } from "../metrics/index.ts";

/** What the network reports. */
export interface NetworkMetrics {
  /** Members with an open connection. */
  readonly peersConnected: Gauge;
  readonly messagesSent: LabelledCounter<"kind">;
  readonly messagesReceived: LabelledCounter<"kind">;
  /** Outgoing or incoming, never delivered. */
  readonly messagesDropped: LabelledCounter<"kind" | "reason">;
  readonly gossipValidation: LabelledCounter<"topic" | "result" | "reason">;
  readonly dialFailures: Counter;
  /** Offences recorded against members. */
  readonly peerPenalties: LabelledCounter<"reason">;
  /** `request()` from start to answer or failure, in seconds. */
  readonly requestDuration: LabelledHistogram<"result">;
}

/** The `kind` label: one-way messages, the two halves of an exchange, and gossip. */
export type MessageKind = "message" | "request" | "response" | "gossip";
