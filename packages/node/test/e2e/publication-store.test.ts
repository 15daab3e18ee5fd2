import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { certificateFromPem, certificateToPem, TempelError } from "@tempel/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/logger/logger.ts";
import { createMetrics } from "../../src/metrics/index.ts";
import { checkStoredPublications } from "../../src/publication/create-publication-service.ts";
import { defaultPublicationOptions } from "../../src/publication/options.ts";
import { type PublicationCluster, PublicationService } from "../../src/publication/publication-service.ts";
import { PublicationStore } from "../../src/publication/publication-store.ts";
import { Bucket } from "../../src/store/buckets.ts";
import { type NodeDb, openNodeDb } from "../../src/store/db.ts";
import { numberKey } from "../../src/store/keys.ts";
import {
  type TestAuthority,
  TestCalendar,
  TestMembers,
  testAuthority,
} from "../unit/publication-fixtures.ts";

/** Publications in the node's LevelDB: kept byte for byte, and a hand-edited one is named and never served. */

const GENESIS = 1_800_000_010;
const P = 1_800_000_060;
const OWNER = { genesisHash: new Uint8Array(32), nodeId: "node-under-test" };

let dir: string;
let authority: TestAuthority;
let members: TestMembers;
let calendar: TestCalendar;
let cluster: PublicationCluster;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tempel-publication-store-"));
  authority = await testAuthority(Math.floor(Date.now() / 1000));
  members = new TestMembers(3, 2);
  calendar = await TestCalendar.open(GENESIS, members);
  await calendar.appendThrough(P + 125);
  cluster = {
    genesisTime: GENESIS,
    schedule: { intervalSeconds: 60 },
    authority: authority.authority,
    trust: members.trust,
    memberCertificates: genesis().members.map((m) => certificateFromPem(m.certificatePem)),
    peerUrls: [],
  };
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(authority.dataDir, { recursive: true, force: true });
});

function open(db: NodeDb, key = true): Promise<PublicationService> {
  return PublicationService.open(defaultPublicationOptions, cluster, {
    store: new PublicationStore(db),
    calendar,
    key: key ? authority.key : undefined,
    logger: silentLogger,
    metrics: createMetrics({ processMetrics: false }).publication,
    now: () => (P + 125) * 1000,
    fetch: () => Promise.reject(new Error("no peers")),
  });
}

/** A database with the three publications of P, P + 60 and P + 120. */
async function published(name: string): Promise<string> {
  const path = join(dir, name);
  const db = await openNodeDb(path, OWNER);
  await (await open(db)).step();
  await db.close();
  return path;
}

async function withDb<T>(path: string, use: (db: NodeDb) => Promise<T>): Promise<T> {
  const db = await openNodeDb(path, OWNER, false);
  try {
    return await use(db);
  } finally {
    await db.close();
  }
}

const genesis = () => ({
  genesisTime: GENESIS,
  quorum: members.trust.quorum,
  members: members.trust.members.map((m, i) => ({
    ...m,
    multiaddrs: [],
    apiUrl: "http://unused",
    certificatePem: certificateToPem(authority.memberCertificates[i % authority.memberCertificates.length]!),
  })),
});

describe("publications in LevelDB", () => {
  it("are served byte for byte after the database is reopened", async () => {
    const path = join(dir, "reopen");
    const db = await openNodeDb(path, OWNER);
    const first = await open(db);
    await first.step();
    const bytes = first.file!.bytes;
    await db.close();
    await withDb(path, async (again) => {
      const reopened = await open(again, false);
      expect(reopened.file!.bytes).toEqual(bytes);
      expect(reopened.file!.records.map((r) => r.publishedData.publicationTime)).toEqual([
        P,
        P + 60,
        P + 120,
      ]);
    });
  });

  it("the check finds nothing wrong in a sound store", async () => {
    const path = await published("sound");
    const problems = await withDb(path, (db) =>
      checkStoredPublications({
        genesis: genesis(),
        publications: { schedule: cluster.schedule, authority: cluster.authority },
        db,
        calendar,
      }),
    );
    expect(problems).toEqual([]);
  });

  it("a hand-edited publication is named by the check, and the node refuses to serve the file", async () => {
    const path = await published("edited");
    await withDb(path, async (db) => {
      const key = numberKey(Bucket.publication, P + 60);
      const value = (await db.get(key))!;
      // The last byte of the record's published hash (its first occurrence, before the certificate's):
      // the record still decodes, but publishes another root.
      const root = await calendar.rootAt(P + 60);
      value[Buffer.from(value).indexOf(Buffer.from(root)) + root.length - 1]! ^= 0x01;
      await db.put(key, value);
    });
    const problems = await withDb(path, (db) =>
      checkStoredPublications({
        genesis: genesis(),
        publications: { schedule: cluster.schedule, authority: cluster.authority },
        db,
        calendar,
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          new RegExp(`^publication ${P + 120} \\(bucket publication\\): the file it ends does not verify`),
        ),
        expect.stringMatching(
          new RegExp(
            `^publication ${P + 60} \\(bucket publication\\) publishes [0-9a-f]+, the calendar gives`,
          ),
        ),
      ]),
    );
    await withDb(path, async (db) => {
      await expect(open(db)).rejects.toMatchObject({ code: "STORE_CORRUPT" });
    });
  });

  it("a value that is no publication record is refused when the store is read, naming its second", async () => {
    const path = await published("garbage");
    await withDb(path, async (db) => {
      await db.put(numberKey(Bucket.publication, P), Uint8Array.of(1, 2, 3));
      const error = await open(db).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TempelError);
      expect((error as TempelError).message).toContain(`stored publication ${P}`);
    });
  });
});
