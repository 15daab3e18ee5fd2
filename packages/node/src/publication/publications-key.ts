import { createPrivateKey, X509Certificate } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  encodePublicationsFile,
  PkiError,
  type PublicationsAuthority,
  type PublicationsFileSigner,
  publicationsCmsSigner,
  publicationsFileTrust,
  verifyPublicationsFile,
} from "@tempel/proto";
import { privateFileProblem } from "../identity/index.ts";
import { AUTHORITY_FILES } from "./authority.ts";
import { PublicationError } from "./errors.ts";

/** The publications key of a publishing node: signs each new file with the file's publication time. */
export interface PublicationsKey {
  /** DER of the key's certificate. */
  readonly certificate: Uint8Array;
  signer(signingTime: number): PublicationsFileSigner;
}

const MAX_PEM_BYTES = 64 * 1024;

function readPem(path: string): string {
  try {
    const text = readFileSync(path, "utf8");
    if (text.length > MAX_PEM_BYTES) throw new Error(`larger than ${MAX_PEM_BYTES} bytes`);
    return text;
  } catch (error) {
    throw new PublicationError("PUBLICATIONS_KEY_FILE", `cannot read ${path}: ${(error as Error).message}`);
  }
}

/**
 * The publications key and certificate in `dataDir` (publications-key.pem, publications-cert.pem),
 * or undefined when the folder has neither: the node then only mirrors its peers' file. The pair is
 * refused unless a file it signs verifies against the genesis authority (CA and e-mail address), so
 * a wrong or expired certificate stops the node at start rather than at its next publication.
 */
export async function loadPublicationsKey(
  dataDir: string,
  authority: PublicationsAuthority,
  now: number,
): Promise<PublicationsKey | undefined> {
  const keyPath = join(dataDir, AUTHORITY_FILES.key);
  const certificatePath = join(dataDir, AUTHORITY_FILES.certificate);
  const present = [existsSync(keyPath), existsSync(certificatePath)];
  if (!present[0] && !present[1]) return undefined;
  if (!present[0] || !present[1]) {
    throw new PublicationError(
      "PUBLICATIONS_KEY_INCOMPLETE",
      `${dataDir} must hold both ${AUTHORITY_FILES.key} and ${AUTHORITY_FILES.certificate}, or neither`,
    );
  }
  const exposed = privateFileProblem(keyPath, "publications key");
  if (exposed !== undefined) throw new PublicationError("KEY_FILE_EXPOSED", exposed);
  let certificate: Uint8Array;
  let pkcs8: Uint8Array<ArrayBuffer>;
  try {
    const x509 = new X509Certificate(readPem(certificatePath));
    const key = createPrivateKey(readPem(keyPath));
    if (!x509.checkPrivateKey(key)) throw new Error("the key is not the certificate's");
    certificate = new Uint8Array(x509.raw);
    pkcs8 = new Uint8Array(key.export({ type: "pkcs8", format: "der" }));
  } catch (error) {
    if (error instanceof PublicationError) throw error;
    throw new PublicationError(
      "PUBLICATIONS_KEY_INVALID",
      `${keyPath} and ${certificatePath} are not a key and its certificate: ${(error as Error).message}`,
    );
  }
  let privateKey: CryptoKey;
  try {
    privateKey = await crypto.subtle.importKey(
      "pkcs8",
      pkcs8,
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      false,
      ["sign"],
    );
  } catch (error) {
    throw new PublicationError(
      "PUBLICATIONS_KEY_INVALID",
      `${keyPath} is not an RSA key: ${(error as Error).message}`,
    );
  }
  const publicationsKey: PublicationsKey = {
    certificate,
    signer: (signingTime) => publicationsCmsSigner({ privateKey, certificate, signingTime }),
  };
  const probe = await encodePublicationsFile(
    { header: { version: 1, creationTime: now }, certificates: [], publications: [] },
    publicationsKey.signer(now),
  );
  try {
    await verifyPublicationsFile(probe, publicationsFileTrust(authority));
  } catch (error) {
    if (!(error instanceof PkiError)) throw error;
    throw new PublicationError(
      "PUBLICATIONS_KEY_UNTRUSTED",
      `files signed with ${certificatePath} would not verify against the genesis's publications authority: ${error.message}`,
    );
  }
  return publicationsKey;
}
