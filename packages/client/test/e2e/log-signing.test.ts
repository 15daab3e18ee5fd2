import { spawn } from "node:child_process";
import { appendFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LogsigBlockReader } from "@tempel/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAIN, tempel, writeClusterFile } from "./cli-process.ts";
import { type RunningTempelNode, startTempelNode, waitForCertifiedHead } from "./tempel-node.ts";

/** The child processes run the checkout's sources, as this test does (vitest.setup.ts sets the flag). */
const SOURCES = { NODE_OPTIONS: process.env.NODE_OPTIONS };

let node: RunningTempelNode;
let project: string;

const line = (n: number) =>
  `2026-12-07T20:00:00Z ehealth access user=doctor${n % 17} record=patient-${n} action=read`;
const lines = (from: number, to: number) => {
  let text = "";
  for (let n = from; n <= to; n++) text += `${line(n)}\n`;
  return text;
};

/** Complete blocks in the log signature file so far (a torn tail is not counted). */
async function blocksIn(path: string): Promise<number> {
  const reader = new LogsigBlockReader();
  return reader.push(new Uint8Array(await readFile(path).catch(() => Buffer.alloc(0)))).length;
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  node = await startTempelNode();
  project = await mkdtemp(join(tmpdir(), "tempel-log-"));
  await writeClusterFile(project, node);
  await waitForCertifiedHead(node.url);
});

afterAll(async () => {
  await node?.stop();
  await rm(project, { recursive: true, force: true });
});

describe("tempel log against a real node", () => {
  it("survives a SIGKILLed --follow signer and a torn block, resumes, verifies, and names a changed line", async () => {
    const log = join(project, "access.log");
    const signature = `${log}.logsig`;
    await writeFile(log, lines(1, 1000));
    const follower = spawn(
      process.execPath,
      [MAIN, "log", "sign", "access.log", "--follow", "--block-ms", "100"],
      {
        cwd: project,
        env: { PATH: process.env.PATH, ...SOURCES },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let stderr = "";
    follower.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise((resolve) => follower.on("exit", resolve));
    try {
      await until(async () => (await blocksIn(signature)) >= 1, "the first block").catch((error: Error) => {
        throw new Error(`${error.message}; the signer said: ${stderr}`);
      });
      await appendFile(log, lines(1001, 2000));
      await until(async () => (await blocksIn(signature)) >= 2, "a block of the appended lines");
    } finally {
      follower.kill("SIGKILL");
      await exited;
    }
    // A block the killed signer was writing: its header and a record hash, no block signature.
    const complete = (await readFile(signature)).length;
    const torn = Buffer.from(await readFile(signature)).subarray(8, 8 + 76 + 37);
    await appendFile(signature, torn);
    await appendFile(log, lines(2001, 3000));

    const resumed = await tempel(project, ["log", "sign", "access.log", "--json"], { env: SOURCES });
    expect(resumed.code, resumed.stderr).toBe(0);
    const report = JSON.parse(resumed.stdout) as Record<string, number>;
    expect(report.truncatedBytes).toBe(torn.length);
    expect(report.resumedAfterLine).toBeGreaterThanOrEqual(1000);
    expect(report.resumedAfterLine + report.lines).toBe(3000);
    expect((await readFile(signature)).length).toBeGreaterThan(complete);

    const verified = await tempel(project, ["log", "verify", "access.log", "--json"], { env: SOURCES });
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ result: "OK", lines: 3000 });

    const extracted = await tempel(project, ["log", "extract", "access.log", "--line", "1500"], {
      env: SOURCES,
    });
    expect(extracted.code, extracted.stderr).toBe(0);
    expect(await readFile(join(project, "access.log.line.1500"), "utf8")).toBe(line(1500));
    const proof = await tempel(project, ["verify", "access.log.line.1500", "--json"], { env: SOURCES });
    expect(JSON.parse(proof.stdout)).toMatchObject({ result: "OK" });

    const text = await readFile(log, "utf8");
    await writeFile(log, text.replace(`${line(1500)}\n`, `${line(1500).replace("read", "delete")}\n`));
    const tampered = await tempel(project, ["log", "verify", "access.log", "--json"], { env: SOURCES });
    expect(tampered.code).toBe(1);
    expect(JSON.parse(tampered.stdout)).toMatchObject({ result: "FAIL", code: "RECORD_CHANGED", line: 1500 });
    // The signer refuses to go on from a log that no longer matches what it signed.
    const refused = await tempel(project, ["log", "sign", "access.log"], { env: SOURCES });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/line 1500/);
  });

  it("tempel watch, default policy: alerts when the .logsig stops growing past the deadline, then names a line changed in the middle", async () => {
    const log = join(project, "watched.log");
    const signature = `${log}.logsig`;
    await writeFile(log, lines(1, 3000));
    const signed = await tempel(project, ["log", "sign", "watched.log", "--block-records", "1000"], {
      env: SOURCES,
    });
    expect(signed.code, signed.stderr).toBe(0);
    expect(await blocksIn(signature)).toBe(3);

    // No --policy: the default policy, with the trust of .tempel/cluster.json (genesis, the node).
    const watch = spawn(
      process.execPath,
      [
        MAIN,
        "watch",
        "watched.log",
        "--deadline",
        "1",
        "--interval",
        "100",
        "--scan-every",
        "200",
        "--metrics-port",
        "0",
        "--json",
      ],
      { cwd: project, env: { PATH: process.env.PATH, ...SOURCES }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    watch.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    watch.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => watch.on("exit", resolve));
    type Alert = { kind: string; code: string; line?: number; block?: number };
    const alerts = () =>
      stderr
        .split("\n")
        .filter((entry) => entry.includes('"alert"'))
        .map((entry) => (JSON.parse(entry) as { alert: Alert }).alert);
    try {
      await until(async () => stderr.includes('"metrics"'), "the watcher's start").catch((error: Error) => {
        throw new Error(`${error.message}; it said: ${stderr}`);
      });
      const metrics = (
        JSON.parse(stderr.split("\n").find((entry) => entry.includes('"metrics"'))!) as {
          metrics: string;
        }
      ).metrics;
      await until(
        async () => /tempel_watch_verified_lines\{[^}]*\} 3000$/m.test(await (await fetch(metrics)).text()),
        "the three signed blocks verified",
      ).catch((error: Error) => {
        throw new Error(`${error.message}; it said: ${stderr}`);
      });
      expect(alerts()).toEqual([]);

      // Lines the signer (stopped) never signs: the .logsig stops growing while the log grows.
      await appendFile(log, lines(3001, 3010));
      await until(async () => alerts().length > 0, "the stale alert", 10_000);
      expect(alerts()).toEqual([
        expect.objectContaining({ kind: "signing-stalled", code: "SIGNING_STALLED", line: 3001 }),
      ]);

      // One line in the middle of block 2 changed in place (same length: the log's size tells nothing).
      const text = await readFile(log, "utf8");
      await writeFile(log, text.replace(`${line(1500)}\n`, `${line(1500).replace("read", "edit")}\n`));
      await until(async () => alerts().length > 1, "the alert for the changed line", 10_000);
      expect(alerts()[1]).toMatchObject({
        kind: "record-changed",
        code: "RECORD_CHANGED",
        line: 1500,
        block: 2,
      });
    } finally {
      watch.kill("SIGTERM");
    }
    expect(await exited).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({ alerts: 2, logs: [{ verifiedLines: 3000, ok: false }] });
  });
});
