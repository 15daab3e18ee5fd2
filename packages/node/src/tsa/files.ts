import { join } from "node:path";

/** A node's TSA files in its data folder: its key (0600), its certificate, and the CA chain above it. */
export interface TsaFiles {
  readonly key: string;
  readonly certificate: string;
  /** PEM certificates from the TSA certificate's issuer up to the root, included when certReq asks. */
  readonly chain: string;
}

export const tsaFiles = (dataDir: string): TsaFiles => ({
  key: join(dataDir, "tsa-key.pem"),
  certificate: join(dataDir, "tsa-cert.pem"),
  chain: join(dataDir, "tsa-chain.pem"),
});

/** A TSA CA's files (`tempel-node tsa init-ca`); keep the key offline once the nodes' certificates are issued. */
export const caFiles = (dir: string): { key: string; certificate: string } => ({
  key: join(dir, "tsa-ca-key.pem"),
  certificate: join(dir, "tsa-ca-cert.pem"),
});
