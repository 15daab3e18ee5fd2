import { implementedHashAlgorithm } from "../hash/algorithms.ts";
import { type DigestInto, type Hasher, nobleHasher } from "../hash/hasher.ts";
import { checkImprint, type Imprint, isImprintShaped } from "../hash/imprint.ts";
import { decodeMetadata, encodeMetadataValue, type MetadataInput } from "../signature/metadata.ts";
import type { AggregationLink } from "../signature/types.ts";
import { aggregationLevelError, isAggregationLevel, raiseLevel } from "./chain.ts";
import type { ChainSegment } from "./compose.ts";
import { AggregationError } from "./errors.ts";

/** Who asked for a leaf, as its metadata link records it. */
export type LeafMetadata = MetadataInput;

export interface AggregationLeaf {
  readonly imprint: Imprint;
  /** The level the client's own tree already reached (KSI request level); default 0. */
  readonly level?: number;
  /**
   * When present, the first link above the leaf is this record, so the signature names the agency.
   * Leaves that share one object (an agency's) share its encoding and its link.
   */
  readonly metadata?: LeafMetadata;
}

export interface AggregationTreeOptions {
  /** KSI id of the hash algorithm for every node the tree computes. */
  readonly algorithm: number;
  /** Default: nobleHasher; its `into`, when it has one, writes each node's digest. */
  readonly hasher?: Hasher;
}

/** Keeps every byte offset of the node buffer within a Uint32Array even with 64-byte digests. */
export const MAX_AGGREGATION_LEAVES = 1 << 24;

/**
 * One round's aggregation tree.
 *
 * Shape: the KSI canonical shape (the left subtree of any node is the perfect tree of the largest
 * power of two strictly below its leaf count), which is what pairing nodes layer by layer and
 * carrying an odd last node up unchanged produces. It keeps every chain at most ⌈log2 n⌉ links (+1
 * for metadata) and is the shape other KSI aggregators build.
 *
 * Levels: a node's level is one more than the higher of its children's; a chain's level correction
 * absorbs the gap when the two children differ (a carried node, a leaf with a client level, a leaf
 * with metadata).
 *
 * Storage: every imprint sits in one byte buffer and each node has an offset, length and level in
 * typed arrays, laid out layer by layer; a carried node aliases its child's bytes. Building hashes
 * through one scratch area of that buffer and allocates nothing per node. A leaf's links are then
 * read off one node per layer, O(log n), without hashing.
 */
export class AggregationTree {
  readonly algorithm: number;
  readonly leafCount: number;
  readonly root: Imprint;
  readonly rootLevel: number;

  /** Leaf imprints (as given), then every node the tree hashed, then the scratch area. */
  readonly #bytes: Uint8Array;
  /** Leaf i's own imprint is `#bytes[#leafOffset[i] .. #leafOffset[i + 1])`. */
  readonly #leafOffset: Uint32Array;
  readonly #nodeOffset: Uint32Array;
  readonly #nodeLength: Uint8Array;
  readonly #nodeLevel: Uint8Array;
  /** Index of each layer's first node; layer 0 holds one node per leaf, the last layer the root. */
  readonly #layerStart: readonly number[];
  /** Leaf i's metadata link, if it has one; one frozen object per distinct metadata record. */
  readonly #metadataLinks: readonly (AggregationLink | undefined)[] | undefined;
  /**
   * The links of the last path read, by layer (layer 0 unused): a link above layer 0 depends only on
   * its node, so consecutive leaves below one node get one frozen object (and a batch encoder copies
   * the bytes of a shared tail). Remembering the path alone keeps extraction in leaf order at O(n)
   * links in all without holding one per node for the tree's lifetime.
   */
  readonly #pathNodes: Int32Array;
  readonly #pathLinks: (AggregationLink | undefined)[];
  /**
   * The last two views made of layer 0's bytes, by offset: leaf i's input hash is the sibling of leaf
   * i ^ 1 when it has no metadata, so reading a pair of leaves makes two views instead of four.
   */
  readonly #recentOffsets = [-1, -1];
  readonly #recentViews: Uint8Array[] = [new Uint8Array(0), new Uint8Array(0)];
  #recentNext = 0;
  readonly #scratchLinks: AggregationLink[] = [];

