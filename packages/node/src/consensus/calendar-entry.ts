import {
  AggregationTree,
  bytesEqual,
  emptyCalendarLeaf,
  type Hasher,
  type Imprint,
  nobleHasher,
} from "@tempel/proto";
import type { MemberKeys } from "./member-keys.ts";
import { contributionStatement } from "./statements.ts";
import type { Contribution, SignedCalendarEntry, SignedContribution } from "./types.ts";

/**
 * Calendar entry `time` over `contributions` (any order): they are sorted by node id and the leaf is
 * the root of the top tree over their roots at their levels — or the empty leaf when there are none.
 */
export function buildCalendarEntry(
  time: number,
  contributions: Iterable<SignedContribution>,
  algorithm: number,
  hasher: Hasher = nobleHasher,
): SignedCalendarEntry {
  const sorted = [...contributions].sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
  return { time, contributions: sorted, leaf: topTreeRoot(sorted, algorithm, hasher) };
}

/**
 * The top tree over an entry's contributions (in the entry's order, so leaf i is contribution i): a
 * node's signatures run through it from its own round root to the calendar leaf.
 */
export function topTree(
  contributions: readonly Contribution[],
  algorithm: number,
  hasher: Hasher = nobleHasher,
): AggregationTree {
  return new AggregationTree(
    contributions.map((c) => ({ imprint: c.root, level: c.level })),
    { algorithm, hasher },
  );
}

/**
 * Why an entry from a peer cannot be an honest leader's, or undefined when it can: every contributor
 * is a member that signed its contribution, and the leaf is what `buildCalendarEntry` gives for
 * them (their order and distinctness are checked when the entry is decoded).
 */
export function calendarEntryFault(
  entry: SignedCalendarEntry,
  keys: MemberKeys,
  algorithm: number,
  hasher: Hasher = nobleHasher,
): string | undefined {
  if (entry.contributions.some((c) => !keys.has(c.nodeId))) return "entry_non_member";
  if (!bytesEqual(entry.leaf, topTreeRoot(entry.contributions, algorithm, hasher)))
    return "entry_leaf_mismatch";
  for (const c of entry.contributions) {
    if (!contributionSigned(c, keys)) return "entry_contribution_signature";
  }
  return undefined;
}

/** Whether `c` carries its member's signature. */
export function contributionSigned(c: SignedContribution, keys: MemberKeys): boolean {
  return keys.verify(c.nodeId, contributionStatement(c), c.signature);
}

function topTreeRoot(sorted: readonly Contribution[], algorithm: number, hasher: Hasher): Imprint {
  if (sorted.length === 0) return emptyCalendarLeaf();
  return topTree(sorted, algorithm, hasher).root;
}
