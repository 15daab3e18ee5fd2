import { createHash, hash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AggregationLeaf,
  AggregationTree,
  aggregationChainOutput,
  bytesEqual,
  type ChainSegment,
  composeChains,
  type DigestInto,
  decodeMetadata,
  encodeMetadataValue,
  HashAlgorithm,
  HashAlgorithmError,
  type Hasher,
  highBit,
  type Imprint,
  type LeafMetadata,
  locationPointer,
  makeImprint,
  toHex,
} from "../../src/index.ts";

const SHA256 = HashAlgorithm.SHA2_256;
const TIME = 1_700_000_000;

/** Tests hash through node:crypto: independent of proto's default hasher, and fast enough for big trees. */
const hasher: Hasher = (algorithm, data) => {
  if (algorithm !== SHA256) throw new Error(`unexpected algorithm ${algorithm}`);
  return hash("sha256", data, "buffer");
};

function sha256Imprint(...parts: Uint8Array[]): Imprint {
  const h = createHash("sha256");
  for (const part of parts) h.update(part);
  return makeImprint(SHA256, h.digest());
}

interface Node {
  imprint: Imprint;
  level: number;
}

/** The canonical KSI tree, written the direct recursive way: left = perfect tree of highBit(n − 1) leaves. */
function referenceRoot(nodes: readonly Node[]): Node {
  if (nodes.length === 1) return nodes[0]!;
  const split = highBit(nodes.length - 1);
  const left = referenceRoot(nodes.slice(0, split));
  const right = referenceRoot(nodes.slice(split));
  const level = Math.max(left.level, right.level) + 1;
  return { imprint: sha256Imprint(left.imprint, right.imprint, Uint8Array.of(level)), level };
}

function referenceLeafNode(leaf: AggregationLeaf): Node {
  const level = leaf.level ?? 0;
  if (leaf.metadata === undefined) return { imprint: leaf.imprint, level };
  const value = encodeMetadataValue(leaf.metadata);
  return { imprint: sha256Imprint(leaf.imprint, value, Uint8Array.of(level + 1)), level: level + 1 };
}

/** Recompute a signature's chains as a KSI verifier does: from level 0, each chain feeding the next. */
function recompute(chains: ReturnType<typeof composeChains>): Node {
  let level = 0;
  let imprint = chains[0]!.inputHash;
  for (const chain of chains) {
    if (!bytesEqual(chain.inputHash, imprint)) throw new Error("a chain's input is not the previous output");
    ({ hash: imprint, level } = aggregationChainOutput(chain, level, hasher));
  }
  return { imprint, level };
}

const agencies: LeafMetadata[] = [
  { clientId: "agency-a" },
  { clientId: "Ministry of Health / Terviseamet", machineId: "api-1" },
  { clientId: "x", machineId: "y", sequenceNumber: 1234567890123n, requestTime: 1_700_000_000_123_456n },
];

const leafArbitrary = (withMetadata: boolean) =>
  fc.record({
    imprint: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((digest) => makeImprint(SHA256, digest)),
    level: fc.integer({ min: 0, max: 6 }),
    metadata: withMetadata
      ? fc.option(fc.constantFrom(...agencies), { nil: undefined })
      : fc.constant(undefined),
  });

/**
 * The leaves whose chain breaks a rule (expect() per leaf would be slow): every chain must start from
 * its leaf, carry the leaf's level in its first correction, have its location pointer as chain index,
 * at most one link per layer (+1 for metadata), and recompute to the root at the root's level.
 */
function leavesFailing(leaves: readonly AggregationLeaf[], tree: AggregationTree): number[] {
  const depth = Math.ceil(Math.log2(leaves.length));
  const failing: number[] = [];
  for (let i = 0; i < leaves.length; i++) {
    const leaf = leaves[i]!;
    const segment = tree.segment(i);
    if (segment.links.length === 0) {
      if (leaves.length !== 1 || !bytesEqual(tree.root, leaf.imprint)) failing.push(i);
      continue;
    }
    const chain = composeChains([segment], TIME)[0]!;
    const out = recompute([chain]);
    const ok =
      bytesEqual(segment.inputHash, leaf.imprint) &&
      segment.inputLevel === (leaf.level ?? 0) &&
      segment.links.length <= depth + (leaf.metadata === undefined ? 0 : 1) &&
      chain.links[0]!.levelCorrection >= segment.inputLevel &&
      chain.chainIndex.length === 1 &&
      chain.chainIndex[0] === locationPointer(chain.links) &&
      bytesEqual(out.imprint, tree.root) &&
      out.level === tree.rootLevel;
    if (!ok) failing.push(i);
  }
  return failing;
}

