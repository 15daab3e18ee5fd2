import { copyFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  certificateToPem,
  checkCalendarConsistency,
  comparePublications,
  decodeCalendarChain,
  decodeTlv,
  encodePublicationsFile,
  FormatError,
  fromHex,
  genesisPublicationsToJson,
  nextPublicationTime,
  PkiError,
  type PublicationRecord,
  parseGenesisPublications,
  publicationsCmsSigner,
} from "@tempel/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { calendarConsistency } from "../../src/api/calendar-consistency.ts";
import { HttpError } from "../../src/api/http-error.ts";
import { AUTHORITY_FILES, readPublicationsAuthority } from "../../src/publication/authority.ts";
import { PublicationError } from "../../src/publication/errors.ts";
import { CalendarRangeError } from "../../src/store/calendar-range.ts";
import {
  randomLeaf,
  type TestAuthority,
  TestCalendar,
  TestMembers,
  testAuthority,
} from "./publication-fixtures.ts";

const utc = (text: string) => Date.parse(text) / 1000;

describe("publication schedule", () => {
  it("daily intervals fall on 00:00 UTC", () => {
    expect(nextPublicationTime({ intervalSeconds: 86_400 }, utc("2026-03-04T13:14:15Z"))).toBe(
      utc("2026-03-05T00:00:00Z"),
    );
  });

  it("the next time is strictly after the given second", () => {
    const midnight = utc("2026-03-05T00:00:00Z");
    expect(nextPublicationTime({ intervalSeconds: 86_400 }, midnight)).toBe(midnight + 86_400);
    expect(nextPublicationTime({ intervalSeconds: 300 }, midnight - 1)).toBe(midnight);
  });

  it("monthly publications are at 00:00 UTC on the day, rolling into the next month and year", () => {
    const schedule = { dayOfMonth: 15 };
    expect(nextPublicationTime(schedule, utc("2026-03-14T23:59:59Z"))).toBe(utc("2026-03-15T00:00:00Z"));
    expect(nextPublicationTime(schedule, utc("2026-03-15T00:00:00Z"))).toBe(utc("2026-04-15T00:00:00Z"));
    expect(nextPublicationTime(schedule, utc("2026-12-20T00:00:00Z"))).toBe(utc("2027-01-15T00:00:00Z"));
  });
});

describe("genesis publications field", () => {
  let authority: TestAuthority;
  beforeAll(async () => {
    authority = await testAuthority(Math.floor(Date.now() / 1000));
  });
  afterAll(() => rmSync(authority.dataDir, { recursive: true, force: true }));

  it("round-trips the schedule and the authority through its JSON form", () => {
    const publications = { schedule: { intervalSeconds: 300 }, authority: authority.authority };
    const json = JSON.parse(JSON.stringify(genesisPublicationsToJson(publications)));
    expect(parseGenesisPublications(json)).toEqual(publications);
  });

  it("reads the genesis files written so far ({dayOfMonth}) as a monthly schedule without a file", () => {
    expect(parseGenesisPublications({ dayOfMonth: 15 })).toEqual({ schedule: { dayOfMonth: 15 } });
  });

  it.each<[unknown, string]>([
    [{}, "neither schedule"],
    [{ intervalSeconds: 300, dayOfMonth: 1 }, "both schedules"],
    [{ intervalSeconds: 4 }, "an interval under five seconds"],
    [{ intervalSeconds: 300.5 }, "a fractional interval"],
    [{ dayOfMonth: 29 }, "a day not in every month"],
    [{ intervalSeconds: 300, extra: 1 }, "an unknown field"],
    [
      { intervalSeconds: 300, authority: { certificate: "x", email: "a@b" } },
      "a certificate that is not PEM",
    ],
    [{ intervalSeconds: 300, authority: { email: "a@b" } }, "no certificate"],
  ])("refuses %j (%s)", (json) => {
    expect(() => parseGenesisPublications(json)).toThrow(FormatError);
  });

  it("refuses an authority e-mail that is not an address, and a PEM that is not a certificate", () => {
    const certificate = certificateToPem(authority.authority.caCertificate);
    expect(() =>
      parseGenesisPublications({ intervalSeconds: 300, authority: { certificate, email: "nobody" } }),
    ).toThrow(FormatError);
    const garbage = certificateToPem(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01));
    expect(() =>
      parseGenesisPublications({ intervalSeconds: 300, authority: { certificate: garbage, email: "a@b" } }),
    ).toThrow(FormatError);
  });

  it("reads the authority a publications-ca folder holds: its CA and the signer's e-mail address", () => {
    const { dataDir } = authority;
    const caFile = join(dataDir, AUTHORITY_FILES.caCertificate);
    expect(() => readPublicationsAuthority(dataDir)).toThrow(`cannot read ${caFile}`);
    writeFileSync(caFile, certificateToPem(authority.authority.caCertificate));
    expect(readPublicationsAuthority(dataDir)).toEqual(authority.authority);
    copyFileSync(join(dataDir, AUTHORITY_FILES.certificate), caFile);
    expect(() => readPublicationsAuthority(dataDir)).toThrow(PublicationError);
    expect(() => readPublicationsAuthority(dataDir)).toThrow("publications-ca.pem is not a CA certificate");
    rmSync(caFile);
  });
});

