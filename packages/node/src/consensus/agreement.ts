import { bytesEqual, checkImprint, type Hasher, type Imprint, type QuorumTrust } from "@tempel/proto";
import { type Logger, silentLogger } from "../logger/index.ts";
import { buildCalendarEntry, calendarEntryFault, contributionSigned } from "./calendar-entry.ts";
import { CatchUp } from "./catch-up.ts";
import type { ShareSigner } from "./certificate.ts";
import { Certifier } from "./certifier.ts";
import { type Clock, systemClock, type TimerHandle } from "./clock.ts";
import { ConsensusError } from "./errors.ts";
import { describeEvidence, type Equivocation } from "./evidence.ts";
import { MemberKeys } from "./member-keys.ts";
import { decodeMessage, encodeMessage, type Message, type MessageLimits } from "./messages.ts";
import type { AgreementMetrics } from "./metrics.ts";
import { type AgreementOptions, defaultAgreementOptions } from "./options.ts";
import { Raft } from "./raft.ts";
import { contributionStatement } from "./statements.ts";
import type { ConsensusStore } from "./store.ts";
import type {
  Agreement,
  AgreementStatus,
  CalendarEntry,
  Contribution,
  LocalContribution,
  Member,
  PeerTransport,
  RoundOutcome,
  SignedCalendarEntry,
  SignedContribution,
} from "./types.ts";

export type AgreementSettings = Pick<AgreementOptions, "genesisTime" | "quorum"> & Partial<AgreementOptions>;

export interface AgreementModules {
  readonly transport: PeerTransport;
  /** Every member, this node included (`transport.selfId`). */
  readonly members: readonly Member[];
  /** This node's Ed25519 key: signs certificate shares, votes and contributions. */
  readonly signer: ShareSigner;
  readonly store: ConsensusStore;
  /**
   * Durably appends the entry's leaf to the node's calendar and returns the calendar root at
   * `entry.time`; `own` is this node's contribution when the entry holds it (written in the same
   * batch as the round's record). Called for every second in order. After a crash the last entry may
   * be handed over again: the calendar must then return the same root without appending twice.
   */
  apply(entry: CalendarEntry, own: LocalContribution | undefined): Promise<Imprint>;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly metrics: AgreementMetrics;
  /** Reports a member that sent something that does not check out (the network's scoring). */
  penalize?(peerId: string, reason: string): void;
  /** What the entries' top trees hash with (node:crypto in the node). */
  readonly hasher: Hasher;
}

interface Waiter {
  resolve(outcome: RoundOutcome): void;
  reject(reason: unknown): void;
}

interface OwnContribution {
  readonly contribution: Contribution;
  /** Hashes in the round's tree: known here only, handed back to `apply`. */
  readonly hashes: number;
  /** Set once signed: only then is it sent. */
  signed: SignedContribution | undefined;
  sentAt: number;
}

const FAULT_SCORE = 10;
/** Pause before applying again after the calendar refused an entry (disk full, I/O error). */
const APPLY_RETRY_MS = 1_000;

/**
 * The cluster agreement of one node: a one-member cluster runs the very same code with no peers.
 * See docs/consensus.md for the protocol and why it is safe.
 */
export function createAgreement(settings: AgreementSettings, modules: AgreementModules): Agreement {
  return new ClusterAgreement({ ...defaultAgreementOptions, ...settings }, modules);
}

class ClusterAgreement implements Agreement {
  readonly #options: AgreementOptions;
  readonly #m: AgreementModules;
  readonly #selfId: string;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #metrics: AgreementMetrics;
  readonly #trust: QuorumTrust;
  readonly #limits: MessageLimits;
  readonly #raft: Raft;
  readonly #certifier: Certifier;
  readonly #catchUp: CatchUp;

