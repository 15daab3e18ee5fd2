import {
  type AggregationHashChain,
  composeChains,
  type KsiSignature,
  SegmentSignatureWriter,
  shiftChainStart,
} from "@tempel/proto";
import type { LocalTree, SignedLeaves } from "../aggregation/index.ts";

/**
 * A gateway tier's round once its upstream has signed the round's root: each leaf's signature is its
 * path up the tier's tree followed by the upstream's signature of the root, as a KSI block signer
 * composes them (ksi-hierarchy.md §1.3, §7). The upstream's first chain comes back starting at level 0
 * with the root's level in its first link; behind the tier's own chain it starts at the root's level,
 * so that level is taken out of the link again. The tier's chain takes the upstream's time and its
 * chain index below the upstream's first one. Nothing of the upstream's answer is trusted here: the
 * composed signature verifies only if the upstream's chains really start at this tree's root.
 */
export class TierRound implements SignedLeaves {
  readonly time: number;
  readonly #tree: LocalTree;
  readonly #prefix: readonly bigint[];
  readonly #above: readonly AggregationHashChain[];
  readonly #parts: Omit<KsiSignature, "aggregationChains" | "source">;
  readonly #writer: SegmentSignatureWriter;

  constructor(tree: LocalTree, upstream: KsiSignature) {
    const { source: _bytes, aggregationChains, rfc3161Record: _legacy, ...parts } = upstream;
    const [lowest, ...higher] = aggregationChains;
    this.#tree = tree;
    this.time = lowest!.aggregationTime;
    this.#prefix = lowest!.chainIndex;
    this.#above = [shiftChainStart(lowest!, tree.rootLevel), ...higher];
    this.#parts = parts;
    this.#writer = new SegmentSignatureWriter(this.time, this.#prefix, {
      ...parts,
      aggregationChains: this.#above,
    });
  }

  get tail(): Uint8Array {
    return this.#writer.tail;
  }

  signature(leaf: number): KsiSignature {
    const [own] = composeChains([this.#tree.segment(leaf)], this.time, this.#prefix);
    return { ...this.#parts, aggregationChains: [own!, ...this.#above] };
  }

  encode(first: number, count: number, allocate?: (length: number) => Uint8Array): Uint8Array[] {
    const segments = new Array(count);
    for (let i = 0; i < count; i++) segments[i] = this.#tree.segment(first + i);
    return this.#writer.encode(segments, allocate);
  }
}
