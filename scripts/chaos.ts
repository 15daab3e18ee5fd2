/**
 * `npm run chaos`: a fresh local cluster under load while seeded faults hit its real processes
 * (kill -9 and restart of leader and followers, SIGSTOP/SIGCONT, libp2p partitions of the leader or
 * a minority through the nodes' loopback admin endpoint, clock offsets; with --gateways/--aggregators
 * also kill -9 and restart of those tiers); then
 * checks that every answered signature verifies with the quorum policy, that all nodes hold the same
 * calendar, and that no second went unsigned except while a fault explains it.
 */
import { randomInt } from "node:crypto";
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { Prng } from "../packages/node/test/sim/prng.ts";
import {
  type ChaosTiers,
  compareCalendars,
  type GatewayOutcome,
  gatewayOutcomes,
  RECOVERY_SECONDS,
  signatureGaps,
  type TargetFailure,
  tierViolations,
  unexplainedGaps,
} from "./common/chaos/checks.ts";
import { type FaultRecord, runFaults } from "./common/chaos/faults.ts";
import { COOLDOWN_SECONDS, planFaults, WARMUP_SECONDS } from "./common/chaos/plan.ts";
import {
  EXIT_FAILURE,
  EXIT_OK,
  integerFlag,
  parseFlags,
  runScript,
  secondsFlag,
  stringFlag,
} from "./common/cli.ts";
import { MAX_NODES } from "./common/cluster-setup.ts";
import { clusterTargets, quorumTrust, tierTargets } from "./common/load/cluster-targets.ts";
import { runLoad } from "./common/load/run-load.ts";
import { progressLine, summaryText, unverified } from "./common/load/summary.ts";
import { LocalCluster, START_TIMEOUT_MS } from "./common/local-cluster.ts";
import { DEFAULT_DATA_DIR } from "./common/paths.ts";

const HELP = `Usage: npm run chaos -- [options]

Starts a fresh cluster (nodes run with --admin-enabled true), loads it, and hits its node processes
with faults drawn from a seed, one at a time:
  kill-leader, kill-follower  kill -9, down for 1-5 s, restarted
  freeze                      SIGSTOP for 1-3 s, then SIGCONT
  partition                   the leader, or a drawn minority, cut off from the others for 5-10 s at
                              the libp2p level (POST /admin/partition on every node), then healed
  clock                       restarted with --clock-offset-ms (+/-400 ms, 2 s, 5 s or 15 s) for
                              5-10 s, then restarted without
  kill-gateway, kill-aggregator  with --gateways/--aggregators: a tier kill -9, down for 1-5 s, restarted
Then checks: every answered signature verifies with the quorum policy; all nodes hold the same
calendar; every second had a signature except while a fault (plus ${RECOVERY_SECONDS} s of recovery)
explains it. With tiers the load goes to the gateways too, and the run also checks that the clients
of every gateway a tier fault did not take down kept getting signatures during it, and that every
gateway's clients got signatures again after it (or its only aggregator) came back; it lists per
gateway what failed while it was down (connection errors: expected) and at other times.

Options:
  --duration D     how long the load and the faults run: 60, 60s, 2m (default 60s, at least ${WARMUP_SECONDS + COOLDOWN_SECONDS + 5} s)
  --seed S         the seed, 0..4294967295 (default: random; printed, so a run can be replayed)
  --nodes N        cluster size, at least 3 (default 3)
  --rate R         hashes per second offered (default 200)
  --gateways G     also run G gateway tiers in front of the core (ports P+100…), loaded like the nodes
  --aggregators A  also run A aggregator tiers between the gateways and the core (ports P+200…)
  --base-port P    HTTP ports from P, libp2p ports from P+1000 (default 3231)
  --data DIR       where the cluster lives (default .tempel/chaos; deleted after a passing run)
  --keep           keep the data folder after a passing run too

Exit codes: 0 no violation, 1 violations (listed, with the seed), 2 usage.
`;

