import type { Imprint } from "../hash/imprint.ts";
import type { CalendarNodeId } from "./shape.ts";
import type { CalendarAppend, CalendarStore } from "./store.ts";

/**
 * A CalendarStore in memory, for tests, simulations and browsers. It copies what it is given, so the
 * caller's buffers may be reused.
 */
export class MemoryCalendarStore implements CalendarStore {
  #head: number | undefined;
  /** One map per height, keyed by node index. */
  readonly #nodes: Map<number, Imprint>[] = [];

  async readHead(): Promise<number | undefined> {
    return this.#head;
  }

  async readNodes(nodes: readonly CalendarNodeId[]): Promise<readonly (Imprint | undefined)[]> {
    return nodes.map((node) => this.#nodes[node.height]?.get(node.index)?.slice());
  }

  async writeAppend(append: CalendarAppend): Promise<void> {
    for (const record of append.records) {
      let byIndex = this.#nodes[record.height];
      if (byIndex === undefined) {
        byIndex = new Map();
        this.#nodes[record.height] = byIndex;
      }
      byIndex.set(record.index, record.imprint.slice());
    }
    this.#head = append.head;
  }
}
