import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "../../../../scripts/common/paths.ts";
import { portFree } from "../../../../scripts/common/ports.ts";

/** Running the scripts/ entry points as a user would, for the e2e tests of the scripts. */
export const SCRIPTS = join(REPO_ROOT, "scripts");

/** A base port P with P..P+n-1 and P+1000..P+1000+n-1 free (the cluster's HTTP and libp2p ports). */
export async function freeBasePort(nodes: number): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    const ports = Array.from({ length: nodes }, (_, i) => [base + i, base + 1000 + i]).flat();
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) return base;
  }
}

export interface ScriptRun {
  readonly child: ChildProcess;
  /** Everything the script printed so far (stdout and stderr). */
  output(): string;
  readonly exited: Promise<number | null>;
}

/** Start `scripts/<name>.ts args`; resolves once its output contains `ready` (rejects if it exits first). */
export async function startScript(
  name: string,
  args: readonly string[],
  ready: string,
  cwd = REPO_ROOT,
): Promise<ScriptRun> {
  const child = spawn(process.execPath, [join(SCRIPTS, `${name}.ts`), ...args], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      text += chunk.toString("utf8");
      if (text.includes(ready)) resolve();
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    exited.then((code) =>
      reject(new Error(`scripts/${name}.ts exited with ${code} before "${ready}":\n${text}`)),
    );
  });
  return { child, output: () => text, exited };
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
