import {
  AggregationError,
  type AggregationLeaf,
  type AggregationLink,
  AggregationTree,
  type AggregationTreeOptions,
  type ChainSegment,
  type Imprint,
} from "@tempel/proto";

/** What the rounds need of a round's local tree: its root for agreement and each leaf's path to it. */
export type LocalTree = Pick<AggregationTree, "root" | "rootLevel" | "leafCount" | "segment" | "leafImprint">;

/** Leaves per block; a power of two, so that full blocks are perfect subtrees. */
export const BLOCK_LEAVES = 1024;

/**
 * A round's local tree put together from blocks hashed while the round's hashes came in, so that
 * closing a round hashes only its last block and the blocks' roots instead of every leaf.
 *
 * It is the very tree `new AggregationTree(allLeaves)` builds, link for link. That tree pairs the
 * nodes of each layer left to right and carries an odd last node up, so below layer log2(BLOCK_LEAVES)
 * no pair crosses a block boundary: every full block is a perfect subtree, the last (partial) block's
 * root is carried up to that layer unchanged, and the layers above are the same pairing over the
 * blocks' roots at their levels. A leaf's chain is its block's links followed by its block's links in
 * the tree over the roots.
 */
export class BlockTree implements LocalTree {
  readonly root: Imprint;
  readonly rootLevel: number;
  readonly leafCount: number;
  readonly #blocks: readonly AggregationTree[];
  readonly #upper: AggregationTree;
  /** Each block's links in the upper tree: made once, so its leaves share the same link objects. */
  readonly #upperLinks: (readonly AggregationLink[] | undefined)[];

  /** `blocks`: trees of BLOCK_LEAVES leaves each in leaf order, the last one possibly fewer. */
  constructor(blocks: readonly AggregationTree[], options: AggregationTreeOptions) {
    this.#blocks = blocks;
    this.#upper = new AggregationTree(
      blocks.map((block) => ({ imprint: block.root, level: block.rootLevel })),
      options,
    );
    this.#upperLinks = new Array(blocks.length);
    this.root = this.#upper.root;
    this.rootLevel = this.#upper.rootLevel;
    this.leafCount = (blocks.length - 1) * BLOCK_LEAVES + blocks.at(-1)!.leafCount;
  }

  leafImprint(leaf: number): Imprint {
    const index = this.#blockIndex(leaf);
    return this.#blocks[index]!.leafImprint(leaf - index * BLOCK_LEAVES);
  }

  segment(leaf: number): ChainSegment {
    const index = this.#blockIndex(leaf);
    const block = this.#blocks[index]!;
    let upper = this.#upperLinks[index];
    if (upper === undefined) {
      upper = this.#upper.links(index);
      this.#upperLinks[index] = upper;
    }
    return block.segment(leaf - index * BLOCK_LEAVES, upper);
  }

  /** The block that holds `leaf`; throws when there is no such leaf. */
  #blockIndex(leaf: number): number {
    const index = Math.floor(leaf / BLOCK_LEAVES);
    if (this.#blocks[index] === undefined) {
      throw new AggregationError("AGGREGATION_LEAF_INDEX", `no leaf ${leaf} among ${this.leafCount}`, {
        leaf,
      });
    }
    return index;
  }
}

/** The leaves of one round in arrival order, hashed block by block as they fill up. */
export class BlockBuilder {
  readonly #options: AggregationTreeOptions;
  readonly #blocks: AggregationTree[] = [];
  #pending: AggregationLeaf[] = [];

  constructor(options: AggregationTreeOptions) {
    this.#options = options;
  }

  add(leaves: Iterable<AggregationLeaf>): void {
    for (const leaf of leaves) {
      this.#pending.push(leaf);
      if (this.#pending.length === BLOCK_LEAVES) {
        this.#blocks.push(new AggregationTree(this.#pending, this.#options));
        this.#pending = [];
      }
    }
  }

  get leafCount(): number {
    return this.#blocks.length * BLOCK_LEAVES + this.#pending.length;
  }

  /** The tree over every leaf added, hashing what is left. */
  finish(): LocalTree {
    if (this.#pending.length > 0 || this.#blocks.length === 0) {
      this.#blocks.push(new AggregationTree(this.#pending, this.#options));
    }
    this.#pending = [];
    const blocks = this.#blocks;
    return blocks.length === 1 ? blocks[0]! : new BlockTree(blocks, this.#options);
  }
}
