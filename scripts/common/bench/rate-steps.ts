import { setTimeout as sleep } from "node:timers/promises";
import { type LoadOptions, type LoadResult, runLoad } from "../load/run-load.ts";
import { unverified } from "../load/summary.ts";

/** A rate is sustained when nearly all of it is answered, nearly nothing fails, and no queue builds up. */
export const SUSTAINED = { minAnsweredShare: 0.95, maxFailedShare: 0.001, maxP99Seconds: 2 } as const;

export interface RateStep {
  readonly offeredRate: number;
  readonly sustained: boolean;
  readonly result: LoadResult;
}

export interface RateSearch {
  readonly steps: readonly RateStep[];
  /** The highest offered rate that was sustained; undefined if even the first was not. */
  readonly sustainedRate: number | undefined;
}

/** A step's load: everything but its length, which the search sets. */
export type StepLoad = Omit<LoadOptions, "durationSeconds">;

export interface RateSearchOptions {
  readonly startRate: number;
  readonly maxRate: number;
  readonly stepSeconds: number;
}

/** Steps below the start rate tried when even that is too much. */
const MAX_HALVINGS = 3;
/** Between steps, so the next one does not start on the last one's leftovers. */
const SETTLE_MS = 3_000;

export function isSustained(result: LoadResult): boolean {
  const { requests, hashes, latencySeconds } = result;
  return (
    hashes.answered >= SUSTAINED.minAnsweredShare * hashes.offered &&
    requests.failed <= SUSTAINED.maxFailedShare * requests.scheduled &&
    latencySeconds.p99 <= SUSTAINED.maxP99Seconds &&
    unverified(result) === 0
  );
}

/**
 * The highest rate a service sustains: double the offered rate while it is sustained (or halve it, a
 * few times at most, while it is not), then try once halfway between the highest sustained rate and
 * the lowest that was not.
 */
export async function searchSustainedRate(
  options: RateSearchOptions,
  loadAt: (rate: number) => StepLoad,
  onStep: (step: RateStep) => void,
): Promise<RateSearch> {
  const steps: RateStep[] = [];
  const tryRate = async (rate: number) => {
    const result = await runLoad({ ...loadAt(rate), durationSeconds: options.stepSeconds });
    const step = { offeredRate: rate, sustained: isSustained(result), result };
    steps.push(step);
    onStep(step);
    await sleep(SETTLE_MS);
    return step.sustained;
  };
  let good: number | undefined;
  let bad: number | undefined;
  if (await tryRate(options.startRate)) {
    good = options.startRate;
    while (bad === undefined && good * 2 <= options.maxRate) {
      if (await tryRate(good * 2)) good *= 2;
      else bad = good * 2;
    }
  } else {
    bad = options.startRate;
    for (let down = 1; down <= MAX_HALVINGS && good === undefined; down++) {
      const lower = Math.round(options.startRate / 2 ** down);
      if (await tryRate(lower)) good = lower;
      else bad = lower;
    }
  }
  if (good !== undefined && bad !== undefined) {
    const middle = Math.round((good + bad) / 2);
    if (await tryRate(middle)) good = middle;
  }
  return { steps, sustainedRate: good };
}
