import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";

/** A real `tempel-node` process on 127.0.0.1 with its own temporary data folder, as e2e tests use it. */

/** How to run `tempel-node`: the program, the arguments before the command's, the environment. */
export interface TempelNodeCommand {
  readonly file: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

/** The checkout's tempel-node, from its sources. */
const FROM_SOURCE: TempelNodeCommand = {
  file: process.execPath,
  args: [join(import.meta.dirname, "../../../node/src/cli/main.ts")],
};

export interface RunningTempelNode {
  /** Base URL of the node's HTTP API. */
  readonly url: string;
  readonly agency: { readonly loginId: string; readonly key: string };
  readonly dataDir: string;
  readonly genesisPath: string;
  /** SIGTERM, wait for the exit, remove the data folder. */
  stop(): Promise<void>;
}

/** `tempel-node init` then `start` with an ephemeral HTTP and libp2p port; resolves once it serves. */
export async function startTempelNode(command = FROM_SOURCE): Promise<RunningTempelNode> {
  const dataDir = await mkdtemp(join(tmpdir(), "tempel-client-node-"));
  try {
    return await startIn(dataDir, command);
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}

async function startIn(dataDir: string, command: TempelNodeCommand): Promise<RunningTempelNode> {
  await promisify(execFile)(
    command.file,
    [...command.args, "init", "--data", dataDir, "--api-port", "0", "--p2p", "/ip4/127.0.0.1/tcp/0"],
    { env: command.env },
  );
  const config = JSON.parse(await readFile(join(dataDir, "config.json"), "utf8")) as {
    agencies: { loginId: string; key: string }[];
  };
  const child = spawn(
    command.file,
    [...command.args, "start", "--config", join(dataDir, "config.json"), "--log-level", "info"],
    { stdio: ["ignore", "ignore", "pipe"], env: command.env },
  );
  const port = await servingPort(child);
  return {
    url: `http://127.0.0.1:${port}`,
    agency: config.agencies[0]!,
    dataDir,
    genesisPath: join(dataDir, "genesis.json"),
    stop: async () => {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The HTTP port from the node's "node started" log line; rejects if it exits first. */
function servingPort(child: ChildProcess): Promise<number> {
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    const reader = createInterface({ input: child.stderr! });
    reader.on("line", (line) => {
      lines.push(line);
      let record: { msg?: unknown; http?: unknown };
      try {
        record = JSON.parse(line) as typeof record;
      } catch {
        return;
      }
      if (record.msg === "node started") resolve(Number(String(record.http).split(":").at(-1)));
    });
    child.once("exit", (code) => reject(new Error(`tempel-node exited with ${code}:\n${lines.join("\n")}`)));
  });
}

/** Resolves once the node has certified a calendar root (a first round has run through agreement). */
export async function waitForCertifiedHead(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const head = (await (await fetch(`${url}/v1/calendar/head`)).json()) as { certified?: unknown };
    if (head.certified !== undefined) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} certified no calendar root within ${timeoutMs} ms`);
}
