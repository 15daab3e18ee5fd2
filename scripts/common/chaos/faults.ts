import { setTimeout as sleep } from "node:timers/promises";
import type { Prng } from "../../../packages/node/test/sim/prng.ts";
import { type LocalCluster, START_TIMEOUT_MS, STOP_TIMEOUT_MS } from "../local-cluster.ts";
import type { FaultKind, PlannedFault } from "./plan.ts";

/** A fault as it happened: which node, and from when until the node was ready again (Unix seconds). */
export interface FaultRecord {
  readonly kind: FaultKind;
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
 * the previous one took longer, once the node it hit is ready again: one faulty node at a time. No
 * fault starts that could not end by `deadline` (ms, Unix). Which node a fault hits is decided when
 * it happens (the leader then, a follower then), drawing from `prng`, so a seed replays the same
 * choices for the same leaders. `clockFlag` is the `tempel-node start` flag that offsets a node's
 * clock; clock faults are only planned when it exists.
 */
export async function runFaults(
  cluster: LocalCluster,
  plan: readonly PlannedFault[],
  prng: Prng,
  t0: number,
  deadline: number,
  clockFlag: string | undefined,
  report: (record: FaultRecord) => void,
): Promise<FaultRun> {
  const faults: FaultRecord[] = [];
  for (const [done, fault] of plan.entries()) {
    await sleep(Math.max(0, t0 + fault.at * 1000 - Date.now()));
    if (Date.now() + fault.seconds * 1000 > deadline) return { faults, skipped: plan.length - done };
    const { index, note } = await chooseNode(cluster, fault.kind, prng);
    const node = cluster.nodes[index]!;
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
        case "partition":
          node.process.pause();
          await sleep(fault.seconds * 1000);
          node.process.resume();
          break;
        case "clock":
          await node.process.stop(STOP_TIMEOUT_MS);
          await cluster.restart(index, [`--${clockFlag}`, String(fault.offsetMs)]);
          await sleep(fault.seconds * 1000);
          await node.process.stop(STOP_TIMEOUT_MS);
          await cluster.restart(index);
          break;
      }
      await cluster.waitReady(START_TIMEOUT_MS, [index]);
    } catch (error) {
      return {
        faults,
        failure: `${fault.kind} of ${node.setup.name}: ${(error as Error).message}`,
        skipped: 0,
      };
    }
    const record: FaultRecord = {
      kind: fault.kind,
      node: node.setup.name,
      startedAt,
      endedAt: Date.now() / 1000,
      ...(note !== undefined && { note }),
    };
    node.process.note({ msg: "chaos fault", ...record });
    faults.push(record);
    report(record);
  }
  return { faults, skipped: 0 };
}

async function chooseNode(
  cluster: LocalCluster,
  kind: FaultKind,
  prng: Prng,
): Promise<{ index: number; note?: string }> {
  const all = cluster.nodes.map((_, i) => i);
  if (kind !== "kill-leader" && kind !== "kill-follower") return { index: prng.pick(all) };
  const leader = await cluster.leader();
  if (leader === undefined) return { index: prng.pick(all), note: "the nodes named no common leader" };
  if (kind === "kill-leader") return { index: leader };
  return { index: prng.pick(all.filter((i) => i !== leader)) };
}
