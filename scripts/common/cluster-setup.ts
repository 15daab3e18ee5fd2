import { execFile, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { basename, join, relative } from "node:path";
import { promisify } from "node:util";
import { AUTHORITY_FILES, caFiles, defaultApiOptions, loadGenesis } from "@tempel/node";
import { TempelError } from "@tempel/proto";
import { UsageError } from "./cli.ts";
import { readClusterFile, writeTrustFile } from "./cluster-file.ts";
import { CLUSTER_FILE_NAME, NODE_CLI, TRUST_FILE_NAME } from "./paths.ts";
import { type PlannedPort, refuseTakenPorts } from "./ports.ts";

/**
 * The files of a local cluster, made once with the node's own commands (`tempel-node init` per node,
 * `tempel-node genesis` over them) and reused on every later start, so the calendar survives restarts.
 *
 *   <data>/setup.json        what was set up (written last: its presence means the setup is complete)
 *   <data>/genesis.json      the cluster's genesis (a one-node cluster uses node-1/genesis.json)
 *   <data>/trust.json        what a verifier trusts, kept after the cluster stops (cluster-file.ts)
 *   <data>/node-<i>/         node i's data folder (keys, certificate, config, LevelDB)
 *   <data>/logs/node-<i>.log node i's log
 */
export interface SetupNode {
  /** `node-<i>`, 1-based. */
  readonly name: string;
  readonly dir: string;
  readonly configFile: string;
  readonly apiPort: number;
  readonly p2pPort: number;
  /** libp2p peer id. */
  readonly id: string;
}

export interface ClusterSetup {
  readonly dataDir: string;
  readonly basePort: number;
  readonly genesisFile: string;
  readonly agency: { readonly loginId: string; readonly key: string };
  readonly nodes: readonly SetupNode[];
}

export interface SetupOptions {
  readonly dataDir: string;
  /** Absent: as set up before, or the defaults for a new setup. */
  readonly nodes?: number;
  readonly basePort?: number;
  /** Delete an existing setup first. */
  readonly fresh: boolean;
}

export class SetupError extends TempelError {}

export const DEFAULT_NODES = 3;
export const DEFAULT_BASE_PORT = 3131;
/** Node i (0-based) serves HTTP on basePort + i and libp2p on basePort + P2P_PORT_OFFSET + i. */
export const P2P_PORT_OFFSET = 1000;
export const MAX_NODES = 64;
const DEMO_LOGIN_ID = "demo";
const SETUP_FILE = "setup.json";
const SETUP_VERSION = 1;
/** What a setup may contain; `--fresh` deletes nothing else. */
const OWNED =
  /^(node-\d+|logs|prometheus|publications-ca|tsa-ca|setup\.json|genesis\.json|cluster\.json|trust\.json|publications\.bin)$/;
/** A local cluster publishes every five minutes, so that extension to a publication can be tried out. */
const PUBLICATION_INTERVAL_SECONDS = 300;
/** Holds the publications CA (key included) that `tempel-node publications-ca init` creates. */
const AUTHORITY_DIR = "publications-ca";
/** Holds the cluster's TSA CA (key included) that `tempel-node tsa init-ca` creates. */
const TSA_CA_DIR = "tsa-ca";

const run = promisify(execFile);

/** The ports node `node` listens on, named for messages. */
export function plannedPorts(node: Pick<SetupNode, "name" | "apiPort" | "p2pPort">): PlannedPort[] {
  return [
    { port: node.apiPort, what: `${node.name}'s HTTP API` },
    { port: node.p2pPort, what: `${node.name}'s libp2p` },
  ];
}

export function logDir(dataDir: string): string {
  return join(dataDir, "logs");
}

/** The CA certificate every node's TSA certificate chains to (cluster.json's `tsaCaFile`). */
export function tsaCaCertificate(dataDir: string): string {
  return caFiles(join(dataDir, TSA_CA_DIR)).certificate;
}

export async function prepareCluster(options: SetupOptions): Promise<ClusterSetup> {
  const setup = await readOrCreateSetup(options);
  // Also for a setup made before nodes were TSAs.
  if (!existsSync(tsaCaCertificate(setup.dataDir))) await addTsaCa(setup);
  // Made on every start, so that a setup older than the trust file gets one too.
  writeTrust(setup);
  return setup;
}

/** A copy of the cluster's publications file, kept for verifiers after the cluster stops. */
const KEPT_PUBLICATIONS_FILE = "publications.bin";
const PUBLICATIONS_FETCH_TIMEOUT_MS = 2_000;

function writeTrust(setup: ClusterSetup): void {
  const kept = existsSync(join(setup.dataDir, KEPT_PUBLICATIONS_FILE));
  writeTrustFile(join(setup.dataDir, TRUST_FILE_NAME), {
    genesis: relative(setup.dataDir, setup.genesisFile),
    ...(kept && { publicationsFile: KEPT_PUBLICATIONS_FILE }),
  });
}

/**
 * Before the nodes stop: keep the publications file they serve beside the data and name it in the
 * trust file, so that `tempel verify` has it offline too. Before the first publication there is none
 * to keep, and a node that does not answer leaves the last copy as it is.
 */
export async function keepPublications(setup: ClusterSetup, url: string | null): Promise<void> {
  if (url === null) return;
  let bytes: Uint8Array;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(PUBLICATIONS_FETCH_TIMEOUT_MS) });
    if (!response.ok) return;
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch {
    return;
  }
  const file = join(setup.dataDir, KEPT_PUBLICATIONS_FILE);
  writeFileSync(`${file}.${process.pid}.tmp`, bytes);
  renameSync(`${file}.${process.pid}.tmp`, file);
  writeTrust(setup);
}

