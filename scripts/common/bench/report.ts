import type { LoadResult } from "../load/run-load.ts";
import type { Machine } from "./machine.ts";
import type { PerfOutput } from "./perf-script.ts";
import { type RateSearch, SUSTAINED } from "./rate-steps.ts";
import type { VerificationFigures } from "./verification.ts";

/** A section's outcome: its figures, or why there are none. */
export type Section<T> =
  | { readonly status: "measured"; readonly figures: T }
  | { readonly status: "skipped" | "failed"; readonly reason: string };

export interface ServiceRun {
  /** What was loaded: "1 node", "3 nodes", "RFC 3161-style server". */
  readonly service: string;
  readonly search: RateSearch;
}

export interface BenchResults {
  readonly command: string;
  readonly machine: Machine;
  readonly quick: boolean;
  readonly aggregation: Section<PerfOutput>;
  readonly nodeBench: Section<PerfOutput>;
  readonly oneNode: Section<ServiceRun>;
  readonly cluster: Section<ServiceRun>;
  readonly baseline: Section<ServiceRun>;
  readonly verification: Section<VerificationFigures & { readonly nodes: number }>;
}

const n = (value: number) => Math.round(value).toLocaleString("en");
const ms = (seconds: number) => `${n(seconds * 1000)} ms`;

export function renderMarkdown(results: BenchResults): string {
  const m = results.machine;
  const parts = [
    "# Benchmarks",
    "",
    "Written by `npm run bench` (scripts/bench.ts); every figure below comes from the one run described",
    "here. Rerun it on a quiet machine to update this file; `npm run bench -- --help` lists the subsets.",
    "",
    "## Machine and run",
    "",
    "| | |",
    "| --- | --- |",
    `| CPU | ${m.cpu}, ${m.cores} cores |`,
    `| memory | ${m.memoryGiB} GiB |`,
    `| OS | ${m.os} |`,
    `| Node.js | ${m.node} |`,
    `| date | ${m.date} |`,
    `| commit | ${m.commit} |`,
    `| command | \`${results.command}\` |`,
    `| 1-minute load average at start | ${m.loadAverage.toFixed(2)}${m.loadAverage > 0.5 ? " (the machine was not idle)" : ""} |`,
    "",
    "## Ratios",
    "",
    ...ratios(results),
    "",
    "## Aggregation (packages/proto/test/perf/aggregation.bench.ts)",
    "",
    ...section(results.aggregation, aggregation),
    "",
    "## Verification",
    "",
    ...section(results.verification, verification),
    "",
    "## Signing throughput: Tempel and an RFC 3161-style server",
    "",
    "Open-loop load from `scripts/load.ts`: KSI aggregation PDUs of 16 hashes (the RFC 3161-style server",
    "gets the same 16 hashes per request and signs each with ECDSA P-256), every Tempel signature verified",
    "with the internal policy on the generator's worker thread. The offered rate doubles while it is",
    `sustained (at least ${SUSTAINED.minAnsweredShare * 100}% answered, at most ${SUSTAINED.maxFailedShare * 100}% of requests failed, p99 at most ${SUSTAINED.maxP99Seconds} s, every`,
    "signature verified) and halves when even the first is not; one step halfway between the highest",
    "sustained and the lowest unsustained rate follows. Answered/s counts until the last answer arrived;",
    "latency runs from each request's scheduled send time to its answer. The load generator runs on the",
    "same machine and its CPU use is shown.",
    "",
    ...[results.oneNode, results.cluster, results.baseline].flatMap((run) => [
      ...section(run, serviceRun),
      "",
    ]),
    "## Node micro-benchmarks (packages/node/test/perf/node.bench.ts)",
    "",
    ...section(results.nodeBench, nodeBench),
    "",
  ];
  return parts.join("\n");
}

function section<T>(outcome: Section<T>, render: (figures: T) => string[]): string[] {
  return outcome.status === "measured"
    ? render(outcome.figures)
    : [`Not measured (${outcome.status}): ${outcome.reason}`];
}

