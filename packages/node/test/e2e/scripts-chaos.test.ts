import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  gatewayOutcomes,
  RECOVERY_SECONDS,
  signatureGaps,
  tierViolations,
  unexplainedGaps,
} from "../../../../scripts/common/chaos/checks.ts";
import type { FaultRecord } from "../../../../scripts/common/chaos/faults.ts";
import { COOLDOWN_SECONDS, planFaults, WARMUP_SECONDS } from "../../../../scripts/common/chaos/plan.ts";
import { multiNodeUnsupported } from "../../../../scripts/common/cluster-setup.ts";
import { Prng } from "../sim/prng.ts";
import { freeBasePort, startScript } from "./scripts-fixtures.ts";

const fault = (startedAt: number, endedAt: number): FaultRecord => ({
  kind: "kill-leader",
  node: "node-1",
  startedAt,
  endedAt,
});

describe("chaos run checks", () => {
  it("finds every run of seconds without a signature between the first and the last signed second", () => {
    expect(signatureGaps([7, 1, 2, 2, 3, 6, 10])).toEqual([
      { from: 4, to: 5 },
      { from: 8, to: 9 },
    ]);
    expect(signatureGaps([5, 6, 7])).toEqual([]);
    expect(signatureGaps([])).toEqual([]);
  });

  it("explains a gap only by a fault it overlaps, from a second before the fault to its recovery after", () => {
    const faults = [fault(100.4, 103.6)];
    const end = 104 + RECOVERY_SECONDS;
    expect(unexplainedGaps([{ from: 99, to: 99 }], faults)).toEqual([]);
    expect(unexplainedGaps([{ from: end, to: end + 3 }], faults)).toEqual([]);
    expect(unexplainedGaps([{ from: 90, to: 98 }], faults)).toEqual([{ from: 90, to: 98 }]);
    expect(unexplainedGaps([{ from: end + 1, to: end + 2 }], faults)).toEqual([
      { from: end + 1, to: end + 2 },
    ]);
    expect(unexplainedGaps([{ from: 101, to: 102 }], [])).toEqual([{ from: 101, to: 102 }]);
  });

  it("plans the same faults for the same seed, all between the warm-up and the cool-down, one at a time", () => {
    const plan = (seed: number) => planFaults(new Prng(seed), { durationSeconds: 120, clockFaults: true });
    expect(plan(42)).toEqual(plan(42));
    expect(plan(42)).not.toEqual(plan(43));
    for (const seed of [1, 2, 3, 42, 4_294_967_295]) {
      const faults = plan(seed);
      expect(faults.length).toBeGreaterThan(3);
      expect(faults[0]!.at).toBe(WARMUP_SECONDS);
      faults.forEach((f, i) => {
        expect(f.at + f.seconds).toBeLessThanOrEqual(120 - COOLDOWN_SECONDS);
        if (i > 0) expect(f.at).toBeGreaterThan(faults[i - 1]!.at + faults[i - 1]!.seconds);
        expect(f.offsetMs !== undefined).toBe(f.kind === "clock");
      });
    }
  });

  it("plans clock faults only when the nodes can run with an offset clock", () => {
    const kinds = new Set(
      Array.from({ length: 20 }, (_, seed) =>
        planFaults(new Prng(seed), { durationSeconds: 300, clockFaults: false }),
      )
        .flat()
        .map((f) => f.kind),
    );
    expect(kinds.has("clock")).toBe(false);
    expect(kinds).toEqual(new Set(["kill-leader", "kill-follower", "freeze", "partition"]));
  });
});

