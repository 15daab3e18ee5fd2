/**
 * The instrument shapes every folder's metrics interface is written in. prom-client's Counter, Gauge
 * and Histogram fit them; metrics/metrics.ts creates the instruments, and a folder sees only the
 * few it reports to.
 */

export interface Counter {
  inc(value?: number): void;
}

export interface LabelledCounter<Label extends string> {
  inc(labels: Record<Label, string | number>, value?: number): void;
}

export interface Gauge {
  set(value: number): void;
}

export interface Histogram {
  observe(value: number): void;
  /** Starts timing; the returned function observes the seconds since. */
  startTimer(): () => void;
}

export interface LabelledHistogram<Label extends string> {
  observe(labels: Record<Label, string | number>, value: number): void;
}
