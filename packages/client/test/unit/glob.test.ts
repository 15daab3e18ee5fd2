import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { globPaths } from "../../src/cli/glob.ts";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tempel-glob-"));
  await mkdir(join(dir, "sub", "deeper"), { recursive: true });
  await mkdir(join(dir, ".hidden-folder"));
  for (const file of [
    "a.txt",
    "b.txt",
    "c.ksig",
    ".hidden.txt",
    "sub/d.txt",
    "sub/deeper/e.txt",
    ".hidden-folder/f.txt",
  ]) {
    await writeFile(join(dir, file), file);
  }
});

afterAll(() => rm(dir, { recursive: true, force: true }));

const matches = async (pattern: string) =>
  (await globPaths(join(dir, pattern))).map((path) => path.slice(dir.length + 1)).sort();

describe("tempel's own glob expansion (Node.js 20 has no fs.glob)", () => {
  it("matches *, ?, [...] and {a,b} within a segment, and no hidden name unless the pattern starts with a dot", async () => {
    expect(await matches("*.txt")).toEqual(["a.txt", "b.txt"]);
    expect(await matches("?.ksig")).toEqual(["c.ksig"]);
    expect(await matches("[ab].txt")).toEqual(["a.txt", "b.txt"]);
    expect(await matches("[!a].txt")).toEqual(["b.txt"]);
    expect(await matches("{a,c}.*")).toEqual(["a.txt", "c.ksig"]);
    expect(await matches(".*.txt")).toEqual([".hidden.txt"]);
  });

  it("matches ** as any depth of folders, and named folders as they are", async () => {
    expect(await matches("**/*.txt")).toEqual(["a.txt", "b.txt", "sub/d.txt", "sub/deeper/e.txt"]);
    expect(await matches("sub/*/*.txt")).toEqual(["sub/deeper/e.txt"]);
    expect(await matches("sub/d.txt")).toEqual(["sub/d.txt"]);
    expect(await matches("nowhere/*.txt")).toEqual([]);
  });
});
