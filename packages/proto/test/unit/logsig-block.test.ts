import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  aggregationStepHash,
  BLOCK_CLOSE_REASON_KEY,
  fromHex,
  LineSplitter,
  LogBlockBuilder,
  LogBlockTree,
  LogLineQueue,
  logsigBlocks,
  logsigMagicBytes,
  recordBytes,
  toHex,
  unsignedBlockElement,
} from "../../src/index.ts";

const SHA256 = 1;
const zero: Uint8Array = new Uint8Array(33);
zero[0] = SHA256;
const seedAA = new Uint8Array(32).fill(0xaa);
const treehash1 = readFileSync(join(import.meta.dirname, "../../../../testdata/logksi/logfiles/treehash1"));

function lines(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const splitter = new LineSplitter();
  splitter.push(bytes, (line) => out.push(line.slice()));
  splitter.end((line) => out.push(line.slice()));
  return out;
}

/** As `logksi create --seed seed_aa --blk-size N`: blocks of N records, a closing meta-record at the end. */
function lastLeaf(log: Uint8Array, blockSize: number): string {
  let input = zero;
  let block = new LogBlockBuilder(SHA256, seedAA, input);
  for (const line of lines(log)) {
    if (block.recordCount === blockSize) {
      input = block.close().outputHash;
      block = new LogBlockBuilder(SHA256, seedAA, input);
    }
    block.addLine(line);
  }
  if (block.recordCount === blockSize) block = new LogBlockBuilder(SHA256, seedAA, block.close().outputHash);
  block.addMeta(BLOCK_CLOSE_REASON_KEY, "Block closed due to file closure.");
  return toHex(block.close().outputHash);
}

