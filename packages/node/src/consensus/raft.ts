import { bytesEqual } from "@tempel/proto";
import type { Logger } from "../logger/index.ts";
import type { ShareSigner } from "./certificate.ts";
import type { Clock, TimerHandle } from "./clock.ts";
import { type ElectionCertificate, electionCertificate, electionFault } from "./election.ts";
import type { Equivocation } from "./evidence.ts";
import type { LogEntry } from "./log-entry.ts";
import type { MemberKeys } from "./member-keys.ts";
import type { Message } from "./messages.ts";
import type { AgreementMetrics } from "./metrics.ts";
import type { AgreementOptions } from "./options.ts";
import { voteStatement } from "./statements.ts";
import type { ConsensusState, ConsensusStore } from "./store.ts";
import type { SignedCalendarEntry } from "./types.ts";

const SKEW_LOG_INTERVAL_MS = 10_000;
/**
 * Terms are bounded by the clock: at most this many per second since genesis, plus a headroom. An
 * honest cluster needs one per election; a term beyond the bound is a protocol error, never adopted,
 * so no member can push the cluster to a term that cannot grow (2^53 − 1) or far ahead of the others.
 */
const TERMS_PER_SECOND = 10;
const TERM_HEADROOM = 16;

export type Role = "follower" | "candidate" | "leader";

export type RaftOptions = Pick<
  AgreementOptions,
  | "genesisTime"
  | "graceMs"
  | "heartbeatMs"
  | "electionTimeoutMinMs"
  | "electionTimeoutMaxMs"
  | "clockToleranceMs"
  | "maxBatchEntries"
  | "maxMessageBytes"
>;

export interface RaftModules {
  readonly selfId: string;
  /** The other members. */
  readonly peers: readonly string[];
  readonly store: ConsensusStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: AgreementMetrics;
  /** The members' keys: votes are checked with them. */
  readonly keys: MemberKeys;
  /** This node's key: signs its votes. */
  readonly signer: ShareSigner;
  send(to: string, message: Message): void;
  /** Leader: the calendar entries of the consecutive seconds `from`..`to`. */
  propose(from: number, to: number): SignedCalendarEntry[];
  /** Leader: whether the contributions of all of `members` for second `time` are in. */
  contributionsIn(time: number, members: readonly string[]): boolean;
  /** Why an entry received from a leader must not be stored, or undefined. */
  entryFault(entry: SignedCalendarEntry): string | undefined;
  /** The commit index rose to `index`. */
  committed(index: number): void;
  /** Another leader (or none: undefined) is known now. */
  leaderChanged(leaderId: string | undefined): void;
  peerFault(peer: string, reason: string): void;
  /** A member signed two conflicting statements. */
  equivocation(evidence: Equivocation): void;
}

export interface RaftStatus {
  readonly role: Role;
  readonly term: number;
  readonly leaderId: string | undefined;
  readonly lastIndex: number;
  readonly commitIndex: number;
}

/**
 * The replicated log of calendar entries (Raft, with pre-vote). Log index = second: slot t holds
 * calendar entry t, so the log is the calendar's sequence of leaves, gapless from genesis; index
 * `genesisTime − 1` with term 0 stands for the empty prefix.
 *
 * Every handler runs on one serial queue, so each sees and leaves a consistent state. Every write
 * Raft's safety rests on (term, vote, entries) is durable before the state in memory changes and
 * before any message that depends on it is sent: a failed write leaves the node as it was.
 */
export class Raft {
  readonly #options: RaftOptions;
  readonly #m: RaftModules;
  readonly #majority: number;

  #role: Role = "follower";
  #term = 0;
  #votedFor: string | undefined;
  #leaderId: string | undefined;
  #lastIndex: number;
  #lastTerm = 0;
  #commitIndex: number;
  /** When a leader making progress was last heard (see #onAppend): votes are refused until it is silent. */
  #lastLeaderContact = Number.NEGATIVE_INFINITY;
  /** The leader's commit index as last seen, and when it last rose (or the leader changed). */
  #leaderCommitSeen = 0;
  #leaderProgressAt = Number.NEGATIVE_INFINITY;
  /** Leader: heartbeats in a row at which no majority had answered within an election timeout. */
  #quorumMisses = 0;
  /** The latest verified election certificate: the only leader followed in its term. */
  #elected: ElectionCertificate | undefined;
  /** Term a pre-vote round is asking about, or 0 when none is running. */
  #preVoteTerm = 0;
  /** Pre-votes granted for `#preVoteTerm`. */
  readonly #preVotes = new Set<string>();
  /**
   * The signed real votes of the election this node runs in its current term. Kept apart from
   * pre-votes: a late real vote must never add up with pre-votes of a later round to a majority.
   */
  readonly #votes = new Map<string, Uint8Array>();
  readonly #nextIndex = new Map<string, number>();
  readonly #matchIndex = new Map<string, number>();
  /** Leader: when each peer last answered an append (its clock); peers silent longer are not waited for. */
  readonly #heardFrom = new Map<string, number>();
  readonly #skewLogged = new Map<string, number>();