async function readOrCreateSetup(options: SetupOptions): Promise<ClusterSetup> {
  const { dataDir } = options;
  refuseWhileRunning(dataDir);
  if (options.fresh) removeSetup(dataDir);
  const existing = readSetup(dataDir);
  if (existing !== undefined) {
    const differs =
      (options.nodes !== undefined && options.nodes !== existing.nodes.length) ||
      (options.basePort !== undefined && options.basePort !== existing.basePort);
    if (differs) {
      throw new UsageError(
        `${dataDir} holds a ${existing.nodes.length}-node cluster on base port ${existing.basePort}; ` +
          "start it as it is, or add --fresh to replace it (its calendar is lost)",
      );
    }
    return existing;
  }
  if (existsSync(dataDir) && readdirSync(dataDir).some((name) => name.startsWith("node-"))) {
    throw new SetupError(
      "SETUP_INCOMPLETE",
      `${dataDir} holds an unfinished setup (no ${SETUP_FILE}); start again with --fresh`,
    );
  }
  return createSetup(dataDir, options.nodes ?? DEFAULT_NODES, options.basePort ?? DEFAULT_BASE_PORT);
}

/**
 * Why this checkout cannot set up a cluster of more than one node, or undefined when it can: that
 * needs `tempel-node genesis`, which builds one genesis from the members' `init` outputs.
 */
export function multiNodeUnsupported(): string | undefined {
  const probe = spawnSync(process.execPath, [NODE_CLI, "genesis", "--help"], { stdio: "ignore" });
  return probe.status === 0
    ? undefined
    : "tempel-node has no `genesis` command to build a multi-node genesis with";
}

/** The processes a cluster file names that are still alive: a cluster from this folder is running. */
export function runningPids(dataDir: string): number[] {
  const file = join(dataDir, CLUSTER_FILE_NAME);
  if (!existsSync(file)) return [];
  let pids: number[];
  try {
    pids = readClusterFile(file).nodes.map((node) => node.pid);
  } catch {
    return [];
  }
  return pids.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === "EPERM";
    }
  });
}

function refuseWhileRunning(dataDir: string): void {
  const pids = runningPids(dataDir);
  if (pids.length > 0) {
    throw new SetupError(
      "CLUSTER_RUNNING",
      `a cluster from ${dataDir} is running (pids ${pids.join(", ")}); stop it first ` +
        `(or delete ${join(dataDir, CLUSTER_FILE_NAME)} if those processes are not its nodes)`,
    );
  }
}

