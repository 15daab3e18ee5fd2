import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  Calendar,
  CalendarError,
  type CalendarHashChain,
  type CalendarLink,
  calendarChainAggregationTime,
  calendarChainOutput,
  calendarRootAtAggregationTime,
  calendarStepHash,
  decodeSignature,
  HashAlgorithm,
  highBit,
  type Imprint,
  MemoryCalendarStore,
  makeImprint,
  rightLinksMatch,
  toHex,
} from "../../src/index.ts";
import { readTestPackCsv, readTestPackFile, TEST_PACK_CSVS } from "./helpers/testpack.ts";

function digest(algorithm: "sha256" | "sha512", ...parts: Uint8Array[]): Uint8Array {
  const h = createHash(algorithm);
  for (const part of parts) h.update(part);
  return new Uint8Array(h.digest());
}

const a = makeImprint(HashAlgorithm.SHA2_256, digest("sha256", Uint8Array.of(1)));
const b = makeImprint(HashAlgorithm.SHA2_256, digest("sha256", Uint8Array.of(2)));
const FF = Uint8Array.of(0xff);

function chainWith(links: CalendarLink[], publicationTime = 0, inputHash: Imprint = a): CalendarHashChain {
  return {
    publicationTime,
    aggregationTime: publicationTime,
    aggregationTimePresent: false,
    inputHash,
    links,
  };
}

/** A calendar whose head is `head` and whose every leaf is the empty one: chains need no stored node. */
async function emptyCalendar(head: number): Promise<Calendar> {
  return Calendar.open(new MemoryCalendarStore(), { genesisTime: head + 1 });
}

function popcount(n: number): number {
  let count = 0;
  for (let rest = n; rest > 0; rest = Math.floor(rest / 2)) count += rest % 2;
  return count;
}

describe("highBit", () => {
  it.each([
    [0, 0],
    [1, 1],
    [2, 2],
    [3, 2],
    [5, 4],
    [2 ** 31 - 1, 2 ** 30],
    [2 ** 31, 2 ** 31],
    [2 ** 32 + 5, 2 ** 32],
    [2 ** 40 + 123, 2 ** 40],
    [Number.MAX_SAFE_INTEGER, 2 ** 52],
  ])("highBit(%d) = %d", (n, expected) => {
    expect(highBit(n)).toBe(expected);
  });

  it("is the largest power of two not above n for any safe integer, past 2^31 too", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: BigInt(Number.MAX_SAFE_INTEGER) }), (n) => {
        let power = 1n;
        while (power * 2n <= n) power *= 2n;
        expect(highBit(Number(n))).toBe(Number(power));
      }),
    );
  });

  it("rejects negative and fractional arguments", () => {
    expect(() => highBit(-1)).toThrow(CalendarError);
    expect(() => highBit(1.5)).toThrow(CalendarError);
  });
});

describe("calendarStepHash", () => {
  it("hashes left ‖ right ‖ 0xFF", () => {
    expect(calendarStepHash(a, b)).toEqual(makeImprint(HashAlgorithm.SHA2_256, digest("sha256", a, b, FF)));
  });

  it("uses the right (newer) child's algorithm", () => {
    const right = makeImprint(HashAlgorithm.SHA2_512, digest("sha512", Uint8Array.of(3)));
    expect(calendarStepHash(a, right)).toEqual(
      makeImprint(HashAlgorithm.SHA2_512, digest("sha512", a, right, FF)),
    );
  });

  it("refuses an unknown or unimplemented right algorithm with a typed error", () => {
    expect(() => calendarStepHash(a, Uint8Array.of(0x03, 1, 2))).toThrow(
      expect.objectContaining({ code: "HASH_UNKNOWN_ALGORITHM" }),
    );
    expect(() => calendarStepHash(a, makeImprint(HashAlgorithm.SM3, new Uint8Array(32)))).toThrow(
      expect.objectContaining({ code: "HASH_NOT_IMPLEMENTED" }),
    );
  });
});

describe("calendarChainOutput", () => {
  it("keeps the running hash on the left for a left link and on the right for a right link", () => {
    const left = calendarChainOutput(chainWith([{ direction: "left", sibling: b }]));
    const right = calendarChainOutput(chainWith([{ direction: "right", sibling: b }]));
    expect(left).toEqual(calendarStepHash(a, b));
    expect(right).toEqual(calendarStepHash(b, a));
  });
});

