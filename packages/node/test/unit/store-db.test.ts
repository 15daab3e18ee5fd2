import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openNodeDb } from "../../src/store/db.ts";
import { StoreError } from "../../src/store/errors.ts";
import { decodeRoundRecord, roundRecordPut } from "../../src/store/round-record.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tempel-db-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sha256Imprint = (fill: number) => Uint8Array.of(0x01, ...new Uint8Array(32).fill(fill));
const owner = { genesisHash: new Uint8Array(32).fill(1), nodeId: "node-a" };

async function storeError(run: () => Promise<unknown>): Promise<StoreError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof StoreError) return error;
    throw error;
  }
  throw new Error("expected a StoreError");
}

describe("openNodeDb", () => {
  it("remembers its owner and reopens for the same genesis and node", async () => {
    const db = await openNodeDb(join(dir, "db"), owner);
    await db.close();
    const again = await openNodeDb(join(dir, "db"), owner);
    await again.close();
  });

  it("refuses a database of another cluster or another node, naming which", async () => {
    await (await openNodeDb(join(dir, "db"), owner)).close();
    const foreignGenesis = await storeError(() =>
      openNodeDb(join(dir, "db"), { ...owner, genesisHash: new Uint8Array(32) }),
    );
    expect(foreignGenesis.code).toBe("STORE_FOREIGN_GENESIS");
    const foreignNode = await storeError(() => openNodeDb(join(dir, "db"), { ...owner, nodeId: "node-b" }));
    expect(foreignNode.code).toBe("STORE_FOREIGN_NODE");
    expect(foreignNode.message).toContain("node-a");
  });

  it("refuses a database another process holds open, and a missing one when asked not to create", async () => {
    const db = await openNodeDb(join(dir, "db"), owner);
    expect((await storeError(() => openNodeDb(join(dir, "db"), owner))).code).toBe("STORE_OPEN");
    await db.close();
    expect((await storeError(() => openNodeDb(join(dir, "absent"), owner, false))).code).toBe("STORE_OPEN");
  });
});

describe("round records", () => {
  it("round-trip and are keyed by their second", () => {
    const record = { time: 1_763_780_001, root: sha256Imprint(7), level: 21, hashes: 12_345 };
    const put = roundRecordPut(record);
    expect(put.key[0]).toBe(0x03);
    expect(decodeRoundRecord(put.value)).toEqual(record);
  });

  it("reject a record with a bad root or an unknown critical field", () => {
    const shortRoot = roundRecordPut({
      time: 1,
      root: sha256Imprint(1).subarray(0, 32),
      level: 0,
      hashes: 1,
    });
    expect(() => decodeRoundRecord(shortRoot.value)).toThrow(/SHA-256 digest must be 32 bytes/);
    const put = roundRecordPut({ time: 1, root: sha256Imprint(1), level: 0, hashes: 1 });
    const extra = new Uint8Array([...put.value, 0x09, 0x00]);
    extra[1]! += 2;
    expect(() => decodeRoundRecord(extra)).toThrow(/unknown critical/);
  });
});
