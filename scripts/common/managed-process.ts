import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { TempelError } from "@tempel/proto";

export class ProcessError extends TempelError {}

/**
 * Why the server answering the health URL is not the process started (another one holds its port),
 * or undefined when it is.
 */
export type IdentityCheck = (response: Response) => Promise<string | undefined>;

export interface NodeExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Lines of a node's log shown when it fails to start. */
const LOG_TAIL_LINES = 20;
const HEALTH_POLL_MS = 200;

/**
 * A server the scripts run (a `tempel-node`, Prometheus, the RFC 3161 baseline) as its own OS process,
 * in its own process group so that a terminal's Ctrl-C reaches only the script, which then stops the
 * servers in order. Output goes straight to a log file (appended across restarts), so a server keeps
 * logging whatever happens to the script.
 */
export class ManagedProcess {
  readonly name: string;
  readonly logFile: string;
  readonly #healthUrl: string;
  readonly #identity: IdentityCheck | undefined;
  #child: ChildProcess | undefined;
  #exit: Promise<NodeExit> | undefined;
  #paused = false;

  /** `identity` checks a healthy answer came from this process, not from another on the same port. */
  constructor(name: string, logFile: string, healthUrl: string, identity?: IdentityCheck) {
    this.name = name;
    this.logFile = logFile;
    this.#healthUrl = healthUrl;
    this.#identity = identity;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Resolves when the current process exits. */
  get exited(): Promise<NodeExit> {
    if (this.#exit === undefined) throw new ProcessError("NOT_STARTED", `${this.name} was never started`);
    return this.#exit;
  }

  /** Start `command args` and wait until the health URL answers 200. */
  async start(command: string, args: readonly string[], timeoutMs: number): Promise<void> {
    if (this.running) throw new ProcessError("RUNNING", `${this.name} is already running`);
    const log = openSync(this.logFile, "a");
    try {
      this.note({ msg: "starting", command, args });
      const child = spawn(command, args, {
        stdio: ["ignore", log, log],
        detached: true,
      });
      this.#child = child;
      this.#paused = false;
      this.#exit = new Promise((resolve) => {
        child.once("exit", (code, signal) => resolve({ code, signal }));
      });
      // Only a signal that cannot be delivered lands here; the exit (or the next health check) tells the rest.
      child.on("error", (error) => this.note({ msg: "process error", error: error.message }));
    } finally {
      closeSync(log);
    }
    await this.#waitHealthy(timeoutMs);
  }

  /** SIGTERM, then SIGKILL if it has not exited after `timeoutMs`. */
  async stop(timeoutMs: number): Promise<NodeExit & { forced: boolean }> {
    const exited = this.exited;
    if (!this.running) return { ...(await exited), forced: false };
    if (this.#paused) this.resume();
    this.#signal("SIGTERM");
    // Cleared as soon as the process exits: a pending timer would keep the script alive that long.
    const timeout = new AbortController();
    const timer = sleep(timeoutMs, "timeout" as const, { signal: timeout.signal }).catch(
      () => "exited" as const,
    );
    try {
      if ((await Promise.race([exited, timer])) !== "timeout") return { ...(await exited), forced: false };
    } finally {
      timeout.abort();
    }
    this.#signal("SIGKILL");
    return { ...(await exited), forced: true };
  }

  /** `kill -9`: a crash at an arbitrary moment. */
  async kill(): Promise<void> {
    const exited = this.exited;
    if (!this.running) return;
    this.#signal("SIGKILL");
    await exited;
    this.#paused = false;
  }

  /** SIGSTOP: the process keeps its sockets but does nothing, like a frozen VM. */
  pause(): void {
    this.#signal("SIGSTOP");
    this.#paused = true;
  }

  resume(): void {
    this.#signal("SIGCONT");
    this.#paused = false;
  }

  /** Kill without waiting: for a script that is exiting and can no longer wait. */
  killNow(): void {
    if (this.running) this.#signal("SIGKILL");
  }

  /** A line of the script's own in the log, so a reader sees what was done to the process and when. */
  note(fields: Record<string, unknown>): void {
    const log = openSync(this.logFile, "a");
    try {
      writeSync(log, JSON.stringify({ time: new Date().toISOString(), source: "scripts", ...fields }) + "\n");
    } finally {
      closeSync(log);
    }
  }

  logTail(): string {
    try {
      return readFileSync(this.logFile, "utf8").trimEnd().split("\n").slice(-LOG_TAIL_LINES).join("\n");
    } catch {
      return "(no log)";
    }
  }

  #signal(signal: NodeJS.Signals): void {
    this.#child?.kill(signal);
  }

  async #waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) {
        const { code, signal } = await this.exited;
        throw new ProcessError(
          "NODE_EXITED",
          `${this.name} exited (${signal ?? `code ${code}`}) before serving; last lines of ${this.logFile}:\n${this.logTail()}`,
        );
      }
      let stranger: string | undefined;
      try {
        const response = await fetch(this.#healthUrl, { signal: AbortSignal.timeout(2_000) });
        if (response.ok && this.#identity !== undefined) {
          stranger = await this.#identity(response);
          if (stranger === undefined) return;
        } else {
          await response.body?.cancel();
          if (response.ok) return;
        }
      } catch {
        // Not listening yet.
      }
      if (stranger !== undefined) {
        await this.stop(5_000);
        throw new ProcessError(
          "NOT_THIS_PROCESS",
          `${this.name}: ${this.#healthUrl} is answered by another server (${stranger}), not the process started; ` +
            `stop whatever holds that port (another cluster?) or use other ports`,
        );
      }
      await sleep(HEALTH_POLL_MS);
    }
    await this.stop(5_000);
    throw new ProcessError(
      "NODE_START_TIMEOUT",
      `${this.name} did not serve within ${timeoutMs / 1000} s; last lines of ${this.logFile}:\n${this.logTail()}`,
    );
  }
}
