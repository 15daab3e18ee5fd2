import { writeTlv, writeTlvHeader } from "../tlv/codec.ts";
import type { TlvRun } from "../tlv/composite.ts";
import { encodedLength, headerForm, headerLength, type TlvHeader } from "../tlv/element.ts";
import { uintTlv } from "../tlv/values.ts";
import { AggregationChainTag, LinkTag } from "./tags.ts";
import type { AggregationLink, LinkSibling } from "./types.ts";

/**
 * Aggregation links written straight from their fields, without an element object per link and per
 * sibling: a signature carries a score of them, and building those objects cost more than writing
 * the bytes. The result is what encoding each link as nested elements would give.
 */

/** Flagless headers of the element types links are made of, TLV8 and TLV16 form: built once. */
const HEADERS: (readonly TlvHeader[])[] = [];
for (const type of [
  LinkTag.LEVEL_CORRECTION,
  LinkTag.SIBLING_HASH,
  LinkTag.LEGACY_ID,
  LinkTag.METADATA,
  AggregationChainTag.LEFT_LINK,
  AggregationChainTag.RIGHT_LINK,
]) {
  HEADERS[type] = [false, true].map((tlv16) => ({ type, nonCritical: false, forward: false, tlv16 }));
}

function header(type: number, valueLength: number): TlvHeader {
  return HEADERS[type]![headerForm(type, valueLength) ? 1 : 0]!;
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
    link.levelCorrection === 0 ? 0 : encodedLength(uintTlv(LinkTag.LEVEL_CORRECTION, link.levelCorrection));
  const sibling = siblingValue(link.sibling).length;
  return correction + headerLength(header(siblingType(link.sibling), sibling)) + sibling;
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
    at = writeTlv(uintTlv(LinkTag.LEVEL_CORRECTION, link.levelCorrection), out, at);
  }
  const value = siblingValue(link.sibling);
  at = writeTlvHeader(header(siblingType(link.sibling), value.length), value.length, out, at);
  out.set(value, at);
  return at + value.length;
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

  measure(links: readonly AggregationLink[]): number {
    const shared = sharedTail(links, this.#measured);
    const lengths = new Array<number>(links.length + 1);
    lengths[links.length] = 0;
    if (shared > 0) {
      const first = this.#measured.length - shared;
      for (let k = 0; k < shared; k++) lengths[links.length - shared + k] = this.#lengths[first + k]!;
    }
    for (let k = links.length - shared - 1; k >= 0; k--) lengths[k] = linkLength(links[k]!) + lengths[k + 1]!;
    this.#measured = links;
    this.#lengths = lengths;
    return lengths[0]!;
  }

  write(links: readonly AggregationLink[], out: Uint8Array, offset: number): number {
    const previous = this.#out === out ? this.#written : [];
    const shared = sharedTail(links, previous);
    const fresh = links.length - shared;
    const ends = new Array<number>(links.length);
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
    this.#ends = ends;
    return at;
  }
}

/** `links` as a run of elements; with `memo`, sharing what it knows from the chains before. */
export function linksRun(links: readonly AggregationLink[], memo: LinkMemo = new LinkMemo()): TlvRun {
  return { length: memo.measure(links), write: (out, offset) => memo.write(links, out, offset) };
}
