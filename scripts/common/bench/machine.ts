import { execFileSync } from "node:child_process";
import { cpus, loadavg, release, totalmem } from "node:os";
import { REPO_ROOT } from "../paths.ts";

/** Where and when figures were measured: without this they mean nothing. */
export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly date: string;
  /** 1-minute load average when the run started: above 0.5 or so, other work shared the machine. */
  readonly loadAverage: number;
  readonly commit: string;
}

export function describeMachine(): Machine {
  const processors = cpus();
  let commit: string;
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: REPO_ROOT,
      encoding: "utf8",
    }).trim();
  } catch {
    commit = "unknown";
  }
  return {
    cpu: processors[0]?.model.trim() ?? "unknown",
    cores: processors.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${process.platform} ${release()}`,
    node: process.version,
    date: new Date().toISOString(),
    loadAverage: loadavg()[0]!,
    commit,
  };
}
