import type { AgreementMetrics } from "../../src/consensus/metrics.ts";

/** Agreement metrics kept as plain numbers, so that tests can ask what a node reported. */
export class RecordingMetrics implements AgreementMetrics {
  readonly #counts = new Map<string, number>();
  readonly #observations = new Map<string, number[]>();
  readonly #gauges = new Map<string, number>();

  readonly elections = { inc: () => this.#add("elections") };
  readonly commitLatency = { observe: (value: number) => this.#observe("commitLatency", value) };
  readonly certificateLatency = { observe: (value: number) => this.#observe("certificateLatency", value) };
  readonly missedContributions = { inc: () => this.#add("missedContributions") };
  readonly droppedMessages = {
    inc: (labels: { reason: string }) => this.#add(`droppedMessages/${labels.reason}`),
  };
  readonly signRefusals = { inc: (labels: { reason: string }) => this.#add(`signRefusals/${labels.reason}`) };
  readonly peerFaults = { inc: (labels: { reason: string }) => this.#add(`peerFaults/${labels.reason}`) };
  readonly equivocations = { inc: (labels: { kind: string }) => this.#add(`equivocations/${labels.kind}`) };
  readonly leaderClockOffset = { set: (value: number) => this.#gauges.set("leaderClockOffset", value) };

  /** A counter by name, `name/label` for labelled ones. */
  count(name: string): number {
    return this.#counts.get(name) ?? 0;
  }

  observations(name: string): readonly number[] {
    return this.#observations.get(name) ?? [];
  }

  gauge(name: string): number | undefined {
    return this.#gauges.get(name);
  }

  #add(name: string): void {
    this.#counts.set(name, this.count(name) + 1);
  }

  #observe(name: string, value: number): void {
    const values = this.#observations.get(name);
    if (values === undefined) this.#observations.set(name, [value]);
    else values.push(value);
  }
}