describe("calendarChainAggregationTime", () => {
  it("reads P off a fresh chain for second P: popcount(P) right links", async () => {
    for (const p of [1, 2, 7, 1_619_771_799, 2 ** 40 - 1]) {
      const chain = await (await emptyCalendar(p)).chain(p, p);
      expect(chain.links).toHaveLength(popcount(p));
      expect(chain.links.every((link) => link.direction === "right")).toBe(true);
      expect(calendarChainAggregationTime(chain.links, p)).toBe(p);
    }
    expect(popcount(1_619_771_799)).toBe(14);
  });

  it("recovers t from the shape of the chain from t to the root at T, for t and T up to 2^40 and decades apart", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        async (x, y) => {
          const [t, rootTime] = x <= y ? [x, y] : [y, x];
          const chain = await (await emptyCalendar(rootTime)).chain(t, rootTime);
          expect(chain.links.length).toBeLessThanOrEqual(2 * 41);
          expect(calendarChainAggregationTime(chain.links, rootTime)).toBe(t);
        },
      ),
      { numRuns: 60 },
    );
    const decades = 1_700_000_000 - 30 * 365 * 86_400;
    const chain = await (await emptyCalendar(1_700_000_000)).chain(decades, 1_700_000_000);
    expect(calendarChainAggregationTime(chain.links, 1_700_000_000)).toBe(decades);
  });

  it("gives undefined for a shape that does not end on one leaf or overruns the tree", () => {
    const right: CalendarLink = { direction: "right", sibling: b };
    const left: CalendarLink = { direction: "left", sibling: b };
    expect(calendarChainAggregationTime([right, right, right], 7)).toBe(7);
    expect(calendarChainAggregationTime([right, right], 7)).toBeUndefined();
    expect(calendarChainAggregationTime([right, right, right, right], 7)).toBeUndefined();
    expect(calendarChainAggregationTime([left], 0)).toBeUndefined();
    expect(calendarChainAggregationTime([], 0)).toBe(0);
    expect(calendarChainAggregationTime([right], -1)).toBeUndefined();
    expect(calendarChainAggregationTime([right], 1.5)).toBeUndefined();
  });
});

describe("rightLinksMatch", () => {
  const c = makeImprint(HashAlgorithm.SHA2_256, digest("sha256", Uint8Array.of(4)));
  const base = chainWith([
    { direction: "left", sibling: a },
    { direction: "right", sibling: b },
  ]);

  it("ignores left links, which cover later seconds", () => {
    const otherLeft = chainWith([
      { direction: "left", sibling: c },
      { direction: "left", sibling: c },
      { direction: "right", sibling: b },
    ]);
    expect(rightLinksMatch(base, otherLeft)).toBe(true);
  });

  it("fails when a right link's sibling or the number of right links differs", () => {
    expect(rightLinksMatch(base, chainWith([{ direction: "right", sibling: c }]))).toBe(false);
    expect(
      rightLinksMatch(
        base,
        chainWith([
          { direction: "right", sibling: b },
          { direction: "right", sibling: b },
        ]),
      ),
    ).toBe(false);
  });

  it("holds between the chains from one second to two later roots", async () => {
    const calendar = await emptyCalendar(2 ** 35);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 2 ** 35 }), { minLength: 3, maxLength: 3 }),
        async (xs) => {
          const [t, t1, t2] = xs.sort((x, y) => x - y) as [number, number, number];
          const first = await calendar.chain(t, t1);
          const second = await calendar.chain(t, t2);
          expect(rightLinksMatch(first, second)).toBe(true);
          expect(calendarRootAtAggregationTime(first)).toEqual(calendarRootAtAggregationTime(second));
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe("KSI test pack calendar chains", () => {
  const rows = readTestPackCsv(TEST_PACK_CSVS.valid).filter(
    (row) => row.calendarOutput !== undefined && row.publicationTime !== undefined,
  );

  it("has rows to check", () => {
    expect(rows.length).toBeGreaterThan(30);
  });

  describe.each(rows)("$name", (row) => {
    const chain = decodeSignature(readTestPackFile(row.name)).calendarChain!;

    it("recomputes from the CSV's input to the CSV's output, and its shape gives the aggregation time", () => {
      expect(toHex(chain.inputHash).toUpperCase()).toBe(row.calendarInput);
      expect(toHex(calendarChainOutput(chain)).toUpperCase()).toBe(row.calendarOutput);
      expect(calendarChainAggregationTime(chain.links, chain.publicationTime)).toBe(row.aggregationTime);
    });
  });

  it("keeps the right links of a signature when it is extended (CAL-04 on real chains)", () => {
    const fresh = decodeSignature(
      readTestPackFile("valid-signatures/signature-one-aggregation-chain-chc-and-auth.ksig"),
    ).calendarChain!;
    const extended = decodeSignature(readTestPackFile("valid-signatures/signature-extended.ksig"))
      .calendarChain!;
    expect(fresh.aggregationTime).toBe(extended.aggregationTime);
    expect(fresh.publicationTime).toBeLessThan(extended.publicationTime);
    expect(rightLinksMatch(fresh, extended)).toBe(true);
    expect(calendarRootAtAggregationTime(extended)).toEqual(calendarChainOutput(fresh));
  });
});
