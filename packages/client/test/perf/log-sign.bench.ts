/**
 * Log signing (issue #20): lines signed per second by one `tempel log sign --follow` process against
 * a real tempel-node (one aggregation request per block), lines verified per second by `tempel log
 * verify` (internal policy, offline; on its one thread and with a hashing thread per core) and by verifyLog
 * in this process, and .logsig bytes per block. The log is written before the signer starts, so
 * the signer reads as fast as it signs; the signing rate counts from the signer's start to the
 * moment its .logsig holds every line (start-up and the first round included). Times are wall clock (the machine may be shared). Prints figures, then one
 * JSON line {"benchmark": "log-sign", ...}.
 *
 * Run: npx node packages/client/test/perf/log-sign.bench.ts [lines]
 */
import { spawn } from "node:child_process";
import { mkdtemp, open, readFile, rm, stat } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import {
  internalPolicy,
  LogsigBlockReader,
  LogsigVerifier,
  TempelError,
  verifyLog,
  verifySignature,
} from "@tempel/proto";
import { nodeHasher } from "@tempel/proto/node";
import { writeClusterFile } from "../e2e/cli-process.ts";
import { startTempelNode, waitForCertifiedHead } from "../e2e/tempel-node.ts";

// As the tempel CLI hashes: with node:crypto.
const hasher = nodeHasher;

const MAIN = join(import.meta.dirname, "../../src/cli/main.ts");
const LINES = Number(process.argv[2] ?? 2_000_000);
const SIGN_TARGET = 200_000;
const VERIFY_TARGET = 1_000_000;

function line(n: number): string {
  return `2026-12-07T20:00:00.${String(n % 1000).padStart(3, "0")}Z ehealth audit user=doctor${n % 97} patient=${n} action=read ok`;
}

async function writeLog(path: string, count: number): Promise<void> {
  const file = await open(path, "w");
  try {
    const batch = 10_000;
    for (let start = 1; start <= count; start += batch) {
      let text = "";
      for (let n = start; n < Math.min(start + batch, count + 1); n++) text += `${line(n)}\n`;
      await file.write(text);
    }
  } finally {
    await file.close();
  }
}

/**
 * Lines in the complete blocks of `path` so far, and the blocks' sizes in bytes: each call reads only
 * what was appended since the last (the poller shares the machine with the signer).
 */
function signedCounter(path: string): () => Promise<{ lines: number; blockBytes: number[] }> {
  const reader = new LogsigBlockReader();
  let read = 0;
  let lines = 0;
  const blockBytes: number[] = [];
  return async () => {
    const file = await open(path, "r").catch(() => undefined);
    if (file !== undefined) {
      try {
        const { size } = await file.stat();
        if (size > read) {
          const chunk = new Uint8Array(size - read);
          await file.read(chunk, 0, chunk.length, read);
          read = size;
          for (const block of reader.push(chunk)) {
            lines += LogsigVerifier.linesOf(block);
            blockBytes.push(block.end - block.start);
          }
        }
      } finally {
        await file.close();
      }
    }
    return { lines, blockBytes };
  };
}

function child(
  cwd: string,
  args: readonly string[],
): { done: Promise<{ code: number | null; ms: number; stdout: string }>; kill: () => void } {
  const start = performance.now();
  const proc = spawn(process.execPath, [MAIN, ...args], { cwd, stdio: ["ignore", "pipe", "inherit"] });
  const chunks: Buffer[] = [];
  proc.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
  return {
    done: new Promise((resolve, reject) => {
      proc.on("error", reject);
      proc.on("close", (code) =>
        resolve({ code, ms: performance.now() - start, stdout: Buffer.concat(chunks).toString() }),
      );
    }),
    kill: () => proc.kill("SIGTERM"),
  };
}

