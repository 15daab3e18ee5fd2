/**
 * The `tempel` command line's own costs: the start-up of `tempel --help` (median of ten runs), and
 * files per second for many small files verified in one `tempel verify` process. The files are
 * signed by a real tempel-node (through TempelClient.signMany) and written with their FILE.ksig;
 * the node is then stopped, and one `tempel verify 'DIR/*.ksig' --genesis FILE --json` checks every
 * signature offline against its document and the genesis' quorum. Times are wall clock of the child
 * processes (the machine may be shared). Prints figures, then one JSON line {"benchmark": "cli-verify", ...}.
 *
 * Run: npx node packages/client/test/perf/cli-verify.bench.ts [files]
 */
import { spawn } from "node:child_process";
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TempelError } from "@tempel/proto";
import { TempelClient } from "../../src/index.ts";
import { startTempelNode, waitForCertifiedHead } from "../e2e/tempel-node.ts";

const MAIN = join(import.meta.dirname, "../../src/cli/main.ts");
const HELP_RUNS = 10;
const HELP_TARGET_MS = 300;
const count = Number(process.argv[2] ?? 10_000);

/** Runs `tempel` in `cwd`; its wall time, exit code and standard output. */
function tempel(
  cwd: string,
  args: readonly string[],
): Promise<{ ms: number; code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, [MAIN, ...args], { cwd, stdio: ["ignore", "pipe", "inherit"] });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({ ms: performance.now() - start, code, stdout: Buffer.concat(chunks).toString() }),
    );
  });
}

const dir = await mkdtemp(join(tmpdir(), "tempel-cli-bench-"));
try {
  const help: number[] = [];
  for (let i = 0; i < HELP_RUNS; i++) help.push((await tempel(dir, ["--help"])).ms);
  help.sort((a, b) => a - b);
  const helpMs = help[Math.floor(HELP_RUNS / 2)]!;
  console.log(
    `tempel --help: median ${helpMs.toFixed(0)} ms of ${HELP_RUNS} (target ≤ ${HELP_TARGET_MS} ms)`,
  );

  const node = await startTempelNode();
  const genesis = join(dir, "genesis.json");
  try {
    await waitForCertifiedHead(node.url);
    const client = new TempelClient({ endpoints: [node.url], agency: node.agency });
    const documents = Array.from({ length: count }, (_, i) => `benchmark document ${i}\n`);
    const signatures = await client.signMany(documents);
    await Promise.all(
      documents.map(async (text, i) => {
        const path = join(dir, `doc-${i}.txt`);
        await writeFile(path, text);
        await writeFile(`${path}.ksig`, signatures[i]!.encode());
      }),
    );
    await copyFile(node.genesisPath, genesis);
  } finally {
    await node.stop();
  }

  const run = await tempel(dir, ["verify", join(dir, "*.ksig"), "--genesis", genesis, "--json"]);
  const results = run.stdout
    .trim()
    .split("\n")
    .map((line) => (JSON.parse(line) as { result: string }).result);
  const ok = results.filter((result) => result === "OK").length;
  if (run.code !== 0 || ok !== count) {
    throw new TempelError("CLI_VERIFY_FAILED", `tempel verify exited ${run.code} with ${ok} of ${count} OK`);
  }
  const seconds = run.ms / 1000;
  console.log(
    `tempel verify, ${count} small files and their signatures in one process, offline: ` +
      `${seconds.toFixed(1)} s, ${Math.round(count / seconds)} files/s`,
  );
  console.log(
    JSON.stringify({
      benchmark: "cli-verify",
      files: count,
      seconds,
      filesPerSecond: count / seconds,
      helpStartupMs: helpMs,
      helpTargetMs: HELP_TARGET_MS,
    }),
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
