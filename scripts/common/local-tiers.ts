import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TierEntry } from "./cluster-file.ts";
import { logDir } from "./cluster-setup.ts";
import { ManagedProcess } from "./managed-process.ts";
import { NODE_CLI } from "./paths.ts";
import { refuseTakenPorts } from "./ports.ts";

export interface TierPlan {
  /** Gateways: their clients are the demo agency's; upstream the aggregators, or else the core. */
  readonly gateways: number;
  /** Aggregators: gateways whose upstream is the core and whose clients are the gateways. */
  readonly aggregators: number;
  /** Gateway i serves on basePort + 100 + i − 1, aggregator i on basePort + 200 + i − 1. */
  readonly basePort: number;
  /** Length of every tier's rounds. */
  readonly roundMs?: number;
}

/**
 * Round leads (docs/scale.md): a tier in front of the core closes its rounds 50 ms before each second
 * (the node's default), a gateway in front of an aggregator 50 ms before that.
 */
const AGGREGATOR_LEAD_MS = 50;
const GATEWAY_LEAD_BEHIND_AGGREGATOR_MS = 100;

interface LocalTier {
  readonly name: string;
  readonly kind: "gateway" | "aggregator";
  readonly api: string;
  readonly port: number;
  readonly configFile: string;
  readonly process: ManagedProcess;
}

/** The tiers' agency at the core is the demo agency: one login for this local setup. */
export interface TierAgency {
  readonly loginId: string;
  readonly key: string;
}

/**
 * Gateway and aggregator tiers (`tempel-node start --role gateway`) in front of a local cluster's
 * core: one process each, configured in `<data>/tiers/<name>/config.json`. Every tier accepts the demo
 * agency and uses it at its upstream, so the demo agency signs through any of them.
 */
export class LocalTiers {
  readonly #tiers: LocalTier[];

  constructor(dataDir: string, plan: TierPlan, core: readonly string[], agency: TierAgency) {
    const aggregators = Array.from({ length: plan.aggregators }, (_, i) =>
      tierOf(dataDir, "aggregator", i, plan.basePort + 200 + i),
    );
    const gateways = Array.from({ length: plan.gateways }, (_, i) =>
      tierOf(dataDir, "gateway", i, plan.basePort + 100 + i),
    );
    const above = aggregators.length > 0 ? aggregators.map((a) => a.api) : core;
    for (const tier of aggregators) writeTierConfig(tier, core, agency, plan.roundMs, AGGREGATOR_LEAD_MS);
    // A gateway's last round of a second must reach its aggregator before the aggregator's closes.
    const gatewayLead = aggregators.length > 0 ? GATEWAY_LEAD_BEHIND_AGGREGATOR_MS : AGGREGATOR_LEAD_MS;
    for (const tier of gateways) writeTierConfig(tier, above, agency, plan.roundMs, gatewayLead);
    this.#tiers = [...aggregators, ...gateways];
  }

  get processes(): readonly ManagedProcess[] {
    return this.#tiers.map((tier) => tier.process);
  }

  /** The names of the tiers of one kind (`gateway-1`, …), in order. */
  names(kind: "gateway" | "aggregator"): string[] {
    return this.#tiers.filter((tier) => tier.kind === kind).map((tier) => tier.name);
  }

  /** `kill -9` of one tier (the chaos script). */
  kill(name: string): Promise<void> {
    return this.#tier(name).process.kill();
  }

  /** Start one killed tier again, on the same port and config. */
  async restart(name: string, timeoutMs: number): Promise<void> {
    const tier = this.#tier(name);
    await refuseTakenPorts([{ port: tier.port, what: `${tier.name}'s HTTP API` }], "stop it first");
    await launch(tier, timeoutMs);
  }

  #tier(name: string): LocalTier {
    const tier = this.#tiers.find((t) => t.name === name);
    if (tier === undefined) throw new RangeError(`no tier named ${name}`);
    return tier;
  }

  /** Aggregators first, so that the gateways' upstream is up before their first round. */
  async start(timeoutMs: number): Promise<void> {
    await refuseTakenPorts(
      this.#tiers.map((tier) => ({ port: tier.port, what: `${tier.name}'s HTTP API` })),
      "stop it, or start the cluster on other ports with --base-port P",
    );
    for (const kind of ["aggregator", "gateway"] as const) {
      await Promise.all(
        this.#tiers.filter((tier) => tier.kind === kind).map((tier) => launch(tier, timeoutMs)),
      );
    }
  }

  /** Gateways first, so that no gateway's round is left without its aggregator. */
  async stop(timeoutMs: number): Promise<string[]> {
    const failed: string[] = [];
    for (const kind of ["gateway", "aggregator"] as const) {
      await Promise.all(
        this.#tiers
          .filter((tier) => tier.kind === kind && tier.process.running)
          .map(async (tier) => {
            const exit = await tier.process.stop(timeoutMs);
            if (exit.forced || exit.code !== 0) failed.push(tier.name);
          }),
      );
    }
    return failed;
  }

  /** cluster.json's `gateways` and `aggregators`. */
  entries(kind: "gateway" | "aggregator"): TierEntry[] {
    return this.#tiers
      .filter((tier) => tier.kind === kind)
      .map((tier) => ({
        id: tier.name,
        pid: tier.process.pid!,
        api: tier.api,
        ksi: { aggregator: `${tier.api}/ksi/aggregator` },
        metrics: `${tier.api}/metrics`,
      }));
  }
}

function launch(tier: LocalTier, timeoutMs: number): Promise<void> {
  return tier.process.start(process.execPath, [NODE_CLI, "start", "--config", tier.configFile], timeoutMs);
}

function tierOf(dataDir: string, kind: "gateway" | "aggregator", index: number, port: number): LocalTier {
  const name = `${kind}-${index + 1}`;
  const api = `http://127.0.0.1:${port}`;
  return {
    name,
    kind,
    api,
    port,
    configFile: join(dataDir, "tiers", name, "config.json"),
    // A tier has no /v1/status: it is up when it says it is ready.
    process: new ManagedProcess(name, join(logDir(dataDir), `${name}.log`), `${api}/readyz`),
  };
}

function writeTierConfig(
  tier: LocalTier,
  upstream: readonly string[],
  agency: TierAgency,
  roundMs: number | undefined,
  roundLeadMs: number,
): void {
  const dir = join(tier.configFile, "..");
  mkdirSync(dir, { recursive: true });
  const config = {
    role: "gateway",
    dataDir: ".",
    api: { host: "127.0.0.1", port: tier.port },
    agencies: [agency],
    gateway: {
      upstream,
      upstreamLoginId: agency.loginId,
      upstreamKey: agency.key,
      roundLeadMs,
      ...(roundMs !== undefined && { roundMs }),
    },
  };
  // Owner-only: it holds agency keys, which the node refuses to read from a file others may.
  writeFileSync(tier.configFile, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
}
