import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ed25519 } from "@noble/curves/ed25519.js";
import { bytesEqual } from "@tempel/proto";
import type { AgreementSettings } from "../../src/consensus/agreement.ts";
import { Invariants } from "./invariants.ts";
import { calmLinks, SimNetwork } from "./network.ts";
import { Inflight, SimNode } from "./node.ts";
import { Prng } from "./prng.ts";
import { Scheduler } from "./scheduler.ts";

export interface SimulationConfig {
  readonly seed: number;
  readonly members: number;
  /** Virtual seconds with faults, then seconds of calm in which certification must resume. */
  readonly faultSeconds: number;
  readonly calmSeconds: number;
}

export interface SimulationResult {
  readonly violations: readonly string[];
  /** Fold of every apply and certificate: equal for two runs of one seed. */
  readonly digest: string;
  readonly steps: number;
  readonly answered: number;
  readonly faults: readonly string[];
}

const START_MS = 1_800_000_000_000;
/** Timings as in production; the clock tolerance is smaller so that skew faults can exceed it. */
const SETTINGS = { clockToleranceMs: 5_000, certificationDeadlineMs: 10_000 } as const;
/** After the calm period starts, this long is allowed for elections and catch-up before every second must be certified. */
const RECOVERY_SECONDS = 8;
/**
 * A document still waiting this long before the end is lost: enough for a round that was committed
 * but not certified to reach its deadline, be missed and go into a later round.
 */
const ANSWER_WITHIN_MS = 12_000;

/**
 * One seeded run: a cluster of real agreements over the simulated network, a random fault plan
 * (crashes and restarts, partitions, lossy, duplicating and reordering links, skewed clocks) and then
 * calm. Invariants are checked after every step; liveness at the end.
 */
export async function runSimulation(config: SimulationConfig): Promise<SimulationResult> {
  const root = new Prng(config.seed);
  const scheduler = new Scheduler(START_MS);
  const invariants = new Invariants(() => scheduler.now - START_MS);
  const network = new SimNetwork(scheduler, root.fork("network"), (from, bytes) =>
    invariants.sent(from, bytes),
  );
  const inflight = new Inflight();
  const quorum = Math.floor(config.members / 2) + 1;
  const secrets = Array.from({ length: config.members }, (_, i) => {
    const secret = new Uint8Array(32);
    secret.set(new TextEncoder().encode(`sim-${config.seed}-${i}`).subarray(0, 32));
    return secret;
  });
  const members = secrets.map((secret, i) => ({ id: `node-${i}`, publicKey: ed25519.getPublicKey(secret) }));
  const settings: AgreementSettings = { genesisTime: START_MS / 1000 + 2, quorum, ...SETTINGS };
  const workdir = await mkdtemp(join(tmpdir(), "tempel-sim-"));
  const context = { scheduler, network, invariants, inflight, settings, members };
  const nodes = members.map(
    (m, i) => new SimNode(m.id, secrets[i]!, join(workdir, m.id), root.fork(`node-${i}`), context),
  );
  const faults: string[] = [];
  let steps = 0;
  const step = async (run: () => void | Promise<void>) => {
    await run();
    await inflight.settled();
    steps++;
  };
  try {
    const faultRandom = root.fork("faults");
    for (const node of nodes) node.skewMs = faultRandom.int(-300, 300);
    for (const node of nodes) await step(() => node.start());
    const plan = planFaults(faultRandom, nodes, network, config, faults);
    const calmAt = START_MS + config.faultSeconds * 1000;
    const endAt = calmAt + config.calmSeconds * 1000;
    let nextFault = plan.shift();
    for (;;) {
      const event = scheduler.next(Math.min(nextFault?.at ?? endAt, endAt));
      if (event !== undefined) {
        await step(event.run);
      } else if (nextFault !== undefined && nextFault.at <= endAt) {
        const fault = nextFault;
        nextFault = plan.shift();
        await step(() => fault.apply(scheduler.now));
      } else {
        break;
      }
      if (invariants.violations.length > 0) break;
    }
    if (invariants.violations.length === 0) checkLiveness(nodes, invariants, calmAt, endAt);
    if (invariants.violations.length === 0) await checkCalendarsAgree(nodes, invariants);
    for (const node of nodes) if (node.up) await node.crash();
  } finally {
    await rm(workdir, { recursive: true, force: true });
  }
  return {
    violations: invariants.violations,
    digest: invariants.digest,
    steps,
    answered: nodes.reduce((sum, node) => sum + node.answered, 0),
    faults,
  };
}

