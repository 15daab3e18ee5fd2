import { readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { TempelError } from "@tempel/proto";

/**
 * `.tempel/cluster.json`: the running local cluster as the CLI, the scripts and outside checks see
 * it. A stable contract — fields are added, never renamed:
 * `{"genesis", "nodes": [{"id", "pid", "api", "ksi": {"aggregator", "extender"}, "metrics", "tsa"}],
 *   "agency": {"loginId", "key"}, "publications", "tsaCaFile"}`, and when tiers run (`--gateways`,
 * `--aggregators`) `"gateways"` and `"aggregators"`: `[{"id", "pid", "api", "ksi": {"aggregator"}, "metrics"}]`.
 */
export interface ClusterNodeEntry {
  /** libp2p peer id, as in the genesis. */
  readonly id: string;
  /** The node's OS process: killing it is a real crash. */
  readonly pid: number;
  /** Base URL of the JSON API (`/v1/…`). */
  readonly api: string;
  readonly ksi: { readonly aggregator: string; readonly extender: string };
  readonly metrics: string;
  /** The node's RFC 3161 time-stamping URL (`<api>/tsa`). */
  readonly tsa: string;
}

/** A gateway or aggregator tier (`tempel-node start --role gateway`): a KSI aggregator, no extender. */
export interface TierEntry {
  /** gateway-1, aggregator-1, … */
  readonly id: string;
  readonly pid: number;
  readonly api: string;
  readonly ksi: { readonly aggregator: string };
  readonly metrics: string;
}

export interface ClusterDescription {
  /** Absolute path of the genesis file every node runs with. */
  readonly genesis: string;
  readonly nodes: readonly ClusterNodeEntry[];
  /** The demo agency every node accepts. */
  readonly agency: { readonly loginId: string; readonly key: string };
  /**
   * URL of the cluster's publications file as the node that signs it (node-1) serves it
   * (`<api>/v1/publications`; the other nodes serve the same bytes at theirs); null when the genesis
   * names no publications authority, so no node serves one.
   */
  readonly publications: string | null;
  /** Absolute path of a PEM file with the CA certificate every node's TSA certificate chains to. */
  readonly tsaCaFile: string;
  /** Present when the cluster runs gateway tiers in front of the core. */
  readonly gateways?: readonly TierEntry[];
  /** Present when the cluster runs aggregator tiers between the gateways and the core. */
  readonly aggregators?: readonly TierEntry[];
}

/**
 * `.tempel/trust.json`: what a verifier needs once the cluster is gone, `{"genesis", "publicationsFile"?}`:
 * the genesis file (its members, quorum and publications authority) and the last publications file,
 * relative to the trust file's folder. Unlike
 * cluster.json it outlives the running cluster, so `tempel verify` works offline.
 */
export interface TrustDescription {
  readonly genesis: string;
  /** The cluster's publications file as it was when the cluster last stopped, when it had one. */
  readonly publicationsFile?: string;
}

export class ClusterFileError extends TempelError {}

const MAX_CLUSTER_FILE_BYTES = 1024 * 1024;
const MAX_NODES = 64;

/** Write `value` as JSON atomically: a reader never sees half a file. */
function writeJsonFile(file: string, value: unknown, mode: number): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(value, null, 2) + "\n", { mode });
  renameSync(temporary, file);
}

/** Readable by its owner only: it holds the agency's key. */
export function writeClusterFile(file: string, cluster: ClusterDescription): void {
  writeJsonFile(file, cluster, 0o600);
}

/** Public facts only, readable by anyone who verifies. */
export function writeTrustFile(file: string, trust: TrustDescription): void {
  writeJsonFile(file, trust, 0o644);
}

export function readClusterFile(file: string): ClusterDescription {
  let text: string;
  try {
    if (statSync(file).size > MAX_CLUSTER_FILE_BYTES)
      throw new Error(`larger than ${MAX_CLUSTER_FILE_BYTES} bytes`);
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ClusterFileError(
      "CLUSTER_FILE",
      `cannot read ${file}: ${(error as Error).message} (is the cluster running? npm start)`,
    );
  }
  try {
    return parseCluster(JSON.parse(text));
  } catch (error) {
    throw new ClusterFileError(
      "CLUSTER_FILE",
      `${file} is not a cluster description: ${(error as Error).message}`,
    );
  }
}

