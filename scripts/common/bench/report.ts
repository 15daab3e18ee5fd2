import type { LoadResult } from "../load/run-load.ts";
import { type ClusterFaultFigures, FAULT_TARGETS } from "./cluster-faults.ts";
import type { Machine } from "./machine.ts";
import type { PerfOutput } from "./perf-script.ts";
import { type RateSearch, SUSTAINED } from "./rate-steps.ts";
import type { SignManyFigures } from "./sign-many.ts";
import type { TierFigures } from "./tiers.ts";
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

/** signMany against the 3-node cluster right after the load script's rate search on it. */
export interface ClientRun {
  /** The load script's highest sustained rate on that cluster. */
  readonly loadRate: number;
  /** With the load script's request shape: the headline figure. */
  readonly signMany: SignManyFigures;
  /** With signMany's default batch size and requests in flight, as an agency gets it out of the box. */
  readonly signManyDefaults: SignManyFigures;
}

/** Issue 4: signMany reaches at least this share of the load script's rate on the same cluster. */
export const SIGN_MANY_TARGET_SHARE = 0.8;

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
  readonly client: Section<ClientRun>;
  /** packages/client/test/perf/verify.bench.ts */
  readonly clientVerify: Section<PerfOutput>;
  /** packages/client/test/perf/cli-verify.bench.ts */
  readonly cliVerify: Section<PerfOutput>;
  /** packages/client/test/perf/log-sign.bench.ts */
  readonly logSigning: Section<PerfOutput>;
  readonly clusterFaults: Section<ClusterFaultFigures>;
  /** Absent in results from before the RFC 3161 front. */
  readonly rfc3161?: Section<Rfc3161Runs>;
  /** Gateway tiers in front of one core node (docs/scale.md); optional in results written before it. */
  readonly tiers?: Section<TierFigures>;
}

