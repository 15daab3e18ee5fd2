import { setTimeout as sleep } from "node:timers/promises";
import type { Prng } from "../../../packages/node/test/sim/prng.ts";
import { type LocalCluster, START_TIMEOUT_MS, STOP_TIMEOUT_MS } from "../local-cluster.ts";
import { setBlockedPeers } from "./admin.ts";
import { type FaultKind, isTierFault, type PlannedFault, TIER_FAULTS, type TierFault } from "./plan.ts";

/** A fault as it happened: which nodes, and from when until they were ready again (Unix seconds). */
export interface FaultRecord {
  readonly kind: FaultKind;
  /** The node or tier hit (`node-2`, `gateway-1`), or the nodes cut off together (`node-1+node-2`). */
  readonly node: string;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly note?: string;
}

export interface FaultRun {
  readonly faults: readonly FaultRecord[];
  /** Set when a fault could not be carried out or healed (a node that would not restart); the run stops there. */
  readonly failure?: string;
  /** Planned faults left out because earlier ones (restarts take a while) ran into the cool-down. */
  readonly skipped: number;
}

/**
 * Carry out `plan` on the cluster's processes, each fault at its time after `t0` (ms, Unix) or, when
 * the previous one took longer, once the nodes it hit are ready again: one fault at a time. No
 * fault starts that could not end by `deadline` (ms, Unix). Which nodes a fault hits is decided when
 * it happens (the leader then, a follower then, a minority then), drawing from `prng`, so a seed
 * replays the same choices for the same leaders. Partitions go through the nodes' admin endpoint
 * (they must run with `admin.enabled`), clock faults through a restart with `--clock-offset-ms`.
 */
export async function runFaults(
  cluster: LocalCluster,
  plan: readonly PlannedFault[],
  prng: Prng,
  t0: number,
  deadline: number,
  report: (record: FaultRecord) => void,
): Promise<FaultRun> {
  const faults: FaultRecord[] = [];
  for (const [done, fault] of plan.entries()) {
    await sleep(Math.max(0, t0 + fault.at * 1000 - Date.now()));
    if (Date.now() + fault.seconds * 1000 > deadline) return { faults, skipped: plan.length - done };
    if (isTierFault(fault.kind)) {
      const hit = await killTier(cluster, fault.kind, fault.seconds, prng);
      if (typeof hit === "string") return { faults, failure: hit, skipped: 0 };
      faults.push(hit);
      report(hit);
      continue;
    }
    const { indexes, note } = await chooseNodes(cluster, fault.kind, prng);
    const [index] = indexes as [number];
    const node = cluster.nodes[index]!;
    const names = indexes.map((i) => cluster.nodes[i]!.setup.name).join("+");
    const startedAt = Date.now() / 1000;
    try {
      switch (fault.kind) {
        case "kill-leader":
        case "kill-follower":
          await node.process.kill();
          await sleep(fault.seconds * 1000);
          await cluster.restart(index);
          break;
        case "freeze":
          node.process.pause();
          await sleep(fault.seconds * 1000);
          node.process.resume();
          break;
        case "partition":
          await partition(cluster, indexes);
          await sleep(fault.seconds * 1000);
          await heal(cluster);
          break;
        case "clock":
          await node.process.stop(STOP_TIMEOUT_MS);
          // One argument: a negative value as a separate one would read as another flag.
          await cluster.restart(index, [`--clock-offset-ms=${fault.offsetMs}`]);
          await sleep(fault.seconds * 1000);
          await node.process.stop(STOP_TIMEOUT_MS);
          await cluster.restart(index);
          break;
      }
      await cluster.waitReady(START_TIMEOUT_MS, indexes);
    } catch (error) {
      return {
        faults,
        failure: `${fault.kind} of ${names}: ${(error as Error).message}`,
        skipped: 0,
      };
    }
    const record: FaultRecord = {
      kind: fault.kind,
      node: names,
      startedAt,
      endedAt: Date.now() / 1000,
      ...(note !== undefined && { note }),
    };
    for (const i of indexes) cluster.nodes[i]!.process.note({ msg: "chaos fault", ...record });
    faults.push(record);
    report(record);
  }
  return { faults, skipped: 0 };
}

/**
 * kill -9 of a drawn gateway or aggregator tier, down for `seconds`, then started again on its port:
 * the record of it, or why it could not be done.
 */
async function killTier(
  cluster: LocalCluster,
  kind: TierFault,
  seconds: number,
  prng: Prng,
): Promise<FaultRecord | string> {
  const tiers = cluster.tiers;
  const names = tiers?.names(TIER_FAULTS[kind]) ?? [];
  if (tiers === undefined || names.length === 0) return `${kind}: the cluster runs no such tier`;
  const name = prng.pick(names);
  const startedAt = Date.now() / 1000;
  try {
    await tiers.kill(name);
    await sleep(seconds * 1000);
    await cluster.restartTier(name);
  } catch (error) {
    return `${kind} of ${name}: ${(error as Error).message}`;
  }
  return { kind, node: name, startedAt, endedAt: Date.now() / 1000 };
}

/** The nodes a fault hits: one, or for a partition the minority cut off (the leader alone, or drawn). */
async function chooseNodes(
  cluster: LocalCluster,
  kind: Exclude<FaultKind, TierFault>,
  prng: Prng,
): Promise<{ indexes: number[]; note?: string }> {
  const all = cluster.nodes.map((_, i) => i);
  if (kind === "freeze" || kind === "clock") return { indexes: [prng.pick(all)] };
  const leader = await cluster.leader();
  if (kind === "partition") {
    if (leader !== undefined && prng.chance(0.5)) return { indexes: [leader], note: "the leader cut off" };
    const size = prng.int(1, Math.floor((all.length - 1) / 2));
    const pool = [...all];
    const minority: number[] = [];
    while (minority.length < size) minority.push(pool.splice(prng.int(0, pool.length - 1), 1)[0]!);
    return { indexes: minority, note: `a minority of ${size} cut off` };
  }
  if (leader === undefined) return { indexes: [prng.pick(all)], note: "the nodes named no common leader" };
  if (kind === "kill-leader") return { indexes: [leader] };
  return { indexes: [prng.pick(all.filter((i) => i !== leader))] };
}

/** Both sides refuse each other: every node blocks the members on the other side. */
async function partition(cluster: LocalCluster, minority: readonly number[]): Promise<void> {
  const side = (inside: boolean) =>
    cluster.nodes.filter((_, i) => minority.includes(i) === inside).map((n) => n.setup.id);
  await Promise.all(
    cluster.nodes.map((node, i) => setBlockedPeers(node.apiUrl, side(!minority.includes(i)))),
  );
}

async function heal(cluster: LocalCluster): Promise<void> {
  await Promise.all(cluster.nodes.map((node) => setBlockedPeers(node.apiUrl, [])));
}