describe("AggregationTree", () => {
  it("builds the canonical KSI shape and every leaf's chain recomputes to the root (random trees up to 2000 leaves)", () => {
    fc.assert(
      fc.property(fc.boolean(), fc.integer({ min: 1, max: 2000 }), fc.integer(), (withMetadata, n, seed) => {
        const leaves = fc.sample(leafArbitrary(withMetadata), { numRuns: n, seed });
        const tree = new AggregationTree(leaves, { algorithm: SHA256, hasher });
        const reference = referenceRoot(leaves.map(referenceLeafNode));
        expect(toHex(tree.root)).toBe(toHex(reference.imprint));
        expect(tree.rootLevel).toBe(reference.level);
        expect(leavesFailing(leaves, tree)).toEqual([]);
      }),
      { numRuns: 25 },
    );
  });

  it.each([1, 2, 3, 4, 5, 7, 8, 9])("recomputes every chain of a %i-leaf tree", (n) => {
    const leaves = Array.from({ length: n }, (_, i) => ({ imprint: sha256Imprint(Uint8Array.of(i)) }));
    const tree = new AggregationTree(leaves, { algorithm: SHA256 });
    expect(tree.root).toEqual(referenceRoot(leaves.map(referenceLeafNode)).imprint);
    expect(leavesFailing(leaves, tree)).toEqual([]);
  });

  it.each([
    { n: 16_385, withMetadata: true, shape: "a power of two plus one: the longest carry" },
    { n: 12_000, withMetadata: false, shape: "carries at several layers" },
  ])("recomputes every chain of a $n-leaf tree ($shape)", ({ n, withMetadata }) => {
    const leaves = Array.from({ length: n }, (_, i) => ({
      imprint: makeImprint(
        SHA256,
        Uint8Array.from({ length: 32 }, (_, k) => (i >> (8 * (k % 3))) & 0xff),
      ),
      ...(withMetadata && { metadata: agencies[i % agencies.length]! }),
    }));
    const tree = new AggregationTree(leaves, { algorithm: SHA256, hasher });
    expect(tree.rootLevel).toBe(Math.ceil(Math.log2(n)) + (withMetadata ? 1 : 0));
    expect(leavesFailing(leaves, tree)).toEqual([]);
  });

  it("carries the last node of an odd layer up unhashed, so a 5-leaf tree is 4 + 1", () => {
    const leaves = Array.from({ length: 5 }, (_, i) => ({ imprint: sha256Imprint(Uint8Array.of(i)) }));
    const tree = new AggregationTree(leaves, { algorithm: SHA256 });
    expect([0, 1, 2, 3, 4].map((i) => tree.links(i).length)).toEqual([3, 3, 3, 3, 1]);
    expect(tree.links(4)[0]).toMatchObject({ direction: "right", levelCorrection: 2 });
    expect(tree.links(0).map((link) => link.direction)).toEqual(["left", "left", "left"]);
  });

  it("puts the metadata record as a left link with the encoded value as sibling, parsed as a decoder would", () => {
    const leaves = agencies.map((metadata, i) => ({ imprint: sha256Imprint(Uint8Array.of(i)), metadata }));
    const tree = new AggregationTree(leaves, { algorithm: SHA256 });
    leaves.forEach((leaf, i) => {
      const first = tree.links(i)[0]!;
      expect(first.direction).toBe("left");
      expect(first.levelCorrection).toBe(0);
      if (first.sibling.kind !== "metadata") throw new Error("expected a metadata sibling");
      expect(first.sibling.bytes).toEqual(encodeMetadataValue(leaf.metadata));
      expect(first.sibling.metadata).toEqual(decodeMetadata(first.sibling.bytes));
    });
  });

  it("gives a single leaf with metadata one link and a single plain leaf none", () => {
    const imprint = sha256Imprint(Uint8Array.of(9));
    const withMetadata = new AggregationTree([{ imprint, level: 2, metadata: agencies[0]! }], {
      algorithm: SHA256,
    });
    expect(withMetadata.links(0)).toHaveLength(1);
    expect(withMetadata.root).toEqual(
      sha256Imprint(imprint, encodeMetadataValue(agencies[0]!), Uint8Array.of(3)),
    );
    expect(withMetadata.rootLevel).toBe(3);
    const plain = new AggregationTree([{ imprint, level: 2 }], { algorithm: SHA256 });
    expect(plain.links(0)).toEqual([]);
    expect(plain.root).toEqual(imprint);
    expect(plain.rootLevel).toBe(2);
  });

  it("accepts leaves of another algorithm than the tree's", () => {
    const leaves: AggregationLeaf[] = [
      { imprint: makeImprint(HashAlgorithm.SHA2_512, new Uint8Array(64).fill(1)) },
      { imprint: sha256Imprint(Uint8Array.of(2)) },
      { imprint: makeImprint(HashAlgorithm.SHA1, new Uint8Array(20).fill(3)), metadata: agencies[1]! },
    ];
    const tree = new AggregationTree(leaves, { algorithm: SHA256 });
    expect(tree.root).toEqual(referenceRoot(leaves.map(referenceLeafNode)).imprint);
    expect(leavesFailing(leaves, tree)).toEqual([]);
  });

  it("writes every node's digest through the hasher's into when it has one, giving the same tree", () => {
    const leaves = Array.from({ length: 37 }, (_, i) => ({ imprint: sha256Imprint(Uint8Array.of(i)) }));
    let calls = 0;
    const digestInto: DigestInto = (algorithm, data, out, offset) => {
      calls++;
      out.set(hasher(algorithm, data), offset);
    };
    const intoOnly: Hasher = Object.assign(
      (): Uint8Array => {
        throw new Error("the tree should write digests through into");
      },
      { into: digestInto },
    );
    const viaInto = new AggregationTree(leaves, { algorithm: SHA256, hasher: intoOnly });
    expect(calls).toBe(36);
    expect(viaInto.root).toEqual(new AggregationTree(leaves, { algorithm: SHA256, hasher }).root);
  });

  it("continues a segment by the links given as above, after its own", () => {
    const leaves = Array.from({ length: 5 }, (_, i) => ({ imprint: sha256Imprint(Uint8Array.of(i)) }));
    const tree = new AggregationTree(leaves, { algorithm: SHA256, hasher });
    const upper = new AggregationTree([{ imprint: tree.root, level: tree.rootLevel }, ...leaves], {
      algorithm: SHA256,
      hasher,
    });
    const continued = tree.segment(4, upper.links(0));
    expect(continued.links).toEqual([...tree.links(4), ...upper.links(0)]);
    expect(aggregationChainOutput(composeChains([continued], TIME)[0]!, 0).hash).toEqual(upper.root);
  });

  it("gives the same chains whatever order its leaves are read in, sharing upper links between consecutive reads", () => {
    const leaves = Array.from({ length: 77 }, (_, i) => ({
      imprint: sha256Imprint(Uint8Array.of(i)),
      ...(i % 3 === 0 ? { metadata: agencies[i % 2]! } : {}),
    }));
    const inOrder = new AggregationTree(leaves, { algorithm: SHA256, hasher });
    const expected = leaves.map((_, i) => inOrder.segment(i));
    const shuffled = new AggregationTree(leaves, { algorithm: SHA256, hasher });
    const order = fc.sample(fc.shuffledSubarray([...leaves.keys()], { minLength: leaves.length }), {
      numRuns: 1,
      seed: 7,
    })[0]!;
    for (const i of order) expect(shuffled.segment(i)).toEqual(expected[i]);
    const upper = (leaf: number) => inOrder.links(leaf).at(-1);
    expect(upper(40)).toBe(upper(41));
    expect(upper(40)).toEqual(upper(1));
  });

  it("shares and freezes the links above the first layer and the metadata link of one agency's leaves", () => {
    const leaves = Array.from({ length: 8 }, (_, i) => ({
      imprint: sha256Imprint(Uint8Array.of(i)),
      metadata: agencies[i % 2]!,
    }));
    const tree = new AggregationTree(leaves, { algorithm: SHA256 });
    expect(tree.links(0)[3]).toBe(tree.links(3)[3]);
    expect(Object.isFrozen(tree.links(0)[3])).toBe(true);
    expect(tree.links(0)[0]).toBe(tree.links(2)[0]);
    expect(tree.links(0)[0]).not.toBe(tree.links(1)[0]);
    expect(Object.isFrozen(tree.links(0)[0])).toBe(true);
  });

  it("rejects an empty tree, a bad leaf, a level overflow, an unknown algorithm and a leaf index outside it", () => {
    const imprint = sha256Imprint(Uint8Array.of(1));
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        return (error as { code?: string }).code;
      }
      return undefined;
    };
    expect(code(() => new AggregationTree([], { algorithm: SHA256 }))).toBe("AGGREGATION_TREE_EMPTY");
    expect(
      code(() => new AggregationTree([{ imprint: imprint.subarray(0, 21) }], { algorithm: SHA256 })),
    ).toBe("IMPRINT_LENGTH");
    expect(code(() => new AggregationTree([{ imprint, level: 256 }], { algorithm: SHA256 }))).toBe(
      "AGGREGATION_LEVEL_RANGE",
    );
    expect(
      code(
        () => new AggregationTree([{ imprint, level: 255, metadata: agencies[0]! }], { algorithm: SHA256 }),
      ),
    ).toBe("AGGREGATION_LEVEL_OVERFLOW");
    expect(
      code(() => new AggregationTree([{ imprint, level: 255 }, { imprint }], { algorithm: SHA256 })),
    ).toBe("AGGREGATION_LEVEL_OVERFLOW");
    expect(() => new AggregationTree([{ imprint }], { algorithm: HashAlgorithm.SM3 })).toThrow(
      HashAlgorithmError,
    );
    const tree = new AggregationTree([{ imprint }, { imprint }], { algorithm: SHA256 });
    expect(code(() => tree.links(2))).toBe("AGGREGATION_LEAF_INDEX");
    expect(code(() => tree.segment(-1))).toBe("AGGREGATION_LEAF_INDEX");
  });
});

