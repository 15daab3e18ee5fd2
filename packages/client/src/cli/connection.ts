import { TempelError } from "@tempel/proto";
import { TempelClient, type TempelClientOptions } from "../index.ts";
import { nodeHasher, nodeHttpTransport } from "../node/index.ts";
import { publicationsTrustFromGenesis } from "../trust/genesis.ts";
import {
  type ClusterFile,
  findClusterFile,
  findTrustFile,
  readClusterFile,
  readTrustFile,
  type TrustFile,
} from "./cluster-file.ts";
import { readInput } from "./files.ts";
import { parseConstraints, readCertificate } from "./trust-inputs.ts";
import { UsageError } from "./usage-error.ts";

/** How every command that talks to a cluster finds it: flags, then TEMPEL_* variables, then a file. */
export const CONNECTION_OPTIONS = {
  endpoint: { type: "string", multiple: true },
  login: { type: "string" },
  key: { type: "string" },
  "key-file": { type: "string" },
  config: { type: "string" },
  genesis: { type: "string" },
  "publications-url": { type: "string" },
  "trust-anchor": { type: "string", multiple: true },
  cnstr: { type: "string", multiple: true },
} as const;

export const CONNECTION_HELP = `Cluster (flags first, then environment variables, then the cluster description):
  --endpoint URL          a node's API base URL, repeatable (TEMPEL_ENDPOINTS, comma-separated)
  --login ID              the agency's login id (TEMPEL_LOGIN)
  --key-file FILE         file holding the agency's HMAC key, a final newline left out
                          (TEMPEL_KEY_FILE); or the key itself in TEMPEL_KEY
  --key KEY               the key on the command line, which other users of the machine can see
                          (ps, shell history): use --key-file or TEMPEL_KEY instead
  --config FILE           cluster description (TEMPEL_CONFIG); without one and without endpoints,
                          .tempel/cluster.json here or in the nearest folder above (npm start writes
                          it) gives the nodes, the agency, the genesis and the publications file;
                          --endpoint and TEMPEL_ENDPOINTS replace its nodes only
  --genesis FILE          the cluster's genesis: its members and quorum, its publications authority
                          (TEMPEL_GENESIS); default: the cluster description's, else the one
                          .tempel/trust.json names (npm start keeps it after the cluster stops)
  --publications-url URL  the cluster's publications file (TEMPEL_PUBLICATIONS_URL); default: the
                          cluster description's "publications" (npm start names node-1's), else
                          the one the nodes serve (/v1/publications, from any node that answers)
  --trust-anchor FILE     CA certificate (PEM or DER) the publications file's signer must chain to;
                          repeatable; default: the publications authority the genesis names
  --cnstr NAME=VALUE      subject attribute the publications file's signer must have, e.g.
                          E=publications@example.org; repeatable`;

export interface ConnectionValues {
  readonly endpoint?: string[];
  readonly login?: string;
  readonly key?: string;
  readonly "key-file"?: string;
  readonly config?: string;
  readonly genesis?: string;
  readonly "publications-url"?: string;
  readonly "trust-anchor"?: string[];
  readonly cnstr?: string[];
}

type Environment = Readonly<Record<string, string | undefined>>;

const MAX_GENESIS_BYTES = 1024 * 1024;

const NO_CLUSTER =
  "no cluster to talk to: pass --endpoint URL (and --login ID --key-file FILE), set TEMPEL_ENDPOINTS, " +
  "or run where .tempel/cluster.json is found (start a local cluster with npm start)";

/**
 * The cluster description to use: named, or found above `cwd`. Endpoints given directly replace its
 * nodes and nothing else: the agency, the genesis and the publications file still come from it.
 */
export async function clusterFile(
  values: ConnectionValues,
  env: Environment,
  cwd: string,
): Promise<ClusterFile | undefined> {
  const named = values.config ?? env.TEMPEL_CONFIG;
  if (named !== undefined) return readClusterFile(named);
  const found = findClusterFile(cwd);
  return found === undefined ? undefined : readClusterFile(found);
}

/** The trust file above `cwd`, used when neither --genesis nor a cluster description names a genesis. */
export async function keptTrust(
  values: Pick<ConnectionValues, "genesis">,
  file: ClusterFile | undefined,
  env: Environment = process.env,
  cwd: string = process.cwd(),
): Promise<TrustFile | undefined> {
  if ((values.genesis ?? env.TEMPEL_GENESIS ?? file?.genesis) !== undefined) return undefined;
  const found = findTrustFile(cwd);
  return found === undefined ? undefined : readTrustFile(found);
}

/**
 * The text of the genesis to trust: --genesis (TEMPEL_GENESIS), else the cluster description's, else
 * the one the trust file found above `cwd` names; undefined when none is.
 */
export async function readGenesis(
  values: Pick<ConnectionValues, "genesis">,
  file: ClusterFile | undefined,
  env: Environment = process.env,
  cwd: string = process.cwd(),
): Promise<string | undefined> {
  const path =
    values.genesis ??
    env.TEMPEL_GENESIS ??
    file?.genesis ??
    (await keptTrust(values, file, env, cwd))?.genesis;
  return path === undefined
    ? undefined
    : new TextDecoder().decode(await readInput(path, MAX_GENESIS_BYTES, "genesis file"));
}

function endpointsFrom(
  values: ConnectionValues,
  env: Environment,
  file: ClusterFile | undefined,
): readonly string[] {
  const endpoints =
    values.endpoint ??
    env.TEMPEL_ENDPOINTS?.split(",")
      .map((url) => url.trim())
      .filter((url) => url.length > 0) ??
    file?.endpoints ??
    [];
  if (endpoints.length === 0) throw new UsageError(NO_CLUSTER);
  return endpoints;
}

