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
});
