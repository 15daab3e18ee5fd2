import { ALERT_KINDS, type AlertKind } from "./alert.ts";
import { label, PrometheusText } from "./prometheus-text.ts";

/**
 * The monitor's own metrics in the Prometheus text format:
 * - tempel_monitor_alerts_total{kind}: alerts raised;
 * - tempel_monitor_alert_active{kind}: 1 once an alert of that kind was raised. A forked or rewritten
 *   history does not heal, so it stays 1 until someone has looked and restarted the monitor;
 * - tempel_monitor_node_up{node}: whether the node answered in the last round;
 * - tempel_monitor_node_certified_time_seconds{node}: the second of its newest certified root;
 * - tempel_monitor_rounds_total: rounds completed.
 */
export class MonitorMetrics {
  readonly #alerts = new Map<AlertKind, number>(ALERT_KINDS.map((kind) => [kind, 0]));
  readonly #up = new Map<string, number>();
  readonly #certified = new Map<string, number>();
  #rounds = 0;

  alert(kind: AlertKind): void {
    this.#alerts.set(kind, (this.#alerts.get(kind) ?? 0) + 1);
  }

  node(node: string, up: boolean, certifiedTime?: number): void {
    this.#up.set(node, up ? 1 : 0);
    if (certifiedTime !== undefined) this.#certified.set(node, certifiedTime);
  }

  round(): void {
    this.#rounds++;
  }

  /** Alerts raised so far, of every kind. */
  totalAlerts(): number {
    let total = 0;
    for (const n of this.#alerts.values()) total += n;
    return total;
  }

  /** The text a Prometheus scrape of /metrics gets. */
  render(): string {
    const byKind = [...this.#alerts];
    return new PrometheusText()
      .family(
        "tempel_monitor_alerts_total",
        "counter",
        "Alerts raised, by kind",
        byKind.map(([kind, n]) => [label("kind", kind), n]),
      )
      .family(
        "tempel_monitor_alert_active",
        "gauge",
        "1 once an alert of the kind was raised (a forked history does not heal)",
        byKind.map(([kind, n]) => [label("kind", kind), n > 0 ? 1 : 0]),
      )
      .family(
        "tempel_monitor_node_up",
        "gauge",
        "Whether the node answered in the last round",
        [...this.#up].map(([node, up]) => [label("node", node), up]),
      )
      .family(
        "tempel_monitor_node_certified_time_seconds",
        "gauge",
        "Second of the newest certified calendar root the node showed",
        [...this.#certified].map(([node, time]) => [label("node", node), time]),
      )
      .family("tempel_monitor_rounds_total", "counter", "Monitoring rounds completed", [["", this.#rounds]])
      .text();
  }
}
