import {
  type AggregationLeaf,
  AggregationTree,
  type ChainSegment,
  HashAlgorithm,
  makeImprint,
  siblingBytes,
  toHex,
} from "@tempel/proto";
import { nodeHasher } from "@tempel/proto/node";
import { describe, expect, it } from "vitest";
import { BLOCK_LEAVES, BlockBuilder } from "../../src/aggregation/block-tree.ts";

const options = { algorithm: HashAlgorithm.SHA2_256, hasher: nodeHasher };
const agencies = [{ clientId: "alpha" }, { clientId: "beta", machineId: "gateway-2" }];

/** Leaves as rounds make them: every one with its agency's record, some with a client level, a few SHA-512. */
function leaves(count: number): AggregationLeaf[] {
  return Array.from({ length: count }, (_, i) => {
    const sha512 = i % 97 === 5;
    const digest = Uint8Array.from({ length: sha512 ? 64 : 32 }, (_, j) => (i * 13 + j * 7) & 0xff);
    return {
      imprint: makeImprint(sha512 ? HashAlgorithm.SHA2_512 : HashAlgorithm.SHA2_256, digest),
      level: i % 11 === 4 ? 3 : 0,
      metadata: agencies[i % 5 === 0 ? 1 : 0]!,
    };
  });
}

/** Adds `all` in pieces of the given sizes, cycled: requests of different sizes, as they arrive. */
function built(all: readonly AggregationLeaf[], pieces: readonly number[]) {
  const builder = new BlockBuilder(options);
  for (let at = 0, k = 0; at < all.length; k++) {
    const size = pieces[k % pieces.length]!;
    builder.add(all.slice(at, at + size));
    at += size;
  }
  return builder.finish();
}

/** A segment as text: compared in one go, far faster than deep equality over thousands of them. */
function describeSegment(segment: ChainSegment): string {
  const links = segment.links.map(
    (link) => `${link.direction[0]}${link.levelCorrection}:${toHex(siblingBytes(link.sibling))}`,
  );
  return `${toHex(segment.inputHash)}@${segment.inputLevel} ${links.join(" ")}`;
}

describe("BlockTree", () => {
  it("is the tree one AggregationTree over all leaves is: same root, level and chain for every leaf", () => {
    const counts = [1, 2, BLOCK_LEAVES - 1, BLOCK_LEAVES, BLOCK_LEAVES + 1, 3 * BLOCK_LEAVES + 517];
    for (const count of counts) {
      const all = leaves(count);
      const whole = new AggregationTree(all, options);
      const blocks = built(all, [1, 1000, 7, 2500]);
      expect([blocks.leafCount, toHex(blocks.root), blocks.rootLevel], `${count} leaves`).toEqual([
        count,
        toHex(whole.root),
        whole.rootLevel,
      ]);
      const leafIndices = Array.from({ length: count }, (_, leaf) => leaf);
      expect(
        leafIndices.map((leaf) => describeSegment(blocks.segment(leaf))),
        `${count} leaves`,
      ).toEqual(leafIndices.map((leaf) => describeSegment(whole.segment(leaf))));
    }
  });

  it("hands the leaves of one block the same objects for their links above the block", () => {
    const tree = built(leaves(3 * BLOCK_LEAVES), [BLOCK_LEAVES]);
    // Three blocks: above its block, a leaf of the middle one has a link to the first block, then one to the last.
    const aboveBlock = (leaf: number) => tree.segment(leaf).links.at(-2);
    expect(aboveBlock(BLOCK_LEAVES)).toBe(aboveBlock(2 * BLOCK_LEAVES - 1));
    expect(aboveBlock(0)).not.toBe(aboveBlock(BLOCK_LEAVES));
  });

  it("refuses a leaf it does not have, and a round without leaves", () => {
    const tree = built(leaves(BLOCK_LEAVES + 3), [500]);
    for (const leaf of [-1, BLOCK_LEAVES + 3, 5 * BLOCK_LEAVES, 1.5]) {
      expect(() => tree.segment(leaf)).toThrow(expect.objectContaining({ code: "AGGREGATION_LEAF_INDEX" }));
    }
    expect(() => new BlockBuilder(options).finish()).toThrow(
      expect.objectContaining({ code: "AGGREGATION_TREE_EMPTY" }),
    );
  });
});