  constructor(leaves: readonly AggregationLeaf[], options: AggregationTreeOptions) {
    const n = leaves.length;
    if (n === 0) throw new AggregationError("AGGREGATION_TREE_EMPTY", "an aggregation tree needs a leaf");
    if (n > MAX_AGGREGATION_LEAVES) {
      throw new AggregationError(
        "AGGREGATION_TREE_TOO_LARGE",
        `${n} leaves exceed the limit of ${MAX_AGGREGATION_LEAVES}`,
        { leaves: n },
      );
    }
    const algorithm = options.algorithm;
    const stride = implementedHashAlgorithm(algorithm).digestLength + 1;
    const hasher = options.hasher ?? nobleHasher;
    const digestInto: DigestInto =
      hasher.into ?? ((id, input, out, offset) => out.set(hasher(id, input), offset));

    const layerStart = [0];
    for (let size = n; size > 1; size = Math.ceil(size / 2)) layerStart.push(layerStart.at(-1)! + size);
    const nodeCount = layerStart.at(-1)! + 1;

    const leafOffset = new Uint32Array(n + 1);
    let metadataCount = 0;
    for (let i = 0; i < n; i++) {
      const leaf = leaves[i]!;
      // Messages are built only for a leaf that fails: a string per leaf would cost more than its checks.
      if (!isImprintShaped(leaf.imprint)) checkImprint(leaf.imprint, `leaf ${i}`);
      const level = leaf.level ?? 0;
      if (!isAggregationLevel(level)) throw aggregationLevelError(level, `leaf ${i} level`);
      leafOffset[i + 1] = leafOffset[i]! + leaf.imprint.length;
      if (leaf.metadata !== undefined) metadataCount++;
    }
    const leafBytes = leafOffset[n]!;
    // n − 1 inner nodes are hashed whatever the shape; carried nodes take no bytes.
    const scratch = leafBytes + (metadataCount + n - 1) * stride;
    const bytes = new Uint8Array(scratch + 2 * stride + 1);
    const pairInput = bytes.subarray(scratch);
    const nodeOffset = new Uint32Array(nodeCount);
    const nodeLength = new Uint8Array(nodeCount);
    const nodeLevel = new Uint8Array(nodeCount);
    const metadataLinks: (AggregationLink | undefined)[] | undefined =
      metadataCount > 0 ? new Array(n) : undefined;

    let free = leafBytes;
    /** Store `digest(input)` as the next hashed node; returns its offset. */
    const hashNode = (input: Uint8Array): number => {
      const at = free;
      bytes[at] = algorithm;
      digestInto(algorithm, input, bytes, at + 1);
      free += stride;
      return at;
    };

    const sharedMetadata = new Map<LeafMetadata, ReturnType<typeof metadataLink>>();
    let metadataInput = new Uint8Array(0);
    for (let i = 0; i < n; i++) {
      const leaf = leaves[i]!;
      const at = leafOffset[i]!;
      const length = leafOffset[i + 1]! - at;
      bytes.set(leaf.imprint, at);
      const level = leaf.level ?? 0;
      if (leaf.metadata === undefined) {
        nodeOffset[i] = at;
        nodeLength[i] = length;
        nodeLevel[i] = level;
        continue;
      }
      let shared = sharedMetadata.get(leaf.metadata);
      if (shared === undefined) {
        shared = metadataLink(leaf.metadata);
        sharedMetadata.set(leaf.metadata, shared);
      }
      metadataLinks![i] = shared.link;
      const value = shared.value;
      const metadataLevel = raiseLevel(level, 1);
      // Leaves of one agency give inputs of one length, so the buffer is reused across them.
      if (metadataInput.length !== length + value.length + 1)
        metadataInput = new Uint8Array(length + value.length + 1);
      metadataInput.set(leaf.imprint, 0);
      metadataInput.set(value, length);
      metadataInput[metadataInput.length - 1] = metadataLevel;
      nodeOffset[i] = hashNode(metadataInput);
      nodeLength[i] = stride;
      nodeLevel[i] = metadataLevel;
    }

    for (let layer = 0; layer + 1 < layerStart.length; layer++) {
      const start = layerStart[layer]!;
      const size = layerStart[layer + 1]! - start;
      const parents = layerStart[layer + 1]!;
      for (let j = 0; j + 1 < size; j += 2) {
        const left = start + j;
        const right = left + 1;
        const parent = parents + j / 2;
        const level = raiseLevel(Math.max(nodeLevel[left]!, nodeLevel[right]!), 1);
        const leftLength = nodeLength[left]!;
        const rightLength = nodeLength[right]!;
        if (leftLength === stride && rightLength === stride) {
          bytes.copyWithin(scratch, nodeOffset[left]!, nodeOffset[left]! + stride);
          bytes.copyWithin(scratch + stride, nodeOffset[right]!, nodeOffset[right]! + stride);
          pairInput[2 * stride] = level;
          nodeOffset[parent] = hashNode(pairInput);
        } else {
          // Only leaves of another algorithm than the tree's give an input of another length.
          const input = new Uint8Array(leftLength + rightLength + 1);
          input.set(bytes.subarray(nodeOffset[left]!, nodeOffset[left]! + leftLength), 0);
          input.set(bytes.subarray(nodeOffset[right]!, nodeOffset[right]! + rightLength), leftLength);
          input[leftLength + rightLength] = level;
          nodeOffset[parent] = hashNode(input);
        }
        nodeLength[parent] = stride;
        nodeLevel[parent] = level;
      }
      if (size % 2 === 1) {
        const carried = start + size - 1;
        const parent = parents + (size - 1) / 2;
        nodeOffset[parent] = nodeOffset[carried]!;
        nodeLength[parent] = nodeLength[carried]!;
        nodeLevel[parent] = nodeLevel[carried]!;
      }
    }

    const rootNode = nodeCount - 1;
    this.algorithm = algorithm;
    this.leafCount = n;
    this.root = bytes.slice(nodeOffset[rootNode]!, nodeOffset[rootNode]! + nodeLength[rootNode]!);
    this.rootLevel = nodeLevel[rootNode]!;
    this.#bytes = bytes;
    this.#leafOffset = leafOffset;
    this.#nodeOffset = nodeOffset;
    this.#nodeLength = nodeLength;
    this.#nodeLevel = nodeLevel;
    this.#layerStart = layerStart;
    this.#metadataLinks = metadataLinks;
    this.#pathNodes = new Int32Array(layerStart.length).fill(-1);
    this.#pathLinks = new Array(layerStart.length);
  }

