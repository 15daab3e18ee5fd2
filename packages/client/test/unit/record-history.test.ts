import { HashAlgorithm, hashImprint } from "@tempel/proto";
import { beforeEach, describe, expect, it } from "vitest";
import {
  checkpointHeads,
  encodeRecordVersion,
  type FieldValue,
  nextCheckpoint,
  nextVersion,
  RecordFormatError,
  type RecordHistoryResult,
  type RecordVersion,
  recordVersionHash,
  type SignedRecordVersion,
  type StoredRecordVersion,
  signRecordVersions,
  TempelClient,
  verifyCheckpoints,
  verifyRecordHistory,
} from "../../src/index.ts";
import { FakeCluster, KEY, LOGIN_ID } from "./fake-cluster.ts";

const RECORD = "patient-1001/allergies";
const OTHER = "patient-2002/allergies";

let cluster: FakeCluster;
let client: TempelClient;

beforeEach(async () => {
  cluster = await FakeCluster.start();
  client = clientOf(cluster);
});

function clientOf(of: FakeCluster): TempelClient {
  return new TempelClient({
    endpoints: ["http://node-a.test"],
    agency: { loginId: LOGIN_ID, key: KEY },
    trust: of.trust,
    retries: 0,
    fetch: of.fetch,
  });
}

/** `count` versions of `recordId`, each linked to the one before. */
function history(recordId: string, count: number, from?: SignedRecordVersion): RecordVersion[] {
  const out: RecordVersion[] = [];
  let previous = from === undefined ? undefined : { version: from.version, hash: from.hash };
  for (let i = out.length; i < count; i++) {
    const version = nextVersion(
      recordId,
      { allergy: `allergy ${i}`, severity: i, author: "dr-tamm" },
      previous,
    );
    out.push(version);
    previous = { version, hash: recordVersionHash(version) };
  }
  return out;
}

/** What the database holds: versions and their proofs, read back through the client's trust. */
function stored(signed: readonly SignedRecordVersion[]): StoredRecordVersion[] {
  return signed.map(({ version, proof }) => ({ version, proof: client.decode(proof.encode()) }));
}

function codes(result: RecordHistoryResult): string[] {
  return result.problems.map((p) => `${p.code} ${p.recordId} v${p.version}`);
}

const keyPolicy = { policy: "key" } as const;

describe("canonical encoding of a record version", () => {
  const fields: Record<string, FieldValue> = { a: "x", b: 1, c: null, d: true, e: new Uint8Array([1, 2]) };

  it("does not depend on the order of the fields", () => {
    const reordered = Object.fromEntries(Object.entries(fields).reverse());
    expect(encodeRecordVersion({ recordId: RECORD, version: 1, fields: reordered })).toEqual(
      encodeRecordVersion({ recordId: RECORD, version: 1, fields }),
    );
  });

  it("differs with the record id, the version number, the previous hash and each value's type", () => {
    const base = {
      recordId: RECORD,
      version: 2,
      previous: hashImprint(HashAlgorithm.SHA2_256, new Uint8Array(1)),
      fields,
    };
    const variants: RecordVersion[] = [
      base,
      { ...base, recordId: OTHER },
      { ...base, version: 3 },
      { ...base, previous: hashImprint(HashAlgorithm.SHA2_256, new Uint8Array(2)) },
      { ...base, fields: { ...fields, b: "1" } },
      { ...base, fields: { ...fields, c: "" } },
      { ...base, fields: { ...fields, d: 1 } },
      { ...base, fields: { ...fields, e: "\u0001\u0002" } },
      // A name and value boundary moved: "ab" = "" against "a" = "b".
      { ...base, fields: { ab: "" } },
      { ...base, fields: { a: "b" } },
    ];
    const encodings = new Set(variants.map((v) => recordVersionHash(v).join(",")));
    expect(encodings.size).toBe(variants.length);
  });

  it("refuses values with no single encoding and versions without their link", () => {
    const bad = (version: Partial<RecordVersion>, code: string) =>
      expect(() => encodeRecordVersion({ recordId: RECORD, version: 1, fields: {}, ...version })).toThrow(
        expect.objectContaining({ code, constructor: RecordFormatError }),
      );
    bad({ fields: { dose: 0.5 } }, "RECORD_NUMBER");
    bad({ fields: { note: "\ud800" } }, "RECORD_TEXT");
    bad({ recordId: "x".repeat(1025) }, "RECORD_TOO_LARGE");
    bad({ version: 0 }, "RECORD_VERSION");
    bad({ version: 2 }, "RECORD_PREVIOUS");
    bad({ previous: hashImprint(HashAlgorithm.SHA2_256, new Uint8Array(1)) }, "RECORD_PREVIOUS");
    bad({ fields: { when: new Date() as unknown as FieldValue } }, "RECORD_FIELD_TYPE");
  });
});

