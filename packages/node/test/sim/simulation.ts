import { bytesEqual } from "@tempel/proto";
import { defaultAgreementOptions } from "../../src/consensus/options.ts";
import { ByzantineMember } from "./byzantine.ts";
import { SimCluster } from "./cluster.ts";
import { calmLinks } from "./network.ts";
import type { SimNode } from "./node.ts";
import { STORE_WRITES } from "./node.ts";
import type { Prng } from "./prng.ts";

export interface SimulationConfig {
  readonly seed: number;
  readonly members: number;
  /** Virtual seconds with faults, then seconds of calm in which certification must resume. */
  readonly faultSeconds: number;
  readonly calmSeconds: number;
  /** One member misbehaves from start to end (byzantine.ts), calm included. */
  readonly byzantine?: boolean;
  /** Certificate shares needed; the majority by default. */
  readonly quorum?: number;
}

export interface SimulationResult {
  readonly violations: readonly string[];
  /** Fold of every apply and certificate: equal for two runs of one seed. */
  readonly digest: string;
  readonly steps: number;
  readonly answered: number;
  readonly faults: readonly string[];
  /** What the Byzantine member did, by attack. */
  readonly attacks: ReadonlyMap<string, number>;
  /** Equivocations the honest members caught, by kind. */
  readonly equivocations: ReadonlyMap<string, number>;
}

/** A clock tolerance below the largest skew the faults apply, so that some clocks are out of it. */
const SETTINGS = { clockToleranceMs: 5_000, certificationDeadlineMs: 10_000 } as const;
/** After the calm starts, this long is allowed for elections and catch-up before every second must be certified. */
const RECOVERY_SECONDS = 8;
/**
 * A document still waiting this long before the end is lost: enough for a round that was committed
 * but not certified to reach its deadline, be missed and go into a later round.
 */
const ANSWER_WITHIN_MS = 12_000;
/**
 * How long a Byzantine leader that withholds every entry can keep seconds from being certified: its
 * commit index stands still for the stall bound (2 election timeouts + 1 s + grace) before followers
 * stop counting it as alive, then an election timeout and a pre-vote and a vote (docs/consensus.md §12).
 */
const { electionTimeoutMaxMs, graceMs } = defaultAgreementOptions;
const BYZANTINE_STALL_MS = 2 * electionTimeoutMaxMs + 1000 + graceMs + electionTimeoutMaxMs + 500;

/**
 * One seeded run: a cluster of real agreements over the simulated network, a random fault plan
 * (crashes and restarts, partitions, lossy, duplicating and reordering links, skewed clocks) and then
 * calm. Invariants are checked after every step; liveness at the end.
 */
export async function runSimulation(config: SimulationConfig): Promise<SimulationResult> {
  const settings = config.quorum === undefined ? SETTINGS : { ...SETTINGS, quorum: config.quorum };
  const cluster = await SimCluster.create({ seed: config.seed, members: config.members, settings });
  const faults: string[] = [];
  let byzantine: ByzantineMember | undefined;
  try {
    const random = cluster.random.fork("faults");
    for (const node of cluster.nodes) node.skewMs = random.int(-300, 300);
    await cluster.startAll();
    planFaults(cluster, random, config, faults);
    const calmAt = config.faultSeconds * 1000;
    const endAt = calmAt + config.calmSeconds * 1000;
    if (config.byzantine) {
      byzantine = new ByzantineMember(cluster, random.pick(cluster.nodes), cluster.random.fork("byzantine"));
      byzantine.start(endAt);
      faults.push(`${byzantine.id} is Byzantine`);
    }
    await cluster.runUntil(endAt);
    const honest = cluster.nodes.filter((node) => node.id !== byzantine?.id);
    if (cluster.invariants.violations.length === 0)
      checkLiveness(cluster, honest, calmAt, endAt, !!byzantine);
    if (cluster.invariants.violations.length === 0) await checkCalendarsAgree(cluster);
  } finally {
    await cluster.dispose();
  }
  const equivocations = new Map<string, number>();
  for (const node of cluster.nodes) {
    if (node.id === byzantine?.id) continue;
    for (const kind of ["vote", "contribution", "share"]) {
      const count = node.metrics.count(`equivocations/${kind}`);
      equivocations.set(kind, (equivocations.get(kind) ?? 0) + count);
    }
  }
  return {
    violations: cluster.invariants.violations,
    digest: cluster.invariants.digest,
    steps: cluster.steps,
    answered: cluster.nodes.reduce((sum, node) => sum + node.answered, 0),
    faults,
    attacks: byzantine?.counts ?? new Map(),
    equivocations,
  };
}

/**
 * Schedules random faults over the fault period, then one event that heals everything: restarts
 * every crashed node, removes partitions, calms the links and sets clocks right.
 */