/** A key file holds a key of at most 256 characters (the node's limit) and a newline. */
const MAX_KEY_FILE_BYTES = 1024;

/** The agency key from the flags, then the environment; each gives it as text or as a file, not both. */
export async function agencyKey(values: ConnectionValues, env: Environment): Promise<string | undefined> {
  const sources: [string | undefined, string | undefined, string][] = [
    [values.key, values["key-file"], "--key and --key-file"],
    [env.TEMPEL_KEY, env.TEMPEL_KEY_FILE, "TEMPEL_KEY and TEMPEL_KEY_FILE"],
  ];
  for (const [text, path, both] of sources) {
    if (text !== undefined && path !== undefined)
      throw new UsageError(`give the agency key once: ${both} both name one`);
    if (text !== undefined) return text;
    if (path !== undefined) return readKeyFile(path);
  }
  return undefined;
}

async function readKeyFile(path: string): Promise<string> {
  const bytes = await readInput(path, MAX_KEY_FILE_BYTES, "agency key file");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError(`agency key file ${path} is not UTF-8 text`);
  }
  // Editors and `echo` end a file with a newline; a key never does.
  const key = text.replace(/\r?\n$/, "");
  if (key.length === 0 || /[\r\n]/.test(key)) {
    throw new UsageError(`agency key file ${path} must hold the key alone, on one line`);
  }
  return key;
}

/** What the command needs of the cluster beyond its endpoints. */
export interface ConnectionNeeds {
  /** Signing and extending speak as an agency. */
  readonly agency?: boolean;
  /** The publications file is used (listing it, extending to a publication): its signer must be known. */
  readonly publications?: boolean;
}

function namesPublicationsAuthority(genesis: string | undefined): boolean {
  try {
    return genesis !== undefined && publicationsTrustFromGenesis(genesis) !== undefined;
  } catch (error) {
    if (error instanceof TempelError) throw new UsageError(`genesis: ${error.message}`);
    throw error;
  }
}

/** Whether the flags, the environment or a cluster description here or above name a cluster at all. */
export function namesCluster(
  values: ConnectionValues,
  env: Environment = process.env,
  cwd: string = process.cwd(),
): boolean {
  return (
    values.endpoint !== undefined ||
    values.config !== undefined ||
    env.TEMPEL_ENDPOINTS !== undefined ||
    env.TEMPEL_CONFIG !== undefined ||
    findClusterFile(cwd) !== undefined
  );
}

/** A client for a cluster, with the text of the genesis the cluster description names, if any. */
export interface Cluster {
  readonly client: TempelClient;
  readonly genesis?: string;
}

/** The client for the cluster the flags, environment and cluster description name. */
export async function connect(
  values: ConnectionValues,
  needs: ConnectionNeeds,
  env: Environment = process.env,
  cwd: string = process.cwd(),
): Promise<TempelClient> {
  return (await openCluster(values, needs, env, cwd)).client;
}

/** As connect, keeping the genesis for what else the caller trusts through it. */
export async function openCluster(
  values: ConnectionValues,
  needs: ConnectionNeeds,
  env: Environment = process.env,
  cwd: string = process.cwd(),
): Promise<Cluster> {
  const file = await clusterFile(values, env, cwd);
  const endpoints = endpointsFrom(values, env, file);
  const loginId = values.login ?? env.TEMPEL_LOGIN ?? file?.agency?.loginId;
  const key = (await agencyKey(values, env)) ?? file?.agency?.key;
  if (needs.agency === true && (loginId === undefined || key === undefined)) {
    throw new UsageError(
      "no agency credentials: pass --login ID --key-file FILE, set TEMPEL_LOGIN and TEMPEL_KEY_FILE " +
        '(or TEMPEL_KEY), or add an "agency" to the cluster description (the node\'s config lists its agencies)',
    );
  }
  const publicationsUrl = values["publications-url"] ?? env.TEMPEL_PUBLICATIONS_URL ?? file?.publications;
  const anchors = values["trust-anchor"] ?? [];
  const constraints = parseConstraints(values.cnstr ?? []);
  if (anchors.length === 0 && Object.keys(constraints).length > 0) {
    throw new UsageError(
      "--cnstr needs --trust-anchor: constraints apply to a signer checked against an anchor",
    );
  }
  const genesis = await readGenesis(values, file, env, cwd);
  const options: TempelClientOptions = {
    endpoints,
    // The CLI runs on Node.js only, where node:http costs less CPU per request than fetch.
    transport: nodeHttpTransport(),
    // node:crypto: several times the speed of the portable hasher for the PDU HMACs and the checks.
    hasher: nodeHasher,
    ...(loginId !== undefined && key !== undefined && { agency: { loginId, key } }),
    trust: {
      ...(genesis !== undefined && { genesis }),
      ...(publicationsUrl !== undefined && { publicationsFileUrl: publicationsUrl }),
      ...(anchors.length > 0 && {
        trustAnchors: await Promise.all(anchors.map(readCertificate)),
        constraints,
      }),
    },
  };
  if (needs.publications === true && anchors.length === 0 && !namesPublicationsAuthority(genesis)) {
    throw new UsageError(
      "the publications file is trusted only through its signer: pass --trust-anchor FILE, the CA " +
        "certificate it must chain to (a genesis that names a publications authority gives it too)",
    );
  }
  try {
    return { client: new TempelClient(options), ...(genesis !== undefined && { genesis }) };
  } catch (error) {
    if (!(error instanceof TempelError)) throw error;
    throw new UsageError(`${file === undefined ? "" : `${file.path}: `}${error.message}`);
  }
}
