import { rmSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { loadGenesis } from "@tempel/node";
import { TempelError } from "@tempel/proto";
import { type ClusterDescription, writeClusterFile } from "./cluster-file.ts";
import {
  type ClusterSetup,
  logDir,
  plannedPorts,
  prepareCluster,
  type SetupNode,
  type SetupOptions,
  tsaCaCertificate,
} from "./cluster-setup.ts";
import { LocalTiers, type TierPlan } from "./local-tiers.ts";
import { type IdentityCheck, ManagedProcess } from "./managed-process.ts";
import { type NodeStatus, nodeStatus, readNodeStatus } from "./node-api.ts";
import { CLUSTER_FILE_NAME, NODE_CLI } from "./paths.ts";
import { refuseTakenPorts } from "./ports.ts";

export interface ClusterNode {
  readonly setup: SetupNode;
  readonly apiUrl: string;
  readonly process: ManagedProcess;
}

export interface StopReport {
  /** Nodes that did not exit within the timeout after SIGTERM and were killed. */
  readonly forced: readonly string[];
  /** Nodes that exited with an error status. */
  readonly failed: readonly string[];
}

export class ClusterError extends TempelError {}

export interface LaunchOptions {
  /** `tempel-node start` settings for every start of every node (a restart's own settings follow them). */
  readonly extraNodeArgs?: readonly string[];
}

/** Whether the node answering at `apiUrl` is the one with peer id `nodeId` (see ManagedProcess). */
export function answersAs(apiUrl: string, nodeId: string): IdentityCheck {
  return async (response) => {
    let answering: string;
    try {
      answering = readNodeStatus(apiUrl, await response.json()).nodeId;
    } catch {
      return "not a tempel-node's status";
    }
    return answering === nodeId ? undefined : `peer id ${answering}, not ${nodeId}`;
  };
}

/** A node needs a few seconds to open its store and check it; a busy 2-core machine needs more. */
export const START_TIMEOUT_MS = 90_000;
/** The node lets a round finish for up to 5 s when stopping; then it closes its network and store. */
export const STOP_TIMEOUT_MS = 15_000;
const STATUS_TIMEOUT_MS = 2_000;

/**
 * A local cluster: one `tempel-node` process per member, started from a setup (see cluster-setup.ts),
 * described in `<data>/cluster.json` while it runs. The chaos script kills, freezes and restarts
 * single nodes through it.
 */
export class LocalCluster {
  readonly setup: ClusterSetup;
  readonly nodes: readonly ClusterNode[];
  readonly clusterFile: string;
  /** node-1's publications file, or null when the genesis names no publications authority. */
  readonly publicationsUrl: string | null;
  readonly #extraNodeArgs: readonly string[];
  #tiers: LocalTiers | undefined;

  private constructor(setup: ClusterSetup, launch: LaunchOptions) {
    this.setup = setup;
    this.#extraNodeArgs = launch.extraNodeArgs ?? [];
    this.clusterFile = join(setup.dataDir, CLUSTER_FILE_NAME);
    this.nodes = setup.nodes.map((node) => {
      const apiUrl = `http://127.0.0.1:${node.apiPort}`;
      return {
        setup: node,
        apiUrl,
        // Healthy once its status answers with its own peer id: another cluster on the same port
        // answers too, and must not pass for this node.
        process: new ManagedProcess(
          node.name,
          join(logDir(setup.dataDir), `${node.name}.log`),
          `${apiUrl}/v1/status`,
          answersAs(apiUrl, node.id),
        ),
      };
    });
    // Node-1 holds the publications key (cluster-setup.ts); the others serve copies of its file.
    this.publicationsUrl =
      loadGenesis(setup.genesisFile).publications.authority === undefined
        ? null
        : `${this.nodes[0]!.apiUrl}/v1/publications`;
  }

  static async prepare(options: SetupOptions, launch: LaunchOptions = {}): Promise<LocalCluster> {
    return new LocalCluster(await prepareCluster(options), launch);
  }

  /**
   * Start every node; if one cannot start, stop the others and fail with its log. A port that another
   * process holds is refused before any node starts.
   */
  async start(): Promise<void> {
    await this.#refuseTakenPorts(this.nodes);
    // The nodes are in their own process groups: if this script dies of an error, take them along.
    process.once("exit", () => {
      for (const node of this.nodes) node.process.killNow();
    });
    const started = await Promise.allSettled(this.nodes.map((node) => this.#launch(node, [])));
    const failure = started.find((result) => result.status === "rejected");
    if (failure !== undefined) {
      await this.stop();
      throw failure.reason;
    }
    this.#describe();
  }

  /**
   * Start gateway and aggregator tiers in front of the running core (local-tiers.ts); cluster.json
   * lists them. The core must take roots from their height: start it with `--rounds-max-level 64`.
   */
  async startTiers(plan: TierPlan): Promise<void> {
    const tiers = new LocalTiers(
      this.setup.dataDir,
      plan,
      this.nodes.map((node) => node.apiUrl),
      this.setup.agency,
    );
    this.#tiers = tiers;
    process.once("exit", () => {
      for (const tier of tiers.processes) tier.killNow();
    });
    await tiers.start(START_TIMEOUT_MS);
    this.#describe();
  }

  /** The tiers started by startTiers, if any. */
  get tiers(): LocalTiers | undefined {
    return this.#tiers;
  }

  /** Start one killed tier again (its pid changes in cluster.json). */
  async restartTier(name: string): Promise<void> {
    await this.#tiers?.restart(name, START_TIMEOUT_MS);
    this.#describe();
  }

  /** Start one stopped node again; `extraArgs` are `tempel-node start` settings for this run only. */
  async restart(index: number, extraArgs: readonly string[] = []): Promise<void> {
    await this.#refuseTakenPorts([this.nodes[index]!]);
    await this.#launch(this.nodes[index]!, extraArgs);
    this.#describe();
  }

  /** Wait until every node says it is ready to sign (it has caught up and knows a leader). */
  async waitReady(
    timeoutMs: number,
    indexes: readonly number[] = this.nodes.map((_, i) => i),
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const waiting = new Set(indexes);
    while (waiting.size > 0) {
      for (const index of [...waiting]) {
        const node = this.nodes[index]!;
        if (!node.process.running) {
          throw new ClusterError(
            "NODE_EXITED",
            `${node.setup.name} exited; last lines of ${node.process.logFile}:\n${node.process.logTail()}`,
          );
        }
        const status = await this.status(index);
        if (status !== undefined && status.nodeId !== node.setup.id) {
          throw new ClusterError(
            "NOT_OUR_NODE",
            `${node.apiUrl} answers as peer ${status.nodeId}, not ${node.setup.name} (${node.setup.id}): ` +
              "another cluster holds its port; stop it or use other ports",
          );
        }
        if (status?.ready === true) waiting.delete(index);
      }
      if (waiting.size === 0) return;
      if (Date.now() > deadline) {
        const names = [...waiting].map((i) => this.nodes[i]!.setup.name);
        throw new ClusterError(
          "NOT_READY",
          `${names.join(", ")} not ready after ${timeoutMs / 1000} s; see the logs in ${logDir(this.setup.dataDir)}`,
        );
      }
      await sleep(250);
    }
  }

  /** The node's status, or undefined when it does not answer (down, frozen, partitioned from us). */
  async status(index: number): Promise<NodeStatus | undefined> {
    try {
      return await nodeStatus(this.nodes[index]!.apiUrl, STATUS_TIMEOUT_MS);
    } catch {
      return undefined;
    }
  }

  /** The index of the node the answering nodes follow, if they agree on one. */
  async leader(): Promise<number | undefined> {
    const statuses = await Promise.all(this.nodes.map((_, i) => this.status(i)));
    const leaders = new Set(statuses.flatMap((s) => (s?.leaderId === undefined ? [] : [s.leaderId])));
    if (leaders.size !== 1) return undefined;
    const [leaderId] = leaders;
    const index = this.nodes.findIndex((node) => node.setup.id === leaderId);
    return index < 0 ? undefined : index;
  }

  /** SIGTERM every node, SIGKILL those still running after the timeout; the cluster file goes. */
  async stop(): Promise<StopReport> {
    const forced: string[] = [];
    const failed: string[] = (await this.#tiers?.stop(STOP_TIMEOUT_MS)) ?? [];
    await Promise.all(
      this.nodes.map(async (node) => {
        if (!node.process.running) return;
        const exit = await node.process.stop(STOP_TIMEOUT_MS);
        if (exit.forced) forced.push(node.setup.name);
        else if (exit.code !== 0) failed.push(node.setup.name);
        node.process.note({ msg: "stopped by the cluster script", ...exit });
      }),
    );
    rmSync(this.clusterFile, { force: true });
    return { forced, failed };
  }

  description(): ClusterDescription {
    return {
      genesis: this.setup.genesisFile,
      nodes: this.nodes.map((node) => ({
        id: node.setup.id,
        pid: node.process.pid!,
        api: node.apiUrl,
        ksi: { aggregator: `${node.apiUrl}/ksi/aggregator`, extender: `${node.apiUrl}/ksi/extender` },
        metrics: `${node.apiUrl}/metrics`,
        tsa: `${node.apiUrl}/tsa`,
      })),
      agency: this.setup.agency,
      publications: this.publicationsUrl,
      tsaCaFile: tsaCaCertificate(this.setup.dataDir),
      ...(this.#tiers !== undefined && {
        gateways: this.#tiers.entries("gateway"),
        aggregators: this.#tiers.entries("aggregator"),
      }),
    };
  }

  #refuseTakenPorts(nodes: readonly ClusterNode[]): Promise<void> {
    return refuseTakenPorts(
      nodes.flatMap((node) => plannedPorts(node.setup)),
      `stop it, or set this cluster up on other ports: --fresh --base-port P (--fresh deletes the calendar in ${this.setup.dataDir}), or use another --data folder with --base-port P`,
    );
  }

  #launch(node: ClusterNode, extraArgs: readonly string[]): Promise<void> {
    return node.process.start(
      process.execPath,
      [
        NODE_CLI,
        "start",
        "--config",
        node.setup.configFile,
        "--genesis-file",
        this.setup.genesisFile,
        ...this.#extraNodeArgs,
        ...extraArgs,
      ],
      START_TIMEOUT_MS,
    );
  }

  #describe(): void {
    writeClusterFile(this.clusterFile, this.description());
  }
}
