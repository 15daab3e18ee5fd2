import { join } from "node:path";

/** The files of a node's data folder; `tempel-node init` creates all but `db`. */
export interface DataPaths {
  readonly config: string;
  readonly genesis: string;
  /** libp2p protobuf encoding of the node's Ed25519 private key. */
  readonly nodeKey: string;
  /** PKCS#8 PEM of the RSA key that signs calendar authentication records. */
  readonly calendarKey: string;
  readonly calendarCertificate: string;
  readonly db: string;
}

export function dataPaths(dataDir: string): DataPaths {
  return {
    config: join(dataDir, "config.json"),
    genesis: join(dataDir, "genesis.json"),
    nodeKey: join(dataDir, "node-key.pb"),
    calendarKey: join(dataDir, "calendar-key.pem"),
    calendarCertificate: join(dataDir, "calendar-cert.pem"),
    db: join(dataDir, "db"),
  };
}