describe("deterministic CMS signer", () => {
  const content = { header: { version: 1, creationTime: 1_800_000_000 }, certificates: [], publications: [] };
  let authority: TestAuthority;
  beforeAll(async () => {
    authority = await testAuthority(Math.floor(Date.now() / 1000));
  });
  afterAll(() => rmSync(authority.dataDir, { recursive: true, force: true }));

  it("signs the same content at the same time into the same bytes, and other times into others", async () => {
    const a = await encodePublicationsFile(content, authority.key.signer(1_800_000_000));
    const b = await encodePublicationsFile(content, authority.key.signer(1_800_000_000));
    const c = await encodePublicationsFile(content, authority.key.signer(1_800_000_001));
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
  });

  it("refuses a key whose signatures are randomised (ECDSA)", async () => {
    const keys = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
    expect(() =>
      publicationsCmsSigner({
        privateKey: keys.privateKey,
        certificate: authority.authority.caCertificate,
        signingTime: 1,
      }),
    ).toThrow(PkiError);
  });
});

describe("comparing publications files", () => {
  const record = (time: number, root = randomLeaf()): PublicationRecord => ({
    publishedData: { publicationTime: time, publishedHash: root },
    references: [],
    repositoryUris: [],
  });
  const a = record(100);
  const b = record(200);
  const c = record(300);

  it("sees growth at the end, an older state and the same file", () => {
    expect(comparePublications([a], [a, b, c])).toEqual({ kind: "extends", added: [b, c] });
    expect(comparePublications([a, b], [a])).toEqual({ kind: "behind" });
    expect(comparePublications([a, b], [a, b])).toEqual({ kind: "same" });
    expect(comparePublications([], [a])).toEqual({ kind: "extends", added: [a] });
  });

  it("names another root for a held second as a root conflict", () => {
    const forged = record(200);
    expect(comparePublications([a, b], [a, forged])).toMatchObject({
      kind: "conflict",
      reason: "root",
      held: b,
    });
  });

  it("names the same root in another record (references, certificate) as a record conflict", () => {
    const annotated = { ...b, references: ["Example Gazette, 2027-01-16"] };
    expect(comparePublications([a, b], [a, annotated])).toMatchObject({ kind: "conflict", reason: "record" });
  });

  it("names a dropped, inserted or out-of-order publication as a sequence conflict", () => {
    expect(comparePublications([a, b, c], [a, c])).toMatchObject({ kind: "conflict", reason: "sequence" });
    expect(comparePublications([a], [a, c, b])).toMatchObject({ kind: "conflict", reason: "sequence" });
    expect(comparePublications([a, c], [a, b, c])).toMatchObject({ kind: "conflict", reason: "sequence" });
  });
});

describe("GET /v1/calendar/consistency", () => {
  const GENESIS = 1_800_000_000;
  const NOW = GENESIS + 100;
  let calendar: TestCalendar;
  beforeAll(async () => {
    calendar = await TestCalendar.open(GENESIS, new TestMembers(1, 1));
    await calendar.appendThrough(GENESIS + 40, false);
  });
  const ask = (query: string) =>
    calendarConsistency(calendar, new URL(`http://node/v1/calendar/consistency?${query}`), NOW) as Promise<{
      from: number;
      to: number;
      fromRoot: string;
      toRoot: string;
      proof: string;
    }>;
  const proofOf = (answer: { proof: string }) =>
    decodeCalendarChain(decodeTlv(new Uint8Array(Buffer.from(answer.proof, "base64"))));

  it("answers a proof that the roots at the two seconds are consistent", async () => {
    const answer = await ask(`from=${GENESIS + 7}&to=${GENESIS + 33}`);
    const older = { publicationTime: GENESIS + 7, publishedHash: await calendar.rootAt(GENESIS + 7) };
    const newer = { publicationTime: GENESIS + 33, publishedHash: await calendar.rootAt(GENESIS + 33) };
    expect(answer.fromRoot).toBe(Buffer.from(older.publishedHash).toString("hex"));
    expect(checkCalendarConsistency(proofOf(answer), older, newer)).toBe("consistent");
  });

  it("reaches the head when no end is given", async () => {
    const answer = await ask(`from=${GENESIS + 7}`);
    expect(answer.to).toBe(GENESIS + 40);
    expect(fromHex(answer.toRoot)).toEqual(await calendar.rootAt(GENESIS + 40));
  });

  it("the proof exposes a root at the earlier second that differs from the one a client holds", async () => {
    const answer = await ask(`from=${GENESIS + 7}&to=${GENESIS + 33}`);
    const forged = { publicationTime: GENESIS + 7, publishedHash: randomLeaf() };
    const newer = { publicationTime: GENESIS + 33, publishedHash: await calendar.rootAt(GENESIS + 33) };
    expect(checkCalendarConsistency(proofOf(answer), forged, newer)).toBe("older-root-mismatch");
  });

  it("refuses reversed, unknown and malformed seconds", async () => {
    await expect(ask(`from=${GENESIS + 9}&to=${GENESIS + 8}`)).rejects.toThrow(CalendarRangeError);
    await expect(ask(`from=${GENESIS + 9}&to=${GENESIS + 41}`)).rejects.toThrow(CalendarRangeError);
    await expect(ask("from=yesterday")).rejects.toThrow(HttpError);
    await expect(ask("")).rejects.toThrow(HttpError);
  });
});
