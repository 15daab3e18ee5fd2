import { join } from "node:path";
import type { ClusterDescription } from "../cluster-file.ts";
import { clusterTargets, tierTargets } from "../load/cluster-targets.ts";
import type { LoadResult, LoadTarget } from "../load/run-load.ts";
import { runLoad } from "../load/run-load.ts";
import { LocalCluster, START_TIMEOUT_MS } from "../local-cluster.ts";
import { DEFAULT_DATA_DIR } from "../paths.ts";
import {
  type RateSearch,
  type RateSearchOptions,
  type RateStep,
  type StepLoad,
  searchSustainedRate,
} from "./rate-steps.ts";

/** One way in to the core: straight, through one tier, through two. */
export interface TierRun {
  readonly setup: "direct" | "1 tier" | "2 tiers";
  /** The same modest load on each setup: the latency a tier adds, below saturation. */
  readonly fixed: {
    readonly rate: number;
    readonly achievedRate: number;
    readonly p50: number;
    readonly p99: number;
  };
  readonly search: RateSearch;
}

export interface TierFigures {
  readonly roundMs: number;
  readonly runs: readonly TierRun[];
}

/** The fixed step's rate: well below what one node answers, so latency is the tiers' own. */
const FIXED_RATE = 1_000;
const ROUND_MS = 200;

/**
 * A one-node core with an aggregator tier in front of it (upstream the core) and a gateway in front
 * of that: load straight at the core, at the aggregator (one tier) and at the gateway (two tiers),
 * each first at FIXED_RATE and then in a rate search. Every tier is its own tempel-node process on
 * the same machine as the core and the load generator.
 */
export async function measureTiers(
  basePort: number,
  search: RateSearchOptions,
  load: (rate: number, targets: readonly LoadTarget[], agency: ClusterDescription["agency"]) => StepLoad,
  onStep: (step: RateStep) => void,
  say: (line: string) => void,
): Promise<TierFigures> {
  const cluster = await LocalCluster.prepare(
    { dataDir: join(DEFAULT_DATA_DIR, "bench", "tiers"), nodes: 1, basePort, fresh: true },
    { extraNodeArgs: ["--rounds-max-level", "64"] },
  );
  try {
    await cluster.start();
    await cluster.waitReady(START_TIMEOUT_MS);
    await cluster.startTiers({ gateways: 1, aggregators: 1, basePort, roundMs: ROUND_MS });
    const description = cluster.description();
    const setups: [TierRun["setup"], LoadTarget[]][] = [
      ["direct", clusterTargets(description, "ksi")],
      ["1 tier", tierTargets(description.aggregators!)],
      ["2 tiers", tierTargets(description.gateways!)],
    ];
    const runs: TierRun[] = [];
    for (const [setup, targets] of setups) {
      say(`  ${setup} (${targets.map((t) => t.url).join(", ")})`);
      const fixed: LoadResult = await runLoad({
        ...load(FIXED_RATE, targets, description.agency),
        durationSeconds: search.stepSeconds,
      });
      const l = fixed.latencySeconds;
      say(
        `    at ${FIXED_RATE}/s: answered ${Math.round(fixed.achievedRate)}/s, p50 ${l.p50.toFixed(3)} s, p99 ${l.p99.toFixed(3)} s`,
      );
      const found = await searchSustainedRate(
        search,
        (rate) => load(rate, targets, description.agency),
        onStep,
      );
      say(`    sustained ${found.sustainedRate ?? "none"}/s`);
      runs.push({
        setup,
        fixed: { rate: FIXED_RATE, achievedRate: fixed.achievedRate, p50: l.p50, p99: l.p99 },
        search: found,
      });
    }
    return { roundMs: ROUND_MS, runs };
  } finally {
    await cluster.stop();
  }
}