describe("a record's signed history", () => {
  async function signedHistory(): Promise<SignedRecordVersion[]> {
    return signRecordVersions(client, history(RECORD, 5));
  }

  it("signs five versions with one request and verifies them under the key policy", async () => {
    const signed = await signedHistory();
    expect(cluster.requests.filter((path) => path === "/ksi/aggregator")).toHaveLength(1);
    const result = await verifyRecordHistory(RECORD, stored(signed), {
      ...keyPolicy,
      latest: { recordId: RECORD, version: 5, hash: signed[4]!.hash },
    });
    expect(result).toMatchObject({ ok: true, versions: 5, problems: [], newest: { version: 5 } });
  });

  it("finds a stored version whose fields an insider edited", async () => {
    const rows = stored(await signedHistory());
    const v3 = rows[2]!;
    rows[2] = { ...v3, version: { ...v3.version, fields: { ...v3.version.fields, allergy: "none" } } };
    expect(codes(await verifyRecordHistory(RECORD, rows, keyPolicy))).toEqual([
      `VERSION_CHANGED ${RECORD} v3`,
    ]);
  });

  it("finds a deleted middle version", async () => {
    const rows = stored(await signedHistory());
    rows.splice(2, 1);
    expect(codes(await verifyRecordHistory(RECORD, rows, keyPolicy))).toEqual([
      `VERSION_MISSING ${RECORD} v3`,
    ]);
  });

  it("finds the first versions deleted", async () => {
    const rows = stored(await signedHistory()).slice(2);
    const result = await verifyRecordHistory(RECORD, rows, keyPolicy);
    expect(codes(result)).toEqual([`VERSION_MISSING ${RECORD} v1`]);
    expect(result.problems[0]!.message).toMatch(/versions 1–2 are missing/);
  });

  it("finds the proofs of two versions swapped", async () => {
    const rows = stored(await signedHistory());
    [rows[1], rows[3]] = [
      { ...rows[1]!, proof: rows[3]!.proof },
      { ...rows[3]!, proof: rows[1]!.proof },
    ];
    expect(codes(await verifyRecordHistory(RECORD, rows, keyPolicy))).toEqual([
      `VERSION_CHANGED ${RECORD} v2`,
      `VERSION_CHANGED ${RECORD} v4`,
    ]);
  });

  it("finds versions renumbered into another order", async () => {
    const rows = stored(await signedHistory());
    rows[1] = { ...rows[1]!, version: { ...rows[1]!.version, version: 3 } };
    rows[2] = { ...rows[2]!, version: { ...rows[2]!.version, version: 2 } };
    expect(codes(await verifyRecordHistory(RECORD, rows, keyPolicy))).toEqual([
      `VERSION_CHANGED ${RECORD} v2`,
      `VERSION_CHANGED ${RECORD} v3`,
    ]);
  });

  it("finds version 3 of 5 presented as the latest, given the known head", async () => {
    const signed = await signedHistory();
    const rows = stored(signed).slice(0, 3);
    // Without anything known from outside, a cut-short history is a whole one: the limit docs/logs.md names.
    expect((await verifyRecordHistory(RECORD, rows, keyPolicy)).ok).toBe(true);
    const latest = { recordId: RECORD, version: 5, hash: signed[4]!.hash };
    expect(codes(await verifyRecordHistory(RECORD, rows, { ...keyPolicy, latest }))).toEqual([
      `ROLLBACK ${RECORD} v5`,
    ]);
    expect(codes(await verifyRecordHistory(RECORD, [], { ...keyPolicy, latest }))).toEqual([
      `ROLLBACK ${RECORD} v5`,
    ]);
    // The latest version number alone, as an auditor may have noted it, is enough for this.
    const numberOnly = { recordId: RECORD, version: 5 };
    expect(codes(await verifyRecordHistory(RECORD, rows, { ...keyPolicy, latest: numberOnly }))).toEqual([
      `ROLLBACK ${RECORD} v5`,
    ]);
  });

  it("finds a version and its proof copied to another record", async () => {
    const signed = await signedHistory();
    const other = await signRecordVersions(client, history(OTHER, 2));
    const copied = stored(signed)[2]!;
    // As a database row: the copy takes the other record's id, and its proof no longer fits.
    const asRow = {
      ...copied,
      version: { ...copied.version, recordId: OTHER, version: 3, previous: other[1]!.hash },
    };
    expect(codes(await verifyRecordHistory(OTHER, [...stored(other), asRow], keyPolicy))).toEqual([
      `VERSION_CHANGED ${OTHER} v3`,
    ]);
    // As the version object itself: it says whose it is.
    expect(codes(await verifyRecordHistory(OTHER, [...stored(other), copied], keyPolicy))).toEqual([
      `WRONG_RECORD ${OTHER} v3`,
    ]);
  });

  it("finds a proof replaced by a valid proof of another hash", async () => {
    const rows = stored(await signedHistory());
    const [unrelated] = await signRecordVersions(client, history(OTHER, 1));
    rows[1] = { ...rows[1]!, proof: client.decode(unrelated!.proof.encode()) };
    expect(codes(await verifyRecordHistory(RECORD, rows, keyPolicy))).toEqual([
      `VERSION_CHANGED ${RECORD} v2`,
    ]);
  });

  it("finds an edited version an insider re-signed with the agency's key, by its successor's link", async () => {
    const signed = await signedHistory();
    const forged = { ...signed[2]!.version, fields: { allergy: "none" } };
    const [resigned] = await signRecordVersions(client, [forged]);
    const rows = stored([...signed.slice(0, 2), resigned!, ...signed.slice(3)]);
    expect(codes(await verifyRecordHistory(RECORD, rows, keyPolicy))).toEqual([`LINK_BROKEN ${RECORD} v4`]);
  });

  it("finds a rewritten tail re-signed by an insider, against the head known from outside", async () => {
    const signed = await signedHistory();
    const rewritten = await signRecordVersions(client, forkFrom(signed[1]!));
    const rows = stored([...signed.slice(0, 2), ...rewritten]);
    expect((await verifyRecordHistory(RECORD, rows, keyPolicy)).ok).toBe(true);
    const latest = { recordId: RECORD, version: 5, hash: signed[4]!.hash };
    expect(codes(await verifyRecordHistory(RECORD, rows, { ...keyPolicy, latest }))).toEqual([
      `FORKED ${RECORD} v5`,
    ]);
  });

  it("judges proofs by the caller's trust: another cluster's members do not vouch for them", async () => {
    const signed = await signedHistory();
    const stranger = clientOf(await FakeCluster.start(1));
    const rows = signed.map(({ version, proof }) => ({ version, proof: stranger.decode(proof.encode()) }));
    const result = await verifyRecordHistory(RECORD, rows.slice(0, 1), keyPolicy);
    expect(result.ok).toBe(false);
    expect(result.problems[0]).toMatchObject({ recordId: RECORD, version: 1 });
    expect(result.problems[0]!.code).toMatch(/^SIGNATURE_(FAIL|NA)$/);
    expect(result.problems[0]!.verification?.code).toMatch(/^KEY-|^TEM-/);
  });

  it("finds a version signed before the version it follows", async () => {
    const [v1, v2] = history(RECORD, 2);
    const [second] = await signRecordVersions(client, [v2!]);
    const [first] = await signRecordVersions(client, [v1!]);
    expect(codes(await verifyRecordHistory(RECORD, stored([first!, second!]), keyPolicy))).toEqual([
      `OUT_OF_ORDER ${RECORD} v2`,
    ]);
  });

  it("finds stored proof bytes an insider overwrote, and judges stored bytes with the given verifier", async () => {
    const signed = await signedHistory();
    const rows = signed.map(({ version, proof }) => ({ version, proof: proof.encode() }));
    expect((await verifyRecordHistory(RECORD, rows, { ...keyPolicy, verifier: client })).ok).toBe(true);
    rows[3] = { ...rows[3]!, proof: new TextEncoder().encode("not a signature") };
    expect(codes(await verifyRecordHistory(RECORD, rows, { ...keyPolicy, verifier: client }))).toEqual([
      `PROOF_UNREADABLE ${RECORD} v4`,
    ]);
  });

  it("finds stored versions of the wrong shape without throwing", async () => {
    const rows = stored(await signedHistory());
    const broken = (version: object): StoredRecordVersion => ({
      ...rows[1]!,
      version: version as RecordVersion,
    });
    for (const version of [
      { ...rows[1]!.version, fields: null },
      { ...rows[1]!.version, fields: { dose: 0.5 } },
      { ...rows[1]!.version, previous: "01ab" },
    ]) {
      const result = await verifyRecordHistory(
        RECORD,
        [rows[0]!, broken(version), ...rows.slice(2)],
        keyPolicy,
      );
      expect(codes(result)).toEqual([`VERSION_INVALID ${RECORD} v2`]);
    }
  });

  it("finds two versions with the same number", async () => {
    const rows = stored(await signedHistory());
    expect(codes(await verifyRecordHistory(RECORD, [...rows, rows[3]!], keyPolicy))).toEqual([
      `VERSION_DUPLICATE ${RECORD} v4`,
    ]);
  });
});

