import type { LinkDirection } from "../signature/types.ts";
import { CalendarError } from "./errors.ts";

const TWO_32 = 2 ** 32;

/**
 * The largest power of two ≤ n (0 for 0). Arithmetic rather than bit operators: Unix seconds and
 * calendar indices pass 2^31, where JavaScript's bit operators wrap.
 */
export function highBit(n: number): number {
  checkSecond(n, "highBit argument");
  if (n >= TWO_32) return highBit(Math.floor(n / TWO_32)) * TWO_32;
  return n === 0 ? 0 : 2 ** (31 - Math.clz32(n));
}

/** log2 of a power of two up to 2^53. */
export function exactLog2(powerOfTwo: number): number {
  return powerOfTwo >= TWO_32 ? 32 + exactLog2(powerOfTwo / TWO_32) : 31 - Math.clz32(powerOfTwo);
}

/** Throws unless `n` is a whole second (or leaf count) a calendar can hold. */
export function checkSecond(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new CalendarError("CALENDAR_TIME_RANGE", `${what} ${n} is not a second since 1970`, { value: n });
  }
  return n;
}

/**
 * The leaf second a calendar chain starts from, read off its shape in the calendar tree whose last
 * leaf is `publicationTime` (KSI rule INT-05). Undefined when the links do not describe a path from
 * that tree's root to a single leaf.
 */
export function calendarChainAggregationTime(
  links: readonly { readonly direction: LinkDirection }[],
  publicationTime: number,
): number | undefined {
  if (!Number.isSafeInteger(publicationTime) || publicationTime < 0) return undefined;
  // Walk root → leaf; `remaining` is the last leaf's offset inside the current subtree.
  let remaining = publicationTime;
  let time = 0;
  for (let i = links.length - 1; i >= 0; i--) {
    if (remaining <= 0) return undefined;
    const left = highBit(remaining);
    if (links[i]!.direction === "left") {
      remaining = left - 1;
    } else {
      time += left;
      remaining -= left;
    }
  }
  return remaining === 0 ? time : undefined;
}

/** Calendar node (height, index): the root of the perfect subtree over leaves [index·2^height, (index+1)·2^height). */
export interface CalendarNodeId {
  readonly height: number;
  readonly index: number;
}

/**
 * The perfect subtrees, largest first, whose roots folded right to left give the canonical root of
 * leaves [start, start + count). `start` must be a multiple of highBit(count), which holds for every
 * subtree of the canonical calendar tree.
 */
export function rangeBlocks(start: number, count: number): CalendarNodeId[] {
  const blocks: CalendarNodeId[] = [];
  let offset = start;
  for (let left = count; left > 0; ) {
    const size = highBit(left);
    blocks.push({ height: exactLog2(size), index: offset / size });
    offset += size;
    left -= size;
  }
  return blocks;
}

/** The last second a node covers: its subtree is complete once the calendar head reaches it. */
export function calendarNodeLastSecond(node: CalendarNodeId): number {
  return (node.index + 1) * 2 ** node.height - 1;
}
