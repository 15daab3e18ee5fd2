import { HashAlgorithm } from "@tempel/proto";

export interface AgreementOptions {
  /** First second of the calendar with real entries: the log's first index. */
  genesisTime: number;
  /** Certificate shares that make a quorum certificate (the genesis `quorum`). */
  quorum: number;
  /** Hash algorithm of the top tree over the contributions. */
  hashAlgorithm: number;
  /** How long after second t ends the leader waits for contributions before it proposes entry t. */
  graceMs: number;
  /** Leader's AppendEntries interval when there is nothing new to send. */
  heartbeatMs: number;
  /** A follower that hears no leader for a random time in [min, max) starts an election. */
  electionTimeoutMinMs: number;
  electionTimeoutMaxMs: number;
  /**
   * A node signs second t only while its own clock is in [end of t, end of t + tolerance]; the same
   * bound is the clock difference beyond which a peer is not followed as leader or voted for.
   */
  clockToleranceMs: number;
  /** Waiting for a certificate for t is given up (outcome "missed") this long after t ended. */
  certificationDeadlineMs: number;
  /** How often a node re-broadcasts its shares of seconds it has not seen certified yet. */
  shareRetryMs: number;
  /** Most entries in one AppendEntries or catch-up reply. */
  maxBatchEntries: number;
  /**
   * Upper bound of a consensus message; larger ones are dropped unread. The network's own limit
   * (`maxMessageBytes` there) must not be smaller.
   */
  maxMessageBytes: number;
  /** Catch-up: pause between attempts when no peer could help (requests time out in the transport). */
  catchUpRetryMs: number;
}

export const defaultAgreementOptions: Omit<AgreementOptions, "genesisTime" | "quorum"> = {
  hashAlgorithm: HashAlgorithm.SHA2_256,
  graceMs: 250,
  heartbeatMs: 100,
  electionTimeoutMinMs: 750,
  electionTimeoutMaxMs: 1500,
  clockToleranceMs: 10_000,
  certificationDeadlineMs: 20_000,
  shareRetryMs: 500,
  maxBatchEntries: 256,
  maxMessageBytes: 1024 * 1024,
  catchUpRetryMs: 2_000,
};
