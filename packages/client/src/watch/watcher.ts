import type { BlockSignatureCheck, Hasher } from "@tempel/proto";
import { AbortedError, OptionsError } from "../errors.ts";
import { type MonitorClock, systemClock } from "../monitor/clock.ts";
import type { MonitorLog } from "../monitor/monitor.ts";
import { postAlert } from "../monitor/webhook.ts";
import { type Finding, LogWatch } from "./log-watch.ts";
import { alertKindOf, type WatchAlert } from "./watch-alert.ts";
import type { WatchFiles } from "./watch-files.ts";
import { WatchMetrics } from "./watch-metrics.ts";

export interface WatcherOptions {
  /** The logs to watch, each with its signature file; asked again at every scan, so new files join. */
  readonly logs: () => Promise<readonly { readonly log: string; readonly logsig: string }[]>;
  /** How each block's KSI signature is verified (the policy). */
  readonly check: BlockSignatureCheck;
  /** How often new blocks and lines are looked for. */
  readonly intervalMs?: number;
  /** How often the verified bytes are re-hashed (what finds an edit in the middle of a log). */
  readonly scanEveryMs?: number;
  /** How often each log is verified whole from its start. */
  readonly fullEveryMs?: number;
  /** How long a log byte may wait for a signed block before signing-stalled is raised. */
  readonly deadlineMs?: number;
  /** Where each alert is POSTed as JSON. */
  readonly webhookUrl?: string;
  /** Tries per alert at the webhook (default 5), with backoff from 500 ms. */
  readonly webhookAttempts?: number;
  readonly webhookTimeoutMs?: number;
}

export const watcherDefaults = {
  intervalMs: 500,
  scanEveryMs: 1000,
  fullEveryMs: 3_600_000,
  deadlineMs: 30_000,
  webhookAttempts: 5,
  webhookTimeoutMs: 5_000,
} as const;

export interface WatcherModules {
  readonly files: WatchFiles;
  readonly fetch?: typeof globalThis.fetch;
  readonly clock?: MonitorClock;
  /** Alerts are logged at error level, undelivered webhooks at warn. */
  readonly log?: MonitorLog;
  readonly metrics?: WatchMetrics;
  readonly onAlert?: (alert: WatchAlert) => void;
  /** What the logs' trees are recomputed with; nobleHasher if absent. */
  readonly hasher?: Hasher;
}

/** Findings remembered so that one fault raises one alert; bounded. */
const MAX_REMEMBERED = 10_000;

/**
 * Watches logs and their LOGSIG12 signatures as they grow, and raises an alert as soon as a signed
 * line is changed, deleted or swapped, the signature file is changed or cut, or lines wait past the
 * deadline for a signed block: an error log line, the metrics, `onAlert`, and a POST to the
 * webhook (retried in the background, so that a dead receiver does not delay the next check).
 */
export class Watcher {
  readonly #options: Required<Omit<WatcherOptions, "webhookUrl">> & Pick<WatcherOptions, "webhookUrl">;
  readonly #modules: WatcherModules;
  readonly #clock: MonitorClock;
  readonly #log: MonitorLog;
  readonly #fetch: typeof globalThis.fetch;
  readonly metrics: WatchMetrics;
  readonly #watches = new Map<string, LogWatch>();
  readonly #raised = new Set<string>();
  readonly #background = new Set<Promise<unknown>>();
  #alerts = 0;

