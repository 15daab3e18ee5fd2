import { generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Calendar,
  calendarChainOutput,
  emptyCalendarLeaf,
  encodePublicationData,
  encodeQuorumCertificate,
  encodeTlv,
  HashAlgorithm,
  type Imprint,
  MemoryCalendarStore,
  makeImprint,
  toHex,
} from "@tempel/proto";
import { nodeHasher } from "@tempel/proto/node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CalendarEntry } from "../../src/consensus/types.ts";
import { createMetrics, type Metrics } from "../../src/metrics/index.ts";
import { Bucket } from "../../src/store/buckets.ts";
import { calendarNodeKey } from "../../src/store/calendar-store.ts";
import { type NodeDb, openNodeDb } from "../../src/store/db.ts";
import { StoreError } from "../../src/store/errors.ts";
import { numberKey } from "../../src/store/keys.ts";
import { NodeCalendar } from "../../src/store/node-calendar.ts";

const GENESIS = 1_763_780_000;
const owner = { genesisHash: new Uint8Array(32), nodeId: "node" };

let dir: string;
let db: NodeDb;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "tempel-calendar-"));
  db = await openNodeDb(join(dir, "db"), owner);
});
afterEach(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

const open = () =>
  NodeCalendar.open(
    db,
    { genesisTime: GENESIS, hasher: nodeHasher },
    createMetrics({ processMetrics: false }).store,
  );
/** The one member that certifies roots in these tests. */
const member = generateKeyPairSync("ed25519");
const TRUST = {
  members: [
    {
      id: "member",
      publicKey: new Uint8Array(Buffer.from(member.publicKey.export({ format: "jwk" }).x!, "base64url")),
    },
  ],
  quorum: 1,
};
/** The stored form of a quorum certificate for `root` at `time`; `forged`: with a share that does not verify. */
function certificate(time: number, root: Imprint, forged = false): Uint8Array {
  const publishedData = { publicationTime: time, publishedHash: root };
  const message = encodeTlv(encodePublicationData(publishedData));
  const signature = forged ? new Uint8Array(64) : new Uint8Array(sign(null, message, member.privateKey));
  return encodeTlv(encodeQuorumCertificate({ publishedData, shares: [{ memberId: "member", signature }] }));
}
const leaf = (): Imprint => makeImprint(HashAlgorithm.SHA2_256, randomBytes(32));
const entry = (time: number, value: Imprint = leaf()): CalendarEntry => ({
  time,
  contributions: [],
  leaf: value,
});

async function storeError(run: () => Promise<unknown>): Promise<StoreError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof StoreError) return error;
    throw error;
  }
  throw new Error("expected a StoreError");
}

