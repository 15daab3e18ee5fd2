import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadGenesis } from "../../src/genesis/genesis.ts";
import { type InitResult, initDataDir } from "../../src/genesis/index.ts";
import { initPublicationsAuthority } from "../../src/publication/authority.ts";
import { runCli } from "./cluster-fixtures.ts";

let dir: string;
let inits: InitResult[];
let folders: string[];
/** A folder as `tempel-node publications-ca init` leaves it, and the genesis object it printed. */
let authorityDir: string;
let authorityJson: Record<string, unknown>;
const now = Math.floor(Date.now() / 1000);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tempel-genesis-cli-"));
  // The ports are never bound: only `start`'s membership check runs here.
  folders = [1, 2, 3, 4].map((i) => join(dir, `node-${i}`));
  inits = await Promise.all(
    folders.map((folder, i) =>
      initDataDir({
        dataDir: folder,
        httpHost: "127.0.0.1",
        httpPort: 23_100 + i,
        apiUrl: `http://127.0.0.1:${23_100 + i}`,
        p2pAddrs: [`/ip4/127.0.0.1/tcp/${24_100 + i}`],
        now,
      }),
    ),
  );
  authorityDir = join(dir, "publications-ca");
  authorityJson = (
    await initPublicationsAuthority({
      outDir: authorityDir,
      email: "publications@agency-east.example",
      clusterId: "agency-east",
      now,
      schedule: { intervalSeconds: 86_400 },
    })
  ).genesisPublications;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("tempel-node genesis", () => {
  it("explains in its help how the quorum trades crashes survived against malicious members", async () => {
    const help = await runCli(["genesis", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Q must be a majority (Q > N/2)");
    expect(help.stdout).toContain("Q > 2N/3 tolerates");
    expect((await runCli(["--help"])).stdout).toContain("tempel-node genesis --member");
  });

  it("joins members given as data folders and as genesis files into one genesis file", async () => {
    const out = join(dir, "cluster.json");
    const result = await runCli([
      "genesis",
      "--member",
      folders[0]!,
      "--member",
      folders[1]!,
      "--member",
      inits[2]!.paths.genesis,
      "--quorum",
      "3",
      "--cluster-id",
      "agency-east",
      "--genesis-time",
      String(now),
      "--publication-schedule",
      "monthly:1",
      "--out",
      out,
    ]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toContain(`wrote ${out}`);
    expect(result.stdout).toContain("quorum       3 of 3: certifies with up to 0 member(s) down");
    const genesis = loadGenesis(out);
    expect(genesis).toMatchObject({
      clusterId: "agency-east",
      genesisTime: now,
      quorum: 3,
      publications: { schedule: { dayOfMonth: 1 } },
    });
    const ids = inits.slice(0, 3).map((init) => init.nodeId);
    expect(genesis.members.map((m) => m.id)).toEqual([...ids].sort());
    expect(genesis.members.find((m) => m.id === inits[0]!.nodeId)).toEqual(inits[0]!.genesis.members[0]);
  });

  it("reads an ISO 8601 genesis time and defaults to a majority quorum", async () => {
    const out = join(dir, "majority.json");
    const time = new Date(now * 1000).toISOString();
    const result = await runCli([
      "genesis",
      ...folders.slice(0, 3).flatMap((f) => ["--member", f]),
      "--genesis-time",
      time,
      "--out",
      out,
    ]);
    expect(result.code).toBe(0);
    expect(loadGenesis(out)).toMatchObject({ genesisTime: now, quorum: 2 });
  });

  it("publishes daily at 00:00 UTC with no publications file unless told otherwise", async () => {
    const out = join(dir, "defaults.json");
    const result = await runCli([
      "genesis",
      ...folders.slice(0, 3).flatMap((f) => ["--member", f]),
      "--out",
      out,
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("publishes    daily at 00:00 UTC; no publications file");
    expect(loadGenesis(out).publications).toEqual({ schedule: { intervalSeconds: 86_400 } });
  });

  it("names the publications authority of a publications-ca folder, with the schedule given", async () => {
    const out = join(dir, "with-authority.json");
    const result = await runCli([
      "genesis",
      ...folders.slice(0, 3).flatMap((f) => ["--member", f]),
      "--publications-authority",
      authorityDir,
      "--publication-schedule",
      "every:3600",
      "--out",
      out,
    ]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toContain(
      "publishes    every 3600 s; publications file signed as publications@agency-east.example",
    );
    const written = JSON.parse(readFileSync(out, "utf8"));
    expect(written.publications).toEqual({ ...authorityJson, intervalSeconds: 3600 });
    expect(loadGenesis(out).publications.schedule).toEqual({ intervalSeconds: 3600 });
  });

  it("keeps the publications authority a member's own genesis names", async () => {
    const named = memberGenesisWith(inits[2]!, "named.json", authorityJson);
    const out = join(dir, "kept-authority.json");
    const result = await runCli([
      "genesis",
      ...[folders[0]!, folders[1]!, named].flatMap((f) => ["--member", f]),
      "--out",
      out,
    ]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse(readFileSync(out, "utf8")).publications).toEqual(authorityJson);
  });

  it("exits 1 when members name different publications authorities, and takes the one given", async () => {
    const authority = authorityJson.authority as Record<string, unknown>;
    const east = memberGenesisWith(inits[2]!, "east.json", authorityJson);
    const west = memberGenesisWith(inits[3]!, "west.json", {
      ...authorityJson,
      authority: { ...authority, email: "publications@agency-west.example" },
    });
    const members = [folders[0]!, east, west].flatMap((f) => ["--member", f]);
    const conflict = await runCli(["genesis", ...members, "--out", join(dir, "conflict.json")]);
    expect(conflict).toMatchObject({
      code: 1,
      stderr: expect.stringContaining("name different publications authorities"),
    });
    const out = join(dir, "resolved.json");
    const resolved = await runCli([
      "genesis",
      ...members,
      "--publications-authority",
      authorityDir,
      "--out",
      out,
    ]);
    expect(resolved.code).toBe(0);
    expect(JSON.parse(readFileSync(out, "utf8")).publications).toEqual(authorityJson);
  });

  it("exits 1 naming a publications authority folder it cannot read", async () => {
    const missing = join(dir, "no-such-authority");
    const result = await runCli([
      "genesis",
      "--member",
      folders[0]!,
      "--publications-authority",
      missing,
      "--out",
      join(dir, "z.json"),
    ]);
    expect(result).toMatchObject({ code: 1, stderr: expect.stringContaining(`cannot read ${missing}`) });
  });

  it("never overwrites a genesis file", async () => {
    const out = join(dir, "once.json");
    const members = folders.slice(0, 2).flatMap((f) => ["--member", f]);
    expect((await runCli(["genesis", ...members, "--out", out])).code).toBe(0);
    const again = await runCli(["genesis", ...members, "--out", out]);
    expect(again).toMatchObject({ code: 1, stderr: expect.stringContaining(`${out} already exists`) });
  });

  it.each([
    [["--member", "x"], "needs --out FILE"],
    [["--out", "x"], "needs at least one --member"],
    [["--member", "x", "--out", "y", "--quorum", "two"], '--quorum "two" is not a member count'],
    [["--member", "x", "--out", "y", "--genesis-time", "yesterday"], "neither Unix seconds nor an ISO 8601"],
    [["--member", "x", "--out", "y", "--genesis-time", "2026-01-01T00:00:00"], "neither Unix seconds nor"],
    [["--member", "x", "--out", "y", "--publication-schedule", "weekly"], "must be daily, every:S"],
    [["--member", "x", "--out", "y", "--publication-schedule", "monthly:29"], "D from 1 to 28"],
    [["--member", "x", "--out", "y", "--publication-schedule", "every:59"], "S from 60 to"],
    [["--member", "x", "--out", "y", "--publication-schedule", "every:1h"], "must be daily, every:S"],
    [["--members", "x"], "Unknown option '--members'"],
  ])("exits 2 on the usage error %j", async (args, message) => {
    const result = await runCli(["genesis", ...args]);
    expect(result).toMatchObject({ code: 2, stderr: expect.stringContaining(message) });
  });

  it("exits 1 naming the members that cannot form a cluster", async () => {
    const twice = await runCli([
      "genesis",
      "--member",
      folders[0]!,
      "--member",
      folders[0]!,
      "--out",
      join(dir, "x.json"),
    ]);
    expect(twice).toMatchObject({ code: 1, stderr: expect.stringContaining("have the same peer id") });
    const minority = await runCli([
      "genesis",
      ...folders.slice(0, 4).flatMap((f) => ["--member", f]),
      "--quorum",
      "2",
      "--out",
      join(dir, "y.json"),
    ]);
    expect(minority).toMatchObject({ code: 1, stderr: expect.stringContaining("quorum must be a majority") });
  });

  it("leaves a node whose key is not a member unable to start, with a clear message", async () => {
    const out = join(dir, "without-node-4.json");
    expect(
      (await runCli(["genesis", ...folders.slice(0, 3).flatMap((f) => ["--member", f]), "--out", out])).code,
    ).toBe(0);
    const outsider = inits[3]!;
    const start = await runCli(["start", "--config", outsider.paths.config, "--genesis-file", out]);
    expect(start.code).toBe(1);
    expect(start.stderr).toContain(`this node (${outsider.nodeId}) is not a member in ${out}`);
  });
});

/** A copy of a member's own genesis (a member given as a file) whose publications object is `publications`. */
function memberGenesisWith(init: InitResult, name: string, publications: Record<string, unknown>): string {
  const path = join(dir, name);
  const genesis = JSON.parse(readFileSync(init.paths.genesis, "utf8"));
  writeFileSync(path, JSON.stringify({ ...genesis, publications }));
  return path;
}
