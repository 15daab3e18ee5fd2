import { type Hasher, nobleHasher } from "../hash/hasher.ts";
import { checkImprint, type Imprint } from "../hash/imprint.ts";
import type { CalendarHashChain, CalendarLink } from "../signature/types.ts";
import { bytesEqual } from "../util/bytes.ts";
import { calendarStepHash } from "./chain.ts";
import { emptySubtreeRoot } from "./empty.ts";
import { CalendarError } from "./errors.ts";
import { type CalendarNodeId, calendarNodeLastSecond, checkSecond, highBit, rangeBlocks } from "./shape.ts";
import type { CalendarAppend, CalendarNodeRecord, CalendarStore } from "./store.ts";

export interface CalendarOptions {
  /** The cluster's first second; every earlier second holds the empty leaf. */
  readonly genesisTime: number;
  readonly hasher?: Hasher;
}

/**
 * The calendar: one leaf per second since 1970 (leaf index = Unix time) in the KSI canonical tree,
 * whose root at second T covers leaves 0..T. Seconds before genesis and seconds appended as (or
 * skipped over as) empty hold the empty leaf (see empty.ts). Every read touches O(log T) nodes.
 *
 * Appends are serialised; the head moves only once the store has written an append, so a read
 * for any second up to the head finds every node it needs.
 */
export class Calendar<Extra = never> {
  readonly genesisTime: number;
  readonly #store: CalendarStore<Extra>;
  readonly #hasher: Hasher;
  #head: number;
  #appendTail: Promise<unknown> = Promise.resolve();

  private constructor(store: CalendarStore<Extra>, options: CalendarOptions, head: number) {
    this.genesisTime = options.genesisTime;
    this.#store = store;
    this.#hasher = options.hasher ?? nobleHasher;
    this.#head = head;
  }

  static async open<Extra = never>(
    store: CalendarStore<Extra>,
    options: CalendarOptions,
  ): Promise<Calendar<Extra>> {
    const genesis = checkSecond(options.genesisTime, "genesis time");
    const head = await store.readHead();
    if (head !== undefined && (!Number.isSafeInteger(head) || head < genesis)) {
      throw new CalendarError("CALENDAR_HEAD_INVALID", `stored head ${head} is before genesis ${genesis}`, {
        head,
      });
    }
    return new Calendar<Extra>(store, options, head ?? genesis - 1);
  }

  /** The last second whose leaf is final; genesisTime − 1 before the first append. */
  get head(): number {
    return this.#head;
  }

  /**
   * Make `leaf` the entry of second `time` (> head); the seconds between the head and `time` become
   * empty. Writes the returned records and the new head through the store as one append; the node
   * persists exactly these in one batch, with `extra` when given. Pass emptyCalendarLeaf() for a
   * second without an entry.
   */
  append(time: number, leaf: Imprint, extra?: Extra): Promise<CalendarAppend> {
    const result = this.#appendTail.then(() => this.#append(time, leaf, extra));
    this.#appendTail = result.catch(() => undefined);
    return result;
  }

