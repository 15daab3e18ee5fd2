import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  Calendar,
  type CalendarAppend,
  type CalendarNodeId,
  type CalendarStore,
  calendarChainAggregationTime,
  calendarChainOutput,
  checkCalendarConsistency,
  emptyCalendarLeaf,
  emptySubtreeRoot,
  HashAlgorithm,
  HashAlgorithmError,
  highBit,
  type Imprint,
  MemoryCalendarStore,
  makeImprint,
  toHex,
} from "../../src/index.ts";

function sha256Imprint(...parts: Uint8Array[]): Imprint {
  const h = createHash("sha256");
  for (const part of parts) h.update(part);
  return makeImprint(HashAlgorithm.SHA2_256, h.digest());
}

const EMPTY = sha256Imprint(new TextEncoder().encode("Tempel calendar: no entry in this second (v1)"));

function leafFor(time: number): Imprint {
  return sha256Imprint(new TextEncoder().encode(`round ${time}`));
}

/** The canonical calendar root over `leaves`, the direct recursive way (left = highBit(last index) leaves). */
function referenceRoot(leaves: readonly Imprint[]): Imprint {
  if (leaves.length === 1) return leaves[0]!;
  const split = highBit(leaves.length - 1);
  return sha256Imprint(
    referenceRoot(leaves.slice(0, split)),
    referenceRoot(leaves.slice(split)),
    Uint8Array.of(0xff),
  );
}

/** Every leaf 0..head as the calendar should hold it. */
function referenceLeaves(entries: ReadonlyMap<number, Imprint>, head: number): Imprint[] {
  return Array.from({ length: head + 1 }, (_, t) => entries.get(t) ?? EMPTY);
}

/** A store that counts the nodes read through it. */
class CountingStore implements CalendarStore {
  readonly inner = new MemoryCalendarStore();
  nodesRead = 0;
  readHead() {
    return this.inner.readHead();
  }
  readNodes(nodes: readonly CalendarNodeId[]) {
    this.nodesRead += nodes.length;
    return this.inner.readNodes(nodes);
  }
  writeAppend(append: CalendarAppend) {
    return this.inner.writeAppend(append);
  }
}

/** Append `times` (ascending), every third one as an empty second; returns the non-empty entries and the appends. */
async function appendAll(calendar: Calendar, times: readonly number[]) {
  const entries = new Map<number, Imprint>();
  const appends: { previous: number; append: CalendarAppend }[] = [];
  for (const [i, time] of times.entries()) {
    const leaf = i % 3 === 2 ? emptyCalendarLeaf() : leafFor(time);
    if (i % 3 !== 2) entries.set(time, leaf);
    const previous = calendar.head;
    appends.push({ previous, append: await calendar.append(time, leaf) });
  }
  return { entries, appends };
}

const ascendingTimes = (genesis: number, maxGap: number, maxCount: number) =>
  fc.array(fc.integer({ min: 1, max: maxGap }), { minLength: 1, maxLength: maxCount }).map((gaps) => {
    let time = genesis - 1;
    return gaps.map((gap) => (time += gap));
  });

describe("the empty-second leaf", () => {
  it("is the SHA-256 imprint of Tempel's fixed label, and never changes", () => {
    expect(emptyCalendarLeaf()).toEqual(EMPTY);
    expect(toHex(emptyCalendarLeaf())).toBe(
      "0104148847bde335492e6a535a2f0ee1a6bcbe3eeb5eeb880e231851fb0d879c68",
    );
  });

  it("makes every perfect subtree of empty seconds a per-height constant", () => {
    let root = EMPTY;
    for (let height = 0; height <= 53; height++) {
      expect(emptySubtreeRoot(height)).toEqual(root);
      root = sha256Imprint(root, root, Uint8Array.of(0xff));
    }
    expect(() => emptySubtreeRoot(54)).toThrow(expect.objectContaining({ code: "CALENDAR_HEIGHT_RANGE" }));
  });

  it("is handed out as copies that callers may modify", () => {
    emptyCalendarLeaf().fill(0);
    emptySubtreeRoot(3).fill(0);
    expect(emptyCalendarLeaf()).toEqual(EMPTY);
    expect(emptySubtreeRoot(3)).toEqual(
      sha256Imprint(emptySubtreeRoot(2), emptySubtreeRoot(2), Uint8Array.of(0xff)),
    );
  });
});

