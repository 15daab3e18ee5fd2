import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { RunningTempelNode } from "./tempel-node.ts";

/** The `tempel` command line as e2e tests run it: a child process in a chosen folder. */

export const MAIN = join(import.meta.dirname, "../../src/cli/main.ts");

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  /** Standard output as bytes, for binary output. */
  readonly output: Buffer;
  readonly stderr: string;
}

/** Runs `tempel` in `cwd` as a child process, with only PATH from the environment plus `env`. */
export function tempel(
  cwd: string,
  args: readonly string[],
  options: { env?: object; stdin?: Uint8Array } = {},
): Promise<Run> {
  return new Promise<Run>((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const chunks: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const output = Buffer.concat(chunks);
      resolve({ code, stdout: output.toString(), output, stderr });
    });
    child.stdin.end(options.stdin);
  });
}

/** `project`/.tempel/cluster.json describing `node`, as `npm start` leaves it; its path. */
export async function writeClusterFile(project: string, node: RunningTempelNode): Promise<string> {
  const path = join(project, ".tempel", "cluster.json");
  await mkdir(join(project, ".tempel"), { recursive: true });
  await writeFile(
    path,
    JSON.stringify({
      genesis: node.genesisPath,
      nodes: [
        {
          id: "node-1",
          pid: 1,
          api: node.url,
          ksi: { aggregator: `${node.url}/ksi/aggregator`, extender: `${node.url}/ksi/extender` },
          metrics: `${node.url}/metrics`,
        },
      ],
      agency: node.agency,
    }),
  );
  return path;
}
