import { setTimeout as sleep } from "node:timers/promises";
import { TempelError } from "@tempel/proto";
import { clusterTargets } from "../load/cluster-targets.ts";
import { defaultConcurrency, type LoadProgress, type LoadResult, runLoad } from "../load/run-load.ts";
import { type LocalCluster, START_TIMEOUT_MS } from "../local-cluster.ts";
import { calendarHead } from "../node-api.ts";

/** Issue 7's targets for a 3-node cluster on loopback at 1-second rounds. */
export const FAULT_TARGETS = {
  /** p99 request-to-signature latency under the steady load, all nodes up. */
  steadyP99Seconds: 1.5,
  /** From kill -9 of the leader to the first round certified after it. */
  recoverySeconds: 3,
  /** p99 for the other nodes' clients while a follower is down (crashed during the run). */
  followerCrashP99Seconds: 2,
} as const;

export interface FaultLoad {
  /** Hashes per second offered in total, round-robin over the nodes that are up. */
  readonly rate: number;
  /** Hashes per JSON sign request. */
  readonly batch: number;
  /** Each phase's load, in seconds; a fault comes a third of the way in. */
  readonly phaseSeconds: number;
  /** Share of the signatures the generator verifies in full; every answer is checked cheaply. */
  readonly verifyFraction: number;
  readonly timeoutMs: number;
}

/** A phase's load and, second by second, the p99 of the answers that came in that second. */
export interface PhaseLoad extends LoadResult {
  readonly p99BySecond: readonly number[];
}

export interface ClusterFaultFigures extends FaultLoad {
  /** Load on all nodes before the phases, not measured. */
  readonly warmupSeconds: number;
  /** All nodes up and loaded. */
  readonly steady: PhaseLoad;
  readonly leaderKill: {
    readonly node: string;
    /** Load on the other nodes, across the kill. */
    readonly load: PhaseLoad;
    /** Seconds from the kill to the first certified round after it; undefined if none came in time. */
    readonly recoverySeconds: number | undefined;
  };
  /**
   * Load on every node for the warm-up's length right after the killed leader is back: its first
   * seconds of load, with its code not yet compiled, are not the follower crash's to answer for.
   */
  readonly restartWarmup: PhaseLoad;
  readonly followerCrash: {
    readonly node: string;
    /** Load on the other nodes, across the crash. */
    readonly load: PhaseLoad;
  };
}

export class FaultBenchError extends TempelError {}

/** Before the measured phases, at the same load: the nodes' code gets compiled and their buffers sized. */
const WARMUP_SECONDS = 5;
/** Between phases, so the next one does not start on the last one's leftovers. */
const SETTLE_MS = 3_000;
const HEAD_POLL_MS = 100;
const HEAD_TIMEOUT_MS = 1_000;
/** How long to wait for certification after the leader's kill before calling it not recovered. */
const RECOVERY_LIMIT_MS = 30_000;
const LEADER_WAIT_MS = 15_000;

/**
 * Issue 7's fault figures on a running 3-node cluster: p99 latency under a steady load on all nodes;
 * kill -9 of the leader during a load on the other two, timed until a survivor reports a certified
 * round for the second of the kill or later (/v1/calendar/head), then the leader restarted; kill -9 of
 * a follower during a load on the other two. Loads are open-loop JSON batches (KSI PDUs cannot carry
 * enough hashes for the request rate not to be the limit: a response PDU must fit 64 KiB).
 */
