import { composeChains, shiftChainStart } from "../aggregation/compose.ts";
import type { Imprint } from "../hash/imprint.ts";
import { assembleSignature } from "../signature/codec.ts";
import type { AggregationLink, KsiSignature } from "../signature/types.ts";
import type { LogBlockTree } from "./block-tree.ts";

/**
 * The KSI signature of one record, as `logksi extract --ksig` makes it: a new first aggregation
 * chain from the record hash up the block's tree (the mask, then the siblings), in front of the
 * block's signature, whose first link gives back the block's level (libksi's block signer does the
 * same). It verifies like any document signature, against the record's line. `tree` must hold the
 * block's records with paths kept; `index` is the record's 0-based position in the block.
 */
export function recordSignature(
  blockSignature: KsiSignature,
  tree: LogBlockTree,
  index: number,
  recordHash: Imprint,
): KsiSignature {
  const { source: _bytes, aggregationChains, ...parts } = blockSignature;
  const [lowest, ...higher] = aggregationChains;
  const links: AggregationLink[] = tree.path(index).map((step) => ({
    direction: step.direction,
    levelCorrection: step.levelCorrection,
    sibling: { kind: "imprint", imprint: step.sibling },
  }));
  const [own] = composeChains(
    [{ algorithm: tree.algorithm, inputHash: recordHash, inputLevel: 0, links }],
    lowest!.aggregationTime,
    lowest!.chainIndex,
  );
  return assembleSignature({
    ...parts,
    aggregationChains: [own!, shiftChainStart(lowest!, tree.level), ...higher],
  });
}