  async #append(time: number, leaf: Imprint, extra: Extra | undefined): Promise<CalendarAppend> {
    checkSecond(time, "append time");
    checkImprint(leaf, "calendar leaf");
    const previous = this.#head;
    if (time <= previous) {
      throw new CalendarError("CALENDAR_APPEND_ORDER", `second ${time} is not after the head ${previous}`, {
        time,
        head: previous,
      });
    }
    // The nodes completed by this append: those ending in (previous, time]. Ones lying wholly in the
    // skipped seconds are empty; the others contain the old head's last leaf or the new leaf, so they
    // are ancestors of one of the two. Heights ascend, so children are ready before parents.
    const computed = new Map<string, Imprint>();
    const records: CalendarNodeRecord[] = [];
    const keep = (node: CalendarNodeId, imprint: Imprint) => {
      computed.set(nodeKey(node), imprint);
      if (!bytesEqual(imprint, emptySubtreeRoot(node.height))) records.push({ ...node, imprint });
    };
    const nodeValue = async (node: CalendarNodeId): Promise<Imprint> => {
      const done = computed.get(nodeKey(node));
      if (done !== undefined) return done;
      if (calendarNodeLastSecond(node) > previous) return emptySubtreeRoot(node.height);
      return (await this.#readNodes([node]))[0]!;
    };
    keep({ height: 0, index: time }, leaf);
    for (let height = 1, size = 2; size <= time + 1; height++, size *= 2) {
      const candidates = new Set([Math.floor(time / size)]);
      if (previous >= 0) candidates.add(Math.floor(previous / size));
      for (const index of candidates) {
        const node = { height, index };
        const last = calendarNodeLastSecond(node);
        if (last <= previous || last > time) continue;
        const left = await nodeValue({ height: height - 1, index: 2 * index });
        const right = await nodeValue({ height: height - 1, index: 2 * index + 1 });
        keep(node, calendarStepHash(left, right, this.#hasher));
      }
    }
    const append: CalendarAppend = { head: time, records };
    await this.#store.writeAppend(append, extra);
    this.#head = time;
    return append;
  }

  /** The leaf of second `time` ≤ head. */
  async leaf(time: number): Promise<Imprint> {
    this.#checkReadable(time, "leaf time");
    return (await this.#readNodes([{ height: 0, index: time }]))[0]!;
  }

  /** The calendar root at second `time` ≤ head: the root over leaves 0..time. */
  async rootAt(time: number): Promise<Imprint> {
    this.#checkReadable(time, "root time");
    const blocks = rangeBlocks(0, time + 1);
    return this.#foldBlocks(await this.#readNodes(blocks));
  }

  /**
   * The calendar hash chain from leaf `time` to the root at `rootTime` (time ≤ rootTime ≤ head).
   * Its left links' siblings are roots of later seconds, its right links' the perfect subtrees of
   * all earlier ones. The same call makes the proof that the roots at two seconds are consistent
   * (see checkCalendarConsistency).
   */
  async chain(time: number, rootTime: number): Promise<CalendarHashChain> {
    this.#checkReadable(rootTime, "root time");
    checkSecond(time, "chain time");
    if (time > rootTime) {
      throw new CalendarError("CALENDAR_TIME_RANGE", `second ${time} is after the root second ${rootTime}`, {
        time,
        rootTime,
      });
    }
    // Walk from the root as the shape rule (calendarChainAggregationTime) reads it, in reverse.
    const steps: { direction: CalendarLink["direction"]; blocks: CalendarNodeId[] }[] = [];
    let start = 0;
    let remaining = rootTime;
    while (remaining > 0) {
      const left = highBit(remaining);
      if (time - start < left) {
        steps.push({ direction: "left", blocks: rangeBlocks(start + left, remaining - left + 1) });
        remaining = left - 1;
      } else {
        steps.push({ direction: "right", blocks: rangeBlocks(start, left) });
        start += left;
        remaining -= left;
      }
    }
    // The sibling ranges of successive left links shrink geometrically, so all blocks together are
    // O(log rootTime) nodes, read in one go.
    const wanted: CalendarNodeId[] = [{ height: 0, index: time }];
    for (const step of steps) wanted.push(...step.blocks);
    const values = await this.#readNodes(wanted);
    let next = 1;
    const links: CalendarLink[] = steps.map((step) => {
      const blockValues = values.slice(next, next + step.blocks.length);
      next += step.blocks.length;
      return { direction: step.direction, sibling: this.#foldBlocks(blockValues) };
    });
    return {
      publicationTime: rootTime,
      aggregationTime: time,
      aggregationTimePresent: true,
      inputHash: values[0]!,
      links: links.reverse(),
    };
  }

  /** Node values, with the constant root wherever the store holds nothing (never read before genesis). */
  async #readNodes(nodes: readonly CalendarNodeId[]): Promise<Imprint[]> {
    const stored = nodes.filter((node) => calendarNodeLastSecond(node) >= this.genesisTime);
    const values = stored.length === 0 ? [] : await this.#store.readNodes(stored);
    if (values.length !== stored.length) {
      throw new CalendarError(
        "CALENDAR_STORE_INVALID",
        `asked the store for ${stored.length} nodes, got ${values.length}`,
      );
    }
    let next = 0;
    return nodes.map((node) => {
      const value = calendarNodeLastSecond(node) >= this.genesisTime ? values[next++] : undefined;
      return value ?? emptySubtreeRoot(node.height);
    });
  }

  /** The canonical root over adjacent perfect subtrees given largest first: joined right to left. */
  #foldBlocks(blocks: readonly Imprint[]): Imprint {
    let root = blocks.at(-1)!;
    for (let i = blocks.length - 2; i >= 0; i--) root = calendarStepHash(blocks[i]!, root, this.#hasher);
    return root;
  }

  #checkReadable(time: number, what: string): void {
    checkSecond(time, what);
    if (time > this.#head) {
      throw new CalendarError(
        "CALENDAR_TIME_RANGE",
        `${what} ${time} is after the calendar head ${this.#head}`,
        {
          time,
          head: this.#head,
        },
      );
    }
  }
}

function nodeKey(node: CalendarNodeId): string {
  return `${node.height}/${node.index}`;
}