function parseCluster(json: unknown): ClusterDescription {
  const root = object(json, ["genesis", "nodes", "agency", "publications", "tsaCaFile"], "cluster", [
    "gateways",
    "aggregators",
  ]);
  if (!Array.isArray(root.nodes) || root.nodes.length === 0 || root.nodes.length > MAX_NODES) {
    throw new Error(`"nodes" must list 1..${MAX_NODES} nodes`);
  }
  const agency = object(root.agency, ["loginId", "key"], "agency");
  return {
    genesis: text(root.genesis, "genesis"),
    nodes: root.nodes.map((entry: unknown, i) => {
      const node = object(entry, ["id", "pid", "api", "ksi", "metrics", "tsa"], `nodes[${i}]`);
      const ksi = object(node.ksi, ["aggregator", "extender"], `nodes[${i}].ksi`);
      return {
        id: text(node.id, `nodes[${i}].id`),
        pid: processId(node.pid, `nodes[${i}].pid`),
        api: url(node.api, `nodes[${i}].api`),
        ksi: {
          aggregator: url(ksi.aggregator, `nodes[${i}].ksi.aggregator`),
          extender: url(ksi.extender, `nodes[${i}].ksi.extender`),
        },
        metrics: url(node.metrics, `nodes[${i}].metrics`),
        tsa: url(node.tsa, `nodes[${i}].tsa`),
      };
    }),
    agency: { loginId: text(agency.loginId, "agency.loginId"), key: text(agency.key, "agency.key") },
    publications: root.publications === null ? null : url(root.publications, "publications"),
    tsaCaFile: text(root.tsaCaFile, "tsaCaFile"),
    ...(root.gateways !== undefined && { gateways: tiers(root.gateways, "gateways") }),
    ...(root.aggregators !== undefined && { aggregators: tiers(root.aggregators, "aggregators") }),
  };
}

function tiers(json: unknown, where: string): TierEntry[] {
  if (!Array.isArray(json) || json.length > MAX_NODES)
    throw new Error(`"${where}" must list 0..${MAX_NODES} tiers`);
  return json.map((entry: unknown, i) => {
    const tier = object(entry, ["id", "pid", "api", "ksi", "metrics"], `${where}[${i}]`);
    const ksi = object(tier.ksi, ["aggregator"], `${where}[${i}].ksi`);
    return {
      id: text(tier.id, `${where}[${i}].id`),
      pid: processId(tier.pid, `${where}[${i}].pid`),
      api: url(tier.api, `${where}[${i}].api`),
      ksi: { aggregator: url(ksi.aggregator, `${where}[${i}].ksi.aggregator`) },
      metrics: url(tier.metrics, `${where}[${i}].metrics`),
    };
  });
}

function processId(value: unknown, where: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw new Error(`${where} must be a process id`);
  }
  return value;
}

function object(
  json: unknown,
  keys: readonly string[],
  where: string,
  optional: readonly string[] = [],
): Record<string, unknown> {
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw new Error(`${where} must be an object`);
  for (const key of keys) if (!(key in json)) throw new Error(`${where} lacks "${key}"`);
  for (const key of Object.keys(json))
    if (!keys.includes(key) && !optional.includes(key)) throw new Error(`${where} has an unknown "${key}"`);
  return json as Record<string, unknown>;
}

function text(value: unknown, where: string): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 4096) {
    throw new Error(`${where} must be a non-empty string`);
  }
  return value;
}

function url(value: unknown, where: string): string {
  const checked = text(value, where);
  const protocol = URL.canParse(checked) ? new URL(checked).protocol : "";
  if (protocol !== "http:" && protocol !== "https:") throw new Error(`${where} must be an http(s) URL`);
  return checked;
}
