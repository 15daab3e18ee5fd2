import { createHash, createPrivateKey, type KeyObject, sign, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { IdentityError } from "./errors.ts";
import { privateFileProblem } from "./private-file.ts";
import { installReflectMetadata } from "./reflect-metadata.ts";

/** sha256WithRSAEncryption: what KSI verifiers in the field accept for calendar authentication records. */
export const SHA256_WITH_RSA_OID = "1.2.840.113549.1.1.11";

/**
 * Signs the KSI published data of calendar roots (the calendar authentication record), so that KSI's
 * key-based policy works with the certificate from the cluster's publications file.
 */
export interface CalendarSigner {
  readonly certificatePem: string;
  readonly certificateDer: Uint8Array;
  /** Looks the certificate up in a publications file: the first 4 bytes of SHA-256 over its DER. */
  readonly certificateId: Uint8Array;
  readonly signatureType: string;
  sign(data: Uint8Array): Uint8Array;
}

export function certificateIdOf(der: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(der).digest().subarray(0, 4));
}

const RSA_ALGORITHM = {
  name: "RSASSA-PKCS1-v1_5",
  hash: "SHA-256",
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
} as const;

const VALIDITY_YEARS = 10;
/** Certificates start a little in the past so that clock skew between members cannot fail KEY-03. */
const BACKDATE_SECONDS = 3600;

/** A new RSA-2048 key and a self-signed X.509 certificate, both PEM. */
export async function createCalendarCertificate(
  commonName: string,
  notBeforeSeconds: number,
): Promise<{ keyPem: string; certificatePem: string }> {
  installReflectMetadata();
  const x509 = await import("@peculiar/x509");
  const keys = await crypto.subtle.generateKey(RSA_ALGORITHM, true, ["sign", "verify"]);
  const notBefore = new Date((notBeforeSeconds - BACKDATE_SECONDS) * 1000);
  const notAfter = new Date(notBefore);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + VALIDITY_YEARS);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: positiveSerial(),
    name: `CN=${commonName.replace(/[,+"\\<>;=]/g, "_")}, O=Tempel`,
    notBefore,
    notAfter,
    signingAlgorithm: RSA_ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    ],
  });
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  return { keyPem: pem("PRIVATE KEY", pkcs8), certificatePem: certificate.toString("pem") };
}

const MAX_PEM_BYTES = 64 * 1024;

export function loadCalendarSigner(keyFile: string, certificateFile: string): CalendarSigner {
  const exposed = privateFileProblem(keyFile, "calendar key");
  if (exposed !== undefined) throw new IdentityError("KEY_FILE_EXPOSED", exposed);
  const keyPem = readPem(keyFile, "calendar key");
  const certificatePem = readPem(certificateFile, "calendar certificate");
  let key: KeyObject;
  let certificate: X509Certificate;
  try {
    key = createPrivateKey(keyPem);
  } catch (error) {
    throw new IdentityError(
      "CALENDAR_KEY_INVALID",
      `${keyFile} is not a private key: ${(error as Error).message}`,
    );
  }
  try {
    certificate = new X509Certificate(certificatePem);
  } catch (error) {
    throw new IdentityError(
      "CALENDAR_CERTIFICATE_INVALID",
      `${certificateFile} is not an X.509 certificate: ${(error as Error).message}`,
    );
  }
  if (key.asymmetricKeyType !== "rsa" || !certificate.checkPrivateKey(key)) {
    throw new IdentityError(
      "CALENDAR_KEY_MISMATCH",
      `${keyFile} is not the RSA key of the certificate in ${certificateFile}`,
    );
  }
  const der = new Uint8Array(certificate.raw);
  return {
    certificatePem,
    certificateDer: der,
    certificateId: certificateIdOf(der),
    signatureType: SHA256_WITH_RSA_OID,
    sign: (data) => new Uint8Array(sign("sha256", data, key)),
  };
}

/** A PEM file's text, refused when unreadable or larger than any key or certificate file. */
export function readPem(file: string, what: string): string {
  try {
    const text = readFileSync(file, "utf8");
    if (text.length > MAX_PEM_BYTES) throw new Error(`larger than ${MAX_PEM_BYTES} bytes`);
    return text;
  } catch (error) {
    throw new IdentityError("IDENTITY_FILE", `cannot read ${what} ${file}: ${(error as Error).message}`);
  }
}

/** 16 random bytes with the top bit clear: DER integers are signed and serials must be positive. */
function positiveSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0]! &= 0x7f;
  return Buffer.from(bytes).toString("hex");
}

export function pem(label: string, der: Uint8Array): string {
  const lines =
    Buffer.from(der)
      .toString("base64")
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