  /** Leaf `leaf`'s imprint as given to the tree: the input hash of its chain. */
  leafImprint(leaf: number): Imprint {
    this.#checkLeaf(leaf);
    return this.#leafImprint(leaf);
  }

  leafLevel(leaf: number): number {
    this.#checkLeaf(leaf);
    return this.#leafLevel(leaf);
  }

  /**
   * The links from leaf `leaf` to the root, leaf first: O(log n), no hashing. Metadata links are
   * shared by the leaves of one record, a link above the first layer by the leaves below its node that
   * are read one after another (reading in leaf order shares it with all of them); shared links are
   * frozen. Sibling imprints are views into the tree's buffer (copying them would dominate the cost of
   * answering a round): none of it may be modified.
   */
  links(leaf: number): AggregationLink[] {
    this.#checkLeaf(leaf);
    return this.#links(leaf, []);
  }

  /**
   * Leaf `leaf`'s path as one segment of a signature's aggregation chains (see composeChains),
   * continued by `above`: the links from this tree's root on, when its root is a leaf of a tree of the
   * same algorithm whose chain it extends rather than follows (a round's tree built in blocks).
   */
  segment(leaf: number, above: readonly AggregationLink[] = []): ChainSegment {
    this.#checkLeaf(leaf);
    return {
      algorithm: this.algorithm,
      inputHash: this.#leafImprint(leaf),
      inputLevel: this.#leafLevel(leaf),
      links: this.#links(leaf, above),
    };
  }