/** Partitions are set through the nodes' admin endpoint, off unless a node is started with it. */
const NODE_ARGS = ["--admin-enabled", "true"];
const REQUEST_TIMEOUT_MS = 10_000;
const BATCH = 4;

async function main(argv: readonly string[]): Promise<number> {
  const values = parseFlags(
    argv,
    {
      duration: { type: "string" },
      seed: { type: "string" },
      nodes: { type: "string" },
      rate: { type: "string" },
      "base-port": { type: "string" },
      data: { type: "string" },
      keep: { type: "boolean" },
      gateways: { type: "string" },
      aggregators: { type: "string" },
    },
    HELP,
  );
  if (values === undefined) return EXIT_OK;
  const durationSeconds =
    secondsFlag(values, "duration", { min: WARMUP_SECONDS + COOLDOWN_SECONDS + 5, max: 24 * 3600 }) ?? 60;
  const seed = integerFlag(values, "seed", { min: 0, max: 2 ** 32 - 1 }) ?? randomInt(2 ** 32 - 1);
  const nodes = integerFlag(values, "nodes", { min: 3, max: MAX_NODES }) ?? 3;
  const rate = integerFlag(values, "rate", { min: BATCH, max: 1_000_000 }) ?? 200;
  const basePort = integerFlag(values, "base-port", { min: 1024, max: 65_535 }) ?? 3231;
  const dataDir = resolve(stringFlag(values, "data") ?? join(DEFAULT_DATA_DIR, "chaos"));
  const gateways = integerFlag(values, "gateways", { min: 0, max: MAX_NODES }) ?? 0;
  const aggregators = integerFlag(values, "aggregators", { min: 0, max: MAX_NODES }) ?? 0;
  const tiered = gateways + aggregators > 0;
  const replay =
    `npm run chaos -- --duration ${durationSeconds} --seed ${seed} --nodes ${nodes} --rate ${rate}` +
    (tiered ? ` --gateways ${gateways} --aggregators ${aggregators}` : "");
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say(`chaos seed ${seed} (replay: ${replay})`);

  const prng = new Prng(seed);
  const plan = planFaults(prng.fork("plan"), {
    durationSeconds,
    clockFaults: true,
    tiers: [
      ...(gateways > 0 ? ["gateway" as const] : []),
      ...(aggregators > 0 ? ["aggregator" as const] : []),
    ],
  });
  say(`${plan.length} faults planned over ${durationSeconds} s`);

  const cluster = await LocalCluster.prepare(
    { dataDir, nodes, basePort, fresh: true },
    // Tiers stack their trees' levels on their clients': the core takes roots from that height.
    { extraNodeArgs: tiered ? [...NODE_ARGS, "--rounds-max-level", "64"] : NODE_ARGS },
  );
  let passed = false;
  try {
    say(`starting ${nodes} nodes in ${dataDir}…`);
    await cluster.start();
    await cluster.waitReady(START_TIMEOUT_MS);
    if (tiered) {
      say(`starting ${aggregators} aggregator(s) and ${gateways} gateway(s)…`);
      await cluster.startTiers({ gateways, aggregators, basePort });
    }
    const description = cluster.description();
    const tiers: ChaosTiers = {
      gateways: (description.gateways ?? []).map((tier) => tier.id),
      aggregators: (description.aggregators ?? []).map((tier) => tier.id),
    };
    const failures: TargetFailure[] = [];
    const t0 = Date.now();
    const load = runLoad(
      {
        service: { protocol: "ksi", agency: description.agency },
        targets: [...clusterTargets(description, "ksi"), ...tierTargets(description.gateways ?? [])],
        rate,
        durationSeconds,
        batch: BATCH,
        concurrency: Math.ceil((rate / BATCH) * (REQUEST_TIMEOUT_MS / 1000)),
        timeoutMs: REQUEST_TIMEOUT_MS,
        policy: "quorum",
        trust: quorumTrust(description.genesis),
        onFailure: (target, kind) => failures.push({ target, kind, at: Date.now() / 1000 }),
      },
      (progress) => {
        if (Math.round(progress.elapsedSeconds) % 5 === 0)
          process.stderr.write(`${progressLine(progress)}\n`);
      },
    );
    const { faults, failure, skipped } = await runFaults(
      cluster,
      plan,
      prng.fork("targets"),
      t0,
      t0 + (durationSeconds - COOLDOWN_SECONDS) * 1000,
      (f) => say(`  ${describeFault(f, t0)}`),
    );
    if (skipped > 0) say(`  ${skipped} planned fault(s) left out: the earlier ones ran into the cool-down`);
    const result = await load;
    say(summaryText(result));

    const violations: string[] = [];
    if (failure !== undefined) violations.push(`a fault could not be carried out or healed: ${failure}`);
    const bad = unverified(result);
    if (bad > 0) violations.push(`${bad} answered signatures do not verify with the quorum policy`);
    if (result.verification.uncheckedRequests > 0) {
      violations.push(
        `${result.verification.uncheckedRequests} answers could not be checked (the generator fell behind)`,
      );
    }
    let recovered = true;
    try {
      await cluster.waitReady(START_TIMEOUT_MS);
    } catch (error) {
      recovered = false;
      violations.push(`the cluster did not recover: ${(error as Error).message}`);
    }
    if (tiered) {
      for (const outcome of gatewayOutcomes(tiers, faults, failures, result.secondsByTarget))
        say(gatewayLine(outcome));
      violations.push(...tierViolations(tiers, faults, result.secondsByTarget));
    }
    const seconds = Object.values(result.secondsByTarget).flat();
    if (seconds.length === 0) violations.push("no signature was answered at all");
    else {
      // A node that is not back cannot show its calendar: the violation above says so already.
      if (recovered) violations.push(...(await compareCalendars(cluster, Math.max(...seconds))));
      const gaps = signatureGaps(seconds);
      for (const gap of unexplainedGaps(gaps, faults)) {
        violations.push(
          `no signature for seconds ${gap.from}–${gap.to} (${gap.to - gap.from + 1} s), and no fault explains it`,
        );
      }
      say(
        `signed seconds: ${new Set(seconds).size}; gaps: ${gaps.length === 0 ? "none" : gaps.map((g) => `${g.to - g.from + 1} s at ${g.from}`).join(", ")}`,
      );
    }
    if (violations.length === 0) {
      say(`PASS: seed ${seed}`);
      passed = true;
      return EXIT_OK;
    }
    say(`FAIL: seed ${seed}: ${violations.length} violation(s):`);
    for (const violation of violations) say(`  - ${violation}`);
    say(`logs in ${join(dataDir, "logs")}; replay: ${replay}`);
    return EXIT_FAILURE;
  } finally {
    await cluster.stop();
    if (passed && values.keep !== true) rmSync(dataDir, { recursive: true, force: true });
  }
}

function gatewayLine(outcome: GatewayOutcome): string {
  const counts = (byKind: Readonly<Record<string, number>>) =>
    Object.entries(byKind)
      .map(([kind, n]) => `${kind} ${n}`)
      .join(", ") || "none";
  return `${outcome.gateway}: signatures in ${outcome.signedSeconds} s; failed while it or its aggregator was down (expected): ${counts(outcome.whileDown)}; failed otherwise: ${counts(outcome.otherwise)}`;
}

function describeFault(fault: FaultRecord, t0: number): string {
  const at = (time: number) => `${(time - t0 / 1000).toFixed(1)} s`;
  return `${at(fault.startedAt)}–${at(fault.endedAt)}  ${fault.kind} ${fault.node}${fault.note === undefined ? "" : ` (${fault.note})`}`;
}

runScript("chaos", () => main(process.argv.slice(2)));
