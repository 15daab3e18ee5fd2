import { TempelError } from "../errors.ts";

/**
 * An aggregation tree or hash chain that cannot be built or recomputed: a level outside 0..255, an
 * empty tree or chain, a leaf index out of range. Verification maps these to its FAIL results.
 */
export class AggregationError extends TempelError {}
