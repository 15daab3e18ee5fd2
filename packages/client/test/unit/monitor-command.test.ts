import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ed25519PeerId, toHex } from "@tempel/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MONITOR_HELP, monitorCommand } from "../../src/cli/commands/monitor.ts";
import { UsageError } from "../../src/cli/usage-error.ts";

const KEY = new Uint8Array(32).fill(0x11);
let dir: string;
let genesis: string;
const io = () => {
  const out: string[] = [];
  return { out, io: { out: (t: string) => out.push(t), err: (t: string) => out.push(t) } };
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tempel-monitor-cli-"));
  genesis = join(dir, "genesis.json");
  writeFileSync(
    genesis,
    JSON.stringify({
      version: 1,
      members: [{ id: ed25519PeerId(KEY), publicKey: toHex(KEY), apiUrl: "http://127.0.0.1:1" }],
      quorum: 1,
      publications: { dayOfMonth: 15 },
    }),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("tempel monitor arguments", () => {
  it("prints its help", async () => {
    const { out, io: cli } = io();
    expect(await monitorCommand(["--help"], cli)).toBe(0);
    expect(out.join("")).toBe(MONITOR_HELP);
  });

  it.each([
    [[], /--genesis FILE/],
    [["--genesis", "/nonexistent/genesis.json"], /cannot read genesis/],
    [["--genesis", "GENESIS", "--interval", "fast"], /--interval fast/],
    [["--genesis", "GENESIS", "--interval", "10"], /--interval 10: expected 100\.\./],
    [["--genesis", "GENESIS", "--node", "ftp://node"], /not an http\(s\) URL/],
    [["--genesis", "GENESIS", "--webhook", "hook"], /not an http\(s\) URL/],
    [["--genesis", "GENESIS", "--colour", "red"], /Unknown option/],
  ])("refuses %j as a usage error", async (args, message) => {
    const { io: cli } = io();
    const given = (args as string[]).map((a) => (a === "GENESIS" ? genesis : a));
    await expect(monitorCommand(given, cli)).rejects.toThrow(UsageError);
    await expect(monitorCommand(given, cli)).rejects.toThrow(message);
  });

  it("refuses a genesis that is not one", async () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ version: 1, members: [], quorum: 1 }));
    const { io: cli } = io();
    await expect(monitorCommand(["--genesis", bad], cli)).rejects.toThrow(/genesis .*members/);
  });
});