function removeSetup(dataDir: string): void {
  if (!existsSync(dataDir)) return;
  const foreign = readdirSync(dataDir).filter((name) => !OWNED.test(name));
  if (foreign.length > 0) {
    throw new UsageError(
      `--fresh would delete ${dataDir}, which holds files a cluster setup does not make (${foreign.slice(0, 3).join(", ")}); ` +
        "choose another --data folder",
    );
  }
  rmSync(dataDir, { recursive: true, force: true });
}

async function createSetup(dataDir: string, count: number, basePort: number): Promise<ClusterSetup> {
  const unsupported = count > 1 ? multiNodeUnsupported() : undefined;
  if (unsupported !== undefined)
    throw new SetupError("MULTI_NODE_UNSUPPORTED", `${unsupported}; use --nodes 1`);
  if (basePort + P2P_PORT_OFFSET + count - 1 > 65_535) {
    throw new UsageError(`--base-port ${basePort} leaves no room for ${count} nodes' libp2p ports`);
  }
  const planned = Array.from({ length: count }, (_, i) => ({
    name: `node-${i + 1}`,
    dir: join(dataDir, `node-${i + 1}`),
    apiPort: basePort + i,
    p2pPort: basePort + P2P_PORT_OFFSET + i,
  }));
  // Before the keys are made: a cluster set up on taken ports could not start.
  await refuseTakenPorts(planned.flatMap(plannedPorts), "choose other ports with --base-port P");
  mkdirSync(logDir(dataDir), { recursive: true, mode: 0o700 });
  // Key generation is the slow part of init; the nodes' inits are independent.
  await Promise.all(
    planned.map((node) =>
      tempelNode([
        "init",
        "--data",
        node.dir,
        "--api-port",
        String(node.apiPort),
        "--p2p",
        `/ip4/127.0.0.1/tcp/${node.p2pPort}`,
      ]),
    ),
  );
  const stored: StoredSetup = {
    version: SETUP_VERSION,
    basePort,
    genesis: count === 1 ? join("node-1", "genesis.json") : "genesis.json",
    agency: { loginId: DEMO_LOGIN_ID, key: randomBytes(24).toString("base64url") },
    nodes: planned.map((node) => ({
      name: node.name,
      apiPort: node.apiPort,
      p2pPort: node.p2pPort,
      id: loadGenesis(join(node.dir, "genesis.json")).members[0]!.id,
    })),
  };
  const setup = withPaths(dataDir, stored);
  if (count > 1) {
    await tempelNode([
      "genesis",
      "--out",
      setup.genesisFile,
      ...setup.nodes.flatMap((node) => ["--member", node.dir]),
    ]);
  }
  await addPublicationsAuthority(dataDir, setup);
  for (const node of setup.nodes) setAgencies(node.configFile, [setup.agency]);
  writeFileSync(join(dataDir, SETUP_FILE), JSON.stringify(stored, null, 2) + "\n", { mode: 0o600 });
  return setup;
}

/**
 * A publications authority for the cluster, named in its genesis before any node first runs; node-1
 * holds the publications key and publishes, the others mirror its file.
 */
async function addPublicationsAuthority(dataDir: string, setup: ClusterSetup): Promise<void> {
  const genesis = JSON.parse(readFileSync(setup.genesisFile, "utf8")) as Record<string, unknown>;
  const clusterId = String(genesis.clusterId);
  const authorityDir = join(dataDir, AUTHORITY_DIR);
  const printed = await tempelNode([
    "publications-ca",
    "init",
    "--out",
    authorityDir,
    "--email",
    `publications@${clusterId}.localhost`,
    "--cluster",
    clusterId,
    "--interval",
    String(PUBLICATION_INTERVAL_SECONDS),
  ]);
  const publications = JSON.parse(printed.slice(printed.indexOf("{"))) as unknown;
  writeFileSync(setup.genesisFile, JSON.stringify({ ...genesis, publications }, null, 2) + "\n");
  const publisher = setup.nodes[0]!.dir;
  for (const file of [AUTHORITY_FILES.key, AUTHORITY_FILES.certificate]) {
    copyFileSync(join(authorityDir, file), join(publisher, file));
  }
}