  #electionTimer: TimerHandle | undefined;
  #heartbeatTimer: TimerHandle | undefined;
  #proposalTimer: TimerHandle | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #running = false;

  constructor(options: RaftOptions, modules: RaftModules) {
    this.#options = options;
    this.#m = modules;
    this.#majority = Math.floor((modules.peers.length + 1) / 2) + 1;
    this.#lastIndex = options.genesisTime - 1;
    this.#commitIndex = options.genesisTime - 1;
  }

  start(state: ConsensusState): void {
    this.#term = state.term;
    this.#votedFor = state.votedFor;
    this.#lastIndex = state.lastIndex;
    this.#lastTerm = state.lastTerm;
    this.#commitIndex = state.applied;
    this.#running = true;
    this.#resetElectionTimer();
    // A member whose own vote is a majority has no one to wait for: its clients' first requests
    // would otherwise wait out an election timeout (up to 1.5 s) for a leader.
    if (this.#majority === 1) this.#run(async () => this.#onElectionTimeout());
  }

  /** Stops timers and message handling; resolves when the handler in progress is done. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#clearTimers();
    await this.#queue;
  }

  status(): RaftStatus {
    return {
      role: this.#role,
      term: this.#term,
      leaderId: this.#leaderId,
      lastIndex: this.#lastIndex,
      commitIndex: this.#commitIndex,
    };
  }

  /**
   * Leader: a contribution for `time` came in. If that completes the next second to propose (and
   * it has ended), it is proposed now rather than at the end of its grace.
   */
  contributed(time: number): void {
    if (
      this.#role === "leader" &&
      time === this.#lastIndex + 1 &&
      this.#canProposeEarly(time, this.#m.clock.now())
    ) {
      this.#run(() => this.#propose());
    }
  }

  receive(from: string, message: Message): void {
    switch (message.kind) {
      case "vote":
        this.#run(() => this.#onVote(from, message));
        break;
      case "voteReply":
        this.#run(() => this.#onVoteReply(from, message));
        break;
      case "append":
        this.#run(() => this.#onAppend(from, message));
        break;
      case "appendReply":
        this.#run(() => this.#onAppendReply(from, message));
        break;
      default:
        break;
    }
  }

  /**
   * Catch-up: `entries` (consecutive, from a peer's committed prefix and already checked) become part
   * of the log as committed. Entries this node has in the same term are kept; from the first that
   * differs on, the slots are replaced. Returns why the batch was refused, or undefined.
   */
  appendCommitted(entries: readonly LogEntry[]): Promise<string | undefined> {
    return this.#run(async () => {
      const first = entries[0];
      const last = entries[entries.length - 1];
      if (first === undefined || last === undefined) return undefined;
      if (first.entry.time > this.#lastIndex + 1) return "gap";
      let fresh = entries.length;
      for (let i = 0; i < entries.length; i++) {
        const logEntry = entries[i]!;
        const time = logEntry.entry.time;
        if (time > this.#lastIndex) {
          fresh = i;
          break;
        }
        const mine = await this.#m.store.entry(time);
        if (mine !== undefined && mine.term === logEntry.term) continue;
        if (time <= this.#commitIndex) return "conflicts_committed";
        fresh = i;
        break;
      }
      // A leader never rewrites its log (a stale one learns so from the next term); one that has
      // these entries already may take them as committed all the same.
      if (fresh < entries.length && this.#role === "leader") return "leader";
      await this.#writeEntries(entries.slice(fresh));
      this.#advanceCommitTo(last.entry.time);
      return undefined;
    });
  }

  #run<T>(task: () => Promise<T>): Promise<T | undefined> {
    const result = this.#queue.then(() => (this.#running ? task() : undefined));
    this.#queue = result.catch((error: unknown) => {
      this.#m.logger.error("consensus step failed", { error });
    });
    return result;
  }

  // ---- elections ----

  #onElectionTimeout(): void {
    if (this.#role === "leader") return;
    this.#resetElectionTimer();
    if (this.#term + 1 > this.#termCeiling()) {
      this.#m.logger.debug("next term beyond the clock's bound; waiting", { term: this.#term });
      return;
    }
    this.#preVoteTerm = this.#term + 1;
    this.#preVotes.clear();
    this.#preVotes.add(this.#m.selfId);
    if (this.#preVotes.size >= this.#majority) {
      this.#run(() => this.#startElection());
      return;
    }
    this.#broadcastVote(true, this.#preVoteTerm);
  }

  async #startElection(): Promise<void> {
    this.#preVoteTerm = 0;
    await this.#m.store.saveTermAndVote(this.#term + 1, this.#m.selfId);
    this.#term += 1;
    this.#role = "candidate";
    this.#votedFor = this.#m.selfId;
    this.#setLeader(undefined);
    this.#m.metrics.elections.inc();
    this.#m.logger.info("election started", { term: this.#term, lastIndex: this.#lastIndex });
    this.#votes.clear();
    this.#votes.set(this.#m.selfId, await this.#m.signer.sign(voteStatement(this.#term, this.#m.selfId)));
    this.#resetElectionTimer();
    if (this.#votes.size >= this.#majority) {
      await this.#becomeLeader();
      return;
    }
    this.#broadcastVote(false, this.#term);
  }

  #broadcastVote(preVote: boolean, term: number): void {
    for (const peer of this.#m.peers) {
      this.#m.send(peer, {
        kind: "vote",
        term,
        preVote,
        lastIndex: this.#lastIndex,
        lastTerm: this.#lastTerm,
        senderTime: this.#m.clock.now(),
      });
    }
  }

  async #onVote(from: string, m: Extract<Message, { kind: "vote" }>): Promise<void> {
    if (!this.#termInBounds(from, m.term)) return;
    const upToDate =
      m.lastTerm > this.#lastTerm || (m.lastTerm === this.#lastTerm && m.lastIndex >= this.#lastIndex);
    const clockOk = this.#clockAgrees(from, m.senderTime);
    // Leader stickiness, for pre-votes and real votes alike: while a leader that makes progress is
    // heard (or this node leads a majority), no vote is granted and no term adopted, so no member
    // can depose a working leader, and one that was cut off cannot either when it returns.
    const leaderAlive = this.#leaderAlive();
    if (m.preVote) {
      const granted = m.term > this.#term && upToDate && clockOk && !leaderAlive;
      this.#m.send(from, { kind: "voteReply", term: this.#term, preVote: true, granted });
      return;
    }
    if (leaderAlive) {
      this.#m.send(from, { kind: "voteReply", term: this.#term, preVote: false, granted: false });
      return;
    }
    if (m.term > this.#term) await this.#stepDown(m.term);
    const granted =
      m.term === this.#term &&
      (this.#votedFor === undefined || this.#votedFor === from) &&
      upToDate &&
      clockOk;
    if (!granted) {
      this.#m.send(from, { kind: "voteReply", term: this.#term, preVote: false, granted });
      return;
    }
    if (this.#votedFor !== from) {
      await this.#m.store.saveTermAndVote(this.#term, from);
      this.#votedFor = from;
    }
    this.#resetElectionTimer();
    const signature = await this.#m.signer.sign(voteStatement(this.#term, from));
    this.#m.send(from, { kind: "voteReply", term: this.#term, preVote: false, granted, signature });
  }

  /** A leader that makes progress was heard within an election timeout, or this node leads. */
  #leaderAlive(): boolean {
    return (
      this.#role === "leader" ||
      this.#m.clock.now() - this.#lastLeaderContact < this.#options.electionTimeoutMinMs
    );
  }

  async #onVoteReply(from: string, m: Extract<Message, { kind: "voteReply" }>): Promise<void> {
    if (!this.#termInBounds(from, m.term)) return;
    // A leader answers to no single member's claim of a later term: check-quorum deposes it if a
    // majority has moved on.
    if (this.#role === "leader") return;
    if (m.term > this.#term) {
      await this.#stepDown(m.term);
      return;
    }
    if (!m.granted || !this.#m.peers.includes(from)) return;
    if (m.preVote) {
      if (this.#preVoteTerm !== this.#term + 1) return;
      this.#preVotes.add(from);
      if (this.#preVotes.size >= this.#majority) await this.#startElection();
      return;
    }
    if (this.#role !== "candidate" || m.term !== this.#term) return;
    const { signature } = m;
    if (
      signature === undefined ||
      !this.#m.keys.verify(from, voteStatement(m.term, this.#m.selfId), signature)
    ) {
      this.#m.peerFault(from, "vote_signature");
      return;
    }
    this.#votes.set(from, signature);
    if (this.#votes.size >= this.#majority) await this.#becomeLeader();
  }

  async #becomeLeader(): Promise<void> {
    this.#role = "leader";
    this.#preVoteTerm = 0;
    this.#quorumMisses = 0;
    this.#elected = electionCertificate(this.#term, this.#m.selfId, this.#votes);
    this.#setLeader(this.#m.selfId);
    this.#m.logger.info("became leader", { term: this.#term, lastIndex: this.#lastIndex });
    if (this.#electionTimer !== undefined) this.#m.clock.clearTimer(this.#electionTimer);
    this.#electionTimer = undefined;
    // Every peer counts as live until it has been silent for an election timeout: a new leader
    // waits for all contributions rather than proposing before the others had a chance to send.
    const now = this.#m.clock.now();
    for (const peer of this.#m.peers) {
      this.#nextIndex.set(peer, this.#lastIndex + 1);
      this.#matchIndex.set(peer, this.#options.genesisTime - 1);
      this.#heardFrom.set(peer, now);
    }
    await this.#heartbeat();
    await this.#propose();
  }

  /** Adopt a higher term (forgetting the vote) or fall back to follower in the current one. */
  async #stepDown(term: number): Promise<void> {
    if (term > this.#term) {
      await this.#m.store.saveTermAndVote(term, undefined);
      this.#term = term;
      this.#votedFor = undefined;
      this.#preVoteTerm = 0;
      this.#setLeader(undefined);
    }
    if (this.#role !== "follower") {
      this.#role = "follower";
      if (this.#heartbeatTimer !== undefined) this.#m.clock.clearTimer(this.#heartbeatTimer);
      if (this.#proposalTimer !== undefined) this.#m.clock.clearTimer(this.#proposalTimer);
      this.#heartbeatTimer = undefined;
      this.#proposalTimer = undefined;
      if (this.#leaderId === this.#m.selfId) this.#setLeader(undefined);
    }
    this.#resetElectionTimer();
  }

  // ---- replication, follower side ----

  async #onAppend(from: string, m: Extract<Message, { kind: "append" }>): Promise<void> {
    if (!this.#termInBounds(from, m.term)) return;
    if (m.term < this.#term) {
      this.#m.send(from, { kind: "appendReply", term: this.#term, success: false, index: this.#lastIndex });
      return;
    }
    if (!this.#isElected(from, m.term, m.election)) {
      this.#m.peerFault(from, "append_not_leader");
      return;
    }
    // A leader whose clock is off would have us sign at the wrong time: it is not followed, and
    // without its heartbeats counting, the others elect one whose clock agrees.
    if (!this.#clockAgrees(from, m.senderTime)) return;
    if (m.term > this.#term || this.#role !== "follower") await this.#stepDown(m.term);
    this.#preVoteTerm = 0;
    this.#setLeader(from);
    const now = this.#m.clock.now();
    this.#m.metrics.leaderClockOffset.set((m.senderTime - now) / 1000);
    // A leader counts as alive only while its commit index moves (sending entries is not enough: a
    // faulty one could propose and never commit): one that heartbeats but withholds proposals or
    // commits is deposed like a silent one.
    if (m.leaderCommit > this.#leaderCommitSeen) {
      this.#leaderCommitSeen = m.leaderCommit;
      this.#leaderProgressAt = now;
    }
    if (now - this.#leaderProgressAt < this.#stallMs()) {
      this.#lastLeaderContact = now;
      this.#resetElectionTimer();
    }

    const prevTerm = await this.#termAt(m.prevIndex);
    if (prevTerm !== m.prevTerm) {
      // Entries up to the commit index match every leader's, so the leader can resume right there.
      const index = m.prevIndex > this.#lastIndex ? this.#lastIndex : this.#commitIndex;
      this.#m.send(from, { kind: "appendReply", term: this.#term, success: false, index });
      return;
    }
    let fresh = m.entries.length;
    for (let i = 0; i < m.entries.length; i++) {
      const incoming = m.entries[i]!;
      const time = incoming.entry.time;
      const mine = time > this.#lastIndex ? undefined : await this.#m.store.entry(time);
      if (mine?.term !== incoming.term) {
        fresh = i;
        break;
      }
      // An honest leader proposes each second once in its term: this one told us two things.
      if (mine.term === m.term && !bytesEqual(mine.entry.leaf, incoming.entry.leaf)) {
        this.#m.peerFault(from, "leader_equivocation");
        return;
      }
    }
    const incoming = m.entries.slice(fresh);
    const fault = this.#appendFault(incoming, m.term);
    if (fault !== undefined) {
      this.#m.peerFault(from, fault);
      return;
    }
    await this.#writeEntries(incoming);
    const matched = m.prevIndex + m.entries.length;
    this.#advanceCommitTo(Math.min(m.leaderCommit, matched));
    this.#m.send(from, { kind: "appendReply", term: this.#term, success: true, index: matched });
  }

  #appendFault(entries: readonly LogEntry[], term: number): string | undefined {
    const first = entries[0];
    if (first === undefined) return undefined;
    if (first.entry.time <= this.#commitIndex) return "replaces_committed";
    const latestEnded = this.#m.clock.now() + this.#options.clockToleranceMs;
    for (const logEntry of entries) {
      if (logEntry.term > term) return "entry_term_ahead";
      if ((logEntry.entry.time + 1) * 1000 > latestEnded) return "entry_in_future";
      const fault = this.#m.entryFault(logEntry.entry);
      if (fault !== undefined) return fault;
    }
    return undefined;
  }

  /** Writes consecutive entries starting at or before lastIndex + 1, dropping any slots after them. */
  async #writeEntries(entries: readonly LogEntry[]): Promise<void> {
    const last = entries[entries.length - 1];
    if (last === undefined) return;
    await this.#m.store.writeEntries(entries, entries[0]!.entry.time <= this.#lastIndex);
    this.#lastIndex = last.entry.time;
    this.#lastTerm = last.term;
  }

  #advanceCommitTo(index: number): void {
    if (index <= this.#commitIndex) return;
    this.#commitIndex = index;
    this.#m.committed(index);
  }

  // ---- replication, leader side ----

  async #heartbeat(): Promise<void> {
    if (this.#role !== "leader") return;
    // Two heartbeats in a row, so that answers that came in while this node's own event loop was
    // stalled are read before it judges the others silent.
    this.#quorumMisses = this.#hasQuorumContact() ? 0 : this.#quorumMisses + 1;
    if (this.#quorumMisses >= 2) {
      this.#m.logger.warn("leader heard from no majority for an election timeout; stepping down", {
        term: this.#term,
      });
      await this.#stepDown(this.#term);
      return;
    }
    for (const peer of this.#m.peers) await this.#sendAppend(peer);
    this.#heartbeatTimer = this.#m.clock.setTimer(
      () => this.#run(() => this.#heartbeat()),
      this.#options.heartbeatMs,
    );
  }

  async #sendAppend(peer: string): Promise<void> {
    const next = this.#nextIndex.get(peer)!;
    const prevIndex = next - 1;
    const prevTerm = (await this.#termAt(prevIndex))!;
    // Room is left for the message's own fields.
    const budget = this.#options.maxMessageBytes - 1024;
    const entries = await this.#m.store.entries(next, this.#lastIndex, this.#options.maxBatchEntries, budget);
    this.#m.send(peer, {
      kind: "append",
      term: this.#term,
      prevIndex,
      prevTerm,
      leaderCommit: this.#commitIndex,
      senderTime: this.#m.clock.now(),
      election: this.#elected!,
      entries,
    });
  }

  async #onAppendReply(from: string, m: Extract<Message, { kind: "appendReply" }>): Promise<void> {
    // A later term in a reply is one member's word: a leader that lost its majority learns it from
    // check-quorum, and the new leader's certificate, not from it.
    if (!this.#termInBounds(from, m.term)) return;
    if (this.#role !== "leader" || m.term !== this.#term || !this.#nextIndex.has(from)) return;
    this.#heardFrom.set(from, this.#m.clock.now());
    const match = this.#matchIndex.get(from)!;
    if (m.success) {
      if (m.index > this.#lastIndex) {
        this.#m.peerFault(from, "match_beyond_log");
        return;
      }
      if (m.index <= match) return;
      this.#matchIndex.set(from, m.index);
      this.#nextIndex.set(from, m.index + 1);
      const committed = this.#commitIndex;
      await this.#advanceCommit();
      if (this.#commitIndex > committed) {
        // Followers sign a second once they learn it is committed: tell them now, not a heartbeat later.
        for (const peer of this.#m.peers) await this.#sendAppend(peer);
      } else if (m.index < this.#lastIndex) await this.#sendAppend(from);
      return;
    }
    const next = Math.max(match + 1, Math.min(this.#nextIndex.get(from)! - 1, m.index + 1));
    this.#nextIndex.set(from, next);
    await this.#sendAppend(from);
  }

  /** Commit the highest index a majority stores, once it is of this term (Raft §5.4.2). */
  async #advanceCommit(): Promise<void> {
    const stored = [this.#lastIndex, ...this.#m.peers.map((peer) => this.#matchIndex.get(peer)!)].sort(
      (a, b) => b - a,
    );
    const index = stored[this.#majority - 1]!;
    if (index > this.#commitIndex && (await this.#termAt(index)) === this.#term) this.#advanceCommitTo(index);
  }

  /**
   * Appends the entries of every second whose grace has passed, and of the seconds after them that
   * have ended with every live member's contribution in; then sleeps until the next one is due.
   */
  async #propose(): Promise<void> {
    if (this.#role !== "leader") return;
    if (this.#proposalTimer !== undefined) this.#m.clock.clearTimer(this.#proposalTimer);
    this.#proposalTimer = undefined;
    const now = this.#m.clock.now();
    let due = Math.max(this.#lastIndex, Math.floor((now - this.#options.graceMs) / 1000) - 1);
    while (due < this.#lastIndex + this.#options.maxBatchEntries && this.#canProposeEarly(due + 1, now))
      due++;
    try {
      if (due > this.#lastIndex) {
        const from = this.#lastIndex + 1;
        const to = Math.min(due, this.#lastIndex + this.#options.maxBatchEntries);
        const entries = this.#m.propose(from, to).map((entry) => ({ term: this.#term, entry }));
        await this.#writeEntries(entries);
        await this.#advanceCommit();
        for (const peer of this.#m.peers) await this.#sendAppend(peer);
      }
    } finally {
      // Even after a failed write: a leader that stopped proposing would stall the whole cluster.
      const delay = due > this.#lastIndex ? 0 : this.#nextProposalAt(now) - now;
      if (this.#role === "leader" && this.#running) {
        this.#proposalTimer = this.#m.clock.setTimer(
          () => this.#run(() => this.#propose()),
          Math.max(0, delay),
        );
      }
    }
  }

  /**
   * When the second after the log's end must be proposed: at the end of its grace, or as soon as it
   * ends when every live member's contribution is in already (a clock behind the contributors').
   */
  #nextProposalAt(now: number): number {
    const next = this.#lastIndex + 1;
    const end = (next + 1) * 1000;
    return this.#m.contributionsIn(next, this.#liveMembers(now)) ? end : end + this.#options.graceMs;
  }

  /** Second `time` has ended by this node's clock and every live member's contribution for it is in. */
  #canProposeEarly(time: number, now: number): boolean {
    return (time + 1) * 1000 <= now && this.#m.contributionsIn(time, this.#liveMembers(now));
  }

  /** This node and the peers that answered within an election timeout. */
  #liveMembers(now: number): string[] {
    const live = [this.#m.selfId];
    for (const peer of this.#m.peers) {
      if (
        now - (this.#heardFrom.get(peer) ?? Number.NEGATIVE_INFINITY) <
        this.#options.electionTimeoutMinMs
      ) {
        live.push(peer);
      }
    }
    return live;
  }

  // ---- helpers ----

  /** Check-quorum: a majority (this node included) answered within the longest election timeout. */
  #hasQuorumContact(): boolean {
    const now = this.#m.clock.now();
    let heard = 1;
    for (const peer of this.#m.peers) {
      const at = this.#heardFrom.get(peer) ?? Number.NEGATIVE_INFINITY;
      if (now - at < this.#options.electionTimeoutMaxMs) heard++;
    }
    return heard >= this.#majority;
  }

  /** How long a leader's commit index may stand still before it no longer counts as alive. */
  #stallMs(): number {
    return 2 * this.#options.electionTimeoutMaxMs + 1000 + this.#options.graceMs;
  }

  /** The highest term an honest member may be in by its clock (allowing for another's skew). */
  #termCeiling(): number {
    const sinceGenesis =
      this.#m.clock.now() + this.#options.clockToleranceMs - this.#options.genesisTime * 1000;
    return TERM_HEADROOM + Math.max(0, Math.floor((sinceGenesis * TERMS_PER_SECOND) / 1000));
  }

  #termInBounds(from: string, term: number): boolean {
    if (term <= this.#termCeiling()) return true;
    this.#m.peerFault(from, "term_out_of_range");
    return false;
  }

  /**
   * Whether `from` won `term`'s election: the certificate it sent names it and term, and a majority
   * signed it — checked once per term, then remembered. A second valid certificate for a term that
   * has one is proof that some member voted twice.
   */
  #isElected(from: string, term: number, election: ElectionCertificate): boolean {
    const known = this.#elected;
    if (known?.term === term && known.candidate === from) return true;
    if (election.term !== term || election.candidate !== from) return false;
    if (electionFault(election, this.#m.keys, this.#majority) !== undefined) return false;
    if (known?.term === term) {
      this.#reportDoubleVotes(known, election);
      return false;
    }
    this.#elected = election;
    this.#leaderCommitSeen = 0;
    this.#leaderProgressAt = this.#m.clock.now();
    return true;
  }

  #reportDoubleVotes(a: ElectionCertificate, b: ElectionCertificate): void {
    for (const vote of a.votes) {
      const other = b.votes.find((v) => v.voter === vote.voter);
      if (other === undefined) continue;
      this.#m.equivocation({
        kind: "vote",
        member: vote.voter,
        slot: a.term,
        first: { statement: voteStatement(a.term, a.candidate), signature: vote.signature },
        second: { statement: voteStatement(b.term, b.candidate), signature: other.signature },
      });
    }
  }

  async #termAt(index: number): Promise<number | undefined> {
    if (index === this.#options.genesisTime - 1) return 0;
    if (index === this.#lastIndex) return this.#lastTerm;
    if (index < this.#options.genesisTime || index > this.#lastIndex) return undefined;
    return (await this.#m.store.entry(index))?.term;
  }

  #clockAgrees(from: string, senderTime: number): boolean {
    const now = this.#m.clock.now();
    const offset = senderTime - now;
    if (Math.abs(offset) <= this.#options.clockToleranceMs) return true;
    this.#m.metrics.droppedMessages.inc({ reason: "clock_skew" });
    // Heartbeats come ten times a second: one line per peer every ten seconds is enough.
    if (now - (this.#skewLogged.get(from) ?? Number.NEGATIVE_INFINITY) >= SKEW_LOG_INTERVAL_MS) {
      this.#skewLogged.set(from, now);
      this.#m.logger.warn("peer clock is off by more than the tolerance; not following it", {
        peer: from,
        offsetMs: offset,
      });
    }
    return false;
  }

  #setLeader(leaderId: string | undefined): void {
    if (leaderId === this.#leaderId) return;
    this.#leaderId = leaderId;
    this.#m.leaderChanged(leaderId);
  }

  #resetElectionTimer(): void {
    if (!this.#running) return;
    if (this.#electionTimer !== undefined) this.#m.clock.clearTimer(this.#electionTimer);
    const { electionTimeoutMinMs: min, electionTimeoutMaxMs: max } = this.#options;
    const delay = min + Math.floor(this.#m.clock.random() * (max - min));
    this.#electionTimer = this.#m.clock.setTimer(() => {
      this.#electionTimer = undefined;
      this.#run(async () => this.#onElectionTimeout());
    }, delay);
  }

  #clearTimers(): void {
    for (const timer of [this.#electionTimer, this.#heartbeatTimer, this.#proposalTimer]) {
      if (timer !== undefined) this.#m.clock.clearTimer(timer);
    }
    this.#electionTimer = this.#heartbeatTimer = this.#proposalTimer = undefined;
  }
}
