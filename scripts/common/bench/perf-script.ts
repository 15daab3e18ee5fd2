import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { TempelError } from "@tempel/proto";
import { REPO_ROOT } from "../paths.ts";

const run = promisify(execFile);

/** What a package's benchmark script prints last: one JSON line naming the benchmark. */
export interface PerfOutput {
  readonly benchmark: string;
  readonly [field: string]: unknown;
}

export class PerfScriptError extends TempelError {}

/**
 * Run a package's benchmark script (packages/<pkg>/test/perf/*.bench.ts) in its own process, so its
 * timings are not disturbed by this one, and return its JSON line for `benchmark`.
 */
export async function runPerfScript(
  path: string,
  args: readonly string[],
  benchmark: string,
): Promise<PerfOutput> {
  let stdout: string;
  try {
    ({ stdout } = await run(process.execPath, [join(REPO_ROOT, path), ...args], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    }));
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new PerfScriptError(
      "PERF_SCRIPT_FAILED",
      `${path} failed: ${(stderr ?? (error as Error).message).trim().slice(-2000)}`,
    );
  }
  for (const line of stdout.trim().split("\n").reverse()) {
    if (!line.startsWith("{")) continue;
    try {
      const json = JSON.parse(line) as PerfOutput;
      if (json.benchmark === benchmark) return json;
    } catch {
      // A progress line that happens to start with "{": keep looking.
    }
  }
  throw new PerfScriptError(
    "PERF_SCRIPT_OUTPUT",
    `${path} printed no JSON line for benchmark "${benchmark}"`,
  );
}
