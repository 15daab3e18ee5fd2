import { implementedHashAlgorithm } from "../hash/algorithms.ts";
import { type Hasher, nobleHasher } from "../hash/hasher.ts";
import type { Imprint } from "../hash/imprint.ts";
import { LogsigFormatError } from "./errors.ts";

/** logksi's MAX_TREE_HEIGHT: a block holds fewer than 2^31 records. */
const MAX_TREE_HEIGHT = 31;

/** One step of a record's path to its block root, as logksi's record chain (0x907) holds it. */
export interface RecordStep {
  /** "left": the running hash is the left operand (0x907 step 02, KSI link 0x07). */
  readonly direction: "left" | "right";
  readonly levelCorrection: number;
  readonly sibling: Imprint;
}

/**
 * The hash tree of one log block (LOGSIG12, logsig12.md §3): each record is masked with a hash of
 * the previous leaf and the block's seed, and the leaves are aggregated as an incremental forest of
 * perfect subtrees, older subtrees on the left. `treeHashes` receives every node in the order the
 * writers store them as 0x903 elements (each leaf, then the parents it completes; the final merges
 * when the root is taken). Hashes are whole imprints of the block's algorithm.
 */
export class LogBlockTree {
  readonly algorithm: number;
  readonly #seed: Uint8Array;
  readonly #hasher: Hasher;
  readonly #imprintLength: number;
  /** slot[i]: the root of a perfect subtree of 2^i leaves (level i+1), or undefined. */
  readonly #slots: (Imprint | undefined)[] = [];
  #lastLeaf: Imprint;
  #count = 0;
  /** Kept only when paths are wanted (extraction): every leaf's mask and leaf hash. */
  readonly #keep: { masks: Imprint[]; leaves: Imprint[]; meta: boolean[] } | undefined;
  readonly #scratch: Uint8Array;
  readonly #views: (Uint8Array | undefined)[] = [];
  readonly #mask: Uint8Array;

  constructor(
    algorithm: number,
    seed: Uint8Array,
    inputHash: Imprint,
    options: { readonly hasher?: Hasher; readonly keepPaths?: boolean } = {},
  ) {
    const info = implementedHashAlgorithm(algorithm);
    this.algorithm = algorithm;
    this.#seed = seed;
    this.#hasher = options.hasher ?? nobleHasher;
    this.#imprintLength = info.digestLength + 1;
    this.#lastLeaf = inputHash;
    this.#keep = options.keepPaths === true ? { masks: [], leaves: [], meta: [] } : undefined;
    this.#mask = new Uint8Array(this.#imprintLength);
    this.#scratch = new Uint8Array(2 * Math.max(this.#imprintLength, inputHash.length) + seed.length + 1);
  }

  get recordCount(): number {
    return this.#count;
  }

  /** The last leaf so far: the block's output hash once it is closed, the next block's input hash. */
  get lastLeaf(): Imprint {
    return this.#lastLeaf;
  }

