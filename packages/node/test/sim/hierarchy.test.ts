import { describe, expect, it } from "vitest";
import { type HierarchyModel, simulateHierarchy } from "./hierarchy.ts";

/**
 * Per-tier costs measured on the development machine (docs/benchmarks.md): a single-hash KSI PDU
 * costs a node about 53 µs of CPU, and a one-node core answers a second's requests about 0.26 s after
 * the second ends (p50 0.76 s at 1,000 hashes/s, docs/scale.md).
 */
const MEASURED = { tierUsPerRequest: 53, coreAnswerMs: 260, hopMs: [1, 20] } as const;

const small: HierarchyModel = {
  clients: 1_000,
  hashesPerSecond: 10_000,
  gateways: 4,
  aggregators: 2,
  gatewayRoundMs: 200,
  aggregatorRoundMs: 500,
  ...MEASURED,
  seconds: 20,
  seed: 7,
};

describe("hierarchy simulation", () => {
  it("replays the same run from the same seed, and another from another", () => {
    expect(simulateHierarchy(small)).toEqual(simulateHierarchy(small));
    expect(simulateHierarchy({ ...small, seed: 8 })).not.toEqual(simulateHierarchy(small));
  });

  it("sends the core one request per aggregator round, whatever the clients send", () => {
    const low = simulateHierarchy(small);
    const high = simulateHierarchy({ ...small, hashesPerSecond: 40_000 });
    for (const figures of [low, high]) {
      expect(figures.coreRequestsPerSecond).toBeGreaterThan(3.8);
      expect(figures.coreRequestsPerSecond).toBeLessThanOrEqual(4.1);
    }
    expect(low.p99Seconds).toBeLessThan(2);
  });

  it("shows a gateway past its CPU as what breaks first: its utilization above 1 and client latency growing", () => {
    const fine = simulateHierarchy(small);
    const overloaded = simulateHierarchy({ ...small, hashesPerSecond: 100_000 });
    expect(fine.gatewayUtilization).toBeLessThan(1);
    expect(overloaded.gatewayUtilization).toBeGreaterThan(1);
    expect(overloaded.p99Seconds).toBeGreaterThan(fine.p99Seconds + 1);
  });

  const projection: HierarchyModel = {
    ...small,
    clients: 1_000_000,
    hashesPerSecond: 10_000_000,
    gateways: 700,
    aggregators: 4,
    aggregatorRoundMs: 500,
    seconds: 10,
  };

  it("projects 10^6 clients at 10^7 hashes/s: 700 gateways (200 ms rounds) and 4 aggregators (500 ms rounds) keep p99 within 2 s, the core taking 2 requests per aggregator per second", () => {
    const figures = simulateHierarchy(projection);
    expect(figures.gatewayUtilization).toBeLessThan(1);
    expect(figures.coreRequestsPerSecond).toBeLessThanOrEqual(8.1);
    expect(figures.p99Seconds).toBeLessThanOrEqual(2);
  });

  it("with aggregator rounds of a whole second, unaligned with the core's, a root may wait almost a second at both: p99 passes 2 s", () => {
    const figures = simulateHierarchy({ ...projection, aggregatorRoundMs: 1_000 });
    expect(figures.coreRequestsPerSecond).toBeLessThanOrEqual(4.1);
    expect(figures.p99Seconds).toBeGreaterThan(2);
  });

  /** Aggregators close 50 ms before each second; gateways 50 ms before that, the hop (≤ 20 ms) and a margin. */
  const aligned = { gateway: 100, aggregator: 50 };

  it("with whole-second aggregator rounds aligned to the core's second, one request per aggregator per second keeps p99 within 2 s", () => {
    for (const model of [small, projection]) {
      const figures = simulateHierarchy({ ...model, aggregatorRoundMs: 1_000, leadMs: aligned });
      expect(figures.coreRequestsPerSecond).toBeLessThanOrEqual(model.aggregators + 0.1);
      expect(figures.p99Seconds).toBeLessThanOrEqual(2);
    }
  });

  it("a gateway lead no longer than its aggregator's puts each second's last gateway round a second late", () => {
    const whole = { ...small, aggregatorRoundMs: 1_000 };
    const right = simulateHierarchy({ ...whole, leadMs: aligned });
    const short = simulateHierarchy({ ...whole, leadMs: { gateway: 50, aggregator: 50 } });
    expect(short.p50Seconds).toBeGreaterThan(right.p50Seconds + 0.1);
    expect(short.p99Seconds).toBeGreaterThan(right.p99Seconds + 0.1);
  });

  it("at 10^7 hashes/s the gateways' CPU is what runs out first: about 530 of them are busy all the time", () => {
    const figures = simulateHierarchy({ ...projection, gateways: 520 });
    expect(figures.gatewayUtilization).toBeGreaterThan(1);
    expect(figures.aggregatorUtilization).toBeLessThan(0.1);
  });
});
