import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_GENESIS_PUBLICATIONS } from "@tempel/proto";
import {
  createCalendarCertificate,
  type DataPaths,
  dataPaths,
  generateNodeIdentity,
  IdentityError,
} from "../identity/index.ts";
import { initTsaCa, issueNodeTsa, type TsaKeyType, tsaFiles } from "../tsa/index.ts";
import { type Genesis, genesisToJson } from "./genesis.ts";

export interface InitOptions {
  readonly dataDir: string;
  readonly httpHost: string;
  readonly httpPort: number;
  /** How clients and peers reach this node's HTTP API (goes into the genesis). */
  readonly apiUrl: string;
  readonly p2pAddrs: readonly string[];
  /** Unix seconds: the genesis time. */
  readonly now: number;
  /** The RFC 3161 TSA key's type (ec-p256 when absent). */
  readonly tsaKeyType?: TsaKeyType;
}

export interface InitResult {
  readonly paths: DataPaths;
  readonly nodeId: string;
  readonly genesis: Genesis;
  readonly agency: { loginId: string; key: string };
}

/**
 * Create a data folder for a one-member cluster: node identity, calendar signing key and certificate,
 * genesis and a config file with an example agency. Never overwrites an existing file.
 */
export async function initDataDir(options: InitOptions): Promise<InitResult> {
  const paths = dataPaths(options.dataDir);
  const tsaCa = join(options.dataDir, TSA_CA_DIR);
  for (const path of [...Object.values(paths), ...Object.values(tsaFiles(options.dataDir)), tsaCa]) {
    if (existsSync(path)) {
      throw new IdentityError("INIT_EXISTS", `${path} already exists; init never overwrites a node's files`);
    }
  }
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const { identity, encoded } = await generateNodeIdentity();
  const { keyPem, certificatePem } = await createCalendarCertificate(
    `tempel-node ${identity.id}`,
    options.now,
  );
  const genesis: Genesis = {
    clusterId: `tempel-${randomBytes(4).toString("hex")}`,
    genesisTime: options.now,
    members: [
      {
        id: identity.id,
        publicKey: identity.publicKey,
        multiaddrs: options.p2pAddrs,
        apiUrl: options.apiUrl,
        certificatePem,
      },
    ],
    quorum: 1,
    roundSeconds: 1,
    // Daily at 00:00 UTC, no publications file yet: `tempel-node genesis` names the authority.
    publications: DEFAULT_GENESIS_PUBLICATIONS,
  };
  const agency = { loginId: "agency1", key: randomBytes(24).toString("base64url") };
  const config = {
    dataDir: ".",
    api: { host: options.httpHost, port: options.httpPort },
    // Open on loopback, where only this machine reaches it; elsewhere agencies sign in (HTTP Basic).
    tsa: { access: LOOPBACK.test(options.httpHost) ? "open" : "basic" },
    p2p: { listen: options.p2pAddrs },
    agencies: [agency],
  };
  createFile(paths.nodeKey, encoded, 0o600);
  createFile(paths.calendarKey, keyPem, 0o600);
  createFile(paths.calendarCertificate, certificatePem, 0o644);
  createFile(paths.genesis, JSON.stringify(genesisToJson(genesis), null, 2) + "\n", 0o644);
  createFile(paths.config, JSON.stringify(config, null, 2) + "\n", 0o600);
  // A one-member cluster's own TSA CA; a cluster's genesis ceremony issues from one CA instead.
  const keyType = options.tsaKeyType ?? "ec-p256";
  initTsaCa(tsaCa, keyType, `Tempel TSA CA ${genesis.clusterId}`, options.now);
  issueNodeTsa(tsaCa, options.dataDir, {
    keyType,
    commonName: `Tempel TSA ${identity.id}`,
    nowSeconds: options.now,
  });
  return { paths, nodeId: identity.id, genesis, agency };
}

const TSA_CA_DIR = "tsa-ca";
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

function createFile(path: string, data: string | Uint8Array, mode: number): void {
  try {
    writeFileSync(path, data, { flag: "wx", mode });
  } catch (error) {
    throw new IdentityError("INIT_FILE", `cannot write ${path}: ${(error as Error).message}`);
  }
}