describe("NodeCalendar on LevelDB", () => {
  it("gives the same roots and chains as proto's in-memory calendar, gaps filled with the empty leaf", async () => {
    const calendar = await open();
    const reference = await Calendar.open(new MemoryCalendarStore(), {
      genesisTime: GENESIS,
      hasher: nodeHasher,
    });
    let time = GENESIS;
    for (let i = 0; i < 200; i++) {
      time += i % 7 === 3 ? 5 : 1; // every seventh entry skips four seconds
      const value = leaf();
      const root = await calendar.apply(entry(time, value), undefined);
      await reference.append(time, value);
      expect(root).toEqual(await reference.rootAt(time));
    }
    expect(calendar.head).toBe(time);
    expect(await calendar.leaf(GENESIS + 5)).toEqual(emptyCalendarLeaf());
    for (const t of [GENESIS + 1, GENESIS + 77, time - 1, time]) {
      const chain = await calendar.chain(t, time);
      expect(chain).toEqual(await reference.chain(t, time));
      expect(calendarChainOutput(chain, nodeHasher)).toEqual(await calendar.rootAt(time));
    }
  });

  it("survives reopening with the same head and roots", async () => {
    const calendar = await open();
    for (let t = GENESIS; t < GENESIS + 20; t++) await calendar.apply(entry(t), undefined);
    const root = await calendar.rootAt(GENESIS + 19);
    const reopened = await open();
    expect(reopened.head).toBe(GENESIS + 19);
    expect(await reopened.rootAt(GENESIS + 19)).toEqual(root);
  });

  it("treats a replayed entry as done when its leaf is the same, and refuses a different leaf", async () => {
    const calendar = await open();
    const first = entry(GENESIS + 1);
    const root = await calendar.apply(first, undefined);
    await calendar.apply(entry(GENESIS + 2), undefined);
    expect(await calendar.apply(first, undefined)).toEqual(root);
    const conflict = await storeError(() => calendar.apply(entry(GENESIS + 1), undefined));
    expect(conflict.code).toBe("CALENDAR_CONFLICT");
    expect(calendar.head).toBe(GENESIS + 2);
  });

  it("writes the round record in the batch that appends its entry", async () => {
    const calendar = await open();
    const record = { time: GENESIS + 3, root: leaf(), level: 4, hashes: 9 };
    await calendar.apply(entry(GENESIS + 3), record);
    expect(await calendar.roundRecord(GENESIS + 3)).toEqual(record);
    expect(await calendar.roundRecord(GENESIS + 2)).toBeUndefined();
  });

  it("finds the first certified second at or after a time, and none after the last", async () => {
    const calendar = await open();
    const certify = (time: number) => db.put(numberKey(Bucket.certificate, time), certificate(time, leaf()));
    await certify(GENESIS + 5);
    await certify(GENESIS + 9);
    const first = async (time: number) =>
      (await calendar.firstCertificate(time))?.publishedData.publicationTime;
    expect(await first(GENESIS)).toBe(GENESIS + 5);
    expect(await first(GENESIS + 5)).toBe(GENESIS + 5);
    expect(await first(GENESIS + 6)).toBe(GENESIS + 9);
    expect(await first(GENESIS + 10)).toBeUndefined();
  });
});

async function contradictions(metrics: Metrics): Promise<number | undefined> {
  const counter = metrics.registry.getSingleMetric("tempel_calendar_contradictions_total");
  return (await counter?.get())?.values[0]?.value;
}

describe("serving calendar chains", () => {
  it("refuses and counts a chain that reaches another root than its second's quorum certificate", async () => {
    const metrics = createMetrics({ processMetrics: false });
    const calendar = await NodeCalendar.open(db, { genesisTime: GENESIS, hasher: nodeHasher }, metrics.store);
    for (let t = GENESIS; t < GENESIS + 64; t++) await calendar.apply(entry(t), undefined);
    const certified = GENESIS + 40;
    const root = await calendar.rootAt(certified);
    await db.put(numberKey(Bucket.certificate, certified), certificate(certified, root));
    const served = await calendar.chain(GENESIS + 10, certified);
    expect(calendarChainOutput(served, nodeHasher)).toEqual(root);

    // A leaf changed by hand while the node runs: the start-up check has already passed.
    await db.put(calendarNodeKey({ height: 0, index: GENESIS + 10 }), leaf());
    const refused = await storeError(() => calendar.chain(GENESIS + 10, certified));
    expect(refused.code).toBe("CALENDAR_CONTRADICTS_CERTIFICATE");
    expect(refused.message).toContain(
      `at second ${certified}, but that second's quorum certificate names ${toHex(root)}`,
    );
    expect(await contradictions(metrics)).toBe(1);
  });

  it("refuses a chain to an uncertified second whose own certified second's root it contradicts", async () => {
    const metrics = createMetrics({ processMetrics: false });
    const calendar = await NodeCalendar.open(db, { genesisTime: GENESIS, hasher: nodeHasher }, metrics.store);
    for (let t = GENESIS; t < GENESIS + 64; t++) await calendar.apply(entry(t), undefined);
    const signed = GENESIS + 10;
    const root = await calendar.rootAt(signed);
    await db.put(numberKey(Bucket.certificate, signed), certificate(signed, root));
    await calendar.chain(signed, GENESIS + 63);

    await db.put(calendarNodeKey({ height: 0, index: signed }), leaf());
    const refused = await storeError(() => calendar.chain(signed, GENESIS + 63));
    expect(refused.code).toBe("CALENDAR_CONTRADICTS_CERTIFICATE");
    expect(refused.message).toContain(
      `at second ${signed}, but that second's quorum certificate names ${toHex(root)}`,
    );
    expect(await contradictions(metrics)).toBe(1);
  });
});

