import { writeTlv, writeTlvHeader } from "../tlv/codec.ts";
import type { TlvRun } from "../tlv/composite.ts";
import {
  encodedLength,
  headerForm,
  headerLength,
  MAX_TLV8_LENGTH,
  MAX_TLV8_TYPE,
  type TlvHeader,
} from "../tlv/element.ts";
import { uintTlv } from "../tlv/values.ts";
import { AggregationChainTag, LinkTag, SignatureTag } from "./tags.ts";
import type { AggregationHashChain, AggregationLink, LinkSibling } from "./types.ts";

/**
 * Aggregation chains written straight from their fields, without an element object per field, link
 * and sibling: a signature carries a score of them, and building those objects cost more than writing
 * the bytes. The result is what encoding each of them as nested elements would give.
 */

/** Flagless headers of the element types chains are made of, TLV8 and TLV16 form: built once. */
const HEADERS: (readonly TlvHeader[])[] = [];
for (const type of [
  SignatureTag.SIGNATURE,
  SignatureTag.AGGREGATION_CHAIN,
  AggregationChainTag.AGGREGATION_TIME,
  AggregationChainTag.CHAIN_INDEX,
  AggregationChainTag.INPUT_DATA,
  AggregationChainTag.INPUT_HASH,
  AggregationChainTag.AGGREGATION_ALGORITHM,
  LinkTag.LEVEL_CORRECTION,
  LinkTag.SIBLING_HASH,
  LinkTag.LEGACY_ID,
  LinkTag.METADATA,
  AggregationChainTag.LEFT_LINK,
  AggregationChainTag.RIGHT_LINK,
]) {
  HEADERS[type] = [false, true].map((tlv16) => ({ type, nonCritical: false, forward: false, tlv16 }));
}

export function header(type: number, valueLength: number): TlvHeader {
  // Most elements of a chain are short ones of a TLV8 type: no need for headerForm's checks, which
  // matter (the TLV16 length limit) only for the others.
  if (type <= MAX_TLV8_TYPE && valueLength <= MAX_TLV8_LENGTH) return HEADERS[type]![0]!;
  return HEADERS[type]![headerForm(type, valueLength) ? 1 : 0]!;
}

export const TLV16_HEADER_LENGTH = 4;

const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);

/** `value` as a number when it is a whole number in 0..2^53 − 1; −1 otherwise (uintTlv handles it). */
function safeUint(value: bigint | number): number {
  if (typeof value === "bigint") return value >= 0n && value <= MAX_SAFE_BIGINT ? Number(value) : -1;
  return Number.isSafeInteger(value) && value >= 0 ? value : -1;
}

/** Bytes of the minimal big-endian encoding of `n` (none for zero), as uintBytes writes it. */
function uintByteCount(n: number): number {
  let count = 0;
  for (let v = n; v > 0; v = Math.floor(v / 256)) count++;
  return count;
}

/** Length of the element uintTlv(type, value) encodes to. */
export function uintElementLength(type: number, value: bigint | number): number {
  const n = safeUint(value);
  return n < 0 ? encodedLength(uintTlv(type, value)) : 2 + uintByteCount(n);
}

/** Writes what uintTlv(type, value) encodes to, with no element object for the common values. */
export function writeUintElement(
  type: number,
  value: bigint | number,
  out: Uint8Array,
  offset: number,
): number {
  const n = safeUint(value);
  if (n < 0) return writeTlv(uintTlv(type, value), out, offset);
  const length = uintByteCount(n);
  const at = writeTlvHeader(header(type, length), length, out, offset);
  for (let i = at + length - 1, v = n; i >= at; i--, v = Math.floor(v / 256)) out[i] = v % 256;
  return at + length;
}

/** Length of an element of `type` whose value is `value`. */
export function bytesElementLength(type: number, value: Uint8Array): number {
  return headerLength(header(type, value.length)) + value.length;
}

export function writeBytesElement(type: number, value: Uint8Array, out: Uint8Array, offset: number): number {
  const at = writeTlvHeader(header(type, value.length), value.length, out, offset);
  out.set(value, at);
  return at + value.length;
}

/** A chain's fields before its links, in canonical order. */
export function chainFieldsRun(chain: AggregationHashChain): TlvRun {
  let length = uintElementLength(AggregationChainTag.AGGREGATION_TIME, chain.aggregationTime);
  for (const index of chain.chainIndex) length += uintElementLength(AggregationChainTag.CHAIN_INDEX, index);
  if (chain.inputData !== undefined) {
    length += bytesElementLength(AggregationChainTag.INPUT_DATA, chain.inputData);
  }
  length += bytesElementLength(AggregationChainTag.INPUT_HASH, chain.inputHash);
  length += uintElementLength(AggregationChainTag.AGGREGATION_ALGORITHM, chain.aggregationAlgorithm);
  return {
    length,
    write(out, offset) {
      let at = writeUintElement(AggregationChainTag.AGGREGATION_TIME, chain.aggregationTime, out, offset);
      for (const index of chain.chainIndex) {
        at = writeUintElement(AggregationChainTag.CHAIN_INDEX, index, out, at);
      }
      if (chain.inputData !== undefined) {
        at = writeBytesElement(AggregationChainTag.INPUT_DATA, chain.inputData, out, at);
      }
      at = writeBytesElement(AggregationChainTag.INPUT_HASH, chain.inputHash, out, at);
      return writeUintElement(AggregationChainTag.AGGREGATION_ALGORITHM, chain.aggregationAlgorithm, out, at);
    },
  };
}