describe("LOGSIG12 blocks", () => {
  it("give logksi create's output hashes (create_static_file.bats, seed 0xAA, zero input hash)", () => {
    const ends = (hex: string) => `${hex.slice(2, 8)}…${hex.slice(-6)}`;
    expect(ends(lastLeaf(treehash1, 5))).toBe("20c46e…498552");
    expect(ends(lastLeaf(treehash1, 4))).toBe("85792c…26c153");
    expect(ends(lastLeaf(treehash1, 3))).toBe("2f4519…1da19c");
    expect(ends(lastLeaf(new Uint8Array(0), 5))).toBe("cb7b6b…305bbf");
    expect(ends(lastLeaf(Uint8Array.of(0x0a), 5))).toBe("3670e8…886ef9");
    for (const eol of ["\n", "\r", "\r\n"]) {
      expect(ends(lastLeaf(new TextEncoder().encode(eol.repeat(3)), 5))).toBe("9df569…e9aff0");
    }
  });

  it('give the worked example of logsig12.md §6 (four lines "a")', () => {
    const seed = fromHex("6a070af8edbbc7628ca2a1c8d76f9067a2b3149864f2937b6d5567831bec5ed1")!;
    const input = fromHex("01d4590ca5ae0d7277bf0faa31e95e0f9baac95f6097231c084be487fa8d55b2e8")!;
    const tree = new LogBlockTree(SHA256, seed, input, { keepPaths: true });
    const a = tree.recordHash(Uint8Array.of(0x61));
    for (let i = 0; i < 4; i++) tree.add(a);
    expect(toHex(tree.lastLeaf)).toBe("0164cc1d88e510d88a6af70c772ddbee0a73caa806cf43ecf3da704af485cedd5e");
    const root = tree.root()!;
    expect(toHex(root)).toBe("0157bb5e95eb1945103df2a76ccf104d38cb7791167c7bf79c8d9c8fd00f341983");
    expect(tree.level).toBe(3);
    // Record 1's path is logksi extract's: mask on the left, then x2 and n34 on the right.
    expect(tree.path(0).map((s) => [s.direction, toHex(s.sibling).slice(0, 8)])).toEqual([
      ["right", "01cfba29"],
      ["left", "0140ce97"],
      ["left", "0182c20d"],
    ]);
  });

  it.each([1, 2, 3, 5, 6, 7, 13])("paths of a %i-record block fold to its root, levels included", (n) => {
    const tree = new LogBlockTree(SHA256, seedAA, zero, { keepPaths: true });
    const records = Array.from({ length: n }, (_, i) => tree.recordHash(Uint8Array.of(i)));
    for (const r of records) tree.add(r);
    const root = tree.root()!;
    for (let k = 0; k < n; k++) {
      let hash = records[k]!;
      let level = 0;
      for (const step of tree.path(k)) {
        level += step.levelCorrection + 1;
        hash =
          step.direction === "left"
            ? aggregationStepHash(SHA256, hash, step.sibling, level)
            : aggregationStepHash(SHA256, step.sibling, hash, level);
      }
      expect(toHex(hash)).toBe(toHex(root));
      expect(level).toBe(tree.level);
    }
  });

  it("reads a block back as written, and a torn block as incomplete", () => {
    const builder = new LogBlockBuilder(SHA256, seedAA, zero);
    builder.addLine(new TextEncoder().encode("one"));
    builder.addLine(new TextEncoder().encode("two"));
    const closed = builder.close();
    const signature = unsignedBlockElement(closed.recordCount, closed.root, "test");
    const file = new Uint8Array([...logsigMagicBytes(), ...closed.body, ...signature]);
    const [block] = logsigBlocks(file);
    expect(block!.signature.recordCount).toBe(2);
    expect(block!.body.filter((e) => e.kind === "record-hash")).toHaveLength(2);
    expect(block!.end).toBe(file.length);
    expect(() => logsigBlocks(file.subarray(0, file.length - 1))).toThrow(/incomplete/);
  });

  it("splits lines as logksi does: LF, CR LF, lone CR; a NUL ends a record's bytes", () => {
    const text = (bytes: Uint8Array) => lines(bytes).map((l) => new TextDecoder().decode(l));
    expect(text(new TextEncoder().encode("a\r\r\nb\nc\rd"))).toEqual(["a", "", "b", "c", "d"]);
    expect(lines(new TextEncoder().encode("a\0b\n")).map((l) => recordBytes(l).length)).toEqual([1]);
    // A CR LF pair split between chunks is one terminator.
    const out: string[] = [];
    const splitter = new LineSplitter();
    for (const part of ["x\r", "\ny\r", "z"]) {
      splitter.push(new TextEncoder().encode(part), (l) => out.push(new TextDecoder().decode(l)));
    }
    splitter.end((l) => out.push(new TextDecoder().decode(l)));
    expect(out).toEqual(["x", "y", "z"]);
  });

  it("hands out a log's lines in order however it is chunked, across the queue's compactions", async () => {
    const expected = Array.from({ length: 10_000 }, (_, n) => `line ${n}${"x".repeat(n % 13)}`);
    const terminators = ["\n", "\r\n", "\r"];
    const bytes = new TextEncoder().encode(expected.map((l, n) => l + terminators[n % 3]).join(""));
    // Chunks of 7 bytes: lines and CR LF pairs split between chunks, several lines in one chunk.
    const chunks = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) =>
      bytes.subarray(i * 7, i * 7 + 7),
    );
    const queue = new LogLineQueue(chunks);
    const out: string[] = [];
    // Taken in portions past the 4096 lines after which the queue drops what was taken, with lines
    // still waiting then.
    for (const portion of [3000, 3000, 3000, 2000]) {
      await queue.fill(portion + 50);
      for (let i = 0; i < portion; i++) {
        const line = queue.take();
        if (line === undefined) break;
        out.push(new TextDecoder().decode(line));
      }
    }
    expect(queue.take()).toBeUndefined();
    expect(queue.ended).toBe(true);
    expect(out).toEqual(expected);
  });
});
