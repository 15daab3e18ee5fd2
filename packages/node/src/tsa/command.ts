import { join } from "node:path";
import { TSA_KEY_TYPES, type TsaKeyType } from "./certificates.ts";
import { TsaError } from "./errors.ts";
import { caFiles } from "./files.ts";
import { initTsaCa, issueNodeTsa, nodeCertificationRequest } from "./setup.ts";

export const TSA_HELP = `Usage:
  tempel-node tsa init-ca --out DIR [--key-type T] [--name NAME]
      a TSA CA: DIR/tsa-ca-key.pem (0600; keep it offline) and DIR/tsa-ca-cert.pem, the file relying
      parties trust (openssl ts -verify -CAfile, X-Road's approved TSA). Never overwrites.
  tempel-node tsa issue --ca DIR --data NODE_DIR [--new-key] [--key-type T] [--name NAME]
      the node's TSA certificate (critical EKU id-kp-timeStamping) from that CA, written to
      NODE_DIR/tsa-cert.pem with the CA in NODE_DIR/tsa-chain.pem; --new-key first replaces the node's
      TSA key (NODE_DIR/tsa-key.pem, 0600) with a new one: key rotation. Restart the node after it.
  tempel-node tsa csr --data NODE_DIR [--key-type T] [--name NAME]
      prints a PKCS#10 request for the node's TSA key (made if missing), for an operator's own CA;
      put the certificate it issues in NODE_DIR/tsa-cert.pem and its chain in tsa-chain.pem.

Options:
  --key-type T   ${TSA_KEY_TYPES.join(", ")} (default ec-p256; X-Road asks for RSA of 2048 bits or more)
  --name NAME    the certificate's common name (default "Tempel TSA CA" or "Tempel TSA <folder>")

Exit codes: 0 done, 1 failure (a file exists or cannot be read), 2 usage.
`;

export const TSA_OPTIONS = {
  out: { type: "string" },
  ca: { type: "string" },
  data: { type: "string" },
  "key-type": { type: "string" },
  name: { type: "string" },
  "new-key": { type: "boolean" },
} as const;

export interface TsaValues {
  readonly out?: string | undefined;
  readonly ca?: string | undefined;
  readonly data?: string | undefined;
  readonly "key-type"?: string | undefined;
  readonly name?: string | undefined;
  readonly "new-key"?: boolean | undefined;
}

const usage = (message: string) => new TsaError("USAGE", message);

export function keyTypeOf(text: string | undefined): TsaKeyType {
  if (text === undefined) return "ec-p256";
  if (!(TSA_KEY_TYPES as readonly string[]).includes(text)) {
    throw usage(`--key-type ${text} is not one of ${TSA_KEY_TYPES.join(", ")}`);
  }
  return text as TsaKeyType;
}

/** `tempel-node tsa SUBCOMMAND` with parsed flags; the text to print. Usage faults are TsaError USAGE. */
export function tsaCommand(subcommand: string | undefined, values: TsaValues, nowSeconds: number): string {
  const keyType = keyTypeOf(values["key-type"]);
  const nodeName = (dir: string) => values.name ?? `Tempel TSA ${join(dir).split("/").filter(Boolean).pop()}`;
  switch (subcommand) {
    case "init-ca": {
      if (values.out === undefined) throw usage("tsa init-ca needs --out DIR");
      const file = initTsaCa(values.out, keyType, values.name ?? "Tempel TSA CA", nowSeconds);
      return `created the TSA CA: trust ${file}; keep ${caFiles(values.out).key} offline\n`;
    }
    case "issue": {
      if (values.ca === undefined || values.data === undefined)
        throw usage("tsa issue needs --ca DIR and --data NODE_DIR");
      const file = issueNodeTsa(values.ca, values.data, {
        newKey: values["new-key"] === true ? keyType : undefined,
        keyType,
        commonName: nodeName(values.data),
        nowSeconds,
      });
      return `issued ${file}; restart the node to use it\n`;
    }
    case "csr": {
      if (values.data === undefined) throw usage("tsa csr needs --data NODE_DIR");
      return nodeCertificationRequest(values.data, keyType, nodeName(values.data));
    }
    default:
      throw usage(`tsa needs a subcommand: init-ca, issue or csr (tempel-node tsa --help)`);
  }
}
