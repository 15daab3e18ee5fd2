import { label, PrometheusText } from "../monitor/prometheus-text.ts";
import { WATCH_ALERT_KINDS, type WatchAlertKind } from "./watch-alert.ts";

interface LogGauges {
  ok: number;
  verifiedLines: number;
  verifiedBlocks: number;
  unsignedBytes: number;
  unsignedAgeSeconds: number;
  lastBlockSigned: number;
  fullChecks: number;
}

/**
 * `tempel watch`'s metrics, rendered as `tempel monitor`'s are:
 * - tempel_watch_alerts_total{kind}: alerts raised;
 * - tempel_watch_log_ok{log}: 1 while the log holds as far as verified, 0 once it was found
 *   tampered with (that does not heal; a stalled signer does not count);
 * - tempel_watch_verified_lines{log}, tempel_watch_verified_blocks{log}: how far it is verified;
 * - tempel_watch_unsigned_bytes{log}, tempel_watch_unsigned_age_seconds{log}: what waits for a
 *   block, and how long its oldest byte has waited (the deadline's measure);
 * - tempel_watch_last_block_signed_time_seconds{log}: signing second of the newest verified block;
 * - tempel_watch_full_checks_total{log}: whole-file checks done.
 */
export class WatchMetrics {
  readonly #alerts = new Map<WatchAlertKind, number>(WATCH_ALERT_KINDS.map((kind) => [kind, 0]));
  readonly #logs = new Map<string, LogGauges>();

  alert(kind: WatchAlertKind, log: string): void {
    this.#alerts.set(kind, (this.#alerts.get(kind) ?? 0) + 1);
    // A stalled signer may recover (tempel_watch_unsigned_age_seconds says so); tampering does not.
    if (kind !== "signing-stalled") this.#log(log).ok = 0;
  }

  /** Set a log's gauges. */
  update(log: string, values: Partial<Omit<LogGauges, "ok" | "fullChecks">>): void {
    Object.assign(this.#log(log), values);
  }

  fullCheck(log: string): void {
    this.#log(log).fullChecks++;
  }

  totalAlerts(): number {
    let total = 0;
    for (const n of this.#alerts.values()) total += n;
    return total;
  }

  #log(log: string): LogGauges {
    let gauges = this.#logs.get(log);
    if (gauges === undefined) {
      gauges = {
        ok: 1,
        verifiedLines: 0,
        verifiedBlocks: 0,
        unsignedBytes: 0,
        unsignedAgeSeconds: 0,
        lastBlockSigned: 0,
        fullChecks: 0,
      };
      this.#logs.set(log, gauges);
    }
    return gauges;
  }

  render(): string {
    const logs = [...this.#logs];
    const perLog = (value: (g: LogGauges) => number): [string, number][] =>
      logs.map(([log, gauges]) => [label("log", log), value(gauges)]);
    return new PrometheusText()
      .family(
        "tempel_watch_alerts_total",
        "counter",
        "Alerts raised, by kind",
        [...this.#alerts].map(([kind, n]) => [label("kind", kind), n]),
      )
      .family(
        "tempel_watch_log_ok",
        "gauge",
        "1 while the log holds as far as verified, 0 once it was found tampered with",
        perLog((g) => g.ok),
      )
      .family(
        "tempel_watch_verified_lines",
        "gauge",
        "Lines of the log verified",
        perLog((g) => g.verifiedLines),
      )
      .family(
        "tempel_watch_verified_blocks",
        "gauge",
        "Blocks of the log signature verified",
        perLog((g) => g.verifiedBlocks),
      )
      .family(
        "tempel_watch_unsigned_bytes",
        "gauge",
        "Log bytes after the last signed line",
        perLog((g) => g.unsignedBytes),
      )
      .family(
        "tempel_watch_unsigned_age_seconds",
        "gauge",
        "How long the oldest unsigned log byte has waited for a block",
        perLog((g) => g.unsignedAgeSeconds),
      )
      .family(
        "tempel_watch_last_block_signed_time_seconds",
        "gauge",
        "Signing second of the newest verified block",
        perLog((g) => g.lastBlockSigned),
      )
      .family(
        "tempel_watch_full_checks_total",
        "counter",
        "Whole-file checks done",
        perLog((g) => g.fullChecks),
      )
      .text();
  }
}
