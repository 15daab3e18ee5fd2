import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ed25519 } from "@noble/curves/ed25519.js";
import type { AgreementSettings } from "../../src/consensus/agreement.ts";
import { Invariants } from "./invariants.ts";
import { SimNetwork } from "./network.ts";
import { Inflight, SimNode } from "./node.ts";
import { Prng } from "./prng.ts";
import { Scheduler } from "./scheduler.ts";

/** Real time one step may take before the run is declared deadlocked. */
const STEP_LIMIT_MS = 30_000;

/** Virtual time starts here; genesis is two seconds later. */
export const START_MS = 1_800_000_000_000;

export interface ClusterConfig {
  readonly seed: number;
  readonly members: number;
  /** Overrides of the agreement options (the genesis time and quorum are set here). */
  readonly settings?: Partial<AgreementSettings>;
}

/**
 * A simulated cluster: real agreements, real LevelDB folders, a seeded scheduler and network. Each
 * step runs one event and waits until every effect of it has settled, then checks the invariants.
 */
export class SimCluster {
  readonly scheduler = new Scheduler(START_MS);
  readonly invariants = new Invariants(() => this.scheduler.now - START_MS);
  readonly network: SimNetwork;
  readonly nodes: readonly SimNode[];
  readonly random: Prng;
  readonly genesisTime = START_MS / 1000 + 2;
  steps = 0;
  readonly #inflight = new Inflight();
  #wedged = false;
  readonly #workdir: string;

  private constructor(config: ClusterConfig, workdir: string) {
    this.random = new Prng(config.seed);
    this.#workdir = workdir;
    this.network = new SimNetwork(this.scheduler, this.random.fork("network"), (from, bytes) =>
      this.invariants.sent(from, bytes),
    );
    const secrets = Array.from({ length: config.members }, (_, i) =>
      new Uint8Array(32).fill(i + 1, 0, 16).fill(config.seed & 0xff, 16),
    );
    const members = secrets.map((secret, i) => ({
      id: `node-${i}`,
      publicKey: ed25519.getPublicKey(secret),
    }));
    const settings: AgreementSettings = {
      genesisTime: this.genesisTime,
      quorum: Math.floor(config.members / 2) + 1,
      ...config.settings,
    };
    const context = {
      scheduler: this.scheduler,
      network: this.network,
      invariants: this.invariants,
      inflight: this.#inflight,
      settings,
      members,
    };
    this.nodes = members.map(
      (m, i) => new SimNode(m.id, secrets[i]!, join(workdir, m.id), this.random.fork(`node-${i}`), context),
    );
  }

  static async create(config: ClusterConfig): Promise<SimCluster> {
    return new SimCluster(config, await mkdtemp(join(tmpdir(), "tempel-sim-")));
  }

  /** Virtual milliseconds since the start. */
  get elapsed(): number {
    return this.scheduler.now - START_MS;
  }

  async startAll(): Promise<void> {
    for (const node of this.nodes) await this.step(() => node.start());
  }

  /** Runs `action` as one step. */
  async step(action: () => void | Promise<void>): Promise<void> {
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    const wedged = new Promise<"wedged">((resolve) => {
      watchdog = setTimeout(() => resolve("wedged"), STEP_LIMIT_MS);
    });
    const done = (async () => {
      await action();
      await this.#inflight.settled();
    })();
    const outcome = await Promise.race([done, wedged]);
    clearTimeout(watchdog);
    if (outcome === "wedged") {
      this.#wedged = true;
      this.invariants.violation(`a step never finished (${this.#inflight.count} I/O calls open): a deadlock`);
      return;
    }
    this.steps++;
  }

  /** Runs events until virtual time `elapsedMs`, or until an invariant breaks. */
  async runUntil(elapsedMs: number): Promise<void> {
    for (;;) {
      if (this.invariants.violations.length > 0) return;
      const event = this.scheduler.next(START_MS + elapsedMs);
      if (event === undefined) return;
      await this.step(event.run);
    }
  }

  /** The seconds `node` holds a certificate for, each with when (ms since the start) it got it. */
  certifiedBy(node: SimNode): ReadonlyMap<number, number> {
    return this.invariants.certified.get(node.id) ?? new Map();
  }

  /** The second in which virtual time `elapsedMs` falls. */
  second(elapsedMs: number): number {
    return Math.floor((START_MS + elapsedMs) / 1000);
  }

  async dispose(): Promise<void> {
    // After a deadlock, stopping a node could hang as well: its folder just goes.
    if (!this.#wedged) for (const node of this.nodes) if (node.up) await node.crash();
    await rm(this.#workdir, { recursive: true, force: true });
  }
}
