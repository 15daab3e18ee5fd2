import type { AggregationLeaf, Hasher, LeafMetadata } from "@tempel/proto";
import {
  type Agency,
  BlockBuilder,
  type HashRequest,
  type LocalTree,
  RoundAnswer,
  RoundRejection,
  type RoundSubmitter,
} from "../aggregation/index.ts";
import type { Logger } from "../logger/index.ts";
import { AgencyQuotas } from "./agency-quotas.ts";
import type { GatewayMetrics, TierRoundOutcome } from "./metrics.ts";
import type { GatewayOptions } from "./options.ts";
import { intendedSecond, nextRoundClose, type RoundSchedule } from "./round-schedule.ts";
import { TierRound } from "./tier-round.ts";
import type { Upstream } from "./upstream.ts";

export interface TierModules {
  readonly upstream: Upstream;
  /** Written as the machine id in each leaf's metadata, beside the agency's login id. */
  readonly tierId: string;
  /** KSI id of the tier's tree algorithm. */
  readonly algorithm: number;
  readonly hasher: Hasher;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  /**
   * Wall clock in milliseconds: rounds close on it (with the global timers, which tests fake alongside
   * it), and the agencies' per-second quotas follow it.
   */
  readonly now: () => number;
}

interface TierWaiter {
  readonly first: number;
  readonly count: number;
  readonly resolve: (answer: RoundAnswer) => void;
  readonly reject: (error: Error) => void;
}

interface TierBatch {
  readonly blocks: BlockBuilder;
  readonly waiters: TierWaiter[];
}

type TierRoundOptions = Pick<GatewayOptions, "roundMs" | "roundLeadMs" | "maxPending" | "upstreamTimeoutMs">;

/**
 * A gateway or aggregator tier's rounds: hashes collected for `roundMs` are put into one tree (the
 * core's block tree, hashed while they come in), whose root goes upstream at the tree's level; the
 * upstream's signature of it, behind each leaf's own path, answers every client (TierRound). Rounds
 * overlap: a round waits for its upstream while the next one collects. Memory is bounded by
 * `maxPending`: past it clients are refused at once rather than queued behind a slow upstream.
 * Rounds close on the wall clock `roundLeadMs` before each multiple of `roundMs` (round-schedule.ts),
 * so that a second's last round reaches the upstream before the upstream's own round for that second
 * closes; a root that arrives later goes into the upstream's next round (a second later, not an error),
 * and is counted in `tempel_gateway_rounds_late_total`.
 */
export class TierRounds implements RoundSubmitter {
  readonly #options: TierRoundOptions;
  readonly #schedule: RoundSchedule;
  readonly #modules: TierModules;
  readonly #metadata = new Map<string, LeafMetadata>();
  readonly #quotas: AgencyQuotas;
  #batch: TierBatch | undefined;
  #pending = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopping = false;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #abort = new AbortController();

  constructor(options: TierRoundOptions, modules: TierModules) {
    this.#options = options;
    this.#schedule = { roundMs: options.roundMs, leadMs: options.roundLeadMs };
    this.#modules = modules;
    this.#quotas = new AgencyQuotas(modules.now);
  }

  get pending(): number {
    return this.#pending;
  }

  start(): void {
    if (this.#timer === undefined && !this.#stopping) this.#arm(this.#modules.now());
  }

  /**
   * Arm the timer for the first close after `after`. Timers are relative and the wall clock is not:
   * each close is timed afresh from the clock, so that rounds stay on their boundaries as the two drift
   * (or the clock is stepped) instead of adding up the timers' lateness.
   */
  #arm(after: number): void {
    const closeAt = nextRoundClose(this.#schedule, after);
    this.#timer = setTimeout(() => {
      this.#close(closeAt);
      // A timer that fired a little before its time on the wall clock must not close the same round
      // again: the next close is the one after this round's, unless the clock was stepped back.
      const now = this.#modules.now();
      this.#arm(now < closeAt && now > closeAt - this.#options.roundMs ? closeAt : now);
    }, closeAt - this.#modules.now());
  }

