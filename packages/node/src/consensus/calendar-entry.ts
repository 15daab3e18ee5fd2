import { AggregationTree, bytesEqual, emptyCalendarLeaf, type Imprint } from "@tempel/proto";
import type { CalendarEntry, Contribution } from "./types.ts";

/**
 * Calendar entry `time` over `contributions` (any order): they are sorted by node id and the leaf is
 * the root of the top tree over their roots at their levels — or the empty leaf when there are none.
 */
export function buildCalendarEntry(
  time: number,
  contributions: Iterable<Contribution>,
  algorithm: number,
): CalendarEntry {
  const sorted = [...contributions].sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
  return { time, contributions: sorted, leaf: topTreeRoot(sorted, algorithm) };
}

/**
 * The top tree over an entry's contributions (in the entry's order, so leaf i is contribution i): a
 * node's signatures run through it from its own round root to the calendar leaf.
 */
export function topTree(contributions: readonly Contribution[], algorithm: number): AggregationTree {
  return new AggregationTree(
    contributions.map((c) => ({ imprint: c.root, level: c.level })),
    { algorithm },
  );
}

/**
 * Why an entry from a peer cannot be an honest leader's, or undefined when it can: every contributor
 * is a member, and the leaf is what `buildCalendarEntry` gives for its contributions (their order and
 * distinctness are checked when the entry is decoded).
 */
export function calendarEntryFault(
  entry: CalendarEntry,
  isMember: (id: string) => boolean,
  algorithm: number,
): string | undefined {
  if (entry.contributions.some((c) => !isMember(c.nodeId))) return "entry_non_member";
  return bytesEqual(entry.leaf, topTreeRoot(entry.contributions, algorithm))
    ? undefined
    : "entry_leaf_mismatch";
}

function topTreeRoot(sorted: readonly Contribution[], algorithm: number): Imprint {
  if (sorted.length === 0) return emptyCalendarLeaf();
  return topTree(sorted, algorithm).root;
}
