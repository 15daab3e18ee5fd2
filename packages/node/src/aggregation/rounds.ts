import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import {
  type AggregationLeaf,
  type AggregationTreeOptions,
  bytesEqual,
  type CalendarHashChain,
  type ChainSegment,
  encodeCalendarAuthRecord,
  encodeCalendarChain,
  encodeQuorumCertificate,
  type Hasher,
  type Imprint,
  toHex,
} from "@tempel/proto";
import {
  type Agreement,
  type CertifiedEntry,
  ConsensusError,
  type RoundOutcome,
  topTree,
} from "../consensus/index.ts";
import type { NoQuorumError, QuorumHealth } from "../health/index.ts";
import type { CalendarSigner } from "../identity/index.ts";
import type { LogFields, Logger } from "../logger/index.ts";
import type { Agency } from "./agency.ts";
import { calendarAuthRecord } from "./auth-record.ts";
import { BlockBuilder, type LocalTree } from "./block-tree.ts";
import { RoundRejection } from "./errors.ts";
import type { RoundMetrics } from "./metrics.ts";
import type { RoundOptions } from "./options.ts";
import { RoundAnswer, type RoundParts, SignedRound } from "./round-answer.ts";
import type { RoundStage } from "./round-lifecycle.ts";

/** One hash to sign: an imprint and the level the client's own tree reached (0 for a plain hash). */
export interface HashRequest {
  readonly imprint: Imprint;
  readonly level: number;
}

export interface RoundModules {
  readonly agreement: Agreement;
  /** Calendar chains for answers: the chain from a certified second to the root at that second. */
  readonly calendar: { chain(time: number, rootTime: number): Promise<CalendarHashChain> };
  readonly signer: CalendarSigner;
  readonly nodeId: string;
  /** KSI id of the hash algorithm of the local and top trees (agreement must use the same). */
  readonly algorithm: number;
  readonly hasher: Hasher;
  readonly metrics: RoundMetrics;
  readonly logger: Logger;
  /** Wall clock in milliseconds; rounds follow it. */
  readonly now?: () => number;
  /**
   * Whether the cluster's quorum is reachable: without it no round can be certified, so requests are
   * refused at once and rounds waiting for a certificate give up. Absent: assumed reachable.
   */
  readonly quorum?: Pick<QuorumHealth, "shortfall" | "lostSignal">;
}

/** A request waiting for its round: resolved with its signatures, one per hash in order. */
interface Waiter {
  readonly agency: Agency;
  readonly hashes: readonly HashRequest[];
  readonly acceptedAt: number;
  readonly resolve: (answer: RoundAnswer) => void;
  readonly reject: (error: Error) => void;
}

/** Requests that arrived during one second, and their leaves hashed block by block meanwhile. */
interface Batch {
  readonly second: number;
  readonly waiters: Waiter[];
  readonly blocks: BlockBuilder;
  /** Hashes of `waiters`: what `blocks` holds unless adding to it failed. */
  hashes: number;
}

/**
 * Hashes answered between two yields to the event loop while a round hands out its signatures: bounds
 * how long timers (the next round's close, agreement's proposals and heartbeats) and new requests wait.
 */
const ANSWER_CHUNK = 1024;

/** Seconds one round's root is offered for before its hashes wait for the next round instead. */
const CONTRIBUTION_ATTEMPTS = 3;

/**
 * One-second rounds. Hashes accepted during second t go into round t; once t has ended the round's
 * tree is completed (most of it is hashed while its hashes come in, see BlockTree), its root offered
 * to agreement as this node's contribution, and when agreement says t is certified every waiting
 * request gets its signatures. Rounds are closed and committed one at a time and in order; handing
 * out a certified round's signatures goes on while the next round closes, so that a big round does
 * not make the next one late.
 * If rounds fall behind (a slow commit), all seconds that have ended are closed together as one
 * round for the latest of them: nothing is lost or reordered, the hashes just get a later time.
 * A round that agreement reports as missed re-enters the next round whole.
 */
export class RoundPipeline {
  readonly #options: RoundOptions;
  readonly #modules: RoundModules;
  readonly #now: () => number;
  readonly #batches: Batch[] = [];
  /** Waiters of a missed round, first in line for the next one. */
  #carried: Waiter[] = [];
  #pending = 0;
  readonly #quotaUse = new Map<string, { second: number; used: number }>();
  #lastClosed: number;
  #stopping = false;
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;
  /** Certified rounds still handing out their signatures. */
  readonly #answering = new Set<Promise<void>>();
  /** Ends the loop's sleep between rounds early (on stop). */
  #wake: (() => void) | undefined;

