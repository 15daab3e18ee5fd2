import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseGenesisPublications } from "@tempel/proto";
import { Level } from "level";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTHORITY_FILES } from "../../src/publication/authority.ts";
import { Bucket } from "../../src/store/buckets.ts";
import { keyNumber } from "../../src/store/keys.ts";
import { exited, MAIN, randomImprint, sleep, spawnNode, TestClient } from "./node-fixtures.ts";

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tempel-cli-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, ...env } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
}

const agencyOfConfig = async (file: string) => {
  const { readFile } = await import("node:fs/promises");
  return (JSON.parse(await readFile(file, "utf8")) as { agencies: { loginId: string; key: string }[] })
    .agencies[0]!;
};

describe("tempel-node", () => {
  it("prints help for the program and each command, and exits 2 without a command", async () => {
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("tempel-node init --data DIR");
    const start = await run(["start", "--help"]);
    expect(start.code).toBe(0);
    expect(start.stdout).toContain("--api-port VALUE");
    expect(start.stdout).toContain("TEMPEL_ROUNDS_MAX_PENDING");
    expect((await run([])).code).toBe(2);
    const unknown = await run(["launch"]);
    expect(unknown).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown command "launch"') });
  });

  it("--version prints the version in @tempel/node's package.json", async () => {
    const { readFile } = await import("node:fs/promises");
    const manifest = JSON.parse(await readFile(join(import.meta.dirname, "../../package.json"), "utf8"));
    expect(await run(["--version"])).toEqual({ code: 0, stdout: `${manifest.version}\n`, stderr: "" });
  });

  it("init creates a node once and refuses to overwrite it", async () => {
    const data = join(dir, "init");
    const first = await run(["init", "--data", data, "--p2p", "/ip4/127.0.0.1/tcp/0", "--api-port", "0"]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/node id\s+12D3KooW/);
    const again = await run(["init", "--data", data]);
    expect(again).toMatchObject({ code: 1, stderr: expect.stringContaining("already exists") });
  });

  it("publications-ca init creates the authority and prints the genesis publications object naming it", async () => {
    const out = join(dir, "authority");
    const created = await run([
      "publications-ca",
      "init",
      "--out",
      out,
      "--email",
      "publications@cli.tempel.invalid",
      "--cluster",
      "cli-test",
      "--interval",
      "300",
    ]);
    expect(created.code, created.stderr).toBe(0);
    const printed = created.stdout.slice(created.stdout.indexOf("{"));
    const publications = parseGenesisPublications(JSON.parse(printed));
    expect(publications.schedule).toEqual({ intervalSeconds: 300 });
    expect(publications.authority?.email).toBe("publications@cli.tempel.invalid");
    expect(readdirSync(out).sort()).toEqual(Object.values(AUTHORITY_FILES).sort());

    const missing = await run(["publications-ca", "init", "--out", join(dir, "other")]);
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining("needs --out DIR, --email") });
    expect((await run(["publications-ca"])).code).toBe(2);
  });

  it("start refuses a bad setting with exit code 2, naming the setting and its source", async () => {
    const config = join(dir, "init", "config.json");
    const flag = await run(["start", "--config", config, "--api-port", "http"]);
    expect(flag).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("api.port (--api-port) must be an integer"),
    });
    const env = await run(["start", "--config", config], { TEMPEL_LOG_LEVEL: "loud" });
    expect(env).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("log.level (TEMPEL_LOG_LEVEL) must be one of"),
    });
    const unknownFlag = await run(["start", "--config", config, "--colour", "blue"]);
    expect(unknownFlag.code).toBe(2);
  });

  it("start refuses a calendar key or a config with agency keys that others may read, with exit code 2 (configuration) and the chmod to run", async () => {
    const config = join(dir, "init", "config.json");
    const calendarKey = join(dir, "init", "calendar-key.pem");
    for (const [file, code] of [
      [calendarKey, 2],
      [config, 2],
    ] as const) {
      chmodSync(file, 0o644);
      try {
        const refused = await run(["start", "--config", config, "--api-port", "0"]);
        expect(refused).toMatchObject({ code, stderr: expect.stringContaining(`chmod 600 ${file}`) });
      } finally {
        chmodSync(file, 0o600);
      }
    }
  });

  it("stops within seconds on SIGTERM while clients keep sending on keep-alive connections", async () => {
    const config = join(dir, "init", "config.json");
    const node = await spawnNode(config, ["--api-port", "0"]);
    const client = new TestClient(node.port, await agencyOfConfig(config));
    let sending = true;
    const senders = Array.from({ length: 4 }, async () => {
      while (sending) await client.signPdu([randomImprint()]).catch(() => sleep(10));
    });
    await sleep(1_500);
    node.child.kill("SIGTERM");
    // A liveness bound, not a speed target: the clients' connections must not hold the node up.
    const code = await Promise.race([exited(node.child), sleep(15_000).then(() => "still running")]);
    if (code === "still running") node.child.kill("SIGKILL");
    sending = false;
    await Promise.all(senders);
    expect(code).toBe(0);
  });

  it("stops gracefully on SIGTERM; check then finds the store sound; a corrupted leaf stops start and fails check", async () => {
    const config = join(dir, "init", "config.json");
    const node = await spawnNode(config, ["--api-port", "0"]);
    const client = new TestClient(node.port, await agencyOfConfig(config));
    await client.signPdu([randomImprint(), randomImprint()]);
    await sleep(2_500); // later seconds complete the signed leaf's subtrees
    node.child.kill("SIGTERM");
    expect(await exited(node.child)).toBe(0);
    expect(node.lines.some((line) => line.includes('"msg":"stopped"'))).toBe(true);

    const sound = await run(["check", "--config", config]);
    expect(sound).toMatchObject({ code: 0, stdout: expect.stringContaining("the store is sound") });

    const db = new Level<Uint8Array, Uint8Array>(join(dir, "init", "db"), {
      keyEncoding: "view",
      valueEncoding: "view",
    });
    let corrupted = -1;
    for await (const [key, value] of db.iterator({
      gte: Uint8Array.of(Bucket.calendarLeaf),
      lt: Uint8Array.of(Bucket.calendarLeaf + 1),
    })) {
      corrupted = keyNumber(key);
      value[5]! ^= 0xff;
      await db.put(key, value);
      break;
    }
    await db.close();
    expect(corrupted).toBeGreaterThan(0);

    const refused = await run(["start", "--config", config, "--api-port", "0"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("the calendar store is corrupt; refusing to serve");
    expect(refused.stderr).toContain("its children hash to");
    const check = await run(["check", "--config", config]);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(
      /problem\(s\):\n {2}calendar node \(height 1, index \d+, seconds \d+\.\.\d+\) is /,
    );
  });
});
