import { aggregationChainOutput, siblingBytes } from "../aggregation/index.ts";
import { calendarChainOutput } from "../calendar/index.ts";
import type { Hasher } from "../hash/hasher.ts";
import type { Imprint } from "../hash/imprint.ts";
import type { AggregationHashChain, CalendarHashChain, LinkDirection } from "../signature/types.ts";
import type { ChainOutput } from "./context.ts";

/**
 * Whole chains that a batch of signatures repeats: every signature of a round carries the same
 * calendar chain and the same top-tree chain (one per node), 29 of a cluster signature's ~45 hash
 * steps. Their outputs are kept for the last few distinct chains and found again by comparing the
 * chain's contents (operands, directions, level corrections, algorithm, input level, hasher), so a
 * hit is exactly the output recomputing would give, for about the cost of reading the chain once.
 * Chains that differ per signature (a leaf's own) fail the comparison at their input hash.
 */

/** Distinct chains remembered per kind: a few rounds' and nodes' worth. */
const ENTRIES = 8;

interface Entry<Output> {
  readonly hasher: Hasher;
  readonly inputLevel: number;
  readonly algorithm: number;
  readonly input: Uint8Array;
  readonly directions: readonly LinkDirection[];
  readonly corrections: readonly number[];
  readonly siblings: readonly Uint8Array[];
  readonly output: Output;
}

interface LinkLike {
  readonly direction: LinkDirection;
  readonly levelCorrection: number;
  readonly sibling: Uint8Array;
}

class Memo<Output> {
  readonly #entries: Entry<Output>[] = [];
  #next = 0;

  find(
    hasher: Hasher,
    inputLevel: number,
    algorithm: number,
    input: Uint8Array,
    links: readonly LinkLike[],
  ): Output | undefined {
    for (const entry of this.#entries) {
      if (
        entry.hasher === hasher &&
        entry.inputLevel === inputLevel &&
        entry.algorithm === algorithm &&
        entry.siblings.length === links.length &&
        sameBytes(entry.input, input) &&
        sameLinks(entry, links)
      ) {
        return entry.output;
      }
    }
    return undefined;
  }

  keep(
    hasher: Hasher,
    inputLevel: number,
    algorithm: number,
    input: Uint8Array,
    links: readonly LinkLike[],
    output: Output,
  ): void {
    // Copies: the caller's buffers may be reused once its verification is over.
    this.#entries[this.#next] = {
      hasher,
      inputLevel,
      algorithm,
      input: input.slice(),
      directions: links.map((link) => link.direction),
      corrections: links.map((link) => link.levelCorrection),
      siblings: links.map((link) => link.sibling.slice()),
      output,
    };
    this.#next = (this.#next + 1) % ENTRIES;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameLinks(entry: Entry<unknown>, links: readonly LinkLike[]): boolean {
  for (let i = 0; i < links.length; i++) {
    const link = links[i]!;
    if (
      entry.directions[i] !== link.direction ||
      entry.corrections[i] !== link.levelCorrection ||
      !sameBytes(entry.siblings[i]!, link.sibling)
    ) {
      return false;
    }
  }
  return true;
}

const aggregationMemo = new Memo<ChainOutput>();
const calendarMemo = new Memo<Imprint>();

function aggregationLinks(chain: AggregationHashChain): LinkLike[] {
  return chain.links.map((link) => ({
    direction: link.direction,
    levelCorrection: link.levelCorrection,
    sibling: siblingBytes(link.sibling),
  }));
}

/** aggregationChainOutput, from the memo when a recent signature had the same chain. */
export function memoizedAggregationOutput(
  chain: AggregationHashChain,
  inputLevel: number,
  hasher: Hasher,
): ChainOutput {
  const links = aggregationLinks(chain);
  const { aggregationAlgorithm: algorithm, inputHash } = chain;
  const found = aggregationMemo.find(hasher, inputLevel, algorithm, inputHash, links);
  if (found !== undefined) return found;
  const output = aggregationChainOutput(chain, inputLevel, hasher);
  aggregationMemo.keep(hasher, inputLevel, algorithm, inputHash, links, output);
  return output;
}

function calendarLinks(chain: CalendarHashChain): LinkLike[] {
  return chain.links.map((link) => ({
    direction: link.direction,
    levelCorrection: 0,
    sibling: link.sibling,
  }));
}

/** calendarChainOutput, from the memo when a recent signature had the same chain. */
export function memoizedCalendarOutput(chain: CalendarHashChain, hasher: Hasher): Imprint {
  const links = calendarLinks(chain);
  // A calendar chain has no input level and no single algorithm (each step takes its sibling's): 0.
  const found = calendarMemo.find(hasher, 0, 0, chain.inputHash, links);
  if (found !== undefined) return found;
  const output = calendarChainOutput(chain, hasher);
  calendarMemo.keep(hasher, 0, 0, chain.inputHash, links, output);
  return output;
}
