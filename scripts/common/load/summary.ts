import type { LoadProgress, LoadResult } from "./run-load.ts";

const rate = (value: number) => `${Math.round(value).toLocaleString("en")}/s`;
const ms = (seconds: number) => `${Math.round(seconds * 1000).toLocaleString("en")} ms`;
const share = (fraction: number) => (fraction === 1 ? "all" : `${+(fraction * 100).toPrecision(3)}%`);

export function progressLine(p: LoadProgress): string {
  return (
    `${p.elapsedSeconds.toFixed(0).padStart(4)} s  signed ${rate(p.answeredRate).padStart(10)}  ` +
    `in flight ${p.inFlight}  queued ${p.queued}  verifying ${p.verifying}  errors ${p.errors}  ` +
    `p99 ${ms(p.p99)}  generator CPU ${(p.cpuCores * 100).toFixed(0)}%`
  );
}

/** Signatures whose verdict is anything but OK. */
export function unverified(result: LoadResult): number {
  return Object.entries(result.verification.verdicts).reduce(
    (sum, [verdict, n]) => (verdict === "OK" ? sum : sum + n),
    0,
  );
}

export function summaryText(result: LoadResult): string {
  const { latencySeconds: l, verification: v } = result;
  const errors = Object.entries(result.errors).sort(([, a], [, b]) => b - a);
  const verdicts = Object.entries(v.verdicts).sort(([, a], [, b]) => b - a);
  const checked = verdicts.reduce((sum, [, n]) => sum + n, 0);
  const baseline = result.protocol === "baseline";
  const verdictText =
    verdicts.map(([verdict, n]) => `${verdict} ${n.toLocaleString("en")}`).join(", ") || "none";
  return [
    `${result.protocol} load on ${result.targets.join(", ")}: ${result.durationSeconds} s, batches of ${result.batch}, ` +
      `${result.concurrency} requests in flight at most`,
    `  offered   ${rate(result.offeredRate)} (${result.hashes.offered.toLocaleString("en")} hashes in ${result.requests.scheduled.toLocaleString("en")} requests)`,
    `  achieved  ${rate(result.achievedRate)} (${result.hashes.answered.toLocaleString("en")} hashes signed in ${result.elapsedSeconds.toFixed(1)} s)`,
    `  latency   p50 ${ms(l.p50)}  p90 ${ms(l.p90)}  p99 ${ms(l.p99)}  max ${ms(l.max)}  (from scheduled send time)`,
    `  errors    ${errors.length === 0 ? "none" : errors.map(([kind, n]) => `${kind} ${n}`).join(", ")} ` +
      `(${result.requests.failed.toLocaleString("en")} of ${result.requests.scheduled.toLocaleString("en")} requests)` +
      (result.requests.resentAfterReset === 0
        ? ""
        : `; ${result.requests.resentAfterReset} resent after the node closed their idle connection`),
    `  verified  ${checked.toLocaleString("en")} ${baseline ? "tokens" : "signatures"} (${share(v.verifyFraction)} of them) ` +
      `with ${baseline ? "the server's ECDSA key" : `the ${v.policy} policy`}: ${verdictText}`,
    ...(v.cheaplyChecked === 0
      ? []
      : [
          `  checked   ${v.cheaplyChecked.toLocaleString("en")} more cheaply only ` +
            `(${baseline ? "a token per hash" : "a well-formed signature per hash, starting at the hash sent"})`,
        ]),
    ...(v.uncheckedRequests === 0
      ? []
      : [
          `  UNCHECKED ${v.uncheckedRequests.toLocaleString("en")} answers: verification fell behind (the generator's CPU was the limit)`,
        ]),
    `  generator CPU ${result.generatorCpu.cores.toFixed(2)} cores (${result.generatorCpu.userSeconds.toFixed(1)} s user, ` +
      `${result.generatorCpu.systemSeconds.toFixed(1)} s system)`,
  ].join("\n");
}
