import { createHash, X509Certificate } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { multiaddr } from "@multiformats/multiaddr";
import {
  FormatError,
  fromHex,
  type GenesisPublications,
  genesisPublicationsToJson,
  memberListProblem,
  parseGenesisPublications,
  type QuorumTrust,
  toHex,
} from "@tempel/proto";
import { IdentityError } from "../identity/index.ts";

/**
 * The genesis file fixes a cluster for its whole life: who the members are, from which second the
 * calendar has real entries, how many certificate shares make a quorum, and when publications happen.
 * Every member runs with the same file; the store remembers its hash and refuses another.
 */
export interface GenesisMember {
  /** libp2p peer id string (derived from the Ed25519 public key). */
  readonly id: string;
  /** Raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  readonly multiaddrs: readonly string[];
  readonly apiUrl: string;
  /** PEM of the X.509 certificate that verifies the member's calendar authentication records. */
  readonly certificatePem: string;
}

export interface Genesis {
  readonly clusterId: string;
  /** First second of the calendar with real entries; earlier seconds hold the constant leaf. */
  readonly genesisTime: number;
  readonly members: readonly GenesisMember[];
  readonly quorum: number;
  readonly roundSeconds: number;
  /** When the cluster publishes, and who signs its publications file (docs/publications.md). */
  readonly publications: GenesisPublications;
}

export const GENESIS_VERSION = 1;
const MAX_GENESIS_BYTES = 1024 * 1024;
const MAX_MEMBERS = 64;
/** Seconds up to 2^40 (year 36812): far beyond any real use, and exact in a JS number. */
const MAX_TIME = 2 ** 40;

export function genesisToJson(genesis: Genesis): Record<string, unknown> {
  return {
    version: GENESIS_VERSION,
    clusterId: genesis.clusterId,
    genesisTime: genesis.genesisTime,
    members: genesis.members.map((m) => ({
      id: m.id,
      publicKey: toHex(m.publicKey),
      multiaddrs: m.multiaddrs,
      apiUrl: m.apiUrl,
      certificate: m.certificatePem,
    })),
    quorum: genesis.quorum,
    roundSeconds: genesis.roundSeconds,
    publications: genesisPublicationsToJson(genesis.publications),
  };
}

/** Who certifies the cluster's calendar roots: the members' share keys and how many shares make one. */
export function quorumTrust(genesis: Pick<Genesis, "members" | "quorum">): QuorumTrust {
  return {
    members: genesis.members.map((m) => ({ id: m.id, publicKey: m.publicKey })),
    quorum: genesis.quorum,
  };
}

/** SHA-256 over the canonical JSON form: the same cluster definition always has the same hash. */
export function genesisHash(genesis: Genesis): Uint8Array {
  return new Uint8Array(
    createHash("sha256")
      .update(JSON.stringify(genesisToJson(genesis)))
      .digest(),
  );
}

export function loadGenesis(file: string): Genesis {
  let text: string;
  try {
    if (statSync(file).size > MAX_GENESIS_BYTES) throw new Error(`larger than ${MAX_GENESIS_BYTES} bytes`);
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new IdentityError("GENESIS_FILE", `cannot read genesis file ${file}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new IdentityError(
      "GENESIS_INVALID",
      `genesis file ${file} is not JSON: ${(error as Error).message}`,
    );
  }
  return parseGenesis(json, file);
}

export function parseGenesis(json: unknown, where: string): Genesis {
  const fail = (field: string, problem: string): never => {
    throw new IdentityError("GENESIS_INVALID", `genesis ${where}: ${field} ${problem}`, { field });
  };
  const root = objectWith(
    json,
    ["version", "clusterId", "genesisTime", "members", "quorum", "roundSeconds", "publications"],
    "genesis",
    fail,
  );
  if (root.version !== GENESIS_VERSION) fail("version", `must be ${GENESIS_VERSION}`);
  const clusterId = root.clusterId;
  if (typeof clusterId !== "string" || !/^[a-z0-9][a-z0-9-]{0,63}$/.test(clusterId)) {
    fail("clusterId", "must be 1..64 characters of a-z, 0-9 and '-'");
  }
  const genesisTime = integer(root.genesisTime, 1, MAX_TIME, "genesisTime", fail);
  if (root.roundSeconds !== 1) fail("roundSeconds", "must be 1 (one calendar leaf per second)");
  if (!Array.isArray(root.members) || root.members.length === 0 || root.members.length > MAX_MEMBERS) {
    fail("members", `must list 1..${MAX_MEMBERS} members`);
  }
  const members = (root.members as unknown[]).map((m, i) => parseMember(m, `members[${i}]`, fail));
  const quorum = integer(root.quorum, 1, members.length, "quorum", fail);
  // The client checks a genesis by the same rule: ids are their keys' peer ids, no key twice, a majority.
  const problem = memberListProblem({ members, quorum }, { peerIds: true });
  if (problem !== undefined) fail(problem.field, problem.problem);
  let publications: GenesisPublications | undefined;
  try {
    publications = parseGenesisPublications(root.publications);
  } catch (error) {
    if (!(error instanceof FormatError)) throw error;
    fail("publications", error.message);
  }
  return {
    clusterId: clusterId as string,
    genesisTime,
    members,
    quorum,
    roundSeconds: 1,
    publications: publications!,
  };
}

function parseMember(
  json: unknown,
  field: string,
  fail: (field: string, problem: string) => never,
): GenesisMember {
  const m = objectWith(json, ["id", "publicKey", "multiaddrs", "apiUrl", "certificate"], field, fail);
  const publicKey = typeof m.publicKey === "string" ? fromHex(m.publicKey) : undefined;
  if (publicKey === undefined || publicKey.length !== 32) fail(`${field}.publicKey`, "must be 64 hex digits");
  if (typeof m.id !== "string") fail(`${field}.id`, "must be an Ed25519 libp2p peer id");
  if (!Array.isArray(m.multiaddrs) || m.multiaddrs.length === 0 || m.multiaddrs.length > 16) {
    fail(`${field}.multiaddrs`, "must list 1..16 multiaddrs");
  }
  for (const address of m.multiaddrs as unknown[]) {
    try {
      if (typeof address !== "string") throw new Error("not a string");
      multiaddr(address);
    } catch {
      fail(`${field}.multiaddrs`, `contains an invalid multiaddr ${JSON.stringify(address)}`);
    }
  }
  if (typeof m.apiUrl !== "string" || !isHttpUrl(m.apiUrl)) fail(`${field}.apiUrl`, "must be an http(s) URL");
  try {
    if (typeof m.certificate !== "string") throw new Error("not a string");
    new X509Certificate(m.certificate);
  } catch {
    fail(`${field}.certificate`, "must be a PEM X.509 certificate");
  }
  return {
    id: m.id as string,
    publicKey: publicKey!,
    multiaddrs: m.multiaddrs as string[],
    apiUrl: m.apiUrl as string,
    certificatePem: m.certificate as string,
  };
}

function objectWith(
  json: unknown,
  keys: readonly string[],
  field: string,
  fail: (field: string, problem: string) => never,
): Record<string, unknown> {
  if (typeof json !== "object" || json === null || Array.isArray(json))
    return fail(field, "must be an object");
  for (const key of Object.keys(json)) {
    if (!keys.includes(key)) fail(field, `has an unknown field "${key}"`);
  }
  return json as Record<string, unknown>;
}

function integer(
  value: unknown,
  min: number,
  max: number,
  field: string,
  fail: (field: string, problem: string) => never,
): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    fail(field, `must be an integer from ${min} to ${max}`);
  }
  return value as number;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}