  constructor(options: WatcherOptions, modules: WatcherModules) {
    const positive = (name: keyof typeof watcherDefaults) => {
      const n = options[name] ?? watcherDefaults[name];
      if (!Number.isSafeInteger(n) || n < 1) throw new OptionsError(`${name} must be a positive integer`);
      return n;
    };
    this.#options = {
      ...options,
      intervalMs: positive("intervalMs"),
      scanEveryMs: positive("scanEveryMs"),
      fullEveryMs: positive("fullEveryMs"),
      deadlineMs: positive("deadlineMs"),
      webhookAttempts: positive("webhookAttempts"),
      webhookTimeoutMs: positive("webhookTimeoutMs"),
    };
    this.#modules = modules;
    this.#clock = modules.clock ?? systemClock;
    this.#log = modules.log ?? (() => {});
    this.#fetch = modules.fetch ?? globalThis.fetch.bind(globalThis);
    this.metrics = modules.metrics ?? new WatchMetrics();
  }

  /** Alerts raised so far. */
  get alerts(): number {
    return this.#alerts;
  }

  /** The logs being watched. */
  get watched(): readonly LogWatch[] {
    return [...this.#watches.values()];
  }

  /**
   * Watch until `signal` aborts (or `maxRounds` rounds are done), then wait for the checks and
   * webhook deliveries still running.
   */
  async run(signal: AbortSignal, maxRounds = Number.POSITIVE_INFINITY): Promise<void> {
    const started = this.#clock.now();
    let nextScan = started;
    let nextFull = started + this.#options.fullEveryMs;
    try {
      for (let done = 0; done < maxRounds && !signal.aborted; done++) {
        if (done > 0) await this.#clock.sleep(this.#options.intervalMs, signal);
        if (signal.aborted) break;
        const now = this.#clock.now();
        const scan = now >= nextScan;
        if (scan) {
          nextScan = now + this.#options.scanEveryMs;
          await this.#discover();
        }
        for (const watch of this.#watches.values()) await this.#check(watch, scan);
        if (now >= nextFull) {
          nextFull = now + this.#options.fullEveryMs;
          for (const watch of this.#watches.values()) this.#inBackground(watch.full());
        }
      }
    } catch (error) {
      if (!(error instanceof AbortedError)) throw error;
    }
    await this.settle();
  }

  /** Wait for the background work: full checks, webhook deliveries. */
  async settle(): Promise<void> {
    while (this.#background.size > 0) await Promise.all(this.#background);
  }

  /** One log's look; a file it cannot read (permissions, I/O) is reported and the others go on. */
  async #check(watch: LogWatch, scan: boolean): Promise<void> {
    try {
      await watch.tail();
      if (scan) await watch.scan();
    } catch (error) {
      if (error instanceof AbortedError) throw error;
      this.#log("warn", "cannot check the log", { log: watch.log, problem: (error as Error).message });
    }
  }

  async #discover(): Promise<void> {
    for (const { log, logsig } of await this.#options.logs()) {
      if (this.#watches.has(log)) continue;
      this.#watches.set(
        log,
        new LogWatch(log, logsig, {
          files: this.#modules.files,
          check: this.#options.check,
          deadlineMs: this.#options.deadlineMs,
          now: () => this.#clock.now(),
          raise: (watch, finding) => this.#raise(watch, finding),
          metrics: this.metrics,
          hasher: this.#modules.hasher,
        }),
      );
      this.metrics.update(log, {});
      this.#log("info", "watching", { log, logsig });
    }
  }

  #inBackground(work: Promise<unknown>): void {
    const tracked = work
      .catch((error: unknown) => this.#log("warn", "background check failed", { problem: String(error) }))
      .finally(() => this.#background.delete(tracked));
    this.#background.add(tracked);
  }

  #raise(watch: LogWatch, finding: Finding): void {
    const key = [watch.log, finding.code, finding.line, finding.block].join("|");
    if (this.#raised.has(key)) return;
    if (this.#raised.size >= MAX_REMEMBERED) this.#raised.delete(this.#raised.values().next().value!);
    this.#raised.add(key);
    const alert: WatchAlert = {
      kind: finding.kind ?? alertKindOf(finding),
      log: watch.log,
      logsig: watch.logsig,
      raisedAt: this.#clock.now(),
      ...finding,
    };
    this.#alerts++;
    this.metrics.alert(alert.kind, watch.log);
    this.#log("error", alert.message, { alert });
    this.#modules.onAlert?.(alert);
    const url = this.#options.webhookUrl;
    if (url === undefined) return;
    this.#inBackground(
      postAlert(alert, {
        url,
        timeoutMs: this.#options.webhookTimeoutMs,
        fetch: this.#fetch,
        attempts: this.#options.webhookAttempts,
        clock: this.#clock,
      }).then((problem) => {
        if (problem !== undefined)
          this.#log("warn", "alert not delivered to the webhook", { kind: alert.kind, problem });
      }),
    );
  }
}
