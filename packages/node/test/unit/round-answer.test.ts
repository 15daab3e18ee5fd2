import {
  type AggregationLeaf,
  AggregationTree,
  type ChainSegment,
  composeChains,
  encodeSignature,
  HashAlgorithm,
  makeImprint,
} from "@tempel/proto";
import { describe, expect, it } from "vitest";
import { BlockBuilder, type LocalTree } from "../../src/aggregation/block-tree.ts";
import { RoundAnswer, type RoundParts, SignedRound } from "../../src/aggregation/round-answer.ts";

const TIME = 1_763_780_000;
const ALGORITHM = HashAlgorithm.SHA2_256;
const imprint = (seed: number) =>
  makeImprint(
    ALGORITHM,
    Uint8Array.from({ length: 32 }, (_, i) => (seed * 31 + i) & 0xff),
  );

const parts: RoundParts = {
  quorumCertificate: {
    publishedData: { publicationTime: TIME, publishedHash: imprint(-9) },
    shares: [{ memberId: "n1", signature: new Uint8Array(64).fill(7) }],
  },
};

function localTree(leaves: number, withMetadata: boolean): LocalTree {
  const builder = new BlockBuilder({ algorithm: ALGORITHM });
  builder.add(
    Array.from(
      { length: leaves },
      (_, i): AggregationLeaf => ({
        imprint: imprint(i),
        level: i % 5 === 1 ? 3 : 0,
        ...(withMetadata && { metadata: { clientId: i % 2 === 0 ? "alpha" : "beta" } }),
      }),
    ),
  );
  return builder.finish();
}

/** The top tree's segment for the local root: no links for a round of one member, else beside two others. */
function topSegment(tree: LocalTree, members: 1 | 3): ChainSegment {
  const others = members === 1 ? [] : [{ imprint: imprint(-1), level: 4 }, { imprint: imprint(-2) }];
  return new AggregationTree([{ imprint: tree.root, level: tree.rootLevel }, ...others], {
    algorithm: ALGORITHM,
  }).segment(0);
}

/** Compared as lengths and one concatenation: toEqual over a thousand byte arrays takes seconds. */
function expectSame(actual: readonly Uint8Array[], expected: readonly Uint8Array[]): void {
  expect(actual.map((bytes) => bytes.length)).toEqual(expected.map((bytes) => bytes.length));
  expect(Buffer.concat(actual).equals(Buffer.concat(expected))).toBe(true);
}

describe("RoundAnswer", () => {
  it("encodes each leaf's signature as encodeSignature encodes it composed, for trees of all shapes", () => {
    for (const [leaves, withMetadata] of [
      [1, true],
      [1, false],
      [2, false],
      [2, true],
      [5, true],
      [1030, true],
    ] as const) {
      const tree = localTree(leaves, withMetadata);
      for (const members of [1, 3] as const) {
        // A lone hash without metadata in a round of its own has no link to prove anything.
        if (leaves === 1 && !withMetadata && members === 1) continue;
        const top = topSegment(tree, members);
        const round = new SignedRound(TIME, tree, top, parts);
        const expected = Array.from({ length: leaves }, (_, leaf) =>
          encodeSignature({ aggregationChains: composeChains([tree.segment(leaf), top], TIME), ...parts }),
        );
        const whole = new RoundAnswer(round, 0, leaves);
        expectSame(whole.encode(), expected);
        expectSame(
          whole.signatures().map((s) => encodeSignature(s)),
          expected,
        );
        // Answers of a round in turn, into one scratch buffer as the JSON API writes them.
        const scratch = new Uint8Array(1 << 22);
        const cut = Math.floor(leaves / 3);
        for (const [first, count] of [
          [0, cut],
          [cut, leaves - cut],
        ] as const) {
          const answer = new RoundAnswer(round, first, count);
          expectSame(
            answer.encode(() => scratch),
            expected.slice(first, first + count),
          );
          if (count > 0)
            expect(encodeSignature(answer.signature(count - 1))).toEqual(expected[first + count - 1]);
        }
      }
    }
  });

  it("has no signature outside its range", () => {
    const tree = localTree(4, true);
    const answer = new RoundAnswer(new SignedRound(TIME, tree, topSegment(tree, 1), parts), 1, 2);
    expect(() => answer.signature(2)).toThrow(expect.objectContaining({ code: "AGGREGATION_LEAF_INDEX" }));
    expect(answer.aggregationTime).toBe(TIME);
  });
});
