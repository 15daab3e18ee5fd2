import type { CalendarAppend, CalendarNodeId, CalendarStore, Imprint } from "@tempel/proto";
import { isImprintShaped, toHex } from "@tempel/proto";
import { Bucket } from "./buckets.ts";
import { type NodeDb, plainView } from "./db.ts";
import { StoreError } from "./errors.ts";
import { nameKey, numberKey, numberKeyWithByte } from "./keys.ts";
import type { StoreMetrics } from "./metrics.ts";

/** A write that must land in the same batch as a calendar append (e.g. the round's record). */
export type BatchPut = { readonly key: Uint8Array; readonly value: Uint8Array };

const HEAD_KEY = nameKey(Bucket.meta, "calendarHead");

/** Node (height, index) → its key: leaves by second, higher nodes by last second covered and height. */
export function calendarNodeKey(node: CalendarNodeId): Uint8Array {
  if (node.height === 0) return numberKey(Bucket.calendarLeaf, node.index);
  return numberKeyWithByte(Bucket.calendarNode, (node.index + 1) * 2 ** node.height - 1, node.height);
}

/**
 * proto's CalendarStore on the node's LevelDB. Each append is one synced batch: the leaf, the subtree
 * roots it completes, the new head and the puts handed to that append (the round's record), so a
 * crash at any moment leaves either all of it or none.
 */
export class LevelCalendarStore implements CalendarStore<readonly BatchPut[]> {
  readonly #db: NodeDb;
  readonly #metrics: StoreMetrics;

  constructor(db: NodeDb, metrics: StoreMetrics) {
    this.#db = db;
    this.#metrics = metrics;
  }

  async readHead(): Promise<number | undefined> {
    const value = await this.#db.get(HEAD_KEY);
    if (value === undefined) return undefined;
    if (value.length !== 8)
      throw new StoreError("STORE_CORRUPT", `the calendar head record has ${value.length} bytes, not 8`);
    return Number(new DataView(value.buffer, value.byteOffset, 8).getBigUint64(0));
  }

  /** Stored values as they are, for the store check to judge. */
  async readRaw(nodes: readonly CalendarNodeId[]): Promise<(Uint8Array | undefined)[]> {
    const values = await this.#db.getMany(nodes.map(calendarNodeKey));
    return values.map((value) => (value === undefined ? undefined : plainView(value)));
  }

  async readNodes(nodes: readonly CalendarNodeId[]): Promise<readonly (Imprint | undefined)[]> {
    const values = await this.readRaw(nodes);
    values.forEach((value, i) => {
      if (value !== undefined && !isImprintShaped(value)) {
        const node = nodes[i]!;
        throw new StoreError(
          "STORE_CORRUPT",
          `calendar node (height ${node.height}, index ${node.index}) holds ${toHex(value.subarray(0, 8))}…, not an imprint`,
        );
      }
    });
    return values;
  }

  async writeAppend(append: CalendarAppend, extra: readonly BatchPut[] | undefined): Promise<void> {
    const head = new Uint8Array(8);
    new DataView(head.buffer).setBigUint64(0, BigInt(append.head));
    const ops = append.records.map((record) => ({
      type: "put" as const,
      key: calendarNodeKey(record),
      value: record.imprint,
    }));
    ops.push({ type: "put", key: HEAD_KEY, value: head });
    for (const put of extra ?? []) ops.push({ type: "put", ...put });
    const stopTimer = this.#metrics.leveldbWriteDuration.startTimer();
    try {
      await this.#db.batch(ops, { sync: true });
    } finally {
      stopTimer();
    }
  }
}