describe("calendar store check", () => {
  async function filled(seconds: number): Promise<NodeCalendar> {
    const calendar = await open();
    for (let t = GENESIS; t < GENESIS + seconds; t++) await calendar.apply(entry(t), undefined);
    return calendar;
  }

  it("finds a sound store sound", async () => {
    const calendar = await filled(64);
    const report = await calendar.check(GENESIS, 10, TRUST);
    expect(report.problems).toEqual([]);
    expect(report.leaves).toBe(64);
    expect(report.nodes).toBeGreaterThan(0);
  });

  it("names a subtree root that does not match its children", async () => {
    const calendar = await filled(64);
    const node = { height: 2, index: (GENESIS + 8) / 4 };
    await db.put(calendarNodeKey(node), leaf());
    const { problems } = await calendar.check(GENESIS, 10, TRUST);
    expect(
      problems.some(
        (p) => p.startsWith(`calendar node (height 2, index ${node.index}`) && p.includes("children hash to"),
      ),
    ).toBe(true);
  });

  it("names a missing subtree root, a value that is no imprint and a record beyond the head", async () => {
    const calendar = await filled(64);
    await db.del(calendarNodeKey({ height: 1, index: (GENESIS + 10) / 2 }));
    await db.put(numberKey(Bucket.calendarLeaf, GENESIS + 20), Uint8Array.of(0x7f, 1, 2));
    await db.put(numberKey(Bucket.calendarLeaf, GENESIS + 500), leaf());
    const { problems } = await calendar.check(GENESIS, 10, TRUST);
    expect(
      problems.some((p) => p.includes("its complete parent (height 1") && p.includes("is missing")),
    ).toBe(true);
    expect(problems.some((p) => p.includes("not an imprint"))).toBe(true);
    expect(problems.some((p) => p.includes("lies beyond the head"))).toBe(true);
  });

  it("names a certificate without a quorum of valid shares and a signed root the calendar does not give", async () => {
    const calendar = await filled(64);
    const root = (time: number) => calendar.rootAt(time);
    await db.put(
      numberKey(Bucket.certificate, GENESIS + 40),
      certificate(GENESIS + 40, await root(GENESIS + 40)),
    );
    await db.put(
      numberKey(Bucket.certificate, GENESIS + 41),
      certificate(GENESIS + 41, await root(GENESIS + 41), true),
    );
    const signedRoot = (time: number, hash: Imprint) =>
      db.put(
        numberKey(Bucket.signedRoot, time),
        encodeTlv(encodePublicationData({ publicationTime: time, publishedHash: hash })),
      );
    await signedRoot(GENESIS + 40, await root(GENESIS + 40));
    const rewritten = leaf();
    await signedRoot(GENESIS + 42, rewritten);
    const { problems } = await calendar.check(GENESIS, 10, TRUST);
    expect(problems).toEqual([
      `certificate ${GENESIS + 41} is not signed by a quorum of members: bad-share (member)`,
      `this node signed root ${toHex(rewritten)} for ${GENESIS + 42}, the calendar gives ${toHex(await root(GENESIS + 42))}`,
    ]);
  });

  it("checks only from the given second on", async () => {
    const calendar = await filled(64);
    await db.put(calendarNodeKey({ height: 0, index: GENESIS + 2 }), leaf());
    expect((await calendar.check(GENESIS + 32, 10, TRUST)).problems).toEqual([]);
    expect((await calendar.check(GENESIS, 10, TRUST)).problems).not.toEqual([]);
  });
});