  /** H(a ‖ b ‖ last?) as an imprint of the block's algorithm: into `out` when given, else a new one. */
  #hash(a: Uint8Array, b: Uint8Array, last: number | undefined, out?: Uint8Array): Imprint {
    const length = a.length + b.length + (last === undefined ? 0 : 1);
    const input = this.#input(length);
    input.set(a, 0);
    input.set(b, a.length);
    if (last !== undefined) input[length - 1] = last;
    return this.#digest(input, out ?? new Uint8Array(this.#imprintLength));
  }

  /**
   * A view of the scratch buffer `length` bytes long. The views are made once per length (a block
   * hashes inputs of two or three lengths): a view per hash was a tenth of verifying's time in GC.
   */
  #input(length: number): Uint8Array {
    if (length > this.#scratch.length) return new Uint8Array(length);
    let view = this.#views[length];
    if (view === undefined) {
      view = this.#scratch.subarray(0, length);
      this.#views[length] = view;
    }
    return view;
  }

  #digest(input: Uint8Array, out: Uint8Array): Imprint {
    out[0] = this.algorithm;
    if (this.#hasher.into !== undefined) this.#hasher.into(this.algorithm, input, out, 1);
    else out.set(this.#hasher(this.algorithm, input), 1);
    return out;
  }

  /** H(bytes) of the block's algorithm: a log line's record hash, or a meta-record's. */
  recordHash(bytes: Uint8Array): Imprint {
    return this.#digest(bytes, new Uint8Array(this.#imprintLength));
  }

  /**
   * Add a record by its record hash; `meta` for a meta-record, whose mask goes on the right. Calls
   * `treeHash` with the leaf and each parent it completes; returns the leaf.
   */
  add(recordHash: Imprint, meta = false, treeHash?: (node: Imprint) => void): Imprint {
    if (this.#count >= 2 ** (MAX_TREE_HEIGHT - 1)) {
      throw new LogsigFormatError(
        "LOGSIG_BLOCK_TOO_LARGE",
        `a block holds at most 2^${MAX_TREE_HEIGHT - 1} records`,
      );
    }
    // The mask is needed past this call only for paths; otherwise one buffer serves every record.
    const mask = this.#hash(
      this.#lastLeaf,
      this.#seed,
      undefined,
      this.#keep === undefined ? this.#mask : undefined,
    );
    const leaf = meta ? this.#hash(recordHash, mask, 1) : this.#hash(mask, recordHash, 1);
    this.#lastLeaf = leaf;
    this.#count++;
    if (this.#keep !== undefined) {
      this.#keep.masks.push(mask);
      this.#keep.leaves.push(leaf);
      this.#keep.meta.push(meta);
    }
    treeHash?.(leaf);
    let node = leaf;
    let i = 0;
    for (; this.#slots[i] !== undefined; i++) {
      node = this.#hash(this.#slots[i]!, node, i + 2);
      this.#slots[i] = undefined;
      treeHash?.(node);
    }
    this.#slots[i] = node;
    return leaf;
  }

  /** The level of the root: 1 for one record, else 1 + ⌈log2 n⌉ (the request level of its signature). */
  get level(): number {
    return this.#count <= 1 ? this.#count : 1 + Math.ceil(Math.log2(this.#count));
  }

  /** The root (after the final merges, passed to `treeHash`); undefined for an empty block. */
  root(treeHash?: (node: Imprint) => void): Imprint | undefined {
    let root: Imprint | undefined;
    for (let i = 0; i < this.#slots.length; i++) {
      const slot = this.#slots[i];
      if (slot === undefined) continue;
      if (root === undefined) {
        root = slot;
        continue;
      }
      root = this.#hash(slot, root, i + 2);
      treeHash?.(root);
    }
    return root;
  }

  /**
   * The path of record `index` (0-based in the block) to the root: the mask first, then siblings,
   * as logksi extract writes them. Needs `keepPaths`.
   */
  path(index: number): RecordStep[] {
    const keep = this.#keep;
    if (keep === undefined) throw new LogsigFormatError("LOGSIG_NO_PATHS", "this block tree keeps no paths");
    if (!Number.isInteger(index) || index < 0 || index >= this.#count) {
      throw new LogsigFormatError("LOGSIG_NO_SUCH_RECORD", `record ${index + 1} is not in the block`);
    }
    const steps: RecordStep[] = [
      { direction: keep.meta[index]! ? "left" : "right", levelCorrection: 0, sibling: keep.masks[index]! },
    ];
    // The perfect subtrees, largest (oldest, leftmost) first.
    const subtrees: { start: number; height: number; root: Imprint }[] = [];
    let start = 0;
    for (let i = this.#slots.length - 1; i >= 0; i--) {
      if (this.#slots[i] === undefined) continue;
      subtrees.push({ start, height: i, root: this.#slots[i]! });
      start += 2 ** i;
    }
    const own = subtrees.findIndex((s) => index < s.start + 2 ** s.height);
    const subtree = subtrees[own]!;
    // Inside the perfect subtree: siblings by recomputing the needed nodes from the kept leaves.
    let position = index - subtree.start;
    for (let h = 0; h < subtree.height; h++) {
      const siblingPosition = position ^ 1;
      const sibling = this.#node(subtree.start + siblingPosition * 2 ** h, h);
      steps.push({ direction: (position & 1) === 0 ? "left" : "right", levelCorrection: 0, sibling });
      position >>= 1;
    }
    // The final merges: the lower subtrees merge right to left, then each higher one on their left.
    let level = subtree.height + 1;
    const lower = subtrees.slice(own + 1);
    if (lower.length > 0) {
      let merged = lower[lower.length - 1]!.root;
      for (let k = lower.length - 2; k >= 0; k--)
        merged = this.#hash(lower[k]!.root, merged, lower[k]!.height + 2);
      steps.push({ direction: "left", levelCorrection: 0, sibling: merged });
      level++;
    }
    for (let k = own - 1; k >= 0; k--) {
      const higher = subtrees[k]!;
      const siblingLevel = higher.height + 1;
      steps.push({ direction: "right", levelCorrection: siblingLevel - level, sibling: higher.root });
      level = siblingLevel + 1;
    }
    return steps;
  }

  /** The node of height `h` whose leftmost leaf is `first` (recomputed from the kept leaves). */
  #node(first: number, h: number): Imprint {
    if (h === 0) return this.#keep!.leaves[first]!;
    return this.#hash(this.#node(first, h - 1), this.#node(first + 2 ** (h - 1), h - 1), h + 1);
  }
}
