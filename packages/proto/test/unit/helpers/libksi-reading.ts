import {
  type AggregationHashChain,
  aggregationChainOutput,
  bytesEqual,
  type Imprint,
} from "../../../src/index.ts";

/**
 * The root a KSI client (libksi, Guardtime's other SDKs) reaches from the aggregation chains of an
 * answer to its request at `requestLevel`, written out without Tempel's level helpers: the chains
 * longest index first, recomputed from the request level, the level carried from chain to chain.
 * Undefined when a chain does not start where the one below it ends.
 */
export function libksiRoot(
  chains: readonly AggregationHashChain[],
  requestLevel: number,
): Imprint | undefined {
  const sorted = [...chains].sort((a, b) => b.chainIndex.length - a.chainIndex.length);
  let reached = { hash: sorted[0]!.inputHash, level: requestLevel };
  for (const chain of sorted) {
    if (!bytesEqual(chain.inputHash, reached.hash)) return undefined;
    reached = aggregationChainOutput(chain, reached.level);
  }
  return reached.hash;
}
