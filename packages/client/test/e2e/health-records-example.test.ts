import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../../../examples/health-records/health-records.ts";
import { type RunningTempelNode, startTempelNode, waitForCertifiedHead } from "./tempel-node.ts";

/**
 * examples/health-records/ as docs/logs.md ("Record history") runs it: a SQLite database of record
 * versions signed against a real tempel-node, tampered with as an insider would, and verified.
 */
const SCRIPT = join(import.meta.dirname, "../../../../examples/health-records/health-records.ts");

let node: RunningTempelNode;
let folder: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  [node, folder] = await Promise.all([startTempelNode(), mkdtemp(join(tmpdir(), "tempel-health-records-"))]);
  env = {
    PATH: process.env.PATH,
    TEMPEL_ENDPOINTS: node.url,
    TEMPEL_LOGIN: node.agency.loginId,
    TEMPEL_KEY: node.agency.key,
    TEMPEL_GENESIS: node.genesisPath,
  };
  await waitForCertifiedHead(node.url);
});

afterAll(async () => {
  await Promise.all([node?.stop(), folder && rm(folder, { recursive: true, force: true })]);
});

/** One command of the script, in this process (each process start costs a second on a busy machine). */
async function run(...args: string[]): Promise<{ code: number; stdout: string }> {
  const lines: string[] = [];
  const code = await main(args, { env, print: (line) => lines.push(line) });
  return { code, stdout: lines.map((line) => `${line}\n`).join("") };
}

/** The script as docs/logs.md runs it: its own process. */
function spawned(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=tempel-source", SCRIPT, ...args], {
      cwd: folder,
      env,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("the health-records example against a real tempel-node", () => {
  it("signs a SQLite table's versions in batches and finds every insider edit, deletion, swap, copy and rollback", async () => {
    const db = join(folder, "health.db");
    expect(await run("seed", db)).toMatchObject({ code: 0 });
    expect(await run("sign", db)).toMatchObject({
      code: 0,
      stdout: "16 versions signed (checkpoint included)\n",
    });
    expect(
      await run("write", db, "patient-1005/allergies", "severity=mild", "reason=retested"),
    ).toMatchObject({
      code: 0,
    });
    expect(await run("sign", db)).toMatchObject({
      code: 0,
      stdout: "2 versions signed (checkpoint included)\n",
    });

    const clean = await spawned("verify", db);
    expect(clean.stderr).toBe("");
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain("ok patient-1005/allergies: 4 versions");

    for (const tamper of [
      ["edit", "patient-1001/allergies", "2", "allergy=none known"],
      ["delete", "patient-1002/allergies", "2"],
      ["swap", "patient-1003/allergies", "1", "3"],
      ["copy", "patient-1001/allergies", "3", "patient-1004/allergies"],
      ["rollback", "patient-1005/allergies", "3"],
    ]) {
      expect(await run("tamper", db, ...tamper), tamper.join(" ")).toMatchObject({ code: 0 });
    }
    const tampered = await run("verify", db, "--json");
    expect(tampered.code).toBe(1);
    const problems = (
      JSON.parse(tampered.stdout) as { problems: { code: string; recordId: string; version: number }[] }
    ).problems;
    expect(problems.map((p) => `${p.code} ${p.recordId} v${p.version}`)).toEqual([
      "VERSION_CHANGED patient-1001/allergies v2",
      "VERSION_MISSING patient-1002/allergies v2",
      "VERSION_CHANGED patient-1003/allergies v1",
      "VERSION_CHANGED patient-1003/allergies v3",
      "VERSION_CHANGED patient-1004/allergies v4",
      "ROLLBACK patient-1005/allergies v4",
    ]);
  });
});
