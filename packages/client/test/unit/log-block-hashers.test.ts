import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  concatBytes,
  internalPolicy,
  LogsigVerifier,
  logsigBlocks,
  verifyLog,
  verifySignature,
} from "@tempel/proto";
import { afterAll, describe, expect, it } from "vitest";
import { LogBlockHashers } from "../../src/node/log-block-hashers.ts";

const ROOT = join(import.meta.dirname, "../../../../testdata/logksi");
const read = (path: string) => new Uint8Array(readFileSync(join(ROOT, path)));
const rows = readFileSync(join(ROOT, "verdicts.csv"), "utf8")
  .trim()
  .split("\n")
  .slice(1)
  .map((line) => {
    const [log, signature, flags] = line.split(";");
    return { log: log!, signature: signature!, flags: flags! };
  });

const hashers = new LogBlockHashers(2);
const internal = (signature: Parameters<typeof verifySignature>[0], root: Uint8Array, level: number) =>
  verifySignature(signature, { documentHash: root, inputLevel: level }, internalPolicy);
afterAll(() => hashers.close());

describe("LogBlockHashers (verifyLog's blocks hashed on worker threads)", () => {
  it.each(rows)("$log with $signature $flags: the same verdict as hashing in order", async (row) => {
    // Read in small chunks, so that several blocks are with the threads at once.
    const chunks = (bytes: Uint8Array) =>
      Array.from({ length: Math.ceil(bytes.length / 64) }, (_, i) => bytes.subarray(i * 64, i * 64 + 64));
    const verify = (hashBlocks?: LogBlockHashers["hash"]) =>
      verifyLog(chunks(read(row.log)), chunks(read(row.signature)), internal, {
        ignoreBlockTimeOrder: row.flags.includes("--ignore-desc-block-time"),
        ...(hashBlocks !== undefined && { hashBlocks }),
      });
    const hashed: unknown[] = [];
    const verdict = await verify(async (block, lines) => {
      const hashes = await hashers.hash(block, lines);
      hashed.push(hashes);
      return hashes;
    });
    expect(verdict).toEqual(await verify());
    // A log that holds was hashed on the threads alone, not again here.
    if (verdict.result === "OK") expect(hashed.every((hashes) => hashes !== undefined)).toBe(true);
  });

  it("names a block removed with its lines (each block holds alone; only its link does not)", async () => {
    const logsig = read("logs_and_signatures/signed.logsig");
    const blocks = logsigBlocks(logsig);
    const lines = new TextDecoder().decode(read("logs_and_signatures/signed")).split("\n");
    const before = LogsigVerifier.linesOf(blocks[0]!);
    const removed = LogsigVerifier.linesOf(blocks[1]!);
    const log = new TextEncoder().encode(
      [...lines.slice(0, before), ...lines.slice(before + removed)].join("\n"),
    );
    const cut = concatBytes(logsig.subarray(0, blocks[1]!.start), logsig.subarray(blocks[1]!.end));
    const verdict = await verifyLog(log, cut, internal, { hashBlocks: hashers.hash });
    expect(verdict.problem).toMatchObject({ code: "BLOCK_LINK", block: 2, line: before + 1 });
    expect(verdict).toEqual(await verifyLog(log, cut, internal));
  });
});