  #leafImprint(leaf: number): Imprint {
    return this.#layer0View(this.#leafOffset[leaf]!, this.#leafOffset[leaf + 1]! - this.#leafOffset[leaf]!);
  }

  #leafLevel(leaf: number): number {
    return this.#nodeLevel[leaf]! - (this.#metadataLinks?.[leaf] === undefined ? 0 : 1);
  }

  #links(leaf: number, above: readonly AggregationLink[]): AggregationLink[] {
    // Filled in a reused scratch array and copied out at its final length: one allocation per chain.
    const links = this.#scratchLinks;
    let count = 0;
    const metadataLink = this.#metadataLinks?.[leaf];
    if (metadataLink !== undefined) links[count++] = metadataLink;
    const layers = this.#layerStart;
    let position = leaf;
    for (let layer = 0; layer + 1 < layers.length; layer++) {
      const start = layers[layer]!;
      // A carried node (last of an odd layer) has no sibling: it moves up without a link.
      if ((position ^ 1) < layers[layer + 1]! - start) {
        const node = start + position;
        if (layer === 0) {
          const sibling = node ^ 1;
          const imprint = this.#layer0View(this.#nodeOffset[sibling]!, this.#nodeLength[sibling]!);
          links[count++] = this.#linkAbove(node, position, layers[1]!, imprint);
        } else {
          if (this.#pathNodes[layer] !== node) {
            const sibling = start + (position ^ 1);
            const imprint = this.#view(this.#nodeOffset[sibling]!, this.#nodeLength[sibling]!);
            const link = this.#linkAbove(node, position, layers[layer + 1]!, imprint);
            Object.freeze(link.sibling);
            this.#pathNodes[layer] = node;
            this.#pathLinks[layer] = Object.freeze(link);
          }
          links[count++] = this.#pathLinks[layer]!;
        }
      }
      position >>>= 1;
    }
    for (const link of above) links[count++] = link;
    return links.slice(0, count);
  }

  /**
   * The link from `node` (at `position` in its layer) to its parent, whose sibling has the bytes
   * `imprint`; the next layer starts at `parents`.
   */
  #linkAbove(node: number, position: number, parents: number, imprint: Uint8Array): AggregationLink {
    return {
      direction: (position & 1) === 0 ? "left" : "right",
      levelCorrection: this.#nodeLevel[parents + (position >>> 1)]! - this.#nodeLevel[node]! - 1,
      sibling: { kind: "imprint", imprint },
    };
  }

  #layer0View(offset: number, length: number): Uint8Array {
    const offsets = this.#recentOffsets;
    if (offsets[0] === offset) return this.#recentViews[0]!;
    if (offsets[1] === offset) return this.#recentViews[1]!;
    const slot = this.#recentNext;
    this.#recentNext = slot ^ 1;
    const view = this.#view(offset, length);
    offsets[slot] = offset;
    this.#recentViews[slot] = view;
    return view;
  }

  #view(offset: number, length: number): Uint8Array {
    return new Uint8Array(this.#bytes.buffer, offset, length);
  }

  #checkLeaf(leaf: number): void {
    if (!Number.isInteger(leaf) || leaf < 0 || leaf >= this.leafCount) {
      throw new AggregationError("AGGREGATION_LEAF_INDEX", `no leaf ${leaf} among ${this.leafCount}`, {
        leaf,
      });
    }
  }
}

/**
 * The frozen first link of a leaf with metadata `input`, and the metadata value bytes it hashes. Its
 * parsed form is what a decoder reads back from those bytes (padding included).
 */
function metadataLink(input: LeafMetadata): { link: AggregationLink; value: Uint8Array } {
  const value = encodeMetadataValue(input);
  const metadata = Object.freeze(decodeMetadata(value));
  const sibling = Object.freeze({ kind: "metadata", bytes: value, metadata } as const);
  return { link: Object.freeze({ direction: "left", levelCorrection: 0, sibling } as const), value };
}
