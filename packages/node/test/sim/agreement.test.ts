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

describe("the simulation", () => {
  it("replays a seed exactly", async () => {
    const config = { seed: 7, members: 3, faultSeconds: 15, calmSeconds: 10 };
    const first = await runSimulation(config);
    const second = await runSimulation(config);
    expect(second.digest).toBe(first.digest);
    expect(second.steps).toBe(first.steps);
  });
});
