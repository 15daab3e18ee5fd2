/** Latency percentiles over every observation of a run (exact: a run holds at most a few million). */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

export class LatencyRecorder {
  #values = new Float64Array(1024);
  #count = 0;

  add(seconds: number): void {
    if (this.#count === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#count++] = seconds;
  }

  get count(): number {
    return this.#count;
  }

  /** Percentiles of the observations from index `from` on (the whole run by default). */
  summary(from = 0): LatencySummary {
    const sorted = this.#values.slice(from, this.#count).sort();
    const n = sorted.length;
    if (n === 0) return { count: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0 };
    // Nearest rank: the smallest value with at least p of the observations at or below it.
    const at = (p: number) => sorted[Math.min(n - 1, Math.ceil(p * n) - 1)]!;
    let sum = 0;
    for (const value of sorted) sum += value;
    return { count: n, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[n - 1]!, mean: sum / n };
  }
}
