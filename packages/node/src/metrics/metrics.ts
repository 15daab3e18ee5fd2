import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { RoundMetrics } from "../aggregation/index.ts";
import type { ApiMetrics } from "../api/index.ts";
import type { AgreementMetrics, AgreementStatus } from "../consensus/index.ts";
import type { GatewayMetrics } from "../gateway/index.ts";
import type { Readiness } from "../health/index.ts";
import type { NetworkMetrics } from "../network/index.ts";
import type { PublicationMetrics } from "../publication/index.ts";
import type { StoreMetrics } from "../store/index.ts";
import type { TsaMetrics } from "../tsa/index.ts";

/**
 * Every metric of the node is created here, on the node's own registry (never prom-client's global
 * one: libraries such as libp2p's metrics clear or share it). Names carry the `tempel_` prefix and
 * their unit.
 */
export interface MetricsOptions {
  /** Process metrics (CPU, memory, event-loop lag, GC); off in tests that run several nodes in one process. */
  processMetrics: boolean;
}

export const defaultMetricsOptions: MetricsOptions = { processMetrics: true };

export type RejectReason =
  | "overload"
  | "quota"
  /** An unknown login and a wrong HMAC alike: the metrics are public, and must not tell logins apart. */
  | "unauthenticated"
  | "bad_request"
  | "bad_imprint"
  | "too_large"
  | "shutting_down"
  | "no_quorum";

/** Every instrument of the node, grouped by the folder that reports to them. */
export interface Metrics {
  readonly registry: Registry;
  readonly api: ApiMetrics;
  readonly rounds: RoundMetrics;
  readonly store: StoreMetrics;
  readonly agreement: AgreementMetrics;
  readonly network: NetworkMetrics;
  readonly publication: PublicationMetrics;
  readonly tsa: TsaMetrics;
  /** A gateway tier's own (the gateway role only). */
  readonly gateway: GatewayMetrics;
  /** Agreement's state (role, term, leader, committed and applied seconds) is read at scrape time from `status`. */
  watchAgreement(status: () => AgreementStatus): void;
  /** Readiness (tempel_ready) and the members reachable against those needed are read at scrape time. */
  watchReadiness(readiness: () => Readiness): void;
}

const ROLES: readonly AgreementStatus["role"][] = ["follower", "candidate", "leader"];

/** Round and latency buckets centred on the one-second round. */
const ROUND_SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const LATENCY_SECONDS = [0.1, 0.25, 0.5, 0.75, 1, 1.1, 1.2, 1.3, 1.5, 2, 3, 5, 10];
const WRITE_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const HASH_COUNTS = [0, 1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];

