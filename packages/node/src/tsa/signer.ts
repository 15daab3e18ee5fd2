import { createHash, createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { existsSync } from "node:fs";
import { OID, readCertificate, readExtendedKeyUsage, type TokenSigner } from "@tempel/proto";
import { IdentityError, privateFileProblem, readPem } from "../identity/index.ts";
import { signatureAlgorithmOf } from "./certificates.ts";
import { TsaError } from "./errors.ts";
import type { TsaFiles } from "./files.ts";

/** The node's TSA identity: what tokens name and the key that signs them. */
export interface TsaSigner {
  readonly token: TokenSigner;
  /** SHA-256 of the certificate's DER, for the ESSCertIDv2 of every token. */
  readonly certificateHash: Uint8Array;
  readonly key: KeyObject;
  readonly keyType: string;
  readonly notAfter: number;
}

/** Every certificate of a PEM file, as DER. */
export function pemCertificates(text: string): Uint8Array[] {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => new Uint8Array(new X509Certificate(block).raw));
}

/** Whether the node has TSA files at all (a data folder made before the TSA existed has none). */
export const hasTsaFiles = (files: TsaFiles): boolean =>
  existsSync(files.key) && existsSync(files.certificate);

/**
 * Load and check the TSA key and certificate: the key private to its owner, the certificate its
 * key's, with the only, critical, extended key usage id-kp-timeStamping that RFC 3161 §2.3 asks for,
 * and valid now (an expired one would make every token fail at the relying party).
 */
export function loadTsaSigner(files: TsaFiles, nowSeconds: number): TsaSigner {
  const exposed = privateFileProblem(files.key, "TSA key");
  if (exposed !== undefined) throw new TsaError("TSA_KEY_EXPOSED", exposed);
  let key: KeyObject;
  try {
    key = createPrivateKey(readPem(files.key, "TSA key"));
  } catch (error) {
    if (error instanceof IdentityError) throw error;
    throw new TsaError("TSA_KEY_INVALID", `${files.key} is not a private key: ${(error as Error).message}`);
  }
  const [certificateDer] = pemCertificates(readPem(files.certificate, "TSA certificate"));
  if (certificateDer === undefined)
    throw new TsaError("TSA_CERTIFICATE_INVALID", `${files.certificate} holds no certificate`);
  const certificate = new X509Certificate(certificateDer);
  if (!certificate.checkPrivateKey(key)) {
    throw new TsaError(
      "TSA_KEY_MISMATCH",
      `${files.key} is not the key of the certificate in ${files.certificate}`,
    );
  }
  const fields = readCertificate(certificateDer);
  const eku = fields.extensions.find((e) => e.oid === OID.extKeyUsage);
  const ekuSound = eku?.critical === true && readExtendedKeyUsage(eku.value).join() === OID.timeStamping;
  if (!ekuSound) {
    throw new TsaError(
      "TSA_CERTIFICATE_UNFIT",
      `${files.certificate} needs a critical extended key usage of id-kp-timeStamping only (RFC 3161 §2.3)`,
    );
  }
  if (nowSeconds < fields.notBefore || nowSeconds > fields.notAfter) {
    throw new TsaError(
      "TSA_CERTIFICATE_EXPIRED",
      `${files.certificate} is not valid now; issue a new one (docs/rfc3161.md)`,
    );
  }
  const chain = existsSync(files.chain) ? pemCertificates(readPem(files.chain, "TSA chain")) : [];
  return {
    token: {
      certificate: certificateDer,
      issuer: fields.issuer,
      serialNumber: fields.serialNumber,
      chain,
      signatureAlgorithm: signatureAlgorithmOf(key),
    },
    certificateHash: new Uint8Array(createHash("sha256").update(certificateDer).digest()),
    key,
    keyType:
      key.asymmetricKeyType === "rsa"
        ? `rsa-${key.asymmetricKeyDetails?.modulusLength}`
        : `ec-${key.asymmetricKeyDetails?.namedCurve}`,
    notAfter: fields.notAfter,
  };
}
