import type { Imprint } from "../hash/imprint.ts";
import type { AggregationHashChain, AggregationLink } from "../signature/types.ts";
import {
  aggregationLevelError,
  checkAggregationLevel,
  isAggregationLevel,
  locationPointer,
} from "./chain.ts";
import { AggregationError } from "./errors.ts";

/** One tree's part of a signature: from `inputHash` (a leaf of that tree) up to the tree's root. */
export interface ChainSegment {
  readonly algorithm: number;
  readonly inputHash: Imprint;
  /** The level of `inputHash` in its tree. */
  readonly inputLevel: number;
  /** Leaf → root; level corrections count from `inputLevel`. */
  readonly links: readonly AggregationLink[];
}

/** The level a segment's last link reaches: a sum, no hashing. */
function outputLevel(segment: ChainSegment): number {
  let level = segment.inputLevel;
  for (const link of segment.links) level += link.levelCorrection + 1;
  return level;
}

/**
 * A signature's aggregation chains from its segments ordered leaf → root (the node's local tree,
 * then the cluster's top tree), ordered like a signature's chains, from the document up.
 *
 * - Each segment must start where the previous one ends: its input hash that segment's root and its
 *   input level that root's level, as `AggregationTree.segment` of trees stacked that way gives. The
 *   levels are checked here (a sum); the hashes are not (that would rehash every chain).
 * - A segment without links (a single-leaf tree without metadata) adds nothing to prove; it is left out.
 * - KSI verifiers start the first chain at level 0 and read the client's level off its first link: the
 *   first chain's first link must have a level correction of at least the level the client asked for
 *   (rule GEN-03). So the first chain's input level is folded into that link's correction.
 * - Chain indices nest: each chain's index is the one above it followed by its own location pointer
 *   (rules INT-10, INT-12); `chainIndexPrefix` is the index above the topmost chain, if any.
 */
export function composeChains(
  segments: readonly ChainSegment[],
  aggregationTime: number,
  chainIndexPrefix: readonly bigint[] = [],
): AggregationHashChain[] {
  if (!Number.isSafeInteger(aggregationTime) || aggregationTime < 0) {
    throw new AggregationError(
      "AGGREGATION_TIME_RANGE",
      `aggregation time ${aggregationTime} is not a Unix second`,
      {
        aggregationTime,
      },
    );
  }
  // Built by loops rather than filter and spread: this runs once per signature a round hands out.
  let used = segments;
  for (const segment of segments) {
    if (segment.links.length === 0) {
      used = segments.filter((segment) => segment.links.length > 0);
      break;
    }
  }
  if (used.length === 0) {
    throw new AggregationError("AGGREGATION_CHAIN_EMPTY", "a signature needs at least one aggregation link");
  }
  for (let i = 1; i < used.length; i++) {
    const carried = outputLevel(used[i - 1]!);
    if (used[i]!.inputLevel !== carried) {
      throw new AggregationError(
        "AGGREGATION_LEVEL_MISMATCH",
        `a segment starts at level ${used[i]!.inputLevel} but the one below it ends at level ${carried}`,
        { expected: carried, actual: used[i]!.inputLevel },
      );
    }
  }
  const chains: AggregationHashChain[] = new Array(used.length);
  let prefix = chainIndexPrefix;
  for (let i = used.length - 1; i >= 0; i--) {
    const segment = used[i]!;
    const links = i === 0 ? firstLinks(segment) : segment.links;
    const chainIndex = new Array<bigint>(prefix.length + 1);
    for (let k = 0; k < prefix.length; k++) chainIndex[k] = prefix[k]!;
    chainIndex[prefix.length] = locationPointer(links);
    chains[i] = {
      aggregationTime,
      chainIndex,
      inputHash: segment.inputHash,
      aggregationAlgorithm: segment.algorithm,
      links,
    };
    prefix = chainIndex;
  }
  return chains;
}

/**
 * The first chain's links: KSI verifiers start it at level 0, so its input level moves into the
 * first link's level correction.
 */
export function firstLinks(segment: ChainSegment): readonly AggregationLink[] {
  return raiseFirstLink(segment.links, checkAggregationLevel(segment.inputLevel, "input level"));
}

/**
 * `chain` recomputed from `delta` levels higher (lower, if negative) with the same result: `delta`
 * taken out of its first link's level correction. KSI moves a first chain's start level in and out
 * of that link: a signature's first chain is recomputed from level 0, the first chain of an
 * aggregation response from the request's level (libksi `KSI_SignatureBuilder_close` adds the
 * request level to that link, and its block signer subtracts the local root's level again before
 * putting a leaf's own chain in front). Throws AggregationError when the correction leaves 0..255.
 */
export function shiftChainStart(chain: AggregationHashChain, delta: number): AggregationHashChain {
  if (delta === 0) return chain;
  // The chain's bytes, if it was decoded, no longer match it.
  const { source: _chainBytes, ...fields } = chain;
  return { ...fields, links: raiseFirstLink(chain.links, -delta) };
}

function raiseFirstLink(links: readonly AggregationLink[], delta: number): readonly AggregationLink[] {
  if (delta === 0) return links;
  const [bottom, ...rest] = links;
  if (bottom === undefined) {
    throw new AggregationError("AGGREGATION_CHAIN_EMPTY", "a chain without links has no level correction");
  }
  const { source: _linkBytes, ...link } = bottom;
  const levelCorrection = link.levelCorrection + delta;
  if (!isAggregationLevel(levelCorrection)) throw aggregationLevelError(levelCorrection, "level correction");
  return [{ ...link, levelCorrection }, ...rest];
}
