import { describe, expect, it } from "vitest";
import { runSimulation, type SimulationConfig } from "./simulation.ts";

/**
 * CI runs a few seeds per cluster size. More: `SIM_SEEDS=200` (from `SIM_FIRST_SEED`, default 1);
 * one: `SIM_SEED=123` (with `SIM_MEMBERS=3` or `5` to pick the size).
 */
const firstSeed = Number(process.env.SIM_FIRST_SEED ?? 1);
const seeds = process.env.SIM_SEED
  ? [Number(process.env.SIM_SEED)]
  : Array.from({ length: Number(process.env.SIM_SEEDS ?? 4) }, (_, i) => firstSeed + i);

const shape = { faultSeconds: 40, calmSeconds: 25 } as const;

function replayHint(config: SimulationConfig): string {
  return `replay: SIM_SEED=${config.seed} SIM_MEMBERS=${config.members} npx vitest run packages/node/test/sim/agreement.test.ts`;
}

describe.each(process.env.SIM_MEMBERS ? [Number(process.env.SIM_MEMBERS)] : [3, 5])(
  "a %i-member cluster",
  (members) => {
    it.each(seeds)("keeps every invariant and certifies again after faults heal (seed %i)", async (seed) => {
      const config = { seed, members, ...shape };
      const result = await runSimulation(config);
      expect(
        result.violations,
        `${result.violations.join("\n")}\nfaults:\n${result.faults.join("\n")}\n${replayHint(config)}`,
      ).toEqual([]);
      expect(result.answered).toBeGreaterThan(0);
    });
  },
);

/**
 * One Byzantine member (byzantine.ts) on top of the same random faults. With q > 2N/3 (4 members, q =
 * 3) no two certificates may exist for a second whatever it does; with the default majority (3
 * members, q = 2) the run checks what docs/consensus.md §12 says one bad member can and cannot do.
 * More seeds: `SIM_BYZANTINE_SEEDS=50`.
 */
const byzantineSeeds = Array.from(
  { length: Number(process.env.SIM_BYZANTINE_SEEDS ?? 3) },
  (_, i) => firstSeed + i,
);

describe.each([
  { members: 3, quorum: 2 },
  { members: 4, quorum: 3 },
])("a $members-member cluster (q = $quorum) with one Byzantine member", ({ members, quorum }) => {
  it.each(byzantineSeeds)("keeps every invariant and certifies on (seed %i)", async (seed) => {
    const config = { seed, members, quorum, byzantine: true, ...shape };
    const result = await runSimulation(config);
    expect(
      result.violations,
      `${result.violations.join("\n")}\nfaults:\n${result.faults.join("\n")}\nattacks: ${JSON.stringify([...result.attacks])}`,
    ).toEqual([]);
    expect(result.answered).toBeGreaterThan(0);
    // The run did attack, and the honest members caught its double-signing with proof.
    expect(result.attacks.size).toBeGreaterThanOrEqual(10);
    expect(result.equivocations.get("contribution")! + result.equivocations.get("share")!).toBeGreaterThan(0);
  });
});

describe("the simulation", () => {
  it("replays a seed exactly", async () => {
    const config = { seed: 7, members: 3, faultSeconds: 15, calmSeconds: 10 };
    const first = await runSimulation(config);
    const second = await runSimulation(config);
    expect(second.digest).toBe(first.digest);
    expect(second.steps).toBe(first.steps);
  });
});
