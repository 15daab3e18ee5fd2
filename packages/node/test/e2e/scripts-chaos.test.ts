import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RECOVERY_SECONDS, signatureGaps, unexplainedGaps } from "../../../../scripts/common/chaos/checks.ts";
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
