import {
  type AggregationTree,
  assembleSignature,
  composeChains,
  type KsiSignature,
  shiftChainStart,
} from "@tempel/proto";

/**
 * Client-side aggregation, as KSI clients do it to sign many hashes with one request: `rootSignature`
 * signs the root of `tree` at its level, and each leaf's signature is its path up `tree` followed by
 * the root's signature. The root signature's first chain starts at level 0 with the root's level in
 * its first link; behind a leaf's own chain it starts at the root's level, so that level is taken out
 * of the link again (as libksi's and the other SDKs' block signers do). The tree must have more than
 * one leaf (a lone leaf has no path).
 */
export function leafSignatures(tree: AggregationTree, rootSignature: KsiSignature): KsiSignature[] {
  const { source: _signatureBytes, aggregationChains, ...parts } = rootSignature;
  const [lowest, ...higher] = aggregationChains;
  const above = [shiftChainStart(lowest!, tree.rootLevel), ...higher];
  const out: KsiSignature[] = new Array(tree.leafCount);
  for (let leaf = 0; leaf < tree.leafCount; leaf++) {
    const [own] = composeChains([tree.segment(leaf)], lowest!.aggregationTime, lowest!.chainIndex);
    out[leaf] = assembleSignature({ ...parts, aggregationChains: [own!, ...above] });
  }
  return out;
}
