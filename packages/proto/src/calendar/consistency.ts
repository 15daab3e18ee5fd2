import { type Hasher, nobleHasher } from "../hash/hasher.ts";
import type { CalendarHashChain, PublicationData } from "../signature/types.ts";
import { bytesEqual } from "../util/bytes.ts";
import { calendarChainOutput, calendarRootAtAggregationTime } from "./chain.ts";
import { calendarChainAggregationTime } from "./shape.ts";

export type CalendarConsistency =
  | "consistent"
  | "shape-mismatch"
  | "older-root-mismatch"
  | "newer-root-mismatch";

/**
 * Whether the calendar roots `older` (at T1) and `newer` (at T2 ≥ T1) belong to one append-only
 * calendar, given `proof` = the chain from leaf T1 to the root at T2 (Calendar.chain(T1, T2)).
 *
 * Construction: in the tree whose last leaf is T1, leaf T1's chain has right links only, one per
 * perfect subtree of the binary decomposition of T1, and the root at T1 is those subtrees joined over
 * the leaf. In any later tree the same subtrees are still whole subtrees on T1's path, so they are the
 * right links of every chain from T1; the later tree only adds left links (seconds after T1). Hence
 * the proof's right links folded over its input must give the root at T1, and all its links the root
 * at T2: both roots then commit to the same leaves 0..T1, which is what append-only means. This is
 * also why extending a signature keeps its right links (KSI rule CAL-04).
 */
export function checkCalendarConsistency(
  proof: CalendarHashChain,
  older: PublicationData,
  newer: PublicationData,
  hasher: Hasher = nobleHasher,
): CalendarConsistency {
  if (
    proof.aggregationTime !== older.publicationTime ||
    proof.publicationTime !== newer.publicationTime ||
    calendarChainAggregationTime(proof.links, proof.publicationTime) !== proof.aggregationTime
  ) {
    return "shape-mismatch";
  }
  if (!bytesEqual(calendarRootAtAggregationTime(proof, hasher), older.publishedHash))
    return "older-root-mismatch";
  if (!bytesEqual(calendarChainOutput(proof, hasher), newer.publishedHash)) return "newer-root-mismatch";
  return "consistent";
}
