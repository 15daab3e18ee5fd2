import { createPrivateKey, createPublicKey, type KeyObject, X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { pem } from "../identity/index.ts";
import {
  createCaCertificate,
  createCertificationRequest,
  generateTsaKey,
  issueTsaCertificate,
  nameOf,
  type TsaKeyType,
} from "./certificates.ts";
import { TsaError } from "./errors.ts";
import { caFiles, tsaFiles } from "./files.ts";
import { loadTsaSigner } from "./signer.ts";

const keyPem = (key: KeyObject) => key.export({ type: "pkcs8", format: "pem" }).toString();

/** Written whole or not at all; `exclusive`: never over an existing file. */
function writeFile(path: string, data: string, mode: number, exclusive: boolean): void {
  try {
    if (exclusive) writeFileSync(path, data, { flag: "wx", mode });
    else {
      const temporary = `${path}.${process.pid}.tmp`;
      writeFileSync(temporary, data, { mode });
      renameSync(temporary, path);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      throw new TsaError("TSA_FILE_EXISTS", `${path} exists and is never overwritten; choose another folder`);
    }
    throw new TsaError("TSA_FILE", `cannot write ${path}: ${(error as Error).message}`);
  }
}

function readKey(path: string, what: string): KeyObject {
  try {
    return createPrivateKey(readFileSync(path, "utf8"));
  } catch (error) {
    throw new TsaError("TSA_FILE", `cannot read the ${what} ${path}: ${(error as Error).message}`);
  }
}

/** A TSA CA in `dir`: its key (0600; keep it offline) and self-signed certificate. Never overwrites. */
export function initTsaCa(dir: string, keyType: TsaKeyType, commonName: string, nowSeconds: number): string {
  const files = caFiles(dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const key = generateTsaKey(keyType);
  writeFile(files.key, keyPem(key), 0o600, true);
  writeFile(
    files.certificate,
    pem("CERTIFICATE", createCaCertificate(key, commonName, nowSeconds)),
    0o644,
    true,
  );
  return files.certificate;
}

export interface IssueOptions {
  /** Make a new TSA key first (rotation), of this type; otherwise the node's key, made if it has none. */
  readonly newKey?: TsaKeyType | undefined;
  readonly keyType: TsaKeyType;
  readonly commonName: string;
  readonly nowSeconds: number;
}

/**
 * Issue the node's TSA certificate from the CA in `caDir` (a new key first when asked or when the node
 * has none) and write it with the CA certificate as the chain. The result is loaded as the node would,
 * so what this writes is what starts.
 */
export function issueNodeTsa(caDir: string, dataDir: string, options: IssueOptions): string {
  const ca = caFiles(caDir);
  const files = tsaFiles(dataDir);
  const caKey = readKey(ca.key, "TSA CA key");
  const caPem = readFileSync(ca.certificate, "utf8");
  const caCertificate = new X509Certificate(caPem);
  const key = nodeKey(files.key, options.newKey ?? (existsSync(files.key) ? undefined : options.keyType));
  const publicKey = new Uint8Array(createPublicKey(key).export({ type: "spki", format: "der" }));
  const der = issueTsaCertificate(
    caKey,
    caCertificate,
    nameOf(options.commonName),
    publicKey,
    options.nowSeconds,
  );
  writeFile(files.certificate, pem("CERTIFICATE", der), 0o644, false);
  writeFile(files.chain, caPem, 0o644, false);
  loadTsaSigner(files, options.nowSeconds);
  return files.certificate;
}

/** The node's TSA key, replaced by a new one of type `fresh` when given. */
function nodeKey(path: string, fresh: TsaKeyType | undefined): KeyObject {
  if (!existsSync(dirname(path))) {
    throw new TsaError(
      "TSA_FILE",
      `${dirname(path)} is not a node's data folder (tempel-node init makes one)`,
    );
  }
  if (fresh === undefined) return readKey(path, "TSA key");
  const key = generateTsaKey(fresh);
  writeFile(path, keyPem(key), 0o600, false);
  return key;
}

/** A PEM certification request for the node's TSA key (made first if missing), for an operator's own CA. */
export function nodeCertificationRequest(dataDir: string, keyType: TsaKeyType, commonName: string): string {
  const files = tsaFiles(dataDir);
  const key = nodeKey(files.key, existsSync(files.key) ? undefined : keyType);
  return pem("CERTIFICATE REQUEST", createCertificationRequest(key, commonName));
}
