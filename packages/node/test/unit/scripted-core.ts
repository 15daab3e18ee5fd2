import { generateKeyPairSync, sign } from "node:crypto";
import { Calendar, HashAlgorithm, MemoryCalendarStore } from "@tempel/proto";
import { nodeHasher } from "@tempel/proto/node";
import { defaultRoundOptions, type RoundOptions } from "../../src/aggregation/options.ts";
import { RoundPipeline } from "../../src/aggregation/rounds.ts";
import type { Agreement, Contribution, LocalContribution, RoundOutcome } from "../../src/consensus/index.ts";
import { ConsensusError, topTree } from "../../src/consensus/index.ts";
import type { QuorumHealth } from "../../src/health/index.ts";
import { SHA256_WITH_RSA_OID } from "../../src/identity/calendar-signer.ts";
import { silentLogger } from "../../src/logger/logger.ts";
import { createMetrics } from "../../src/metrics/metrics.ts";

/** A core's round pipeline in one process, with a one-member agreement scripted by the test (fake time). */
export const T0 = 1_763_780_000;
export const NODE = "12D3KooWnode";
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
const signer = {
  certificatePem: "",
  certificateDer: new Uint8Array(0),
  certificateId: Uint8Array.of(1, 2, 3, 4),
  signatureType: SHA256_WITH_RSA_OID,
  sign: (data: Uint8Array) => new Uint8Array(sign("sha256", data, privateKey)),
};

/** "wait": no outcome until the round gives up waiting (its signal aborts). */
export type Verdict = "certify" | "miss" | "late" | "wait";

/**
 * A one-member agreement reduced to what the rounds rely on: each contribution is judged by
 * `verdicts` (certified into the calendar, missed, or refused as late); the calendar is proto's.
 */
export class ScriptedAgreement implements Agreement {
  readonly contributions: LocalContribution[] = [];
  readonly verdicts: Verdict[] = [];
  readonly calendar: Promise<Calendar> = Calendar.open(new MemoryCalendarStore(), {
    genesisTime: T0,
    hasher: nodeHasher,
  });
  readonly #judged = new Map<number, Verdict>();
  /** Other members' contributions, certified in each entry beside this node's. */
  readonly others: Contribution[] = [];
  /** The last second the cluster has committed, as status() reports it. */
  committed = 0;

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  status() {
    return {
      role: "leader" as const,
      term: 1,
      leaderId: NODE,
      committed: this.committed,
      applied: this.committed,
      ready: true,
      halted: undefined,
    };
  }

  contribute(contribution: LocalContribution): void {
    const verdict = this.verdicts.shift() ?? "certify";
    if (verdict === "late")
      throw new ConsensusError("CONSENSUS_LATE_CONTRIBUTION", "already in the calendar");
    this.contributions.push(contribution);
    this.#judged.set(contribution.time, verdict);
  }

  async outcome(time: number, signal?: AbortSignal): Promise<RoundOutcome> {
    if (this.#judged.get(time) === "miss") return { kind: "missed", time };
    if (this.#judged.get(time) === "wait") {
      return new Promise((_, reject) => signal?.addEventListener("abort", () => reject(signal.reason)));
    }
    const contribution = this.contributions.find((c) => c.time === time)!;
    const contributions = [contribution, ...this.others.map((other) => ({ ...other, time }))];
    const entry = { time, contributions, leaf: topTree(contributions, HashAlgorithm.SHA2_256).root };
    const calendar = await this.calendar;
    await calendar.append(time, entry.leaf);
    const calendarRoot = await calendar.rootAt(time);
    const publishedData = { publicationTime: time, publishedHash: calendarRoot };
    return {
      kind: "certified",
      certified: { entry, calendarRoot, certificate: { publishedData, shares: [] } },
    };
  }
}

/** A core member's one-second rounds over `agreement`, started. */
export function scriptedPipeline(
  agreement: ScriptedAgreement,
  options: Partial<RoundOptions> = {},
  quorum?: QuorumHealth,
): RoundPipeline {
  const rounds = new RoundPipeline(
    { ...defaultRoundOptions, ...options },
    {
      agreement,
      calendar: { chain: async (t, root) => (await agreement.calendar).chain(t, root) },
      signer,
      nodeId: NODE,
      algorithm: HashAlgorithm.SHA2_256,
      hasher: nodeHasher,
      metrics: createMetrics({ processMetrics: false }).rounds,
      logger: silentLogger,
      ...(quorum !== undefined && { quorum }),
    },
  );
  rounds.start();
  return rounds;
}