/** Versions 3–5 written anew after version 2: an alternative history. */
function forkFrom(second: SignedRecordVersion): RecordVersion[] {
  const out: RecordVersion[] = [];
  let previous = { version: second.version, hash: second.hash };
  for (let n = 3; n <= 5; n++) {
    const version = nextVersion(RECORD, { allergy: "none", severity: 0, author: "insider" }, previous);
    out.push(version);
    previous = { version, hash: recordVersionHash(version) };
  }
  return out;
}

describe("checkpoints of every record's head", () => {
  const CHECKPOINTS = "checkpoint:health-records";

  it("name each record's head, go back nowhere, and catch a record rolled back behind them", async () => {
    const versions = history(RECORD, 5);
    const first = await signRecordVersions(client, [
      ...versions.slice(0, 3),
      nextCheckpoint(CHECKPOINTS, [{ recordId: RECORD, version: 3, hash: recordVersionHash(versions[2]!) }]),
    ]);
    const checkpoint1 = first[3]!;
    const second = await signRecordVersions(client, [
      ...versions.slice(3),
      nextCheckpoint(
        CHECKPOINTS,
        [{ recordId: RECORD, version: 5, hash: recordVersionHash(versions[4]!) }],
        checkpoint1,
      ),
    ]);
    const checkpoints = stored([checkpoint1, second[2]!]);
    const verified = await verifyCheckpoints(CHECKPOINTS, checkpoints, keyPolicy);
    expect(verified).toMatchObject({ ok: true, newest: { version: 2 } });
    const latest = verified.heads!.get(RECORD)!;
    expect(latest.version).toBe(5);

    const all = stored([...first.slice(0, 3), ...second.slice(0, 2)]);
    expect((await verifyRecordHistory(RECORD, all, { ...keyPolicy, latest })).ok).toBe(true);
    expect(codes(await verifyRecordHistory(RECORD, all.slice(0, 3), { ...keyPolicy, latest }))).toEqual([
      `ROLLBACK ${RECORD} v5`,
    ]);
  });

  it("find a checkpoint whose head of a record went back, and a checkpoint deleted from the chain", async () => {
    const versions = history(RECORD, 2);
    const head = (n: number) => ({ recordId: RECORD, version: n, hash: recordVersionHash(versions[n - 1]!) });
    const [c1] = await signRecordVersions(client, [nextCheckpoint(CHECKPOINTS, [head(2)])]);
    const [c2] = await signRecordVersions(client, [nextCheckpoint(CHECKPOINTS, [head(1)], c1)]);
    const [c3] = await signRecordVersions(client, [nextCheckpoint(CHECKPOINTS, [head(2)], c2)]);
    const wentBack = await verifyCheckpoints(CHECKPOINTS, stored([c1!, c2!]), keyPolicy);
    expect(codes(wentBack)).toEqual([`ROLLBACK ${RECORD} v2`]);
    expect(wentBack.heads).toBeUndefined();
    expect(codes(await verifyCheckpoints(CHECKPOINTS, stored([c1!, c3!]), keyPolicy))).toEqual([
      `VERSION_MISSING ${CHECKPOINTS} v2`,
    ]);
  });

  it("read back the heads they were made of, and refuse a malformed head", () => {
    const hash = recordVersionHash(history(RECORD, 1)[0]!);
    const checkpoint = nextCheckpoint(CHECKPOINTS, [{ recordId: RECORD, version: 7, hash }]);
    expect(checkpointHeads(checkpoint).get(RECORD)).toEqual({ recordId: RECORD, version: 7, hash });
    expect(() => checkpointHeads({ ...checkpoint, fields: { [RECORD]: "7" } })).toThrow(RecordFormatError);
    expect(() => checkpointHeads({ ...checkpoint, fields: { [RECORD]: new Uint8Array(9) } })).toThrow();
  });
});
