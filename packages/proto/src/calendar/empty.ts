import { HashAlgorithm } from "../hash/algorithms.ts";
import { nobleHasher } from "../hash/hasher.ts";
import { hashImprint, type Imprint } from "../hash/imprint.ts";
import { calendarStepHash } from "./chain.ts";
import { CalendarError } from "./errors.ts";

/**
 * The leaf of every second that has no calendar entry: the seconds before the cluster's genesis and
 * rounds nobody contributed to. One well-formed SHA-256 imprint of a fixed, Tempel-specific string:
 * - a constant makes every perfect subtree of such seconds a known value per height, so the ~2^31
 *   seconds before genesis, and any outage, cost no storage and no hashing;
 * - being a plain hash of a label, not an aggregation or calendar step output, no aggregation chain
 *   can end in it short of a preimage, so no document can be shown to be signed in an empty second;
 * - it is an ordinary imprint, so any KSI verifier can hash over it.
 */
const EMPTY_LEAF_LABEL = "Tempel calendar: no entry in this second (v1)";

const EMPTY_LEAF = hashImprint(
  HashAlgorithm.SHA2_256,
  new TextEncoder().encode(EMPTY_LEAF_LABEL),
  nobleHasher,
);

/** The highest node a calendar of safe-integer seconds has. */
const MAX_HEIGHT = 53;

const emptyRoots: Imprint[] = [EMPTY_LEAF];

/** A copy of the empty-second leaf, e.g. for a calendar entry without contributions. */
export function emptyCalendarLeaf(): Imprint {
  return EMPTY_LEAF.slice();
}

/**
 * The root of a perfect subtree of 2^height empty seconds (a fresh copy). Computed once per height
 * with noble: the values are constants, whatever hasher the caller injects elsewhere.
 */
export function emptySubtreeRoot(height: number): Imprint {
  if (!Number.isInteger(height) || height < 0 || height > MAX_HEIGHT) {
    throw new CalendarError("CALENDAR_HEIGHT_RANGE", `no calendar height ${height}`, { height });
  }
  while (emptyRoots.length <= height) {
    const below = emptyRoots.at(-1)!;
    emptyRoots.push(calendarStepHash(below, below, nobleHasher));
  }
  return emptyRoots[height]!.slice();
}
