import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { concatBytes, LogsigFormatError, logsigMagicBytes, verifyLog } from "@tempel/proto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { LogRecordError, LogSigner, logBlockCheck, TempelClient } from "../../src/index.ts";
import { openLogsigFile } from "../../src/node/index.ts";
import { FakeCluster, KEY, LOGIN_ID } from "./fake-cluster.ts";

const NODE = "http://node-a.test";
let cluster: FakeCluster;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tempel-logsigner-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  cluster = await FakeCluster.start();
});

function client(): TempelClient {
  return new TempelClient({
    endpoints: [NODE],
    agency: { loginId: LOGIN_ID, key: KEY },
    trust: cluster.trust,
    retries: 0,
    fetch: cluster.fetch,
  });
}

const LINES = Array.from({ length: 10 }, (_, i) => `record ${i + 1}: user=u${i % 3} read patient-${i}`);
const text = (lines: readonly string[]) => new TextEncoder().encode(lines.map((l) => `${l}\n`).join(""));

/**
 * Add `lines` to a signer of 4-record blocks, one block signed at a time: the fake cluster makes a
 * round per request and takes them one by one (a real node takes them at once).
 */
async function feed(signer: LogSigner, lines: readonly string[]): Promise<void> {
  for (const [i, line] of lines.entries()) {
    signer.add(line);
    if (i % 4 === 3) await signer.flush();
  }
}

/** LINES signed in blocks of 4 into a byte sink: [file bytes, aggregation requests made]. */
async function signed(lines: readonly string[] = LINES): Promise<[Uint8Array, number]> {
  const parts: Uint8Array[] = [logsigMagicBytes()];
  const before = cluster.requests.filter((path) => path.includes("aggregator")).length;
  const signer = new LogSigner(
    client(),
    { append: async (bytes) => void parts.push(bytes) },
    { maxRecords: 4 },
  );
  await feed(signer, lines);
  await signer.close();
  const requests = cluster.requests.filter((path) => path.includes("aggregator")).length - before;
  return [concatBytes(...parts), requests];
}

function verify(log: Uint8Array, logsig: Uint8Array) {
  return verifyLog(log, logsig, logBlockCheck(client(), { policy: "internal" }));
}

describe("LogSigner", () => {
  it("closes a block at maxRecords, signs each with one request, and the log verifies", async () => {
    const [logsig, requests] = await signed();
    expect(requests).toBe(3);
    const verdict = await verify(text(LINES), logsig);
    expect(verdict).toMatchObject({ result: "OK", lines: 10 });
    expect(verdict.blocks.map((b) => [b.firstLine, b.lastLine])).toEqual([
      [1, 4],
      [5, 8],
      [9, 10],
    ]);
  });

  it("refuses a record holding NUL, LF or CR, which logksi could not verify", () => {
    const signer = new LogSigner(client(), { append: async () => undefined });
    for (const bad of ["a\0b", "a\nb", "a\rb"]) expect(() => signer.add(bad)).toThrow(LogRecordError);
  });

  describe("names what an attacker did to the log", () => {
    const attacks: [string, (lines: string[]) => string[], string, number][] = [
      [
        "a changed line",
        (l) => l.map((x, i) => (i === 5 ? x.replace("read", "delete") : x)),
        "RECORD_CHANGED",
        6,
      ],
      ["a deleted line", (l) => l.filter((_, i) => i !== 5), "RECORD_MISSING", 6],
      ["an inserted line", (l) => [...l.slice(0, 5), "forged", ...l.slice(5)], "RECORD_EXTRA", 6],
      ["two swapped lines", (l) => [...l.slice(0, 5), l[6]!, l[5]!, ...l.slice(7)], "RECORDS_REORDERED", 6],
      ["an appended line", (l) => [...l, "appended"], "UNSIGNED_RECORDS", 11],
      ["the last line removed", (l) => l.slice(0, -1), "LOG_ENDS_EARLY", 10],
    ];
    it.each(attacks)("%s", async (_name, attack, code, line) => {
      const [logsig] = await signed();
      const verdict = await verify(text(attack([...LINES])), logsig);
      expect(verdict.problem).toMatchObject({ result: "FAIL", code, line });
    });

    it("two blocks swapped in the signature file (and their lines in the log)", async () => {
      const [logsig] = await signed(LINES.slice(0, 8));
      const reader = await import("@tempel/proto").then((m) => m.logsigBlocks(logsig));
      const [a, b] = reader;
      const swapped = concatBytes(
        logsigMagicBytes(),
        logsig.subarray(b!.start, b!.end),
        logsig.subarray(a!.start, a!.end),
      );
      const verdict = await verify(text([...LINES.slice(4, 8), ...LINES.slice(0, 4)]), swapped);
      expect(verdict.problem).toMatchObject({ result: "FAIL", code: "BLOCK_LINK", block: 2, line: 5 });
    });
  });
});

describe("openLogsigFile", () => {
  it("cuts a torn last block and appends after the last complete one", async () => {
    const [logsig] = await signed();
    const path = join(dir, "torn.logsig");
    const torn = logsig.subarray(8, 8 + 100);
    await writeFile(path, concatBytes(logsig, torn));
    const opened = await openLogsigFile(path);
    expect(opened.truncatedBytes).toBe(100);
    expect(opened.blocks).toHaveLength(3);
    await opened.sink.close();
    expect(new Uint8Array(await readFile(path))).toEqual(logsig);
  });

  it("refuses a file that is no log signature and leaves it as it was", async () => {
    const path = join(dir, "notes.txt");
    await writeFile(path, "shopping list\n");
    await expect(openLogsigFile(path)).rejects.toThrow(LogsigFormatError);
    expect(await readFile(path, "utf8")).toBe("shopping list\n");
  });

  it("a signer resumed from the file's last leaf continues its chain", async () => {
    const path = join(dir, "resumed.logsig");
    const first = await openLogsigFile(path);
    const one = new LogSigner(client(), first.sink, { maxRecords: 4 });
    await feed(one, LINES.slice(0, 6));
    await one.flush();
    await first.sink.close();
    const again = await openLogsigFile(path);
    expect(again.blocks).toHaveLength(2);
    const two = new LogSigner(client(), again.sink, { maxRecords: 4, inputHash: one.outputHash });
    await feed(two, LINES.slice(6));
    await two.close();
    await again.sink.close();
    expect(await verify(text(LINES), new Uint8Array(await readFile(path)))).toMatchObject({
      result: "OK",
      lines: 10,
    });
  });
});
