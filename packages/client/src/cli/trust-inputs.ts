import {
  COMMON_NAME_OID,
  EMAIL_ADDRESS_OID,
  MAX_CERTIFICATE_BYTES,
  type SignerConstraints,
} from "@tempel/proto";
import { readInput } from "./files.ts";
import { UsageError } from "./usage-error.ts";

/** Short names of the subject attributes a signer constraint may name (as in ksi-tool's --cnstr). */
const ATTRIBUTE_OIDS: ReadonlyMap<string, string> = new Map([
  ["E", EMAIL_ADDRESS_OID],
  ["CN", COMMON_NAME_OID],
  ["O", "2.5.4.10"],
  ["OU", "2.5.4.11"],
  ["C", "2.5.4.6"],
]);

/** `NAME=VALUE` arguments → constraints keyed by attribute OID. */
export function parseConstraints(args: readonly string[]): SignerConstraints {
  const constraints: Record<string, string> = {};
  for (const arg of args) {
    const split = arg.indexOf("=");
    const name = arg.slice(0, split);
    const oid = ATTRIBUTE_OIDS.get(name.toUpperCase()) ?? (/^\d+(\.\d+)+$/.test(name) ? name : undefined);
    if (split <= 0 || oid === undefined) {
      throw new UsageError(`--cnstr ${arg}: expected NAME=VALUE with NAME one of E, CN, O, OU, C or an OID`);
    }
    constraints[oid] = arg.slice(split + 1);
  }
  return constraints;
}

const PEM = /-----BEGIN CERTIFICATE-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END CERTIFICATE-----/g;

/** Certificates a file may list: a CA bundle of a few, not a trust store. */
const MAX_CERTIFICATES_PER_FILE = 16;

/**
 * The certificates in a file, as DER: one DER certificate, or PEM with one or more (text between
 * them, as `openssl x509 -text` writes, is left out).
 */
export async function readCertificates(path: string): Promise<Uint8Array[]> {
  // PEM is base64 plus two marker lines, so 2× the DER bound covers each certificate.
  const bytes = await readInput(
    path,
    2 * MAX_CERTIFICATE_BYTES * MAX_CERTIFICATES_PER_FILE,
    "certificate file",
  );
  const text = new TextDecoder().decode(bytes);
  const blocks = [...text.matchAll(PEM)].map(
    (pem) => new Uint8Array(Buffer.from(pem[1]!.replace(/\s+/g, ""), "base64")),
  );
  if (blocks.length > MAX_CERTIFICATES_PER_FILE) {
    throw new UsageError(
      `certificate file ${path} lists more than ${MAX_CERTIFICATES_PER_FILE} certificates`,
    );
  }
  return blocks.length > 0 || text.includes("-----BEGIN") ? blocks : [bytes];
}

/** A certificate file, PEM or DER, as DER bytes: its first certificate. */
export async function readCertificate(path: string): Promise<Uint8Array> {
  const [first] = await readCertificates(path);
  if (first === undefined) throw new UsageError(`certificate file ${path} holds no certificate`);
  return first;
}