function planFaults(cluster: SimCluster, random: Prng, config: SimulationConfig, log: string[]): void {
  const { nodes, network, scheduler } = cluster;
  const at = (elapsedMs: number, text: string, apply: () => void | Promise<void>) =>
    scheduler.after(elapsedMs - cluster.elapsed, async () => {
      log.push(`${(cluster.elapsed / 1000).toFixed(3)}s ${text}`);
      await apply();
    });
  for (let time = 3_000; time < config.faultSeconds * 1000; time += random.int(500, 4_000)) {
    const node = random.pick(nodes);
    switch (
      random.pick([
        "crash",
        "crashAtWrite",
        "restart",
        "partition",
        "heal",
        "links",
        "skew",
        "clock",
      ] as const)
    ) {
      case "crash":
        at(time, `crash ${node.id}`, () => (node.up ? node.crash() : undefined));
        break;
      case "crashAtWrite": {
        const crash = { write: random.pick(STORE_WRITES), afterWrite: random.chance(0.5) };
        const when = crash.afterWrite ? "after" : "before";
        at(time, `${node.id} dies at its next ${crash.write} (${when} writing)`, () => {
          node.crashAtWrite = crash;
        });
        break;
      }
      case "restart":
        at(time, `restart ${node.id}`, () => (node.up ? undefined : node.start()));
        break;
      case "partition": {
        const side = nodes.filter(() => random.chance(0.5)).map((n) => n.id);
        at(time, `partition [${side.join(",")}] | rest`, () => network.partition([side]));
        break;
      }
      case "heal":
        at(time, "heal partition", () => network.heal());
        break;
      case "links": {
        const links = {
          dropRate: random.pick([0, 0.02, 0.1, 0.3]),
          duplicateRate: random.pick([0, 0.05]),
          minDelayMs: 1,
          maxDelayMs: random.pick([5, 30, 150]),
          reorderRate: random.pick([0, 0.1]),
          reorderDelayMs: 400,
        };
        at(time, `links ${JSON.stringify(links)}`, () => {
          network.faults = links;
        });
        break;
      }
      case "skew": {
        const skew = random.pick([-8_000, -2_000, -400, 400, 2_000, 8_000]);
        at(time, `clock of ${node.id} off by ${skew}ms`, () => {
          node.skewMs = skew;
        });
        break;
      }
      case "clock":
        at(time, `clock of ${node.id} set right`, () => {
          node.skewMs = 0;
        });
        break;
    }
  }
  at(config.faultSeconds * 1000, "calm: restart all, heal, calm links, clocks right", async () => {
    network.heal();
    network.faults = { ...calmLinks };
    for (const node of nodes) {
      node.skewMs = random.int(-100, 100);
      node.crashAtWrite = undefined;
      if (!node.up) await node.start();
    }
  });
}

/**
 * After the faults heal, every honest node is ready, certifies again and answers every document it
 * holds. With a Byzantine member (still misbehaving), what docs/consensus.md §12 says it can do: as
 * leader withhold entries until deposed, so seconds go uncertified in runs no longer than that.
 */
function checkLiveness(
  cluster: SimCluster,
  honest: readonly SimNode[],
  calmAt: number,
  endAt: number,
  byzantine: boolean,
): void {
  const { invariants } = cluster;
  const from = cluster.second(calmAt) + RECOVERY_SECONDS;
  const to = cluster.second(endAt) - 3;
  const longestGap = byzantine ? Math.ceil(BYZANTINE_STALL_MS / 1000) : 0;
  const answerWithin = ANSWER_WITHIN_MS + (byzantine ? BYZANTINE_STALL_MS : 0);
  for (const node of honest) {
    const status = node.agreement!.status();
    if (!status.ready) invariants.violation(`${node.id} is not ready at the end (halted: ${status.halted})`);
    const certified = cluster.certifiedBy(node);
    const missing = [];
    let gap = 0;
    for (let t = from; t <= to; t++) {
      gap = certified.has(t) ? 0 : gap + 1;
      if (gap > longestGap) missing.push(t - cluster.second(0));
    }
    if (missing.length > 0)
      invariants.violation(`${node.id} did not certify seconds ${missing.join(",")} after calm`);
    for (const [key, p] of node.pending) {
      if (p.submitted < cluster.scheduler.now - answerWithin) {
        invariants.violation(`${node.id}: document ${key} never answered`);
      }
    }
  }
}

/** Every node's calendar holds the same leaf for every second both have, and certified roots match. */
async function checkCalendarsAgree(cluster: SimCluster): Promise<void> {
  const [first, ...others] = cluster.nodes;
  const head = Math.min(...cluster.nodes.map((node) => node.calendar.head));
  for (let t = cluster.genesisTime; t <= head; t++) {
    const leaf = await first!.calendar.leaf(t);
    for (const node of others) {
      if (!bytesEqual(leaf, await node.calendar.leaf(t)))
        cluster.invariants.violation(`calendars differ at ${t}`);
    }
    const certified = cluster.invariants.certifiedRoot(t);
    if (certified !== undefined && !bytesEqual(certified, await first!.calendar.rootAt(t))) {
      cluster.invariants.violation(`certified root of ${t} is not the calendars' root`);
    }
  }
}
