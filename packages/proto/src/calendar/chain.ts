import { implementedHashAlgorithm } from "../hash/algorithms.ts";
import { type Hasher, nobleHasher } from "../hash/hasher.ts";
import { type Imprint, imprintAlgorithm } from "../hash/imprint.ts";
import { hashStep } from "../hash/step.ts";
import type { CalendarHashChain, CalendarLink } from "../signature/types.ts";
import { bytesEqual } from "../util/bytes.ts";

/** The calendar's level byte: constant, unlike aggregation levels. */
const CALENDAR_LEVEL = 0xff;

/**
 * The calendar step `H(left ‖ right ‖ 0xFF)`, H being the algorithm of the right (newer) child: that
 * is how the calendar moves to a new hash function without rehashing its past.
 */
export function calendarStepHash(left: Imprint, right: Imprint, hasher: Hasher = nobleHasher): Imprint {
  return hashStep(implementedHashAlgorithm(imprintAlgorithm(right)), left, right, CALENDAR_LEVEL, hasher);
}

function applyLink(hash: Imprint, link: CalendarLink, hasher: Hasher): Imprint {
  return link.direction === "left"
    ? calendarStepHash(hash, link.sibling, hasher)
    : calendarStepHash(link.sibling, hash, hasher);
}

/** The calendar root the chain reaches: the root at its publication time. */
export function calendarChainOutput(chain: CalendarHashChain, hasher: Hasher = nobleHasher): Imprint {
  let hash = chain.inputHash;
  for (const link of chain.links) hash = applyLink(hash, link, hasher);
  return hash;
}

/**
 * The calendar root at the chain's own leaf second (its aggregation time), for a chain whose shape
 * is valid. The right links' siblings are the perfect subtrees covering every earlier second, the
 * binary decomposition of the leaf's index; they do not depend on how far the chain reaches. The
 * calendar tree whose last leaf is this one consists of exactly those subtrees and the leaf, joined
 * in the same order, so folding only the right links gives its root.
 */
export function calendarRootAtAggregationTime(
  chain: CalendarHashChain,
  hasher: Hasher = nobleHasher,
): Imprint {
  let hash = chain.inputHash;
  for (const link of chain.links) if (link.direction === "right") hash = applyLink(hash, link, hasher);
  return hash;
}

/**
 * KSI rule CAL-04: two chains from the same second agree on every right link (the older calendar,
 * fixed forever); only left links, which cover seconds after the leaf, may differ.
 */
export function rightLinksMatch(a: CalendarHashChain, b: CalendarHashChain): boolean {
  const right = (chain: CalendarHashChain) => chain.links.filter((link) => link.direction === "right");
  const ra = right(a);
  const rb = right(b);
  return ra.length === rb.length && ra.every((link, i) => bytesEqual(link.sibling, rb[i]!.sibling));
}