describe("Calendar", () => {
  it("gives the canonical root and a verifying chain for every second, empty and skipped ones included", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 40 }), fc.integer(), async (genesis, seed) => {
        const [times] = fc.sample(ascendingTimes(genesis, 9, 25), { numRuns: 1, seed });
        const calendar = await Calendar.open(new MemoryCalendarStore(), { genesisTime: genesis });
        const { entries } = await appendAll(calendar, times!);
        const leaves = referenceLeaves(entries, calendar.head);
        const roots = leaves.map((_, time) => referenceRoot(leaves.slice(0, time + 1)));
        for (let rootTime = 0; rootTime <= calendar.head; rootTime++) {
          expect(await calendar.rootAt(rootTime)).toEqual(roots[rootTime]);
          for (const time of [0, rootTime >> 1, rootTime - 1, rootTime].filter((x) => x >= 0)) {
            const chain = await calendar.chain(time, rootTime);
            expect(chain.inputHash).toEqual(leaves[time]);
            expect(await calendar.leaf(time)).toEqual(leaves[time]);
            expect(calendarChainOutput(chain)).toEqual(roots[rootTime]);
            expect(calendarChainAggregationTime(chain.links, rootTime)).toBe(time);
            expect(chain).toMatchObject({ aggregationTime: time, publicationTime: rootTime });
          }
        }
      }),
      { numRuns: 15 },
    );
  });

  it("returns exactly the completed subtrees that hold a non-empty leaf, with their roots, for the node to store", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 20 }), fc.integer(), async (genesis, seed) => {
        const [times] = fc.sample(ascendingTimes(genesis, 12, 20), { numRuns: 1, seed });
        const calendar = await Calendar.open(new MemoryCalendarStore(), { genesisTime: genesis });
        const { entries, appends } = await appendAll(calendar, times!);
        const leaves = referenceLeaves(entries, calendar.head);
        for (const { previous, append } of appends) {
          const expected: string[] = [];
          for (let height = 0; 2 ** height <= append.head + 1; height++) {
            const size = 2 ** height;
            for (let index = 0; (index + 1) * size - 1 <= append.head; index++) {
              const last = (index + 1) * size - 1;
              const covered = leaves.slice(index * size, last + 1);
              if (last > previous && covered.some((leaf) => toHex(leaf) !== toHex(EMPTY))) {
                expected.push(`${height}/${index}=${toHex(referenceRoot(covered))}`);
              }
            }
          }
          const actual = append.records.map((r) => `${r.height}/${r.index}=${toHex(r.imprint)}`);
          expect(actual.sort()).toEqual(expected.sort());
        }
      }),
      { numRuns: 30 },
    );
  });

  it("reads O(log T) nodes for a chain at today's Unix times, across a year without entries", async () => {
    const genesis = 1_700_000_000;
    const store = new CountingStore();
    const calendar = await Calendar.open(store, { genesisTime: genesis });
    const times = [
      genesis,
      genesis + 1,
      genesis + 2,
      genesis + 7,
      genesis + 365 * 86_400,
      genesis + 365 * 86_400 + 1,
    ];
    const { entries } = await appendAll(calendar, times);
    for (const [time, leaf] of entries) {
      for (const rootTime of [time, calendar.head]) {
        store.nodesRead = 0;
        const chain = await calendar.chain(time, rootTime);
        expect(store.nodesRead).toBeLessThanOrEqual(2 * Math.log2(rootTime) + 2);
        expect(chain.inputHash).toEqual(leaf);
        expect(calendarChainOutput(chain)).toEqual(await calendar.rootAt(rootTime));
        expect(calendarChainAggregationTime(chain.links, rootTime)).toBe(time);
      }
    }
    // The empty leaf's constant is never stored; the year of empty seconds is not either.
    const stored = (
      await Promise.all(times.map((t) => store.inner.readNodes([{ height: 0, index: t }])))
    ).flat();
    expect(stored.map((leaf) => leaf !== undefined)).toEqual([true, true, false, true, true, false]);
  });

  it("proves any two roots consistent with the chain between them, and notices a root that is not", async () => {
    const calendar = await Calendar.open(new MemoryCalendarStore(), { genesisTime: 1000 });
    await appendAll(calendar, [1000, 1001, 1003, 1004, 1030, 1031, 1090, 1400, 1401]);
    for (const [older, newer] of [
      [1000, 1401],
      [1003, 1004],
      [1030, 1030],
      [999, 1090],
      [1, 1031],
    ] as const) {
      const proof = await calendar.chain(older, newer);
      const olderRoot = { publicationTime: older, publishedHash: await calendar.rootAt(older) };
      const newerRoot = { publicationTime: newer, publishedHash: await calendar.rootAt(newer) };
      expect(checkCalendarConsistency(proof, olderRoot, newerRoot)).toBe("consistent");
      const forged = { ...olderRoot, publishedHash: leafFor(-1) };
      expect(checkCalendarConsistency(proof, forged, newerRoot)).toBe("older-root-mismatch");
      expect(checkCalendarConsistency(proof, olderRoot, { ...newerRoot, publishedHash: leafFor(-1) })).toBe(
        "newer-root-mismatch",
      );
      expect(checkCalendarConsistency(proof, { ...olderRoot, publicationTime: older + 1 }, newerRoot)).toBe(
        "shape-mismatch",
      );
    }
  });

  it("detects a history rewritten before the older root: the newer root no longer matches", async () => {
    const honest = await Calendar.open(new MemoryCalendarStore(), { genesisTime: 10 });
    await appendAll(honest, [10, 11, 12, 20, 21]);
    const rewritten = await Calendar.open(new MemoryCalendarStore(), { genesisTime: 10 });
    await rewritten.append(10, leafFor(999));
    await appendAll(
      rewritten,
      [11, 12, 20, 21].map((t) => t),
    );
    const proof = await rewritten.chain(12, 21);
    const older = { publicationTime: 12, publishedHash: await honest.rootAt(12) };
    const newer = { publicationTime: 21, publishedHash: await rewritten.rootAt(21) };
    expect(checkCalendarConsistency(proof, older, newer)).toBe("older-root-mismatch");
  });

  it("reopens over its store at the same head with the same roots", async () => {
    const store = new MemoryCalendarStore();
    const calendar = await Calendar.open(store, { genesisTime: 50 });
    await appendAll(calendar, [50, 51, 60, 64, 127, 128]);
    const reopened = await Calendar.open(store, { genesisTime: 50 });
    expect(reopened.head).toBe(128);
    for (const time of [0, 49, 50, 63, 100, 128]) {
      expect(await reopened.rootAt(time)).toEqual(await calendar.rootAt(time));
    }
  });

  it("refuses a store that answers a read with the wrong number of nodes", async () => {
    const store = new CountingStore();
    const calendar = await Calendar.open(store, { genesisTime: 0 });
    await calendar.append(3, leafFor(3));
    store.readNodes = async () => [];
    await expect(calendar.rootAt(3)).rejects.toThrow(
      expect.objectContaining({ code: "CALENDAR_STORE_INVALID" }),
    );
  });

  it("serialises appends started together, and one that fails does not block the next", async () => {
    const calendar = await Calendar.open(new MemoryCalendarStore(), { genesisTime: 0 });
    const results = await Promise.allSettled([
      calendar.append(0, leafFor(0)),
      calendar.append(0, leafFor(0)),
      calendar.append(1, leafFor(1)),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(calendar.head).toBe(1);
    expect(await calendar.rootAt(1)).toEqual(referenceRoot([leafFor(0), leafFor(1)]));
  });

  it("refuses appends out of order or before genesis, reads past the head, and bad input, changing nothing", async () => {
    const store = new MemoryCalendarStore();
    const calendar = await Calendar.open(store, { genesisTime: 100 });
    const code = async (f: () => Promise<unknown>) => {
      try {
        await f();
      } catch (error) {
        return (error as { code?: string }).code;
      }
      return undefined;
    };
    expect(calendar.head).toBe(99);
    expect(await code(() => calendar.append(99, leafFor(99)))).toBe("CALENDAR_APPEND_ORDER");
    await calendar.append(100, leafFor(100));
    expect(await code(() => calendar.append(100, leafFor(100)))).toBe("CALENDAR_APPEND_ORDER");
    expect(await code(() => calendar.append(101.5, leafFor(101)))).toBe("CALENDAR_TIME_RANGE");
    await expect(calendar.append(101, Uint8Array.of(1, 2, 3))).rejects.toThrow(HashAlgorithmError);
    expect(await code(() => calendar.rootAt(101))).toBe("CALENDAR_TIME_RANGE");
    expect(await code(() => calendar.leaf(-1))).toBe("CALENDAR_TIME_RANGE");
    expect(await code(() => calendar.chain(100, 99))).toBe("CALENDAR_TIME_RANGE");
    expect(await code(() => calendar.chain(100, 101))).toBe("CALENDAR_TIME_RANGE");
    expect(calendar.head).toBe(100);
    expect(await store.readHead()).toBe(100);
    expect(await code(() => Calendar.open(store, { genesisTime: 101 }))).toBe("CALENDAR_HEAD_INVALID");
    expect(await code(() => Calendar.open(store, { genesisTime: -1 }))).toBe("CALENDAR_TIME_RANGE");
  });
});
