import type { Imprint } from "../hash/imprint.ts";
import type { CalendarNodeId } from "./shape.ts";

export interface CalendarNodeRecord extends CalendarNodeId {
  readonly imprint: Imprint;
}

/** Everything one append persists. It must be written atomically (one batch): all of it or none. */
export interface CalendarAppend {
  /** The appended second, the calendar's new head. */
  readonly head: number;
  /** The new leaf and the roots of the subtrees it completes, except those made of empty seconds only. */
  readonly records: readonly CalendarNodeRecord[];
}

/**
 * Where a calendar keeps its nodes (the node backs it with LevelDB; MemoryCalendarStore in memory).
 * `Extra` is what a caller hands `Calendar.append` to be written in the same atomic write (the node's
 * record of its round); stores that take nothing leave it `never`.
 *
 * Only nodes holding at least one non-empty leaf are stored; a complete node the store does not have
 * is one of empty seconds, whose root is a constant. That reading is sound only because appends are
 * written atomically: once the head covers a second, every stored node that second completes is there.
 */
export interface CalendarStore<Extra = never> {
  /** The head of the last append written, or undefined while nothing has been appended. */
  readHead(): Promise<number | undefined>;
  /** The stored imprint of each node, in order; undefined where nothing is stored. */
  readNodes(nodes: readonly CalendarNodeId[]): Promise<readonly (Imprint | undefined)[]>;
  writeAppend(append: CalendarAppend, extra: Extra | undefined): Promise<void>;
}