  constructor(options: RoundOptions, modules: RoundModules) {
    this.#options = options;
    this.#modules = modules;
    this.#now = modules.now ?? Date.now;
    this.#lastClosed = this.#second() - 1;
  }

  get pending(): number {
    return this.#pending;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /**
   * Queue `hashes` for the current round. Refuses at once (RoundRejection) when the node is stopping,
   * when it cannot reach a quorum of the cluster, when the agency's quota for this second is used up
   * or when too many hashes are pending.
   */
  submit(agency: Agency, hashes: readonly HashRequest[]): Promise<RoundAnswer> {
    if (this.#stopping) throw new RoundRejection("STOPPING", "the node is shutting down");
    const noQuorum = this.#modules.quorum?.shortfall();
    if (noQuorum !== undefined) throw new RoundRejection(noQuorum.code, noQuorum.message, noQuorum.details);
    const n = hashes.length;
    if (this.#pending + n > this.#options.maxPending) {
      throw new RoundRejection(
        "OVERLOAD",
        `${this.#pending} hashes are waiting for signatures; try again shortly`,
      );
    }
    const second = this.#second();
    let use = this.#quotaUse.get(agency.loginId);
    if (use === undefined || use.second !== second) {
      use = { second, used: 0 };
      this.#quotaUse.set(agency.loginId, use);
    }
    if (use.used + n > agency.quotaPerSecond) {
      throw new RoundRejection(
        "QUOTA",
        `agency ${agency.loginId} may submit ${agency.quotaPerSecond} hashes per second; ${use.used} already taken this second`,
      );
    }
    let batch = this.#batches.at(-1);
    if (batch === undefined || batch.second !== second) {
      batch = { second, waiters: [], blocks: new BlockBuilder(this.#treeOptions()), hashes: 0 };
      this.#batches.push(batch);
    }
    // Should hashing a block fail, the request is refused before it counts anywhere, and the round
    // sees that its blocks do not match its requests.
    batch.blocks.add(leavesOf(agency, hashes));
    batch.hashes += n;
    use.used += n;
    this.#pending += n;
    this.#modules.metrics.pendingRequests.set(this.#pending);
    const waiters = batch.waiters;
    return new Promise((resolve, reject) => {
      waiters.push({ agency, hashes, acceptedAt: performance.now(), resolve, reject });
    });
  }

  /**
   * Stop taking hashes, let the round in progress finish (up to `graceMs`, then give it up), and
   * refuse every request still waiting, so clients can retry elsewhere.
   */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    const timer = setTimeout(() => this.#stop.abort(), graceMs);
    this.#wake?.();
    await this.#loop;
    await Promise.all(this.#answering);
    clearTimeout(timer);
    this.#stop.abort();
    const waiters = [...this.#carried, ...this.#batches.flatMap((b) => b.waiters)];
    this.#carried = [];
    this.#batches.length = 0;
    this.#settle(waiters, new RoundRejection("STOPPING", "the node is shutting down"));
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      const ended = this.#second() - 1;
      if (ended <= this.#lastClosed) {
        await this.#sleep((this.#lastClosed + 2) * 1000 - this.#now());
        continue;
      }
      this.#lastClosed = await this.#closeRound(ended);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(ms, 1));
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Close the round of every second up to `ended`; returns the second the round was committed for. */
  async #closeRound(ended: number): Promise<number> {
    const waiters = this.#carried;
    const closing: Batch[] = [];
    while (this.#batches.length > 0 && this.#batches[0]!.second <= ended)
      closing.push(this.#batches.shift()!);
    // A round of one second's requests alone has its blocks hashed already.
    const blocks =
      waiters.length === 0 && closing.length === 1 && closing[0]!.blocks.leafCount === closing[0]!.hashes
        ? closing[0]!.blocks
        : undefined;
    this.#carried = [];
    // One push per waiter: spreading a second of single-hash requests would exceed the argument limit.
    for (const batch of closing) for (const waiter of batch.waiters) waiters.push(waiter);
    const { metrics, logger } = this.#modules;
    if (waiters.length === 0) {
      metrics.rounds.inc({ outcome: "empty" });
      return ended;
    }
    let time = ended;
    try {
      const tree = this.#build(waiters, blocks);
      time = this.#contributionTime(ended);
      this.#reached("closed", {
        round: time,
        closed: ended,
        hashes: tree.leafCount,
        late: this.#now() - (ended + 1) * 1000,
      });
      const committed = await this.#commit(time, tree);
      time = committed.time;
      if (committed.certified === undefined) {
        metrics.rounds.inc({ outcome: "missed" });
        logger.warn("round missed; its hashes go into the next round", {
          round: time,
          hashes: tree.leafCount,
        });
        this.#carried = waiters;
        return time;
      }
      metrics.rounds.inc({ outcome: "certified" });
      this.#reached("certified", { round: time });
      const { certified, index } = committed.certified;
      const top = topTree(
        certified.entry.contributions,
        this.#modules.algorithm,
        this.#modules.hasher,
      ).segment(index);
      const parts = await this.#calendarParts(certified);
      const answering = this.#answer(time, waiters, tree, top, parts).finally(() =>
        this.#answering.delete(answering),
      );
      this.#answering.add(answering);
    } catch (error) {
      const stopping = this.#stop.signal.aborted;
      if (!stopping && error instanceof RoundRejection && error.code === "NO_QUORUM") {
        // Not the node's fault: its waiters learn at once why, instead of after the certification deadline.
        metrics.rounds.inc({ outcome: "no_quorum" });
        logger.warn("round given up: no quorum", { round: time, hashes: waiters.length, ...error.details });
        this.#settle(waiters, error);
        return time;
      }
      metrics.rounds.inc({ outcome: "failed" });
      if (!stopping) logger.error("round failed", { round: time, error });
      this.#settle(
        waiters,
        stopping
          ? new RoundRejection("STOPPING", "the node is shutting down")
          : new RoundRejection("ROUND_FAILED", "the round could not be completed; try again"),
      );
    }
    return time;
  }

  /** The round's local tree: from the blocks hashed while its requests came in, when it has them. */
  #build(waiters: readonly Waiter[], blocks: BlockBuilder | undefined): LocalTree {
    const { metrics } = this.#modules;
    const stopBuild = metrics.roundBuildDuration.startTimer();
    let tree: LocalTree;
    if (blocks !== undefined) tree = blocks.finish();
    else {
      const all = new BlockBuilder(this.#treeOptions());
      for (const waiter of waiters) all.add(leavesOf(waiter.agency, waiter.hashes));
      tree = all.finish();
    }
    stopBuild();
    metrics.roundHashes.observe(tree.leafCount);
    return tree;
  }

  #treeOptions(): AggregationTreeOptions {
    return { algorithm: this.#modules.algorithm, hasher: this.#modules.hasher };
  }

  /**
   * The second to contribute a round for once its tree is ready: the second it closed, unless building
   * took so long that agreement may already have proposed that second (or the one after it); then
   * the current second, whose entry cannot have been proposed yet.
   */
  #contributionTime(ended: number): number {
    const now = this.#now();
    const current = Math.floor(now / 1000);
    const stillOpen = now - current * 1000 < this.#options.contributionDeadlineMs ? current - 1 : current;
    return Math.max(ended, stillOpen);
  }

  /**
   * Contribute the tree's root for `time` and wait for the outcome. A contribution that comes too late
   * for its second while the cluster moves on (this node's clock runs behind the leader's, or the round
   * took long) is offered again at once for the first second the cluster has not committed: waiting
   * for the next round would only make it late again. Returns the second last tried, and its
   * certification unless the round missed.
   */
  async #commit(
    time: number,
    tree: LocalTree,
  ): Promise<{ time: number; certified?: { certified: CertifiedEntry; index: number } }> {
    const { agreement, metrics, nodeId } = this.#modules;
    const stopCommit = metrics.roundCommitDuration.startTimer();
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#contribute(time, tree);
      if (outcome.kind === "certified") {
        stopCommit();
        const index = outcome.certified.entry.contributions.findIndex(
          (c) => c.nodeId === nodeId && bytesEqual(c.root, tree.root),
        );
        return index < 0 ? { time } : { time, certified: { certified: outcome.certified, index } };
      }
      const { committed } = agreement.status();
      if (committed < time || attempt === CONTRIBUTION_ATTEMPTS) return { time };
      this.#modules.logger.info("contribution came too late; offered for the next open second", {
        round: time,
        next: committed + 1,
      });
      time = committed + 1;
    }
  }

  /**
   * One contribution and its outcome; "missed" at once when agreement has the second already. Losing
   * the quorum while waiting ends the wait with RoundRejection NO_QUORUM.
   */
  async #contribute(time: number, tree: LocalTree): Promise<RoundOutcome> {
    const { agreement, nodeId, quorum } = this.#modules;
    try {
      agreement.contribute({ time, nodeId, root: tree.root, level: tree.rootLevel, hashes: tree.leafCount });
    } catch (error) {
      if (error instanceof ConsensusError && error.code === "CONSENSUS_LATE_CONTRIBUTION")
        return { kind: "missed", time };
      throw error;
    }
    this.#reached("contributed", { round: time });
    const lost = quorum?.lostSignal();
    if (lost === undefined) return agreement.outcome(time, this.#stop.signal);
    try {
      return await agreement.outcome(time, AbortSignal.any([this.#stop.signal, lost]));
    } catch (error) {
      if (this.#stop.signal.aborted || !lost.aborted) throw error;
      const reason = lost.reason as NoQuorumError;
      throw new RoundRejection(reason.code, reason.message, reason.details);
    }
  }

  /**
   * Hands each waiter its signatures: its range of the round's leaves, whose chains through the local
   * tree, then the top tree's `top` segment (the same for the whole round), with the round's shared
   * parts, are made when its answer is encoded.
   */
  async #answer(
    time: number,
    waiters: readonly Waiter[],
    tree: LocalTree,
    top: ChainSegment,
    parts: RoundParts,
  ): Promise<void> {
    const { metrics, logger } = this.#modules;
    const stopAnswer = metrics.roundAnswerDuration.startTimer();
    let answered = 0;
    let leaf = 0;
    let sinceYield = 0;
    try {
      const round = new SignedRound(time, tree, top, parts);
      for (const waiter of waiters) {
        const first = leaf;
        for (let i = 0; i < waiter.hashes.length; i++, leaf++) {
          // Cheap insurance that no request is ever handed a signature for another hash.
          if (!bytesEqual(tree.leafImprint(leaf), waiter.hashes[i]!.imprint)) {
            throw new RoundRejection(
              "ROUND_FAILED",
              `leaf ${leaf} of round ${time} is not the hash asked for`,
            );
          }
        }
        this.#pending -= waiter.hashes.length;
        answered++;
        metrics.signatureLatency.observe((performance.now() - waiter.acceptedAt) / 1000);
        waiter.resolve(new RoundAnswer(round, first, waiter.hashes.length));
        sinceYield += waiter.hashes.length;
        if (sinceYield >= ANSWER_CHUNK) {
          sinceYield = 0;
          await yieldToEventLoop();
        }
      }
      this.#reached("answered", { round: time, hashes: leaf, requests: waiters.length });
    } catch (error) {
      logger.error("round failed while answering", { round: time, error });
      this.#settle(
        waiters.slice(answered),
        new RoundRejection("ROUND_FAILED", "the round could not be completed; try again"),
      );
    } finally {
      metrics.pendingRequests.set(this.#pending);
      stopAnswer();
    }
  }

  /**
   * What every signature of a certified round shares: the calendar chain to the root at its second,
   * the calendar authentication record (this node's PKI signature over that root) and the quorum
   * certificate. Each is encoded once here and carries its encoding (`source`), so encoding each of
   * the round's signatures copies these bytes instead of re-encoding them.
   */
  async #calendarParts(certified: CertifiedEntry): Promise<RoundParts> {
    const time = certified.entry.time;
    const certifiedRoot = certified.certificate.publishedData.publishedHash;
    if (!bytesEqual(certifiedRoot, certified.calendarRoot)) {
      throw new RoundRejection(
        "ROUND_FAILED",
        `certificate of ${time} covers root ${toHex(certifiedRoot)}, agreement reported ${toHex(certified.calendarRoot)}`,
      );
    }
    const calendarChain = await this.#modules.calendar.chain(time, time);
    const authRecord = calendarAuthRecord(this.#modules.signer, time, certified.calendarRoot);
    const certificate = certified.certificate;
    return {
      calendarChain: { ...calendarChain, source: encodeCalendarChain(calendarChain) },
      calendarAuthRecord: { ...authRecord, source: encodeCalendarAuthRecord(authRecord) },
      quorumCertificate: { ...certificate, source: encodeQuorumCertificate(certificate) },
    };
  }

  #settle(waiters: readonly Waiter[], error: Error): void {
    for (const waiter of waiters) {
      this.#pending -= waiter.hashes.length;
      waiter.reject(error);
    }
    this.#modules.metrics.pendingRequests.set(this.#pending);
  }

  /** Stages this node passes itself; `committed` and `applied` happen inside agreement. */
  #reached(stage: Exclude<RoundStage, "accepted" | "committed" | "applied">, fields: LogFields): void {
    this.#modules.logger.debug(`round ${stage}`, { stage, ...fields });
  }

  #second(): number {
    return Math.floor(this.#now() / 1000);
  }
}

function leavesOf(agency: Agency, hashes: readonly HashRequest[]): AggregationLeaf[] {
  return hashes.map((hash) => ({ imprint: hash.imprint, level: hash.level, metadata: agency.metadata }));
}