describe("composeChains", () => {
  /** Local trees of several sizes (one a lone leaf without metadata) under a top tree over their roots. */
  function cluster(sizes: readonly number[]) {
    const locals = sizes.map((size, node) => {
      const leaves = Array.from({ length: size }, (_, i) => ({
        imprint: sha256Imprint(Uint8Array.of(node, i & 0xff, i >> 8)),
        level: i % 3,
        ...(size > 1 && { metadata: agencies[i % agencies.length]! }),
      }));
      return new AggregationTree(leaves, { algorithm: SHA256, hasher });
    });
    const top = new AggregationTree(
      locals.map((local) => ({ imprint: local.root, level: local.rootLevel })),
      { algorithm: SHA256, hasher },
    );
    return { locals, top };
  }

  it("chains a local tree's leaf through the top tree to the top root, with nested chain indices", () => {
    const { locals, top } = cluster([1, 2, 5, 300, 17]);
    locals.forEach((local, node) => {
      const topSegment = top.segment(node);
      for (let i = 0; i < local.leafCount; i++) {
        const segments: ChainSegment[] = [local.segment(i), topSegment];
        const chains = composeChains(segments, TIME);
        expect(chains).toHaveLength(local.links(i).length === 0 ? 1 : 2);
        const out = recompute(chains);
        expect(toHex(out.imprint)).toBe(toHex(top.root));
        expect(out.level).toBe(top.rootLevel);
        for (let k = 0; k < chains.length; k++) {
          expect(chains[k]!.aggregationTime).toBe(TIME);
          expect(chains[k]!.chainIndex.at(-1)).toBe(locationPointer(chains[k]!.links));
          if (k + 1 < chains.length)
            expect(chains[k]!.chainIndex.slice(0, -1)).toEqual(chains[k + 1]!.chainIndex);
        }
      }
    });
  });

  it("puts the topmost chain's index under a given prefix", () => {
    const { locals, top } = cluster([3, 4]);
    const chains = composeChains([locals[1]!.segment(2), top.segment(1)], TIME, [7n]);
    expect(chains[1]!.chainIndex).toEqual([7n, locationPointer(chains[1]!.links)]);
    expect(chains[0]!.chainIndex).toEqual([
      7n,
      ...chains[1]!.chainIndex.slice(1),
      locationPointer(chains[0]!.links),
    ]);
  });

  it("rejects segments that do not continue each other's levels, nothing to chain, and a bad time", () => {
    const { locals, top } = cluster([3, 4]);
    expect(() => composeChains([locals[0]!.segment(0), top.segment(1)], TIME)).toThrow(
      expect.objectContaining({ code: "AGGREGATION_LEVEL_MISMATCH" }),
    );
    const lone = new AggregationTree([{ imprint: sha256Imprint() }], { algorithm: SHA256 });
    expect(() => composeChains([lone.segment(0)], TIME)).toThrow(
      expect.objectContaining({ code: "AGGREGATION_CHAIN_EMPTY" }),
    );
    expect(() => composeChains([locals[0]!.segment(0)], -1)).toThrow(
      expect.objectContaining({ code: "AGGREGATION_TIME_RANGE" }),
    );
  });
});
