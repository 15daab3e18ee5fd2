/** A gateway or aggregator tier: a node without calendar or consensus in front of the core. */
export interface GatewayOptions {
  /**
   * KSI aggregator URLs of the upstream (core members, another tier, or any KSI aggregator), e.g.
   * http://10.0.0.1:3131; each round's root goes to one and, past `hedgeAfterMs`, to another too.
   */
  upstream: string[];
  /** This tier's login id at its upstream. */
  upstreamLoginId: string;
  /** This tier's HMAC key at its upstream (used as UTF-8 bytes, as KSI clients do). */
  upstreamKey: string;
  /** Length of the tier's rounds: hashes collected this long go upstream as one root. */
  roundMs: number;
  /**
   * Rounds close this long before each multiple of `roundMs` on the wall clock (round-schedule.ts):
   * the time a root needs to reach the upstream's round, i.e. the hop to it plus a margin, plus the
   * upstream's own lead when the upstream is another tier.
   */
  roundLeadMs: number;
  /**
   * Hashes accepted and not yet answered, across the rounds waiting for their upstream; above it
   * clients are refused at once (HTTP 503, KSI 0x0106) instead of queueing behind a slow upstream.
   */
  maxPending: number;
  /**
   * How long a round waits for its upstream, failovers and hedges included; then its clients are
   * answered 0x0301 (HTTP 503), well within KSI clients' own 10 s.
   */
  upstreamTimeoutMs: number;
  /** A second upstream URL is asked too when the first has not answered within this. */
  hedgeAfterMs: number;
}

export const defaultGatewayOptions: GatewayOptions = {
  upstream: [],
  upstreamLoginId: "",
  upstreamKey: "",
  roundMs: 200,
  roundLeadMs: 50,
  maxPending: 200_000,
  upstreamTimeoutMs: 3_000,
  hedgeAfterMs: 1_500,
};