function ratios(results: BenchResults): string[] {
  const lines: string[] = [];
  if (results.aggregation.status === "measured") {
    // The script states its own ratios to openssl's rate, under a key that names openssl.
    const [, toOpenssl] =
      Object.entries(results.aggregation.figures).find(
        ([key, value]) => /openssl/i.test(key) && typeof value === "object",
      ) ?? [];
    for (const [name, ratio] of Object.entries((toOpenssl ?? {}) as Record<string, number>)) {
      lines.push(
        `- aggregation hash rate (${name}) / \`openssl speed -evp sha256\` 64-byte rate: **${ratio}**`,
      );
    }
  }
  const baseline = sustained(results.baseline);
  for (const run of [results.oneNode, results.cluster]) {
    const rate = sustained(run);
    if (run.status === "measured" && rate !== undefined && baseline !== undefined) {
      lines.push(
        `- signatures/s, Tempel ${run.figures.service} / RFC 3161-style server (one ECDSA P-256 signature per hash): ` +
          `**${(rate / baseline).toFixed(1)}** (${n(rate)}/s / ${n(baseline)}/s)`,
      );
    }
  }
  return lines.length > 0 ? lines : ["No ratio could be formed in this run."];
}

function sustained(run: Section<ServiceRun>): number | undefined {
  return run.status === "measured" ? run.figures.search.sustainedRate : undefined;
}

function aggregation(output: PerfOutput): string[] {
  const results = output.results as Record<string, Record<string, number>>;
  const columns = Object.keys(Object.values(results)[0] ?? {});
  return [
    `${n(output.leaves as number)} leaves per tree; openssl SHA-256 on 64-byte inputs: ${n(output.opensslSha256PerSecond as number)} hashes/s.`,
    "",
    `| hasher | ${columns.join(" | ")} |`,
    `| --- | ${columns.map(() => "---:").join(" | ")} |`,
    ...Object.entries(results).map(
      ([name, run]) =>
        `| ${name} | ${columns.map((c) => (Number.isInteger(run[c]) ? n(run[c]!) : run[c]!.toFixed(3))).join(" | ")} |`,
    ),
  ];
}

function verification(f: VerificationFigures & { readonly nodes: number }): string[] {
  const row = (what: string, micros: number) => `| ${what} | ${micros.toFixed(1)} | ${n(1e6 / micros)} |`;
  return [
    `${n(f.signatures)} signatures from a ${f.nodes}-node cluster, ${n(f.bytesPerSignature)} bytes each, checked in one thread.`,
    "",
    "| step | µs per signature | per second |",
    "| --- | ---: | ---: |",
    row("decode (TLV → signature)", f.decodeMicros),
    row("internal policy, @noble/hashes", f.internalNobleMicros),
    row("internal policy, node:crypto", f.internalNodeMicros),
    row("internal policy, node:crypto, upper chains memoized (load generator)", f.internalMemoizedMicros),
    row("quorum policy, node:crypto, memoized, certificate once per round (chaos)", f.quorumMemoizedMicros),
  ];
}

function serviceRun(run: ServiceRun): string[] {
  const rate = run.search.sustainedRate;
  return [
    `### ${run.service}: ${rate === undefined ? "no offered rate was sustained" : `sustained ${n(rate)} signatures/s`}`,
    "",
    "| offered/s | answered/s | p50 | p90 | p99 | max | failed requests | errors | generator CPU | sustained |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |",
    ...run.search.steps.map(({ offeredRate, sustained, result }) => stepRow(offeredRate, sustained, result)),
  ];
}

function stepRow(offered: number, sustained: boolean, r: LoadResult): string {
  const l = r.latencySeconds;
  const errors =
    Object.entries(r.errors)
      .map(([kind, count]) => `${kind} ${n(count)}`)
      .join(", ") || "–";
  const unchecked =
    r.verification.uncheckedRequests > 0 ? ` (${n(r.verification.uncheckedRequests)} answers unchecked)` : "";
  return (
    `| ${n(offered)} | ${n(r.achievedRate)} | ${ms(l.p50)} | ${ms(l.p90)} | ${ms(l.p99)} | ${ms(l.max)} | ` +
    `${n(r.requests.failed)} of ${n(r.requests.scheduled)} | ${errors}${unchecked} | ${r.generatorCpu.cores.toFixed(2)} cores | ${sustained ? "yes" : "no"} |`
  );
}

function nodeBench(output: PerfOutput): string[] {
  const results = output.results as Record<string, unknown>;
  return [
    `${output.quick === true ? "Quick mode. " : ""}Figures as the script names them.`,
    "",
    "| figure | value |",
    "| --- | ---: |",
    ...Object.entries(results).map(
      ([name, value]) =>
        `| ${name} | ${typeof value === "number" ? value.toLocaleString("en") : String(value)} |`,
    ),
  ];
}
