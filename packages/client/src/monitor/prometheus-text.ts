/**
 * The Prometheus text format (version 0.0.4), written without prom-client so that the SDK stays
 * dependency-free and browser-safe: the monitor's and the log watcher's metrics are rendered by it.
 */
export class PrometheusText {
  readonly #lines: string[] = [];

  /** One metric family: its help and type, then each sample as [labels, value]. */
  family(name: string, type: "counter" | "gauge", help: string, samples: Iterable<[string, number]>): this {
    this.#lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) this.#lines.push(`${name}${labels} ${value}`);
    return this;
  }

  text(): string {
    return this.#lines.join("\n") + "\n";
  }
}

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** `{name="value"}`, the value escaped. */
export function label(name: string, value: string): string {
  const escaped = value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
  return `{${name}="${escaped}"}`;
}