export function createMetrics(options: MetricsOptions = defaultMetricsOptions): Metrics {
  const registry = new Registry();
  const registers = [registry];
  if (options.processMetrics) {
    collectDefaultMetrics({ register: registry, prefix: "tempel_" });
    renameGaugeTotals(registry);
  }
  let agreementStatus: (() => AgreementStatus) | undefined;
  let readiness: (() => Readiness) | undefined;
  new Gauge({
    name: "tempel_consensus_term",
    help: "Agreement term this node is in",
    registers,
    collect() {
      const status = agreementStatus?.();
      if (status !== undefined) this.set(status.term);
    },
  });
  new Gauge({
    name: "tempel_consensus_role",
    help: "1 for the agreement role this node has now, 0 for the others",
    labelNames: ["role"],
    registers,
    collect() {
      const status = agreementStatus?.();
      if (status !== undefined) for (const role of ROLES) this.set({ role }, status.role === role ? 1 : 0);
    },
  });
  new Gauge({
    name: "tempel_consensus_leader",
    help: "1 for the member this node follows as leader",
    labelNames: ["leader"],
    registers,
    collect() {
      const status = agreementStatus?.();
      this.reset();
      if (status?.leaderId !== undefined) this.set({ leader: status.leaderId }, 1);
    },
  });
  new Gauge({
    name: "tempel_consensus_committed_timestamp_seconds",
    help: "Last second whose calendar entry this node knows is committed",
    registers,
    collect() {
      const status = agreementStatus?.();
      if (status !== undefined) this.set(status.committed);
    },
  });
  new Gauge({
    name: "tempel_ready",
    help: "1 when the node serves signatures: caught up, not halted, a quorum of members reachable, not stopping",
    registers,
    collect() {
      const state = readiness?.();
      if (state !== undefined) this.set(state.ready ? 1 : 0);
    },
  });
  new Gauge({
    name: "tempel_quorum_members_reachable",
    help: "Members this node reaches now (connected and heard from lately), itself included",
    registers,
    collect() {
      const state = readiness?.();
      if (state !== undefined) this.set(state.quorum.reachable.length);
    },
  });
  new Gauge({
    name: "tempel_quorum_members_needed",
    help: "Members that must be reachable for a second to be committed and certified",
    registers,
    collect() {
      const state = readiness?.();
      if (state !== undefined) this.set(state.quorum.needed);
    },
  });
  return {
    watchAgreement(status) {
      agreementStatus = status;
    },
    watchReadiness(state) {
      readiness = state;
    },
    registry,
    api: {
      registry,
      httpRequests: new Counter({
        name: "tempel_http_requests_total",
        help: "HTTP requests answered, by endpoint and HTTP status",
        labelNames: ["endpoint", "status"],
        registers,
      }),
      rejectedRequests: new Counter({
        name: "tempel_rejected_requests_total",
        help: "Requests refused before reaching a round, by reason",
        labelNames: ["reason"],
        registers,
      }),
      refusedConnections: new Counter({
        name: "tempel_http_refused_connections_total",
        help: "HTTP connections closed as they were accepted, over the total or the per-address cap",
        labelNames: ["reason"],
        registers,
      }),
    },
    rounds: {
      roundHashes: new Histogram({
        name: "tempel_round_hashes",
        help: "Hashes aggregated in one round of this node",
        buckets: HASH_COUNTS,
        registers,
      }),
      roundBuildDuration: new Histogram({
        name: "tempel_round_build_duration_seconds",
        help: "Time to build a round's aggregation tree",
        buckets: ROUND_SECONDS,
        registers,
      }),
      roundCommitDuration: new Histogram({
        name: "tempel_round_commit_duration_seconds",
        help: "Time from offering a round's contribution to knowing its outcome (committed and certified, or missed)",
        buckets: ROUND_SECONDS,
        registers,
      }),
      roundAnswerDuration: new Histogram({
        name: "tempel_round_answer_duration_seconds",
        help: "Time to produce every signature of a certified round",
        buckets: ROUND_SECONDS,
        registers,
      }),
      rounds: new Counter({
        name: "tempel_rounds_total",
        help: "Rounds closed, by outcome (certified, missed, empty, failed, no_quorum)",
        labelNames: ["outcome"],
        registers,
      }),
      signatureLatency: new Histogram({
        name: "tempel_request_signature_latency_seconds",
        help: "Time from accepting a hash to handing out its signature",
        buckets: LATENCY_SECONDS,
        registers,
      }),
      pendingRequests: new Gauge({
        name: "tempel_pending_requests",
        help: "Hashes accepted and not yet answered",
        registers,
      }),
    },
    store: {
      calendarHeight: new Gauge({
        name: "tempel_calendar_height",
        help: "Leaves in the calendar: the last stored second + 1",
        registers,
      }),
      leveldbWriteDuration: new Histogram({
        name: "tempel_leveldb_write_duration_seconds",
        help: "Duration of synced LevelDB batch writes",
        buckets: WRITE_SECONDS,
        registers,
      }),
      calendarContradictions: new Counter({
        name: "tempel_calendar_contradictions_total",
        help: "Calendar chains refused because they reach another root than the quorum certificate of that second",
        registers,
      }),
    },
    agreement: {
      elections: new Counter({
        name: "tempel_consensus_elections_total",
        help: "Elections this node started",
        registers,
      }),
      commitLatency: new Histogram({
        name: "tempel_consensus_commit_latency_seconds",
        help: "End of second t to calendar entry t committed",
        buckets: ROUND_SECONDS,
        registers,
      }),
      certificateLatency: new Histogram({
        name: "tempel_consensus_certificate_latency_seconds",
        help: "End of second t to the quorum certificate for t",
        buckets: ROUND_SECONDS,
        registers,
      }),
      missedContributions: new Counter({
        name: "tempel_consensus_missed_contributions_total",
        help: "Contributions of this node that did not make it into their calendar entry",
        registers,
      }),
      droppedMessages: new Counter({
        name: "tempel_consensus_dropped_messages_total",
        help: "Consensus messages dropped, by reason",
        labelNames: ["reason"],
        registers,
      }),
      signRefusals: new Counter({
        name: "tempel_consensus_sign_refusals_total",
        help: "Seconds this node refused to sign, by reason",
        labelNames: ["reason"],
        registers,
      }),
      peerFaults: new Counter({
        name: "tempel_consensus_peer_faults_total",
        help: "Peers caught sending what does not check out, by reason",
        labelNames: ["reason"],
        registers,
      }),
      equivocations: new Counter({
        name: "tempel_consensus_equivocations_total",
        help: "Proofs that a member signed two conflicting statements (kept in the store), by kind",
        labelNames: ["kind"],
        registers,
      }),
      leaderClockOffset: new Gauge({
        name: "tempel_consensus_leader_clock_offset_seconds",
        help: "Latest estimate of the leader's clock minus this node's",
        registers,
      }),
    },
    publication: {
      published: new Counter({
        name: "tempel_publications_total",
        help: "Publication records this node made",
        registers,
      }),
      latestPublication: new Gauge({
        name: "tempel_publication_latest_time_seconds",
        help: "Publication time of the newest record served",
        registers,
      }),
      peerFileRejections: new Counter({
        name: "tempel_publication_peer_file_rejections_total",
        help: "Peers' publications files refused, by reason",
        labelNames: ["reason"],
        registers,
      }),
    },
    tsa: {
      responses: new Counter({
        name: "tempel_tsa_responses_total",
        help: "RFC 3161 replies sent, by status (granted, rejection) and failure info",
        labelNames: ["status", "fail_info"],
        registers,
      }),
      signingDuration: new Histogram({
        name: "tempel_tsa_token_signing_duration_seconds",
        help: "Time from a certified round to one signed RFC 3161 token: building it, waiting for and signing in a signing thread",
        buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1],
        registers,
      }),
      requestDuration: new Histogram({
        name: "tempel_tsa_request_duration_seconds",
        help: "Time from a parsed RFC 3161 query to its signed token (the round included)",
        buckets: LATENCY_SECONDS,
        registers,
      }),
    },
    gateway: {
      rounds: new Counter({
        name: "tempel_gateway_rounds_total",
        help: "Gateway tier rounds, by outcome (signed, upstream_failed, upstream_timeout)",
        labelNames: ["outcome"],
        registers,
      }),
      roundsLate: new Counter({
        name: "tempel_gateway_rounds_late_total",
        help: "Gateway tier rounds signed upstream a second (or more) after the second they closed for: gateway.roundLeadMs is shorter than the way upstream",
        registers,
      }),
      roundHashes: new Histogram({
        name: "tempel_gateway_round_hashes",
        help: "Hashes per gateway tier round",
        buckets: HASH_COUNTS,
        registers,
      }),
      upstreamDuration: new Histogram({
        name: "tempel_gateway_upstream_duration_seconds",
        help: "From a gateway tier round's close to its upstream's signature (or failure)",
        buckets: LATENCY_SECONDS,
        registers,
      }),
      pendingHashes: new Gauge({
        name: "tempel_gateway_pending_hashes",
        help: "Hashes a gateway tier holds for rounds not yet signed upstream",
        registers,
      }),
    },
    network: {
      peersConnected: new Gauge({
        name: "tempel_network_peers_connected",
        help: "Members with an open connection",
        registers,
      }),
      messagesSent: new Counter({
        name: "tempel_network_messages_sent_total",
        help: "Messages sent to peers, by kind",
        labelNames: ["kind"],
        registers,
      }),
      messagesReceived: new Counter({
        name: "tempel_network_messages_received_total",
        help: "Messages received from peers, by kind",
        labelNames: ["kind"],
        registers,
      }),
      messagesDropped: new Counter({
        name: "tempel_network_messages_dropped_total",
        help: "Messages never delivered, by kind and reason",
        labelNames: ["kind", "reason"],
        registers,
      }),
      gossipValidation: new Counter({
        name: "tempel_network_gossip_validation_total",
        help: "Gossip validation results, by topic, result and reason",
        labelNames: ["topic", "result", "reason"],
        registers,
      }),
      dialFailures: new Counter({
        name: "tempel_network_dial_failures_total",
        help: "Failed dials to members",
        registers,
      }),
      peerPenalties: new Counter({
        name: "tempel_network_peer_penalties_total",
        help: "Offences recorded against members, by reason",
        labelNames: ["reason"],
        registers,
      }),
      requestDuration: new Histogram({
        name: "tempel_network_request_duration_seconds",
        help: "Peer requests from start to answer or failure, by result",
        labelNames: ["result"],
        buckets: ROUND_SECONDS,
        registers,
      }),
    },
  };
}

/**
 * prom-client names three gauges `…_total`, a suffix Prometheus keeps for counters (`promtool check
 * metrics` flags them). Each is served under a gauge's name instead, read from prom-client's own at
 * scrape time. The per-type gauges beside them (`tempel_nodejs_active_handles{type}`…) stay.
 */
const GAUGE_TOTALS = [
  [
    "tempel_nodejs_active_handles_total",
    "tempel_nodejs_active_handles_all",
    "Active libuv handles of every type",
  ],
  [
    "tempel_nodejs_active_requests_total",
    "tempel_nodejs_active_requests_all",
    "Active libuv requests of every type",
  ],
  [
    "tempel_nodejs_active_resources_total",
    "tempel_nodejs_active_resources_all",
    "Active resources of every type keeping the event loop alive",
  ],
] as const;

function renameGaugeTotals(registry: Registry): void {
  for (const [old, name, help] of GAUGE_TOTALS) {
    const source = registry.getSingleMetric(old);
    if (source === undefined) continue;
    registry.removeSingleMetric(old);
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const value = (await source.get()).values[0]?.value;
        if (value !== undefined) this.set(value);
      },
    });
  }
}
