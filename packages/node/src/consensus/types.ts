import type { Imprint, QuorumCertificate } from "@tempel/proto";

/**
 * The contract between the round pipeline (aggregation/) and agreement (consensus/). A single node
 * is a one-member cluster running the same code: there is no separate single-node path.
 */

/** A node's round root for second `time`: the leaf it puts into the cluster's top tree. */
export interface Contribution {
  readonly time: number;
  readonly nodeId: string;
  readonly root: Imprint;
  /** Level of `root` in the node's local tree (the top tree starts from it). */
  readonly level: number;
}

/**
 * This node's contribution with what only this node knows of its round: how many hashes its tree
 * holds. Agreement sends the Contribution part; the whole goes back to `apply` (the round's record).
 */
export interface LocalContribution extends Contribution {
  readonly hashes: number;
}

/**
 * A contribution with its member's Ed25519 signature over `contributionStatement` (statements.ts):
 * leader and followers check it, so that no member can put a root into the calendar under another
 * member's name.
 */
export interface SignedContribution extends Contribution {
  readonly signature: Uint8Array;
}

/** Calendar entry `time` as agreed: the contributions in the top tree, sorted by node id. */
export interface CalendarEntry {
  readonly time: number;
  /** Empty when no contribution made it: the calendar then holds the empty leaf for `time`. */
  readonly contributions: readonly Contribution[];
  /** The calendar leaf: the top tree's root, or the empty leaf. */
  readonly leaf: Imprint;
}

/** A calendar entry as agreement proposes, replicates and stores it: every contribution signed. */
export interface SignedCalendarEntry extends CalendarEntry {
  readonly contributions: readonly SignedContribution[];
}

/** A committed entry with the calendar root at its second and the quorum certificate over it. */
export interface CertifiedEntry {
  readonly entry: CalendarEntry;
  readonly calendarRoot: Imprint;
  readonly certificate: QuorumCertificate;
}

export type RoundOutcome =
  | { readonly kind: "certified"; readonly certified: CertifiedEntry }
  /** The contribution for `time` is not in entry `time`; its hashes go into the node's next round. */
  | { readonly kind: "missed"; readonly time: number };

export interface Agreement {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Offer this node's contribution for its second. */
  contribute(contribution: LocalContribution): void;
  /**
   * Resolves when second `time` is certified (with or without this node's contribution), or as
   * "missed" once its committed entry lacks this node's contribution or its certification deadline
   * has passed without a certificate here.
   */
  outcome(time: number, signal?: AbortSignal): Promise<RoundOutcome>;
  /** For /metrics and /readyz. */
  status(): AgreementStatus;
}

export interface AgreementStatus {
  readonly role: "follower" | "candidate" | "leader";
  readonly term: number;
  /** The leader this node follows (itself when leading), if it knows one. */
  readonly leaderId: string | undefined;
  /** Last second known committed here. */
  readonly committed: number;
  /** Last second whose entry is in this node's calendar. */
  readonly applied: number;
  /** Caught up with its peers since start and not halted: the node may serve clients. */
  readonly ready: boolean;
  /** Set when this node's calendar disagrees with its own signature or a valid certificate. */
  readonly halted: string | undefined;
}

/**
 * How agreement talks to the other members. The libp2p network implements it in production; the
 * deterministic simulation implements it in-process with a seeded scheduler. Member ids are the
 * members' libp2p peer id strings as named in the genesis.
 */
export interface PeerTransport {
  readonly selfId: string;
  /** Best effort: may be dropped when the peer is unreachable; the protocol retries on its timers. */
  send(to: string, message: Uint8Array): void;
  /** Best effort to every other member. */
  broadcast(message: Uint8Array): void;
  onMessage(handler: (from: string, message: Uint8Array) => void): void;
  /** A reply is needed (catch-up): rejects on timeout, abort or an unreachable peer. */
  request(to: string, message: Uint8Array, signal?: AbortSignal): Promise<Uint8Array>;
  onRequest(handler: (from: string, message: Uint8Array) => Promise<Uint8Array>): void;
}

/** A cluster member as agreement needs it (the genesis file carries more). */
export interface Member {
  readonly id: string;
  /** Raw 32-byte Ed25519 public key: verifies the member's certificate shares. */
  readonly publicKey: Uint8Array;
}
