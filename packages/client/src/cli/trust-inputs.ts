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

const PEM = /^-----BEGIN CERTIFICATE-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END CERTIFICATE-----\s*$/;

/** A certificate file, PEM or DER, as DER bytes. */
export async function readCertificate(path: string): Promise<Uint8Array> {
  // PEM is base64 plus two marker lines, so 2× the DER bound covers it.
  const bytes = await readInput(path, 2 * MAX_CERTIFICATE_BYTES, "certificate");
  const pem = PEM.exec(new TextDecoder().decode(bytes));
  return pem === null ? bytes : new Uint8Array(Buffer.from(pem[1]!.replace(/\s+/g, ""), "base64"));
}
