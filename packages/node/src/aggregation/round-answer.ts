import {
  AggregationError,
  type AggregationHashChain,
  type ChainSegment,
  composeChains,
  encodeAggregationChain,
  encodeSignatures,
  type KsiSignature,
  SegmentSignatureWriter,
} from "@tempel/proto";
import type { LocalTree } from "./block-tree.ts";

/** What every signature of a certified round shares. */
export type RoundParts = Pick<KsiSignature, "calendarChain" | "calendarAuthRecord" | "quorumCertificate">;

/**
 * A certified round's signatures, made leaf by leaf on demand from its local tree: the leaf's chain
 * through the tree, then the top tree's segment (the same for the whole round), with the round's
 * shared parts.
 */
export class SignedRound {
  readonly time: number;
  readonly #tree: LocalTree;
  readonly #top: ChainSegment;
  readonly #parts: RoundParts;
  /** The chain through the top tree every signature ends with, when the top tree adds links. */
  readonly #upper: AggregationHashChain | undefined;
  /** Writes signatures straight from the leaves' segments; undefined for a tree whose leaf has no links. */
  readonly #writer: SegmentSignatureWriter | undefined;

  constructor(time: number, tree: LocalTree, top: ChainSegment, parts: RoundParts) {
    this.time = time;
    this.#tree = tree;
    this.#top = top;
    this.#parts = parts;
    // Every leaf's path ends at the local tree's root, so composing one leaf's chains checks the levels
    // where the two trees meet for all of them.
    const first = tree.segment(0);
    const chains = composeChains([first, top], time);
    if (chains.length > 1) {
      const chain = chains[1]!;
      this.#upper = { ...chain, source: encodeAggregationChain(chain) };
    }
    // A tree of one leaf without metadata has no links of its own: its signatures start with the top
    // chain, which the writer does not write.
    if (first.links.length > 0) {
      const upper = this.#upper;
      this.#writer = new SegmentSignatureWriter(time, upper?.chainIndex ?? [], {
        aggregationChains: upper === undefined ? [] : [upper],
        ...parts,
      });
    }
  }

  /** The bytes each of the round's encoded signatures ends with, if they share any. */
  get tail(): Uint8Array | undefined {
    return this.#writer?.tail;
  }

  signature(leaf: number): KsiSignature {
    const segment = this.#tree.segment(leaf);
    const upper = this.#upper;
    const aggregationChains =
      upper === undefined
        ? composeChains([segment, this.#top], this.time)
        : [composeChains([segment], this.time, upper.chainIndex)[0]!, upper];
    return { aggregationChains, ...this.#parts };
  }

  /** The encoded signatures of leaves first .. first + count − 1, as encodeSignatures writes them. */
  encode(first: number, count: number, allocate?: (length: number) => Uint8Array): Uint8Array[] {
    const writer = this.#writer;
    if (writer === undefined) {
      const signatures: KsiSignature[] = new Array(count);
      for (let i = 0; i < count; i++) signatures[i] = this.signature(first + i);
      return encodeSignatures(signatures, allocate);
    }
    const segments: ChainSegment[] = new Array(count);
    for (let i = 0; i < count; i++) segments[i] = this.#tree.segment(first + i);
    return writer.encode(segments, allocate);
  }
}

/** What an answer needs of a signed round: the core's SignedRound, or a gateway tier's round. */
export type SignedLeaves = Pick<SignedRound, "time" | "tail" | "signature" | "encode">;

/**
 * One request's signatures: a range of a signed round's leaves. Kept as the range until encoded, so
 * that a batch's answer is written from the tree without a signature object per hash; `signature`
 * composes one for code that wants the objects.
 */
export class RoundAnswer {
  readonly #round: SignedLeaves;
  readonly #first: number;
  readonly length: number;

  constructor(round: SignedLeaves, first: number, length: number) {
    this.#round = round;
    this.#first = first;
    this.length = length;
  }

  get aggregationTime(): number {
    return this.#round.time;
  }

  /** The leaf of the round's local tree that holds the answer's first hash: no other hash of the round has it. */
  get firstLeaf(): number {
    return this.#first;
  }

  /** The bytes every encoded signature of the answer ends with, if they share any. */
  get tail(): Uint8Array | undefined {
    return this.#round.tail;
  }

  /** The signature of the answer's i-th hash (0-based, request order). */
  signature(i: number): KsiSignature {
    return this.#round.signature(this.#first + this.#checked(i));
  }

  signatures(): KsiSignature[] {
    const signatures: KsiSignature[] = new Array(this.length);
    for (let i = 0; i < this.length; i++) signatures[i] = this.#round.signature(this.#first + i);
    return signatures;
  }

  /** Every signature encoded, in request order, as encodeSignatures would write `signatures()`. */
  encode(allocate?: (length: number) => Uint8Array): Uint8Array[] {
    return this.#round.encode(this.#first, this.length, allocate);
  }

  #checked(i: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) {
      throw new AggregationError("AGGREGATION_LEAF_INDEX", `no signature ${i} among ${this.length}`, {
        leaf: i,
      });
    }
    return i;
  }
}