/**
 * One TSA CA for the cluster, as a genesis ceremony makes it: every node's TSA certificate is issued
 * from it (replacing the one-member CA each \`init\` made), so relying parties trust one file.
 */
async function addTsaCa(setup: ClusterSetup): Promise<void> {
  const caDir = join(setup.dataDir, TSA_CA_DIR);
  await tempelNode(["tsa", "init-ca", "--out", caDir, "--name", `Tempel TSA CA ${basename(setup.dataDir)}`]);
  for (const node of setup.nodes) {
    rmSync(join(node.dir, TSA_CA_DIR), { recursive: true, force: true });
    await tempelNode([
      "tsa",
      "issue",
      "--ca",
      caDir,
      "--data",
      node.dir,
      "--name",
      `Tempel TSA ${node.name}`,
    ]);
  }
}

/** setup.json: names relative to the data folder, so a moved folder still works. */
interface StoredSetup {
  readonly version: number;
  readonly basePort: number;
  readonly genesis: string;
  readonly agency: { readonly loginId: string; readonly key: string };
  readonly nodes: readonly Omit<SetupNode, "dir" | "configFile">[];
}

function withPaths(dataDir: string, stored: StoredSetup): ClusterSetup {
  return {
    dataDir,
    basePort: stored.basePort,
    genesisFile: join(dataDir, stored.genesis),
    agency: stored.agency,
    nodes: stored.nodes.map((node) => ({
      ...node,
      dir: join(dataDir, node.name),
      configFile: join(dataDir, node.name, "config.json"),
    })),
  };
}

/**
 * Agencies live in each node's config file (the node reads them nowhere else); every node gets the
 * same. Every client of a local cluster (load, bench, chaos) connects from loopback, one address
 * standing for many clients: it may hold as many connections as the node takes in all.
 */
function setAgencies(configFile: string, agencies: readonly { loginId: string; key: string }[]): void {
  const config = JSON.parse(readFileSync(configFile, "utf8")) as Record<string, unknown>;
  const api = { ...(config.api as object), maxConnectionsPerAddress: defaultApiOptions.maxConnections };
  writeFileSync(configFile, JSON.stringify({ ...config, api, agencies }, null, 2) + "\n", { mode: 0o600 });
}

function readSetup(dataDir: string): ClusterSetup | undefined {
  const file = join(dataDir, SETUP_FILE);
  if (!existsSync(file)) return undefined;
  const stored = JSON.parse(readFileSync(file, "utf8")) as StoredSetup;
  const sound =
    stored.version === SETUP_VERSION &&
    Number.isSafeInteger(stored.basePort) &&
    typeof stored.genesis === "string" &&
    typeof stored.agency?.loginId === "string" &&
    typeof stored.agency?.key === "string" &&
    Array.isArray(stored.nodes) &&
    stored.nodes.length > 0 &&
    stored.nodes.length <= MAX_NODES &&
    stored.nodes.every(
      (node) =>
        /^node-\d+$/.test(node.name) &&
        typeof node.id === "string" &&
        Number.isSafeInteger(node.apiPort) &&
        Number.isSafeInteger(node.p2pPort),
    );
  if (!sound) {
    throw new SetupError(
      "SETUP_INVALID",
      `${file} is not a setup this script can use; start again with --fresh`,
    );
  }
  return withPaths(dataDir, stored);
}

async function tempelNode(args: readonly string[]): Promise<string> {
  try {
    return (await run(process.execPath, [NODE_CLI, ...args], { encoding: "utf8" })).stdout;
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new SetupError(
      "TEMPEL_NODE_FAILED",
      `tempel-node ${args.join(" ")} failed:\n${(stderr || stdout || (error as Error).message).trim()}`,
    );
  }
}