  readonly #keys: MemberKeys;
  readonly #hasher: Hasher;
  /** Leader: contributions offered for seconds it has not proposed yet. */
  readonly #offered = new Map<number, Map<string, SignedContribution>>();
  /** This node's contributions whose outcome is not settled yet. */
  readonly #contributed = new Map<number, OwnContribution>();
  readonly #waiters = new Map<number, Set<Waiter>>();
  readonly #appliedWatchers = new Set<{ time: number; resolve(done: boolean): void }>();
  readonly #scores = new Map<string, number>();
  readonly #stopping = new AbortController();
  /** Work started by messages and timers, awaited by `stop` so that nothing touches the store after it. */
  readonly #inFlight = new Set<Promise<void>>();

  #applied = 0;
  /** While catching up, entries are applied only as far as catch-up has their certificates. */
  #applyLimit = Number.POSITIVE_INFINITY;
  #applying = false;
  #ready = false;
  #halted: string | undefined;
  #running = false;
  #tickTimer: TimerHandle | undefined;
  #applyRetry: TimerHandle | undefined;

  constructor(options: AgreementOptions, modules: AgreementModules) {
    this.#options = options;
    this.#m = modules;
    this.#selfId = modules.transport.selfId;
    this.#clock = modules.clock ?? systemClock;
    this.#logger = (modules.logger ?? silentLogger).child({ module: "consensus" });
    this.#metrics = modules.metrics;
    this.#hasher = modules.hasher;
    const ids = modules.members.map((member) => member.id);
    if (!ids.includes(this.#selfId) || new Set(ids).size !== ids.length) {
      throw new ConsensusError("CONSENSUS_MEMBERS", "members must be distinct and include this node");
    }
    if (!Number.isInteger(options.quorum) || options.quorum < 1 || options.quorum > ids.length) {
      throw new ConsensusError("CONSENSUS_QUORUM", `quorum ${options.quorum} is outside 1..${ids.length}`);
    }
    this.#trust = { members: modules.members, quorum: options.quorum };
    this.#keys = new MemberKeys(modules.members);
    const keys = this.#keys;
    const hasher = this.#hasher;
    this.#limits = { maxMessageBytes: options.maxMessageBytes, maxBatchEntries: options.maxBatchEntries };
    const peers = ids.filter((id) => id !== this.#selfId).sort();
    const entryFault = (entry: SignedCalendarEntry) =>
      calendarEntryFault(entry, keys, options.hashAlgorithm, hasher);
    const send = (to: string, message: Message) => modules.transport.send(to, encodeMessage(message));
    const peerFault = (peer: string, reason: string) => this.#peerFault(peer, reason);
    const equivocation = (evidence: Equivocation) => this.#equivocation(evidence);
    const common = { store: modules.store, clock: this.#clock, logger: this.#logger, metrics: this.#metrics };

    this.#raft = new Raft(options, {
      ...common,
      selfId: this.#selfId,
      peers,
      keys,
      signer: modules.signer,
      send,
      peerFault,
      equivocation,
      entryFault,
      propose: (from, to) => this.#propose(from, to),
      contributionsIn: (time, members) => {
        const offered = this.#offered.get(time);
        return offered !== undefined && members.every((member) => offered.has(member));
      },
      committed: () => this.#applyCommitted(),
      leaderChanged: (leaderId) => this.#leaderChanged(leaderId),
    });
    this.#certifier = new Certifier(options, {
      ...common,
      selfId: this.#selfId,
      trust: this.#trust,
      signer: modules.signer,
      send,
      broadcast: (message) => modules.transport.broadcast(encodeMessage(message)),
      certified: (time) => this.#background(this.#settle(time)),
      peerFault,
      equivocation,
      halt: (reason, details) => this.#halt(reason, details),
    });
    this.#catchUp = new CatchUp(
      { limits: this.#limits, retryMs: options.catchUpRetryMs },
      {
        ...common,
        peers,
        transport: modules.transport,
        trust: this.#trust,
        entryFault,
        applied: () => this.#applied,
        allowApplyThrough: (time) => {
          this.#applyLimit = Math.max(this.#applyLimit, time);
          this.#applyCommitted();
        },
        term: () => this.#raft.status().term,
        appendCommitted: (entries) => this.#raft.appendCommitted(entries),
        expect: (certificates) => this.#certifier.expect(certificates),
        appliedThrough: (time) => this.#appliedThrough(time),
        score: (peer) => this.#scores.get(peer) ?? 0,
        peerFault,
      },
    );
  }

  async start(): Promise<void> {
    const state = await this.#m.store.load(this.#options.genesisTime);
    this.#applied = state.applied;
    this.#applyLimit = state.applied;
    this.#running = true;
    await this.#certifier.start(state.applied);
    this.#raft.start(state);
    this.#m.transport.onMessage((from, bytes) => this.#receive(from, bytes));
    this.#m.transport.onRequest((from, bytes) => this.#serve(from, bytes));
    this.#tick();
    this.#background(
      this.#catchUp.run(this.#stopping.signal).then(() => {
        if (!this.#running) return;
        this.#ready = true;
        this.#applyLimit = Number.POSITIVE_INFINITY;
        this.#applyCommitted();
        this.#logger.info("caught up with peers; ready", { applied: this.#applied });
      }),
    );
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#stopping.abort();
    for (const timer of [this.#tickTimer, this.#applyRetry]) {
      if (timer !== undefined) this.#clock.clearTimer(timer);
    }
    this.#certifier.stop();
    const stopped = new ConsensusError("CONSENSUS_STOPPED", "agreement stopped");
    for (const waiters of this.#waiters.values()) for (const waiter of waiters) waiter.reject(stopped);
    this.#waiters.clear();
    for (const watcher of this.#appliedWatchers) watcher.resolve(false);
    this.#appliedWatchers.clear();
    await this.#raft.stop();
    await Promise.all(this.#inFlight);
  }

  contribute({ hashes, ...contribution }: LocalContribution): void {
    if (contribution.nodeId !== this.#selfId) {
      throw new ConsensusError("CONSENSUS_FOREIGN_CONTRIBUTION", "a node contributes under its own id only");
    }
    checkImprint(contribution.root, "contribution root");
    if (!Number.isInteger(contribution.level) || contribution.level < 0 || contribution.level > 255) {
      throw new ConsensusError(
        "CONSENSUS_LEVEL",
        `contribution level ${contribution.level} is outside 0..255`,
      );
    }
    if (contribution.time <= this.#applied) {
      throw new ConsensusError(
        "CONSENSUS_LATE_CONTRIBUTION",
        `second ${contribution.time} is already in the calendar`,
      );
    }
    const earlier = this.#contributed.get(contribution.time)?.contribution;
    if (earlier !== undefined) {
      if (earlier.level === contribution.level && bytesEqual(earlier.root, contribution.root)) return;
      throw new ConsensusError(
        "CONSENSUS_DUPLICATE_CONTRIBUTION",
        `second ${contribution.time} has a contribution`,
      );
    }
    const own: OwnContribution = {
      contribution,
      hashes,
      signed: undefined,
      sentAt: Number.NEGATIVE_INFINITY,
    };
    this.#contributed.set(contribution.time, own);
    this.#background(this.#sign(own));
  }

  async #sign(own: OwnContribution): Promise<void> {
    const signature = await this.#m.signer.sign(contributionStatement(own.contribution));
    own.signed = { ...own.contribution, signature };
    if (this.#running) this.#sendContribution(own);
  }

  outcome(time: number, signal?: AbortSignal): Promise<RoundOutcome> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      if (this.#stopping.signal.aborted) {
        reject(new ConsensusError("CONSENSUS_STOPPED", "agreement stopped"));
        return;
      }
      let waiters = this.#waiters.get(time);
      if (waiters === undefined) {
        waiters = new Set();
        this.#waiters.set(time, waiters);
      }
      const onAbort = () => {
        waiters.delete(waiter);
        reject(signal!.reason);
      };
      const waiter: Waiter = {
        resolve: (outcome) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(outcome);
        },
        reject,
      };
      waiters.add(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#background(this.#settle(time));
    });
  }

  status(): AgreementStatus {
    const raft = this.#raft.status();
    return {
      role: raft.role,
      term: raft.term,
      leaderId: raft.leaderId,
      committed: raft.commitIndex,
      applied: this.#applied,
      ready: this.#ready && this.#halted === undefined,
      halted: this.#halted,
    };
  }

  // ---- messages ----

  #receive(from: string, bytes: Uint8Array): void {
    if (!this.#running) return;
    if (from === this.#selfId || !this.#isMember(from)) {
      this.#metrics.droppedMessages.inc({ reason: "not_member" });
      return;
    }
    const message = this.#decode(from, bytes);
    if (message === undefined) return;
    switch (message.kind) {
      case "vote":
      case "voteReply":
      case "append":
      case "appendReply":
        this.#raft.receive(from, message);
        return;
      case "contribute":
        this.#offer(from, message.contribution);
        return;
      case "share":
        this.#background(this.#certifier.share(from, message.time, message));
        return;
      case "certificate":
        this.#background(this.#certifier.certificateReceived(from, message.certificate));
        return;
      default:
        this.#metrics.droppedMessages.inc({ reason: "unexpected" });
    }
  }

  async #serve(from: string, bytes: Uint8Array): Promise<Uint8Array> {
    const message = this.#running && this.#isMember(from) ? this.#decode(from, bytes) : undefined;
    if (message === undefined) throw new ConsensusError("CONSENSUS_BAD_REQUEST", "not a catch-up request");
    return this.#catchUp.serve(message);
  }

  #decode(from: string, bytes: Uint8Array): Message | undefined {
    try {
      return decodeMessage(bytes, this.#limits);
    } catch (error) {
      this.#metrics.droppedMessages.inc({ reason: "malformed" });
      this.#peerFault(from, "malformed_message");
      this.#logger.debug("malformed consensus message", { peer: from, error });
      return undefined;
    }
  }

  // ---- contributions ----

  #sendContribution(own: OwnContribution): void {
    const { leaderId } = this.#raft.status();
    if (leaderId === undefined || own.signed === undefined) return;
    own.sentAt = this.#clock.now();
    if (leaderId === this.#selfId) this.#offer(this.#selfId, own.signed);
    else this.#m.transport.send(leaderId, encodeMessage({ kind: "contribute", contribution: own.signed }));
  }

  /** Leader side: a contribution for a second not proposed yet is kept for the proposal; others are refused. */
  #offer(from: string, contribution: SignedContribution): void {
    const raft = this.#raft.status();
    if (contribution.nodeId !== from) {
      this.#peerFault(from, "contribution_not_own");
      return;
    }
    if (raft.role !== "leader") {
      this.#metrics.droppedMessages.inc({ reason: "not_leader" });
      return;
    }
    if (contribution.time <= raft.lastIndex) {
      // Refused: the contributor learns it missed when entry `time` commits without it.
      this.#metrics.droppedMessages.inc({ reason: "late_contribution" });
      return;
    }
    if ((contribution.time + 1) * 1000 > this.#clock.now() + this.#options.clockToleranceMs) {
      this.#metrics.droppedMessages.inc({ reason: "future_contribution" });
      return;
    }
    let offered = this.#offered.get(contribution.time);
    const earlier = offered?.get(from);
    if (earlier !== undefined && bytesEqual(earlier.signature, contribution.signature)) return;
    // Checked only here, once per member and second: re-sends of the same contribution cost nothing.
    if (!contributionSigned(contribution, this.#keys)) {
      this.#peerFault(from, "contribution_signature");
      return;
    }
    if (earlier !== undefined) {
      if (earlier.level !== contribution.level || !bytesEqual(earlier.root, contribution.root)) {
        // The first one stays: the member signed two roots for one second.
        const statement = (c: SignedContribution) => ({
          statement: contributionStatement(c),
          signature: c.signature,
        });
        this.#equivocation({
          kind: "contribution",
          member: from,
          slot: contribution.time,
          first: statement(earlier),
          second: statement(contribution),
        });
      }
      return;
    }
    if (offered === undefined) {
      offered = new Map();
      this.#offered.set(contribution.time, offered);
    }
    offered.set(from, contribution);
    this.#raft.contributed(contribution.time);
  }

  #propose(from: number, to: number): SignedCalendarEntry[] {
    const entries: SignedCalendarEntry[] = [];
    for (let time = from; time <= to; time++) {
      const offered = this.#offered.get(time)?.values() ?? [];
      entries.push(buildCalendarEntry(time, offered, this.#options.hashAlgorithm, this.#hasher));
    }
    for (const time of this.#offered.keys()) if (time <= to) this.#offered.delete(time);
    return entries;
  }

  #leaderChanged(leaderId: string | undefined): void {
    this.#offered.clear();
    if (leaderId === undefined) return;
    this.#logger.info("leader changed", { leader: leaderId, term: this.#raft.status().term });
    for (const own of this.#contributed.values()) {
      if (own.contribution.time > this.#raft.status().lastIndex) this.#sendContribution(own);
    }
  }

  // ---- applying and outcomes ----

  #applyCommitted(): void {
    if (this.#applying || !this.#running || this.#halted !== undefined) return;
    this.#applying = true;
    this.#background(
      this.#applyLoop().catch((error: unknown) => {
        this.#logger.error("applying a committed entry failed; retrying", {
          error,
          second: this.#applied + 1,
        });
        if (this.#running)
          this.#applyRetry = this.#clock.setTimer(() => this.#applyCommitted(), APPLY_RETRY_MS);
      }),
    );
  }

  async #applyLoop(): Promise<void> {
    try {
      for (;;) {
        const limit = Math.min(this.#raft.status().commitIndex, this.#applyLimit);
        if (!this.#running || this.#halted !== undefined || this.#applied >= limit) return;
        const time = this.#applied + 1;
        const logEntry = await this.#m.store.entry(time);
        if (logEntry === undefined)
          throw new ConsensusError("CONSENSUS_LOG_GAP", `committed entry ${time} is missing`);
        const root = await this.#m.apply(logEntry.entry, this.#ownIn(logEntry.entry));
        await this.#m.store.saveApplied(time);
        this.#applied = time;
        const late = this.#clock.now() - (time + 1) * 1000;
        if (late <= this.#options.certificationDeadlineMs) this.#metrics.commitLatency.observe(late / 1000);
        await this.#certifier.applied(time, root);
        await this.#settle(time);
        for (const watcher of this.#appliedWatchers) {
          if (watcher.time <= time) {
            this.#appliedWatchers.delete(watcher);
            watcher.resolve(true);
          }
        }
      }
    } finally {
      this.#applying = false;
    }
  }

  #appliedThrough(time: number): Promise<boolean> {
    if (this.#applied >= time) return Promise.resolve(true);
    if (!this.#running || this.#halted !== undefined) return Promise.resolve(false);
    return new Promise((resolve) => this.#appliedWatchers.add({ time, resolve }));
  }

  /** Resolves the waiters of `time` if its outcome is known by now. */
  async #settle(time: number): Promise<void> {
    const own = this.#contributed.get(time);
    if (time > this.#applied || (own === undefined && !this.#waiters.has(time))) return;
    const outcome = await this.#outcomeOf(time, own?.contribution);
    if (outcome === undefined) return;
    if (own !== undefined && this.#contributed.delete(time) && outcome.kind === "missed") {
      this.#metrics.missedContributions.inc();
    }
    const waiters = this.#waiters.get(time);
    this.#waiters.delete(time);
    for (const waiter of waiters ?? []) waiter.resolve(outcome);
  }

  /** This node's contribution for `entry`'s second, if the entry holds it. */
  #ownIn(entry: CalendarEntry): LocalContribution | undefined {
    const own = this.#contributed.get(entry.time);
    return own !== undefined && holds(entry, own.contribution)
      ? { ...own.contribution, hashes: own.hashes }
      : undefined;
  }

  async #outcomeOf(time: number, own: Contribution | undefined): Promise<RoundOutcome | undefined> {
    const logEntry = await this.#m.store.entry(time);
    if (logEntry === undefined) return undefined;
    const { entry } = logEntry;
    if (own !== undefined && !holds(entry, own)) return { kind: "missed", time };
    const certificate = await this.#certifier.certificate(time);
    if (certificate !== undefined) {
      return {
        kind: "certified",
        certified: { entry, calendarRoot: certificate.publishedData.publishedHash, certificate },
      };
    }
    const overdue = this.#clock.now() - (time + 1) * 1000 > this.#options.certificationDeadlineMs;
    return overdue ? { kind: "missed", time } : undefined;
  }

  /** Once a heartbeat: re-sends contributions the leader may have lost, settles overdue seconds. */
  #tick(): void {
    if (!this.#running) return;
    const now = this.#clock.now();
    const { lastIndex } = this.#raft.status();
    for (const own of this.#contributed.values()) {
      if (own.contribution.time > lastIndex && now - own.sentAt >= this.#options.heartbeatMs) {
        this.#sendContribution(own);
      }
    }
    const overdue = Math.floor((now - this.#options.certificationDeadlineMs) / 1000) - 1;
    for (const time of new Set([...this.#waiters.keys(), ...this.#contributed.keys()])) {
      if (time <= Math.min(overdue, this.#applied)) this.#background(this.#settle(time));
    }
    this.#tickTimer = this.#clock.setTimer(() => this.#tick(), this.#options.heartbeatMs);
  }

  // ---- faults ----

  #isMember(id: string): boolean {
    return this.#trust.members.some((member) => member.id === id);
  }

  #peerFault(peer: string, reason: string): void {
    this.#scores.set(peer, (this.#scores.get(peer) ?? 0) - FAULT_SCORE);
    this.#metrics.peerFaults.inc({ reason });
    this.#logger.warn("peer sent something that does not check out", { peer, reason });
    this.#m.penalize?.(peer, reason);
  }

  /** Counted, logged with the proof, kept in the store (the first of each kind per member), scored. */
  #equivocation(evidence: Equivocation): void {
    this.#metrics.equivocations.inc({ kind: evidence.kind });
    this.#logger.error(
      "a member signed two conflicting statements; evidence kept",
      describeEvidence(evidence),
    );
    this.#peerFault(evidence.member, `equivocation_${evidence.kind}`);
    if (this.#running) this.#background(this.#m.store.saveEvidence(evidence).then(() => undefined));
  }

  #halt(reason: string, details: Record<string, unknown>): void {
    if (this.#halted !== undefined) return;
    this.#halted = reason;
    this.#logger.error(
      `agreement halted: ${reason}; this node signs nothing more until its store is repaired`,
      details,
    );
    for (const watcher of this.#appliedWatchers) watcher.resolve(false);
    this.#appliedWatchers.clear();
  }

  #background(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => this.#logger.error("consensus task failed", { error }));
    this.#inFlight.add(tracked);
    void tracked.finally(() => this.#inFlight.delete(tracked));
  }
}

function holds(entry: CalendarEntry, own: Contribution): boolean {
  return entry.contributions.some((c) => c.nodeId === own.nodeId && bytesEqual(c.root, own.root));
}
