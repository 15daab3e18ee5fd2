import {
  type AggregationHashChain,
  type AggregationTree,
  assembleSignature,
  composeChains,
  type KsiSignature,
} from "@tempel/proto";
import { ProtocolError } from "../errors.ts";

/**
 * The aggregator's chain that starts at the client's tree root, made to follow the client's own
 * chain. KSI verifiers start a signature's first chain at level 0, so the aggregator folded the root's
 * level into the first link's level correction; once the client's chain comes first, that level is
 * carried in from below instead and is taken out of the correction again.
 */
function continuingChain(chain: AggregationHashChain, rootLevel: number): AggregationHashChain {
  const [first, ...rest] = chain.links;
  if (first === undefined || first.levelCorrection < rootLevel) {
    throw new ProtocolError("BAD_SIGNATURE", "the aggregator's chain does not account for the request level");
  }
  const { source: _chainBytes, ...fields } = chain;
  const { source: _linkBytes, ...link } = first;
  return { ...fields, links: [{ ...link, levelCorrection: first.levelCorrection - rootLevel }, ...rest] };
}

/**
 * Client-side aggregation, as KSI clients do it to sign many hashes with one request: `rootSignature`
 * signs the root of `tree` at its level, and each leaf's signature is its path up `tree` followed by
 * the root's signature. The tree must have more than one leaf (a lone leaf has no path).
 */
export function leafSignatures(tree: AggregationTree, rootSignature: KsiSignature): KsiSignature[] {
  const { source: _signatureBytes, aggregationChains, ...parts } = rootSignature;
  const [lowest, ...higher] = aggregationChains;
  const above = [continuingChain(lowest!, tree.rootLevel), ...higher];
  const out: KsiSignature[] = new Array(tree.leafCount);
  for (let leaf = 0; leaf < tree.leafCount; leaf++) {
    const [own] = composeChains([tree.segment(leaf)], lowest!.aggregationTime, lowest!.chainIndex);
    out[leaf] = assembleSignature({ ...parts, aggregationChains: [own!, ...above] });
  }
  return out;
}