  submit(agency: Agency, hashes: readonly HashRequest[]): Promise<RoundAnswer> {
    if (this.#stopping) throw new RoundRejection("STOPPING", "the gateway is shutting down");
    const count = hashes.length;
    if (this.#pending + count > this.#options.maxPending) {
      throw new RoundRejection(
        "OVERLOAD",
        `${this.#pending} hashes are waiting for the upstream; try again shortly`,
      );
    }
    this.#quotas.take(agency, count);
    let batch = this.#batch;
    if (batch === undefined) {
      batch = {
        blocks: new BlockBuilder({ algorithm: this.#modules.algorithm, hasher: this.#modules.hasher }),
        waiters: [],
      };
      this.#batch = batch;
    }
    const first = batch.blocks.leafCount;
    batch.blocks.add(this.#leaves(agency, hashes));
    this.#setPending(this.#pending + count);
    const waiters = batch.waiters;
    return new Promise((resolve, reject) => {
      waiters.push({ first, count, resolve, reject });
    });
  }

  /** Stop taking hashes, send the round in progress, and wait up to `graceMs` for the rounds out. */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    this.#close(this.#modules.now());
    const timer = setTimeout(() => this.#abort.abort(), graceMs);
    await Promise.all(this.#inFlight);
    clearTimeout(timer);
  }

  /** Metadata above each of an agency's hashes: who sent it, and through which tier. */
  #leaves(agency: Agency, hashes: readonly HashRequest[]): AggregationLeaf[] {
    let metadata = this.#metadata.get(agency.loginId);
    if (metadata === undefined) {
      metadata = { clientId: agency.loginId, machineId: this.#modules.tierId };
      this.#metadata.set(agency.loginId, metadata);
    }
    const leaves: AggregationLeaf[] = new Array(hashes.length);
    for (let i = 0; i < hashes.length; i++) {
      leaves[i] = { imprint: hashes[i]!.imprint, level: hashes[i]!.level, metadata };
    }
    return leaves;
  }

  #close(closedAt: number): void {
    const batch = this.#batch;
    if (batch === undefined) return;
    this.#batch = undefined;
    const round = this.#round(batch, closedAt).finally(() => this.#inFlight.delete(round));
    this.#inFlight.add(round);
  }

  async #round(batch: TierBatch, closedAt: number): Promise<void> {
    const { upstream, logger } = this.#modules;
    let tree: LocalTree;
    try {
      tree = batch.blocks.finish();
    } catch (error) {
      // The tier's own fault (hashing): its clients may retry, here or at another tier.
      logger.error("round failed", { error });
      const rejection = new RoundRejection("ROUND_FAILED", "the round could not be completed; try again");
      this.#settle(batch, (waiter) => waiter.reject(rejection));
      return;
    }
    const started = performance.now();
    const deadline = AbortSignal.any([
      this.#abort.signal,
      AbortSignal.timeout(this.#options.upstreamTimeoutMs),
    ]);
    let answers: TierRound;
    try {
      answers = new TierRound(tree, await upstream.sign(tree.root, tree.rootLevel, deadline));
    } catch (error) {
      if (this.#abort.signal.aborted) {
        this.#settle(batch, (waiter) =>
          waiter.reject(new RoundRejection("STOPPING", "the gateway is shutting down")),
        );
        return;
      }
      const timedOut = deadline.aborted;
      const seconds = (performance.now() - started) / 1000;
      this.#done(timedOut ? "upstream_timeout" : "upstream_failed", tree.leafCount, seconds);
      logger.warn("round not signed upstream", { hashes: tree.leafCount, timedOut, error });
      const rejection = timedOut
        ? new RoundRejection(
            "UPSTREAM_TIMEOUT",
            "the upstream did not sign the gateway's round in time; try again",
          )
        : new RoundRejection("UPSTREAM_FAILED", "the upstream did not sign the gateway's round; try again");
      this.#settle(batch, (waiter) => waiter.reject(rejection));
      return;
    }
    this.#done("signed", tree.leafCount, (performance.now() - started) / 1000);
    if (answers.time > intendedSecond(this.#schedule, closedAt)) this.#modules.metrics.roundsLate.inc();
    this.#settle(batch, (waiter) => waiter.resolve(new RoundAnswer(answers, waiter.first, waiter.count)));
  }

  #settle(batch: TierBatch, answer: (waiter: TierWaiter) => void): void {
    let settled = 0;
    for (const waiter of batch.waiters) {
      settled += waiter.count;
      answer(waiter);
    }
    this.#setPending(this.#pending - settled);
  }

  #setPending(pending: number): void {
    this.#pending = pending;
    this.#modules.metrics.pendingHashes.set(pending);
  }

  #done(outcome: TierRoundOutcome, hashes: number, upstreamSeconds: number): void {
    const { metrics } = this.#modules;
    metrics.rounds.inc({ outcome });
    metrics.roundHashes.observe(hashes);
    metrics.upstreamDuration.observe(upstreamSeconds);
  }
}