function linkType(link: AggregationLink): number {
  return link.direction === "left" ? AggregationChainTag.LEFT_LINK : AggregationChainTag.RIGHT_LINK;
}

function siblingType(sibling: LinkSibling): number {
  if (sibling.kind === "imprint") return LinkTag.SIBLING_HASH;
  return sibling.kind === "legacyId" ? LinkTag.LEGACY_ID : LinkTag.METADATA;
}

function siblingValue(sibling: LinkSibling): Uint8Array {
  return sibling.kind === "imprint" ? sibling.imprint : sibling.bytes;
}

/** A link's value: its level correction unless zero (canonical form), then its sibling. */
function linkValueLength(link: AggregationLink): number {
  const correction =
    link.levelCorrection === 0 ? 0 : uintElementLength(LinkTag.LEVEL_CORRECTION, link.levelCorrection);
  return correction + bytesElementLength(siblingType(link.sibling), siblingValue(link.sibling));
}

function linkLength(link: AggregationLink): number {
  if (link.source !== undefined) return encodedLength(link.source);
  const value = linkValueLength(link);
  return headerLength(header(linkType(link), value)) + value;
}

function writeLink(link: AggregationLink, out: Uint8Array, offset: number): number {
  if (link.source !== undefined) return writeTlv(link.source, out, offset);
  const length = linkValueLength(link);
  let at = writeTlvHeader(header(linkType(link), length), length, out, offset);
  if (link.levelCorrection !== 0) {
    at = writeUintElement(LinkTag.LEVEL_CORRECTION, link.levelCorrection, out, at);
  }
  return writeBytesElement(siblingType(link.sibling), siblingValue(link.sibling), out, at);
}

/** How many links `links` ends with in common with `previous`, by identity. */
function sharedTail(links: readonly AggregationLink[], previous: readonly AggregationLink[]): number {
  let shared = 0;
  while (
    shared < links.length &&
    shared < previous.length &&
    links[links.length - 1 - shared] === previous[previous.length - 1 - shared]
  ) {
    shared++;
  }
  return shared;
}

/**
 * What a batch learned from the chains before: the chains of one round's signatures share their upper
 * links (the tree hands out one object per node above the leaves, and chains are asked for leaf by
 * leaf), so the links a chain ends with in common with the previous one are neither measured nor
 * encoded again: their lengths are summed from the previous chain's, their bytes copied from where it
 * was written. Links are compared by identity, since a shared object has one encoding.
 */
export class LinkMemo {
  #measured: readonly AggregationLink[] = [];
  /** `#lengths[k]`: the encoded length of `#measured[k]` and every link after it. */
  #lengths: number[] = [];
  #out: Uint8Array | undefined;
  #written: readonly AggregationLink[] = [];
  #start = 0;
  /** Offset just past each of `#written` in `#out`. */
  #ends: number[] = [];
  /**
   * The arrays the chain before last used, filled again for the next chain while the last chain's are
   * read, so that measuring and writing a chain of a batch allocate none.
   */
  #spareLengths: number[] = [];
  #spareEnds: number[] = [];

  measure(links: readonly AggregationLink[]): number {
    const shared = sharedTail(links, this.#measured);
    const lengths = this.#spareLengths;
    lengths.length = links.length + 1;
    lengths[links.length] = 0;
    if (shared > 0) {
      const first = this.#measured.length - shared;
      for (let k = 0; k < shared; k++) lengths[links.length - shared + k] = this.#lengths[first + k]!;
    }
    for (let k = links.length - shared - 1; k >= 0; k--) lengths[k] = linkLength(links[k]!) + lengths[k + 1]!;
    this.#measured = links;
    this.#spareLengths = this.#lengths;
    this.#lengths = lengths;
    return lengths[0]!;
  }

  write(links: readonly AggregationLink[], out: Uint8Array, offset: number): number {
    const previous = this.#out === out ? this.#written : [];
    const shared = sharedTail(links, previous);
    const fresh = links.length - shared;
    const ends = this.#spareEnds;
    ends.length = links.length;
    let at = offset;
    for (let k = 0; k < fresh; k++) {
      at = writeLink(links[k]!, out, at);
      ends[k] = at;
    }
    if (shared > 0) {
      const first = previous.length - shared;
      const from = first === 0 ? this.#start : this.#ends[first - 1]!;
      const to = this.#ends[previous.length - 1]!;
      out.copyWithin(at, from, to);
      for (let k = 0; k < shared; k++) ends[fresh + k] = this.#ends[first + k]! - from + at;
      at += to - from;
    }
    this.#out = out;
    this.#written = links;
    this.#start = offset;
    this.#spareEnds = this.#ends;
    this.#ends = ends;
    return at;
  }
}

/** `links` as a run of elements; with `memo`, sharing what it knows from the chains before. */
export function linksRun(links: readonly AggregationLink[], memo: LinkMemo = new LinkMemo()): TlvRun {
  return { length: memo.measure(links), write: (out, offset) => memo.write(links, out, offset) };
}