export async function measureClusterFaults(
  cluster: LocalCluster,
  load: FaultLoad,
  say: (line: string) => void,
): Promise<ClusterFaultFigures> {
  const everyNode = cluster.nodes.map((_, i) => i);
  const loadOn = async (indexes: readonly number[], durationSeconds: number): Promise<PhaseLoad> => {
    const p99BySecond: number[] = [];
    const result = await runLoad(
      {
        service: { protocol: "json", agency: cluster.setup.agency },
        targets: clusterTargets(
          cluster.description(),
          "json",
          indexes.map((i) => i + 1),
        ),
        rate: load.rate,
        batch: load.batch,
        durationSeconds,
        concurrency: defaultConcurrency(load.rate, load.batch),
        timeoutMs: load.timeoutMs,
        policy: "internal",
        verifyFraction: load.verifyFraction,
      },
      (progress: LoadProgress) => p99BySecond.push(progress.p99),
    );
    return { ...result, p99BySecond };
  };
  const report = (what: string, result: PhaseLoad) =>
    say(
      `  ${what}: answered ${Math.round(result.achievedRate)}/s of ${load.rate}/s, p99 ${result.latencySeconds.p99.toFixed(3)} s, ` +
        `${result.requests.failed} of ${result.requests.scheduled} requests failed, generator ${result.generatorCpu.cores.toFixed(2)} cores\n` +
        `    p99 of each second's answers: ${result.p99BySecond.map((p99) => p99.toFixed(2)).join(" ")}`,
    );

  await loadOn(everyNode, WARMUP_SECONDS);
  await sleep(SETTLE_MS);
  const steady = await loadOn(everyNode, load.phaseSeconds);
  report("steady, all nodes", steady);
  await sleep(SETTLE_MS);

  const faultAt = (load.phaseSeconds * 1000) / 3;
  const leader = await currentLeader(cluster);
  const leaderName = cluster.nodes[leader]!.setup.name;
  const survivors = everyNode.filter((i) => i !== leader);
  const leaderLoad = loadOn(survivors, load.phaseSeconds);
  await sleep(faultAt);
  const killedAt = Date.now();
  await cluster.nodes[leader]!.process.kill();
  const recovered = await certifiedSince(cluster, survivors, killedAt);
  const leaderKill = {
    node: leaderName,
    load: await leaderLoad,
    recoverySeconds: recovered === undefined ? undefined : (recovered - killedAt) / 1000,
  };
  say(
    `  kill -9 of the leader (${leaderName}): ${leaderKill.recoverySeconds === undefined ? "no round certified" : `a round certified ${leaderKill.recoverySeconds.toFixed(2)} s`} after the kill`,
  );
  report("load on the other nodes across the kill", leaderKill.load);
  await cluster.restart(leader);
  await cluster.waitReady(START_TIMEOUT_MS);
  const restartWarmup = await loadOn(everyNode, WARMUP_SECONDS);
  report(`warm-up after ${leaderName}'s restart`, restartWarmup);
  await sleep(SETTLE_MS);

  const stillLeader = await currentLeader(cluster);
  const follower = everyNode.find((i) => i !== stillLeader)!;
  const followerName = cluster.nodes[follower]!.setup.name;
  const followerLoad = loadOn(
    everyNode.filter((i) => i !== follower),
    load.phaseSeconds,
  );
  await sleep(faultAt);
  await cluster.nodes[follower]!.process.kill();
  const followerCrash = { node: followerName, load: await followerLoad };
  report(`load on the other nodes across kill -9 of a follower (${followerName})`, followerCrash.load);
  return { ...load, warmupSeconds: WARMUP_SECONDS, steady, leaderKill, restartWarmup, followerCrash };
}

async function currentLeader(cluster: LocalCluster): Promise<number> {
  const deadline = Date.now() + LEADER_WAIT_MS;
  for (;;) {
    const leader = await cluster.leader();
    if (leader !== undefined) return leader;
    if (Date.now() > deadline)
      throw new FaultBenchError(
        "NO_LEADER",
        `the nodes agreed on no leader within ${LEADER_WAIT_MS / 1000} s`,
      );
    await sleep(HEAD_POLL_MS);
  }
}

/**
 * When (ms, Unix) one of `indexes` first reports a certified round for the second `since` falls in
 * or a later one: that second ends after `since`, so only an agreement that works after it certifies
 * it. Undefined if none does within RECOVERY_LIMIT_MS.
 */
async function certifiedSince(
  cluster: LocalCluster,
  indexes: readonly number[],
  since: number,
): Promise<number | undefined> {
  const second = Math.floor(since / 1000);
  const certified = async (index: number) => {
    const head = await calendarHead(cluster.nodes[index]!.apiUrl, HEAD_TIMEOUT_MS).catch(() => undefined);
    return head?.certified !== undefined && head.certified.time >= second;
  };
  while (Date.now() - since < RECOVERY_LIMIT_MS) {
    const polled = Date.now();
    if ((await Promise.all(indexes.map(certified))).some(Boolean)) return Date.now();
    await sleep(Math.max(0, HEAD_POLL_MS - (Date.now() - polled)));
  }
  return undefined;
}
