export {
  aggregationChainOutput,
  aggregationStepHash,
  locationPointer,
  MAX_AGGREGATION_LEVEL,
  siblingBytes,
} from "./chain.ts";
export { type ChainSegment, composeChains, shiftChainStart } from "./compose.ts";
export { AggregationError } from "./errors.ts";
export {
  type AggregationLeaf,
  AggregationTree,
  type AggregationTreeOptions,
  type LeafMetadata,
  MAX_AGGREGATION_LEAVES,
} from "./tree.ts";