describe("chaos run checks for gateway and aggregator tiers", () => {
  const killed = (kind: FaultRecord["kind"], node: string, startedAt: number, endedAt: number) =>
    ({ kind, node, startedAt, endedAt }) satisfies FaultRecord;
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
  const tiers = { gateways: ["gateway-1", "gateway-2"], aggregators: ["aggregator-1"] };

  it("plans tier kills only for the tier kinds the run has", () => {
    const kinds = (options: { tiers?: ("gateway" | "aggregator")[] }) =>
      new Set(
        Array.from({ length: 20 }, (_, seed) =>
          planFaults(new Prng(seed), { durationSeconds: 300, clockFaults: false, ...options }),
        )
          .flat()
          .map((f) => f.kind),
      );
    expect(kinds({ tiers: ["gateway"] })).toContain("kill-gateway");
    expect(kinds({ tiers: ["gateway"] })).not.toContain("kill-aggregator");
    expect(kinds({ tiers: ["gateway", "aggregator"] })).toContain("kill-aggregator");
  });

  it("counts a gateway's failures while it or its only aggregator was down apart from the others", () => {
    const faults = [
      killed("kill-gateway", "gateway-1", 100.2, 103.5),
      killed("kill-aggregator", "aggregator-1", 120, 122),
    ];
    const failures = [
      { target: "gateway-1", kind: "network_ECONNREFUSED", at: 101 },
      { target: "gateway-1", kind: "ksi_UPSTREAM_ERROR", at: 121 },
      { target: "gateway-1", kind: "timeout", at: 140 },
      { target: "gateway-2", kind: "ksi_UPSTREAM_ERROR", at: 121.5 },
      { target: "node-1", kind: "timeout", at: 101 },
    ];
    const [one, two] = gatewayOutcomes(tiers, faults, failures, { "gateway-1": [99, 104], "gateway-2": [] });
    expect(one).toEqual({
      gateway: "gateway-1",
      signedSeconds: 2,
      whileDown: { network_ECONNREFUSED: 1, ksi_UPSTREAM_ERROR: 1 },
      otherwise: { timeout: 1 },
    });
    expect(two).toMatchObject({ whileDown: { ksi_UPSTREAM_ERROR: 1 }, otherwise: {} });
  });

  it("requires the surviving gateways to keep signing through a tier's kill, and a killed one to sign again after it", () => {
    const faults = [killed("kill-gateway", "gateway-1", 100.2, 103.5)];
    const fine = { "gateway-1": [...range(90, 99), ...range(105, 110)], "gateway-2": range(90, 110) };
    expect(tierViolations(tiers, faults, fine)).toEqual([]);
    const survivorStalled = { ...fine, "gateway-2": [...range(90, 99), ...range(105, 110)] };
    expect(tierViolations(tiers, faults, survivorStalled)).toEqual([
      "gateway-2's clients got no signature for seconds 100–104, while gateway-1 was down (kill-gateway)",
    ]);
    const neverBack = { ...fine, "gateway-1": range(90, 99) };
    expect(tierViolations(tiers, faults, neverBack)).toEqual([
      "gateway-1's clients got no signature after it was back at second 104",
    ]);
  });

  it("expects no gateway to sign while the only aggregator is down, and all of them after it", () => {
    const faults = [killed("kill-aggregator", "aggregator-1", 100, 103)];
    const gap = [...range(90, 99), ...range(104, 110)];
    expect(tierViolations(tiers, faults, { "gateway-1": gap, "gateway-2": gap })).toEqual([]);
    expect(tierViolations(tiers, faults, { "gateway-1": gap, "gateway-2": range(90, 99) })).toEqual([
      "gateway-2's clients got no signature after it was back at second 103",
    ]);
    // With two aggregators the gateways fail over: both must keep signing.
    const two = { ...tiers, aggregators: ["aggregator-1", "aggregator-2"] };
    expect(tierViolations(two, faults, { "gateway-1": gap, "gateway-2": range(90, 110) })).toHaveLength(1);
  });
});

const unsupported = multiNodeUnsupported();
/** The CI variant: short enough for CI (under two minutes with set-up), long enough for several faults. */
const CI_DURATION_SECONDS = 45;

describe.skipIf(unsupported !== undefined)(`npm run chaos (skipped when ${unsupported ?? "-"})`, () => {
  it(`keeps every invariant through ${CI_DURATION_SECONDS} s of seeded faults on a 3-node cluster`, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tempel-chaos-"));
    try {
      const args = ["--duration", String(CI_DURATION_SECONDS), "--seed", "1", "--data", dataDir];
      const run = await startScript(
        "chaos",
        [...args, "--base-port", String(await freeBasePort(3))],
        "chaos seed 1",
      );
      const code = await run.exited;
      expect(code, run.output()).toBe(0);
      expect(run.output()).toContain("PASS: seed 1");
      expect(run.output()).toMatch(
        /^ {2}[\d.]+ s–[\d.]+ s {2}(kill-leader|kill-follower|freeze|partition|clock) node-\d/m,
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 170_000);
});
