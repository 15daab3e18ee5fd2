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
}

export const CLUSTER_FILE = join(".tempel", "cluster.json");
const MAX_CLUSTER_FILE_BYTES = 1024 * 1024;
const MAX_NODES = 64;

/** `.tempel/cluster.json` in `cwd` or the nearest folder above it. */
export function findClusterFile(cwd: string): string | undefined {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const candidate = join(dir, CLUSTER_FILE);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
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

export async function readClusterFile(path: string): Promise<ClusterFile> {
  const bytes = await readInput(path, MAX_CLUSTER_FILE_BYTES, "cluster description");
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw new UsageError(`cluster description ${path} is not JSON: ${(error as Error).message}`);
  }
  const where = `cluster description ${path}:`;
  const root = object(json, `${where} the file`);
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
    // null: the genesis names no publications authority, so no node serves a file.
    ...(root.publications !== undefined &&
      root.publications !== null && {
        publications: httpUrl(root.publications, `${where} "publications"`),
      }),
  };
}