const dir = await mkdtemp(join(tmpdir(), "tempel-log-bench-"));
try {
  const log = join(dir, "audit.log");
  const logsig = `${log}.logsig`;
  await writeLog(log, LINES);
  const logBytes = (await stat(log)).size;
  console.log(`log: ${LINES} lines, ${(logBytes / 1e6).toFixed(0)} MB`);

  const node = await startTempelNode();
  let signSeconds: number;
  let blockBytes: number[];
  let requestsBefore: number;
  let requestsAfter: number;
  /** When the first block was durable, and its lines: the steady rate counts from there. */
  let firstBlock: { at: number; lines: number } | undefined;
  let end = 0;
  try {
    await waitForCertifiedHead(node.url);
    await writeClusterFile(dir, node);
    const requests = async () => {
      const text = await (await fetch(`${node.url}/metrics`)).text();
      // Every HTTP request to the KSI aggregator endpoint, whatever its answer.
      let total = 0;
      for (const match of text.matchAll(/^tempel_http_requests_total\{[^}]*aggregator[^}]*\} (\d+)/gm)) {
        total += Number(match[1]);
      }
      return total;
    };
    requestsBefore = await requests();
    const start = performance.now();
    const signer = child(dir, ["log", "sign", "audit.log", "--follow"]);
    const signedSoFar = signedCounter(logsig);
    let signed = { lines: 0, blockBytes: [] as number[] };
    while (signed.lines < LINES) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      signed = await signedSoFar();
      if (firstBlock === undefined && signed.lines > 0) {
        firstBlock = { at: performance.now(), lines: signed.lines };
      }
      if (performance.now() - start > 600_000)
        throw new TempelError("LOG_SIGN_SLOW", "not signed in 10 minutes");
    }
    end = performance.now();
    signSeconds = (end - start) / 1000;
    blockBytes = signed.blockBytes;
    signer.kill();
    await signer.done;
    requestsAfter = await requests();
  } finally {
    await node.stop();
  }
  const signRate = LINES / signSeconds;
  const steadyRate =
    firstBlock === undefined || end === firstBlock.at
      ? signRate
      : (LINES - firstBlock.lines) / ((end - firstBlock.at) / 1000);
  const meanBlockBytes = blockBytes.reduce((a, b) => a + b, 0) / blockBytes.length;
  console.log(
    `tempel log sign --follow: ${LINES} lines in ${signSeconds.toFixed(1)} s = ${Math.round(signRate)} lines/s from start-up, ` +
      `${Math.round(steadyRate)} lines/s after the first block (target ≥ ${SIGN_TARGET}), ${blockBytes.length} blocks, ${Math.round(meanBlockBytes)} bytes per block ` +
      `(${(meanBlockBytes / (LINES / blockBytes.length)).toFixed(1)} per line), aggregation requests counted by the node: ${requestsAfter - requestsBefore}`,
  );

  // Offline: the node and its genesis are gone, and the internal policy needs neither.
  await rm(join(dir, ".tempel"), { recursive: true, force: true });
  const cli = await child(dir, ["log", "verify", "audit.log", "--policy", "internal", "--json"]).done;
  if (cli.code !== 0)
    throw new TempelError("LOG_VERIFY_FAILED", `tempel log verify exited ${cli.code}: ${cli.stdout}`);
  const cliRate = LINES / (cli.ms / 1000);
  // The same with a hashing thread per core: what the threads win (or cost) on this machine.
  const cores = String(availableParallelism());
  const threaded = await child(dir, [
    "log",
    "verify",
    "audit.log",
    "--policy",
    "internal",
    "--threads",
    cores,
  ]).done;
  if (threaded.code !== 0)
    throw new TempelError(
      "LOG_VERIFY_FAILED",
      `tempel log verify --threads ${cores} exited ${threaded.code}`,
    );
  const threadedRate = LINES / (threaded.ms / 1000);
  const started = performance.now();
  const verdict = await verifyLog(
    await readFile(log),
    await readFile(logsig),
    (signature, root, level) =>
      verifySignature(signature, { documentHash: root, inputLevel: level, hasher }, internalPolicy),
    { hasher },
  );
  const inProcessSeconds = (performance.now() - started) / 1000;
  if (verdict.result !== "OK")
    throw new TempelError("LOG_VERIFY_FAILED", `verifyLog: ${verdict.problem?.message}`);
  const inProcessRate = LINES / inProcessSeconds;
  console.log(
    `tempel log verify (internal policy): ${(cli.ms / 1000).toFixed(1)} s = ${Math.round(cliRate)} lines/s, ` +
      `${Math.round(threadedRate)} lines/s with --threads ${cores}; ` +
      `verifyLog in process (files read first): ${inProcessSeconds.toFixed(1)} s = ${Math.round(inProcessRate)} lines/s (target ≥ ${VERIFY_TARGET})`,
  );
  console.log(
    JSON.stringify({
      benchmark: "log-sign",
      lines: LINES,
      logBytes,
      signSeconds,
      signLinesPerSecond: signRate,
      signSteadyLinesPerSecond: steadyRate,
      signTarget: SIGN_TARGET,
      blocks: blockBytes.length,
      bytesPerBlock: meanBlockBytes,
      aggregationRequests: requestsAfter - requestsBefore,
      verifyCliSeconds: cli.ms / 1000,
      verifyCliLinesPerSecond: cliRate,
      verifyCliThreadedLinesPerSecond: threadedRate,
      verifyInProcessLinesPerSecond: inProcessRate,
      verifyTarget: VERIFY_TARGET,
    }),
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
