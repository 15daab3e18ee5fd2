import type { Imprint } from "../hash/imprint.ts";
import type { AggregationHashChain, AggregationLink } from "../signature/types.ts";
import { locationPointer } from "./chain.ts";
import { AggregationError } from "./errors.ts";

/** One tree's part of a signature: from `inputHash` (a leaf of that tree) up to the tree's root. */
export interface ChainSegment {
  readonly algorithm: number;
  readonly inputHash: Imprint;
  /** Leaf → root. */
  readonly links: readonly AggregationLink[];
}

/**
 * The KSI aggregation hash chain for `segment`: its chain index is the index of the chain above it
 * (`chainIndexPrefix`, empty for the chain that reaches the calendar) followed by its own location
 * pointer, which is what KSI verifiers check (INT-10, INT-12).
 */
export function aggregationChain(
  segment: ChainSegment,
  aggregationTime: number,
  chainIndexPrefix: readonly bigint[] = [],
): AggregationHashChain {
  if (segment.links.length === 0) {
    throw new AggregationError(
      "AGGREGATION_CHAIN_EMPTY",
      "an aggregation hash chain needs at least one link",
    );
  }
  if (!Number.isSafeInteger(aggregationTime) || aggregationTime < 0) {
    throw new AggregationError(
      "AGGREGATION_TIME_RANGE",
      `aggregation time ${aggregationTime} is not a Unix second`,
      {
        aggregationTime,
      },
    );
  }
  return {
    aggregationTime,
    chainIndex: [...chainIndexPrefix, locationPointer(segment.links)],
    inputHash: segment.inputHash,
    aggregationAlgorithm: segment.algorithm,
    links: segment.links,
  };
}

/**
 * A signature's aggregation chains from its segments ordered leaf → root (the node's local tree, then
 * the cluster's top tree). Each segment's input must be the previous one's output and its leaf level
 * that output's level, as `AggregationTree.segment` of trees stacked that way gives. A segment without
 * links (a tree with a single leaf and no metadata) adds nothing to prove and is left out; the result
 * is ordered like a signature's chains, from the document up.
 */
export function composeChains(
  segments: readonly ChainSegment[],
  aggregationTime: number,
  chainIndexPrefix: readonly bigint[] = [],
): AggregationHashChain[] {
  const chains: AggregationHashChain[] = [];
  let prefix = chainIndexPrefix;
  for (let i = segments.length - 1; i >= 0; i--) {
    const segment = segments[i]!;
    if (segment.links.length === 0) continue;
    const chain = aggregationChain(segment, aggregationTime, prefix);
    chains.push(chain);
    prefix = chain.chainIndex;
  }
  if (chains.length === 0) {
    throw new AggregationError("AGGREGATION_CHAIN_EMPTY", "a signature needs at least one aggregation link");
  }
  return chains.reverse();
}