/** RFC 3161 queries (one hash each, as openssl shapes them) against nodes and a pkijs TSA. */
export interface Rfc3161Runs {
  /** The nodes' runs: one node with each key type, then the cluster. */
  readonly tempel: readonly ServiceRun[];
  readonly pkijs: ServiceRun;
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
    "## RFC 3161 time-stamping: Tempel nodes and a per-request pkijs TSA",
    "",
    "Open-loop load of RFC 3161 queries shaped as `openssl ts -query` makes them (SHA-256 imprint with NULL",
    "parameters, a 64-bit nonce, no certReq), one hash per HTTP request, at POST /tsa of every node; the",
    "same load on a TSA built on pkijs that signs each query with RSA-2048 as it arrives",
    "(scripts/common/load/pkijs-tsa.ts in scripts/rfc3161-baseline.ts). Every reply must be granted and",
    "carry the hash sent; a share of the tokens is verified in full (messageDigest and the signature under",
    "the TSA certificate). Targets (issue 18): one node ≥ 5,000 tokens/s with ECDSA P-256 and ≥ 2,000/s",
    "with RSA-2048 at p99 ≤ 1.5 s.",
    "",
    ...(results.rfc3161 === undefined
      ? ["Not measured in this run."]
      : section(results.rfc3161, rfc3161Runs)),
    "",
    "## Client SDK",
    "",
    ...section(results.client, clientRun),
    "",
    ...section(results.clientVerify, clientVerify),
    "",
    "## The tempel command line",
    "",
    ...section(results.cliVerify, cliVerify),
    "",
    "## Log signing (LOGSIG12)",
    "",
    ...section(results.logSigning, logSigning),
    "",
    "## A 3-node cluster under faults",
    "",
    ...section(results.clusterFaults, clusterFaults),
    "",
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
  if (results.client.status === "measured") {
    const { loadRate, signMany, signManyDefaults } = results.client.figures;
    const share = (s: SignManyFigures) =>
      `**${(s.rate / loadRate).toFixed(2)}** (${n(s.rate)}/s / ${n(loadRate)}/s)`;
    lines.push(
      `- hashes/s, SDK \`signMany\` / load script on the same 3-node cluster: with signMany's defaults ${share(signManyDefaults)}; ` +
        `with the load script's shape (batches of ${signMany.batch}, ${n(signMany.concurrency)} in flight) ${share(signMany)} (target ≥ ${SIGN_MANY_TARGET_SHARE})`,
    );
  }
  if (results.clientVerify.status === "measured") {
    const figures = clientVerifyFigures(results.clientVerify.figures);
    if (figures !== undefined) {
      const [hasher, verify] = figures.bestVerify;
      lines.push(
        `- SDK: CPU seconds to decode and verify 10,000 signatures with the internal policy (${hasher}): ` +
          `**${(figures.decode + verify).toFixed(3)}**, of which verification ${verify.toFixed(3)} (target < ${figures.target} s)`,
      );
    }
  }
  if (results.clusterFaults.status === "measured") {
    const f = results.clusterFaults.figures;
    const recovery = f.leaderKill.recoverySeconds;
    lines.push(
      `- 3-node cluster at ${n(f.rate)} hashes/s offered: p99 **${f.steady.latencySeconds.p99.toFixed(2)} s** (target ≤ ${FAULT_TARGETS.steadyP99Seconds} s); ` +
        `after kill -9 of the leader, a round certified after **${recovery === undefined ? "none in 30" : recovery.toFixed(2)} s** (target ≤ ${FAULT_TARGETS.recoverySeconds} s); ` +
        `p99 for the other nodes' clients across a follower's crash **${f.followerCrash.load.latencySeconds.p99.toFixed(2)} s** (target ≤ ${FAULT_TARGETS.followerCrashP99Seconds} s)`,
    );
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
    row(
      "quorum policy, node:crypto, certificate once per round (load generator, chaos)",
      f.quorumOncePerRoundMicros,
    ),
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

function rfc3161Runs(runs: Rfc3161Runs): string[] {
  const baseline = runs.pkijs.search.sustainedRate;
  const ratios = runs.tempel.map((run) => {
    const rate = run.search.sustainedRate;
    return rate === undefined || baseline === undefined
      ? `- ${run.service}: no ratio (a rate was not sustained)`
      : `- tokens/s, Tempel ${run.service} / pkijs TSA (RSA-2048 per query): **${(rate / baseline).toFixed(1)}** (${n(rate)}/s / ${n(baseline)}/s)`;
  });
  return [...ratios, "", ...[...runs.tempel, runs.pkijs].flatMap((run) => [...serviceRun(run), ""])];
}

function clientRun(run: ClientRun): string[] {
  const s = run.signMany;
  return [
    `\`TempelClient.signMany\` against the 3-node cluster of the throughput section, right after the load`,
    `script's rate search on it, with the load script's request shape at the rate it sustained: batches of`,
    `${n(s.batch)} hashes, ${n(s.concurrency)} requests in flight, every node an endpoint, ${n(s.hashes)} hashes in all.`,
    "signMany aggregates each batch into a tree in the client and has the cluster sign the root, as KSI",
    "clients do (one hash per request for the nodes), and builds every hash's signature here; the load",
    "script sends each hash as its own payload of a KSI PDU. Every signature is checked to be for the hash",
    `given and ${n(s.verifiedSample)} of them are verified in full after the timed run. A second run uses`,
    "signMany's own defaults, whose few large batches leave the nodes one request per batch: there the",
    "client's tree and signature building and the rounds' length set the rate.",
    "",
    "| | hashes/s | seconds | client CPU |",
    "| --- | ---: | ---: | ---: |",
    `| load script (highest sustained rate) | ${n(run.loadRate)} | | |`,
    signManyRow(`signMany, batches of ${n(s.batch)}, ${n(s.concurrency)} in flight`, s),
    signManyRow(
      `signMany with its defaults (batches of ${n(run.signManyDefaults.batch)}, ${n(run.signManyDefaults.concurrency)} in flight)`,
      run.signManyDefaults,
    ),
  ];
}

function signManyRow(label: string, s: SignManyFigures): string {
  return `| ${label} | ${n(s.rate)} | ${s.seconds.toFixed(1)} | ${s.clientCores.toFixed(2)} cores |`;
}

/** The client verify bench's CPU seconds per 10,000 signatures, if its output has the fields read here. */
function clientVerifyFigures(
  output: PerfOutput,
): { decode: number; verify: [string, number][]; bestVerify: [string, number]; target: number } | undefined {
  const { signatures, decode, cpuSecondsPer10k, targetSecondsPer10k } = output as {
    signatures?: number;
    decode?: { cpuSeconds?: number };
    cpuSecondsPer10k?: Record<string, number>;
    targetSecondsPer10k?: number;
  };
  if (
    signatures === undefined ||
    decode?.cpuSeconds === undefined ||
    cpuSecondsPer10k === undefined ||
    targetSecondsPer10k === undefined
  )
    return undefined;
  const verify = Object.entries(cpuSecondsPer10k);
  if (verify.length === 0) return undefined;
  return {
    decode: (decode.cpuSeconds * 10_000) / signatures,
    verify,
    bestVerify: verify.reduce((a, b) => (b[1] < a[1] ? b : a)),
    target: targetSecondsPer10k,
  };
}

function clientVerify(output: PerfOutput): string[] {
  const figures = clientVerifyFigures(output);
  if (figures === undefined) return ["verify.bench.ts printed none of the figures this report reads."];
  return [
    `packages/client/test/perf/verify.bench.ts: ${n(output.signatures as number)} signatures made by \`signMany\` on`,
    "a one-node cluster, decoded (`Signature.decode`) and verified with the internal policy",
    "(`Signature.verify`), fastest of three runs by CPU time.",
    "",
    "| step | CPU seconds per 10,000 signatures |",
    "| --- | ---: |",
    `| decode | ${figures.decode.toFixed(3)} |`,
    ...figures.verify.map(([hasher, seconds]) => `| verify, ${hasher} | ${seconds.toFixed(3)} |`),
  ];
}

function cliVerify(output: PerfOutput): string[] {
  const { files, filesPerSecond, seconds, helpStartupMs, helpTargetMs } = output as {
    files?: number;
    filesPerSecond?: number;
    seconds?: number;
    helpStartupMs?: number;
    helpTargetMs?: number;
  };
  if (
    files === undefined ||
    filesPerSecond === undefined ||
    seconds === undefined ||
    helpStartupMs === undefined ||
    helpTargetMs === undefined
  )
    return ["cli-verify.bench.ts printed none of the figures this report reads."];
  return [
    "packages/client/test/perf/cli-verify.bench.ts: small files signed by a one-node cluster, then",
    "verified offline (the node stopped; `--genesis`) against their documents in one `tempel verify`",
    "process, and `tempel --help` started ten times.",
    "",
    "| | |",
    "| --- | ---: |",
    `| \`tempel verify\`, ${n(files)} files | ${seconds.toFixed(1)} s, ${n(filesPerSecond)} files/s |`,
    `| \`tempel --help\` start-up, median | ${n(helpStartupMs)} ms (target ≤ ${helpTargetMs} ms) |`,
  ];
}

function logSigning(output: PerfOutput): string[] {
  const f = output as Partial<Record<string, number>>;
  const { lines, signLinesPerSecond, signSteadyLinesPerSecond, signTarget, blocks, bytesPerBlock } = f;
  const { aggregationRequests, verifyCliLinesPerSecond, verifyInProcessLinesPerSecond, verifyTarget } = f;
  const { verifyCliThreadedLinesPerSecond } = f;
  if (
    lines === undefined ||
    signLinesPerSecond === undefined ||
    signSteadyLinesPerSecond === undefined ||
    blocks === undefined ||
    bytesPerBlock === undefined ||
    verifyCliLinesPerSecond === undefined ||
    verifyInProcessLinesPerSecond === undefined
  )
    return ["log-sign.bench.ts printed none of the figures this report reads."];
  return [
    "packages/client/test/perf/log-sign.bench.ts: a log written in full, then signed by one",
    "`tempel log sign --follow` process against a one-node cluster, and verified offline.",
    "",
    "| | |",
    "| --- | ---: |",
    `| \`tempel log sign --follow\`, ${n(lines)} lines | ${n(signLinesPerSecond)} lines/s from start-up, ${n(signSteadyLinesPerSecond)} after the first block (target ≥ ${n(signTarget ?? 0)}) |`,
    `| blocks, aggregation requests seen by the node | ${n(blocks)}, ${n(aggregationRequests ?? Number.NaN)} |`,
    `| .logsig bytes per block | ${n(bytesPerBlock)} (${(bytesPerBlock / (lines / blocks)).toFixed(1)} per line) |`,
    `| \`tempel log verify --policy internal\` | ${n(verifyCliLinesPerSecond)} lines/s |`,
    ...(verifyCliThreadedLinesPerSecond === undefined
      ? []
      : [`| the same with \`--threads\`, one per core | ${n(verifyCliThreadedLinesPerSecond)} lines/s |`]),
    `| verifyLog in process | ${n(verifyInProcessLinesPerSecond)} lines/s (target ≥ ${n(verifyTarget ?? 0)}) |`,
  ];
}

function clusterFaults(f: ClusterFaultFigures): string[] {
  const met = (value: number | undefined, target: number) =>
    value !== undefined && value <= target ? "met" : "**not met**";
  const row = (phase: string, r: LoadResult, figure: string) => {
    const l = r.latencySeconds;
    const v = r.verification;
    const verified = Object.values(v.verdicts).reduce((sum, count) => sum + count, 0);
    return (
      `| ${phase} | ${r.targets.join(", ")} | ${n(r.achievedRate)} | ${ms(l.p50)} | ${ms(l.p99)} | ${ms(l.max)} | ` +
      `${n(r.requests.failed)} of ${n(r.requests.scheduled)} | ${errorText(r)} | ${n(verified)} / ${n(v.cheaplyChecked)} | ` +
      `${r.generatorCpu.cores.toFixed(2)} cores | ${figure} |`
    );
  };
  const recovery = f.leaderKill.recoverySeconds;
  return [
    `Open-loop load from \`scripts/load.ts\` on a fresh 3-node cluster on loopback (1-second rounds):`,
    `${n(f.rate)} hashes/s offered round-robin over the nodes loaded, in JSON sign requests of ${n(f.batch)} hashes`,
    "(a KSI response PDU must fit 64 KiB, so a KSI PDU carries at most 16 hashes by default, 32 by",
    "configuration: too few for the request rate not to be the limit). Every answer is checked cheaply;",
    `${+(f.verifyFraction * 100).toPrecision(3)}% of the signatures, evenly spread, are verified in full with the internal policy`,
    "(`--verify-fraction`). Latency runs from each request's scheduled send time. After a",
    `${f.warmupSeconds}-s warm-up, each phase lasts ${f.phaseSeconds} s; a fault comes a third of the way in. The leader's`,
    "recovery is timed from its kill -9 until a surviving node's /v1/calendar/head shows a certified",
    "round for the second of the kill or later (polled every 100 ms); the leader is restarted, the",
    `cluster ready again and loaded for another ${f.warmupSeconds}-s warm-up before the follower's crash: a restarted node`,
    "answers slowly for its first seconds of load (its code is not compiled yet), which the warm-up row",
    "shows and which is not the follower crash's doing.",
    "",
    "| phase | nodes loaded | answered/s | p50 | p99 | max | failed requests | errors | verified in full / checked cheaply | generator CPU | figure (target) |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | --- |",
    row(
      "steady, all nodes up",
      f.steady,
      `p99 ${ms(f.steady.latencySeconds.p99)} (≤ ${FAULT_TARGETS.steadyP99Seconds} s): ${met(f.steady.latencySeconds.p99, FAULT_TARGETS.steadyP99Seconds)}`,
    ),
    row(
      `kill -9 of the leader (${f.leaderKill.node})`,
      f.leaderKill.load,
      `certified again after ${recovery === undefined ? "no round within 30 s" : `${recovery.toFixed(2)} s`} ` +
        `(≤ ${FAULT_TARGETS.recoverySeconds} s): ${met(recovery, FAULT_TARGETS.recoverySeconds)}`,
    ),
    row(`warm-up after ${f.leaderKill.node}'s restart`, f.restartWarmup, "not a target"),
    row(
      `kill -9 of a follower (${f.followerCrash.node})`,
      f.followerCrash.load,
      `p99 ${ms(f.followerCrash.load.latencySeconds.p99)} (≤ ${FAULT_TARGETS.followerCrashP99Seconds} s): ` +
        met(f.followerCrash.load.latencySeconds.p99, FAULT_TARGETS.followerCrashP99Seconds),
    ),
    "",
    `p99 of the answers that came in each second of a phase, in seconds (a fault comes ${f.phaseSeconds / 3} s in, after the ${f.phaseSeconds / 3}th figure):`,
    "",
    ...(
      [
        ["steady", f.steady],
        ["leader's kill", f.leaderKill.load],
        ["warm-up after the restart", f.restartWarmup],
        ["follower's crash", f.followerCrash.load],
      ] as const
    ).map(([phase, r]) => `- ${phase}: ${r.p99BySecond.map((p99) => p99.toFixed(2)).join(" ")}`),
  ];
}

function errorText(r: LoadResult): string {
  const errors =
    Object.entries(r.errors)
      .map(([kind, count]) => `${kind} ${n(count)}`)
      .join(", ") || "–";
  const unchecked =
    r.verification.uncheckedRequests > 0 ? ` (${n(r.verification.uncheckedRequests)} answers unchecked)` : "";
  const resent =
    r.requests.resentAfterReset > 0
      ? ` (${n(r.requests.resentAfterReset)} resent after an idle-connection reset)`
      : "";
  return errors + unchecked + resent;
}

function stepRow(offered: number, sustained: boolean, r: LoadResult): string {
  const l = r.latencySeconds;
  return (
    `| ${n(offered)} | ${n(r.achievedRate)} | ${ms(l.p50)} | ${ms(l.p90)} | ${ms(l.p99)} | ${ms(l.max)} | ` +
    `${n(r.requests.failed)} of ${n(r.requests.scheduled)} | ${errorText(r)} | ${r.generatorCpu.cores.toFixed(2)} cores | ${sustained ? "yes" : "no"} |`
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