interface PlannedFault {
  readonly at: number;
  apply(now: number): Promise<void>;
}

/**
 * A random schedule of faults over the fault period, then one event that heals everything: restarts
 * every crashed node, removes partitions, calms the links and sets clocks right.
 */
function planFaults(
  random: Prng,
  nodes: readonly SimNode[],
  network: SimNetwork,
  config: SimulationConfig,
  log: string[],
): PlannedFault[] {
  const plan: PlannedFault[] = [];
  const note = (now: number, text: string) => log.push(`${((now - START_MS) / 1000).toFixed(3)}s ${text}`);
  for (let at = START_MS + 3_000; at < START_MS + config.faultSeconds * 1000; at += random.int(500, 4_000)) {
    const kind = random.pick(["crash", "restart", "partition", "heal", "links", "skew", "clock"] as const);
    const node = random.pick(nodes);
    const split = nodes.filter(() => random.chance(0.5)).map((n) => n.id);
    const links = {
      dropRate: random.pick([0, 0.02, 0.1, 0.3]),
      duplicateRate: random.pick([0, 0.05]),
      minDelayMs: 1,
      maxDelayMs: random.pick([5, 30, 150]),
      reorderRate: random.pick([0, 0.1]),
      reorderDelayMs: 400,
    };
    const skew = random.pick([-8_000, -2_000, -400, 400, 2_000, 8_000]);
    plan.push({
      at,
      apply: async (now) => {
        switch (kind) {
          case "crash":
            if (!node.up) return;
            note(now, `crash ${node.id}`);
            await node.crash();
            return;
          case "restart":
            if (node.up) return;
            note(now, `restart ${node.id}`);
            await node.start();
            return;
          case "partition":
            note(now, `partition [${split.join(",")}] | rest`);
            network.partition([split]);
            return;
          case "heal":
            note(now, "heal partition");
            network.heal();
            return;
          case "links":
            note(now, `links ${JSON.stringify(links)}`);
            network.faults = links;
            return;
          case "skew":
            note(now, `clock of ${node.id} off by ${skew}ms`);
            node.skewMs = skew;
            return;
          case "clock":
            note(now, `clock of ${node.id} set right`);
            node.skewMs = 0;
            return;
        }
      },
    });
  }
  plan.push({
    at: START_MS + config.faultSeconds * 1000,
    apply: async (now) => {
      note(now, "calm: restart all, heal, calm links, clocks right");
      network.heal();
      network.faults = { ...calmLinks };
      for (const node of nodes) {
        node.skewMs = random.int(-100, 100);
        if (!node.up) await node.start();
      }
    },
  });
  return plan;
}

/** After the faults heal, every node certifies again and answers every document it still holds. */
function checkLiveness(
  nodes: readonly SimNode[],
  invariants: Invariants,
  calmAt: number,
  endAt: number,
): void {
  const from = Math.floor(calmAt / 1000) + RECOVERY_SECONDS;
  const to = Math.floor(endAt / 1000) - 3;
  for (const node of nodes) {
    const certified = invariants.certified.get(node.id) ?? new Set();
    const missing = [];
    for (let t = from; t <= to; t++) if (!certified.has(t)) missing.push(t - START_MS / 1000);
    if (missing.length > 0)
      invariants.violation(`${node.id} did not certify seconds ${missing.join(",")} after calm`);
    for (const [key, p] of node.pending) {
      if (p.submitted < endAt - ANSWER_WITHIN_MS)
        invariants.violation(`${node.id}: document ${key} never answered`);
    }
  }
}

/** Every node's calendar holds the same leaf for every second both have, and certified roots match. */
async function checkCalendarsAgree(nodes: readonly SimNode[], invariants: Invariants): Promise<void> {
  const head = Math.min(...nodes.map((node) => node.calendar.head));
  const genesis = nodes[0]!.calendar.genesisTime;
  for (let t = genesis; t <= head; t++) {
    const leaf = await nodes[0]!.calendar.leaf(t);
    for (const node of nodes.slice(1)) {
      if (!bytesEqual(leaf, await node.calendar.leaf(t)))
        invariants.violation(`calendars differ at second ${t}`);
    }
    const certified = invariants.certifiedRoot(t);
    if (certified !== undefined && !bytesEqual(certified, await nodes[0]!.calendar.rootAt(t))) {
      invariants.violation(`certified root of ${t} is not the calendars' root`);
    }
  }
}
