import { appendFile, readFile, rename, writeFile } from "node:fs/promises";
import {
  LogSigner,
  logBlockCheck,
  TempelClient,
  type WatchAlert,
  Watcher,
  type WatcherOptions,
} from "../../src/index.ts";
import { nodeHasher, nodeWatchFiles, openLogsigFile } from "../../src/node/index.ts";
import type { WatchFiles } from "../../src/watch/watch-files.ts";
import { type FakeCluster, KEY, LOGIN_ID } from "./fake-cluster.ts";

export function clientOf(cluster: FakeCluster): TempelClient {
  return new TempelClient({
    endpoints: ["http://node-a.test"],
    // As the CLI does: record hashing with node:crypto.
    hasher: nodeHasher,
    agency: { loginId: LOGIN_ID, key: KEY },
    trust: cluster.trust,
    retries: 0,
    fetch: cluster.fetch,
  });
}

export const lineText = (n: number) => `2026-12-07T20:00:00Z user=u${n % 97} read patient-${n} record=${n}`;

export function linesText(from: number, to: number): string {
  const out: string[] = [];
  for (let n = from; n <= to; n++) out.push(lineText(n));
  return `${out.join("\n")}\n`;
}

/** A log on disk and its .logsig, signed by a LogSigner through the fake cluster as lines are appended. */
export class SignedLog {
  readonly path: string;
  readonly logsig: string;
  lines = 0;
  readonly #signer: LogSigner;
  readonly #maxRecords: number;
  readonly #close: () => Promise<void>;

  private constructor(path: string, signer: LogSigner, maxRecords: number, close: () => Promise<void>) {
    this.path = path;
    this.logsig = `${path}.logsig`;
    this.#signer = signer;
    this.#maxRecords = maxRecords;
    this.#close = close;
  }

  static async create(client: TempelClient, path: string, maxRecords: number): Promise<SignedLog> {
    await writeFile(path, "");
    const opened = await openLogsigFile(`${path}.logsig`);
    const signer = new LogSigner(client, opened.sink, { maxRecords, maxDelayMs: 3_600_000 });
    return new SignedLog(path, signer, maxRecords, () => opened.sink.close());
  }

  /**
   * Append `count` lines to the log and sign them in blocks of maxRecords, the last one closed; one
   * block at a time, as the fake cluster takes one request per round.
   */
  async append(count: number): Promise<void> {
    const from = this.lines + 1;
    this.lines += count;
    await appendFile(this.path, linesText(from, this.lines));
    for (let n = from; n <= this.lines; n++) {
      this.#signer.add(lineText(n));
      if ((n - from + 1) % this.#maxRecords === 0) await this.#signer.flush();
    }
    await this.#signer.flush();
  }

  /** Append lines without signing them (a stalled signer). */
  async appendUnsigned(count: number): Promise<void> {
    const from = this.lines + 1;
    this.lines += count;
    await appendFile(this.path, linesText(from, this.lines));
  }

  close(): Promise<void> {
    return this.#close();
  }
}

/**
 * Edit the file's lines as an editor saves: a new file renamed over the old one (a watcher never
 * sees it half written, so the test knows what it must find).
 */
export async function editLines(path: string, edit: (lines: string[]) => void): Promise<void> {
  const lines = (await readFile(path, "utf8")).split("\n");
  edit(lines);
  await writeFile(`${path}.edit`, lines.join("\n"));
  await rename(`${path}.edit`, path);
}

/** nodeWatchFiles, counting the bytes read per file. */
export function countingFiles(): { files: WatchFiles; readBytes: Map<string, number> } {
  const readBytes = new Map<string, number>();
  return {
    readBytes,
    files: {
      ...nodeWatchFiles,
      read: async (path, offset, length) => {
        const bytes = await nodeWatchFiles.read(path, offset, length);
        readBytes.set(path, (readBytes.get(path) ?? 0) + bytes.length);
        return bytes;
      },
    },
  };
}

/** A watcher running in the background over `logs`, collecting its alerts. */
export class RunningWatcher {
  readonly alerts: WatchAlert[] = [];
  readonly watcher: Watcher;
  readonly #stop = new AbortController();
  readonly #done: Promise<void>;

  constructor(
    client: TempelClient,
    logs: readonly SignedLog[],
    options: Partial<WatcherOptions> = {},
    files: WatchFiles = nodeWatchFiles,
  ) {
    this.watcher = new Watcher(
      {
        logs: async () => logs.map((log) => ({ log: log.path, logsig: log.logsig })),
        check: logBlockCheck(client, { policy: "internal" }),
        intervalMs: 50,
        scanEveryMs: 200,
        deadlineMs: 60_000,
        ...options,
      },
      { files, onAlert: (alert) => this.alerts.push(alert), hasher: nodeHasher },
    );
    this.#done = this.watcher.run(this.#stop.signal);
  }

  /** Resolves once `condition` holds (polled), or rejects after `ms`. */
  async until(condition: () => boolean, ms: number, what: string): Promise<void> {
    const deadline = performance.now() + ms;
    while (!condition()) {
      if (performance.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** The first alert raised after `t0`, and how long after it. */
  async alertWithin(ms: number): Promise<{ alert: WatchAlert; afterMs: number }> {
    const t0 = performance.now();
    await this.until(() => this.alerts.length > 0, ms, "an alert");
    return { alert: this.alerts[0]!, afterMs: performance.now() - t0 };
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#done;
  }
}
