import { randomBytes } from "node:crypto";
import {
  HashAlgorithm,
  internalPolicy,
  type KsiSignature,
  makeImprint,
  verifySignature,
} from "@tempel/proto";
import { nodeHasher } from "@tempel/proto/node";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AgencyRegistry } from "../../src/aggregation/agency.ts";
import type { RoundPipeline } from "../../src/aggregation/rounds.ts";
import { defaultGatewayOptions, type GatewayOptions } from "../../src/gateway/options.ts";
import { nextRoundClose } from "../../src/gateway/round-schedule.ts";
import { TierRounds } from "../../src/gateway/tier-rounds.ts";
import { silentLogger } from "../../src/logger/logger.ts";
import { createMetrics, type Metrics } from "../../src/metrics/metrics.ts";
import { ScriptedAgreement, scriptedPipeline, T0 } from "./scripted-core.ts";

/**
 * A tier's rounds in front of a core member's one-second rounds, both in this process on fake time:
 * the tier's upstream is the core's RoundPipeline behind a hop of `hopMs`, so the signatures are the
 * core's, composed by the tier, and every close is seen as the moment the root leaves the tier.
 */
const agencies = new AgencyRegistry(
  [
    { loginId: "client", key: "c" },
    { loginId: "tier", key: "t" },
  ],
  1_000_000,
);
const client = agencies.get("client")!;

let core: RoundPipeline;
let tier: TierRounds;
let metrics: Metrics;
/** Wall-clock times (ms) at which the tier's roots left for the core. */
let closes: number[];

function start(options: Partial<GatewayOptions>, hopMs = 20): void {
  core = scriptedPipeline(new ScriptedAgreement());
  metrics = createMetrics({ processMetrics: false });
  closes = [];
  tier = new TierRounds(
    { ...defaultGatewayOptions, ...options },
    {
      upstream: {
        sign: async (root, level) => {
          closes.push(Date.now());
          await new Promise((resolve) => setTimeout(resolve, hopMs));
          return (await core.submit(agencies.get("tier")!, [{ imprint: root, level }])).signature(0);
        },
      },
      tierId: "gateway:test",
      algorithm: HashAlgorithm.SHA2_256,
      hasher: nodeHasher,
      logger: silentLogger,
      metrics: metrics.gateway,
      now: () => Date.now(),
    },
  );
  tier.start();
}

const oneHash = () => [{ imprint: makeImprint(HashAlgorithm.SHA2_256, randomBytes(32)), level: 0 }];
const timeOf = (signature: KsiSignature) => signature.aggregationChains[0]!.aggregationTime;
const sign = async () => (await tier.submit(client, oneHash())).signature(0);
const late = async () => (await metrics.gateway.roundsLate.get()).values[0]?.value ?? 0;

describe("the round schedule", () => {
  it("finds the next close at a multiple of roundMs since the epoch less the lead, strictly after now", () => {
    const schedule = { roundMs: 200, leadMs: 50 };
    expect(nextRoundClose(schedule, 1_000_300)).toBe(1_000_350);
    expect(nextRoundClose(schedule, 1_000_350)).toBe(1_000_550);
    expect(nextRoundClose(schedule, 1_000_949)).toBe(1_000_950);
    expect(nextRoundClose({ roundMs: 1000, leadMs: 0 }, 1_000_000)).toBe(1_001_000);
    expect(nextRoundClose({ roundMs: 300, leadMs: 0 }, 1_000_000)).toBe(1_000_200);
  });
});

describe("tier rounds on the wall clock", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date", "performance"] });
    vi.setSystemTime(T0 * 1000 + 300);
  });

  afterEach(async () => {
    const stopped = Promise.all([tier.stop(0), core.stop(0)]);
    await vi.runAllTimersAsync();
    await stopped;
    vi.useRealTimers();
  });

  it("closes every round lead ms before a multiple of roundMs, whatever moment it was started at", async () => {
    start({ roundMs: 200, roundLeadMs: 50 });
    for (let i = 0; i < 5; i++) {
      void sign().catch(() => {});
      await vi.advanceTimersByTimeAsync(200);
    }
    expect(closes.map((at) => at - T0 * 1000)).toEqual([350, 550, 750, 950, 1150]);
  });

  it("comes back to its boundaries after the wall clock is stepped, instead of keeping the old phase", async () => {
    start({ roundMs: 200, roundLeadMs: 50 });
    void sign().catch(() => {});
    await vi.advanceTimersByTimeAsync(60);
    expect(closes).toEqual([T0 * 1000 + 350]);
    // The clock jumps 1,234 ms ahead (NTP stepped it) without the timers noticing: the round due
    // closes when its timer fires, and the rounds after it are back on the boundaries.
    vi.setSystemTime(Date.now() + 1_234);
    for (let i = 0; i < 3; i++) {
      void sign().catch(() => {});
      await vi.advanceTimersByTimeAsync(200);
    }
    expect(closes).toHaveLength(4);
    expect(closes.slice(2).map((at) => (at + 50) % 200)).toEqual([0, 0]);
  });

  it("keeps a round length that does not divide 1000 on its own multiples since the epoch", async () => {
    start({ roundMs: 300, roundLeadMs: 0 });
    for (let i = 0; i < 3; i++) {
      void sign().catch(() => {});
      await vi.advanceTimersByTimeAsync(300);
    }
    expect(closes.map((at) => at % 300)).toEqual([0, 0, 0]);
  });

  it("gets a hash sent before the second's last round closed into that core second, and one sent after it into the next", async () => {
    start({ roundMs: 200, roundLeadMs: 50 }, 20);
    await vi.advanceTimersByTimeAsync(600); // T0 + 0.900 s
    const before = sign();
    await vi.advanceTimersByTimeAsync(60); // the round closed at T0 + 0.950 s, its root at the core by 0.970
    const after = sign();
    await vi.advanceTimersByTimeAsync(2_000);
    const [early, next] = [await before, await after];
    expect([timeOf(early), timeOf(next)]).toEqual([T0, T0 + 1]);
    for (const signature of [early, next]) {
      expect(await verifySignature(signature, {}, internalPolicy)).toMatchObject({ result: "OK" });
    }
    expect(await late()).toBe(0);
  });

  it("gets a root that reaches the core after its second closed into the next second, signed all the same and counted as late", async () => {
    start({ roundMs: 200, roundLeadMs: 50 }, 80);
    await vi.advanceTimersByTimeAsync(600); // T0 + 0.900 s
    const signed = sign();
    await vi.advanceTimersByTimeAsync(2_000);
    const signature = await signed;
    expect(timeOf(signature)).toBe(T0 + 1);
    expect(await verifySignature(signature, {}, internalPolicy)).toMatchObject({ result: "OK" });
    expect(await late()).toBe(1);
  });
});
