import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { isHttpUrl } from "../transport/http-url.ts";
import { readInput } from "./files.ts";
import { UsageError } from "./usage-error.ts";

/**
 * The cluster description `.tempel/cluster.json` that the local cluster scripts write, also accepted
 * as `--config FILE`. Only the fields the CLI uses are read, each strictly; others are left alone, as
 * the format grows by new fields.
 */
export interface ClusterFile {
  readonly path: string;
  /** The genesis file, resolved against the description's folder. */
  readonly genesis?: string;
  /** The nodes' API base URLs. */
  readonly endpoints: readonly string[];
  readonly agency?: { readonly loginId: string; readonly key: string };
  /** The publications file to use when the user names none. */
  readonly publications?: string;
  /** PEM file of the CA certificates the nodes' RFC 3161 TSA certificates chain to, resolved. */
  readonly tsaCaFile?: string;
}

export const CLUSTER_FILE = join(".tempel", "cluster.json");
const MAX_CLUSTER_FILE_BYTES = 1024 * 1024;
const MAX_NODES = 64;

/**
 * The trust a verifier needs once the cluster is gone, `.tempel/trust.json`: `{"genesis": FILE,
 * "publicationsFile"?: FILE}`, the genesis (members, quorum, publications authority) and a kept
 * publications file, resolved against the trust file's folder. The local cluster writes it beside its
 * data and keeps it after it stops.
 */
export const TRUST_FILE = join(".tempel", "trust.json");

/** `name` (a path below a folder) in `cwd` or the nearest folder above it. */
function findUp(cwd: string, name: string): string | undefined {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** `.tempel/cluster.json` in `cwd` or the nearest folder above it. */
export function findClusterFile(cwd: string): string | undefined {
  return findUp(cwd, CLUSTER_FILE);
}

/** `.tempel/trust.json` in `cwd` or the nearest folder above it. */
export function findTrustFile(cwd: string): string | undefined {
  return findUp(cwd, TRUST_FILE);
}

function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UsageError(`${what} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

function text(value: unknown, what: string): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 4096) {
    throw new UsageError(`${what} must be a non-empty string`);
  }
  return value;
}

function httpUrl(value: unknown, what: string): string {
  const given = text(value, what);
  if (!isHttpUrl(given)) {
    throw new UsageError(`${what} must be an http(s) URL`);
  }
  return given;
}

async function readJson(path: string, what: string): Promise<Record<string, unknown>> {
  const bytes = await readInput(path, MAX_CLUSTER_FILE_BYTES, what);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw new UsageError(`${what} ${path} is not JSON: ${(error as Error).message}`);
  }
  return object(json, `${what} ${path}: the file`);
}

/** What a trust file names, its paths resolved against its folder. */
export interface TrustFile {
  readonly genesis: string;
  /** A publications file kept from the cluster, checked against the genesis' authority when used. */
  readonly publicationsFile?: string;
}

export async function readTrustFile(path: string): Promise<TrustFile> {
  const root = await readJson(path, "trust file");
  const at = (value: unknown, field: string) =>
    resolve(dirname(path), text(value, `trust file ${path}: "${field}"`));
  return {
    genesis: at(root.genesis, "genesis"),
    ...(root.publicationsFile !== undefined && {
      publicationsFile: at(root.publicationsFile, "publicationsFile"),
    }),
  };
}

export async function readClusterFile(path: string): Promise<ClusterFile> {
  const where = `cluster description ${path}:`;
  const root = await readJson(path, "cluster description");
  const nodes = root.nodes ?? [];
  if (!Array.isArray(nodes) || nodes.length > MAX_NODES) {
    throw new UsageError(`${where} "nodes" must be a list of at most ${MAX_NODES} nodes`);
  }
  const agency = root.agency === undefined ? undefined : object(root.agency, `${where} "agency"`);
  return {
    path,
    endpoints: nodes.map((node, i) =>
      httpUrl(object(node, `${where} nodes[${i}]`).api, `${where} nodes[${i}].api`),
    ),
    ...(root.genesis !== undefined && {
      genesis: resolve(dirname(path), text(root.genesis, `${where} "genesis"`)),
    }),
    ...(agency !== undefined && {
      agency: {
        loginId: text(agency.loginId, `${where} agency.loginId`),
        key: text(agency.key, `${where} agency.key`),
      },
    }),
    ...(root.tsaCaFile !== undefined && {
      tsaCaFile: resolve(dirname(path), text(root.tsaCaFile, `${where} "tsaCaFile"`)),
    }),
    // null: the genesis names no publications authority, so no node serves a file.
    ...(root.publications !== undefined &&
      root.publications !== null && {
        publications: httpUrl(root.publications, `${where} "publications"`),
      }),
  };
}
