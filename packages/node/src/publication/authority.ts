import { X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  certificateFromPem,
  type GenesisPublications,
  genesisPublicationsToJson,
  type PublicationSchedule,
  type PublicationsAuthority,
} from "@tempel/proto";
import { installReflectMetadata } from "../identity/index.ts";
import { PublicationError } from "./errors.ts";

/**
 * The cluster's publications CA and the key that signs the publications file. The CA's key signs
 * only certificates: it is created once, kept offline, and used again only to issue the next
 * publications certificate. Clients trust the CA certificate (from the genesis) and the e-mail
 * address in the signer's subject, as KSI verifiers trust Guardtime's CA and
 * `E=publications@guardtime.com`.
 */
export interface PublicationsAuthorityKeys {
  readonly caKeyPem: string;
  readonly caCertificatePem: string;
  /** PKCS#8 PEM of the RSA key that signs the publications file. */
  readonly keyPem: string;
  readonly certificatePem: string;
}

export interface PublicationsAuthorityOptions {
  readonly clusterId: string;
  /** Goes into the publications certificate's subject; verifiers require exactly this address. */
  readonly email: string;
  /** Unix seconds: the certificates are valid from a little before. */
  readonly now: number;
}

/** File names in the folder `publications-ca init` writes; the last two go to the publishing node(s). */
export const AUTHORITY_FILES = {
  caKey: "publications-ca-key.pem",
  caCertificate: "publications-ca.pem",
  key: "publications-key.pem",
  certificate: "publications-cert.pem",
} as const;

const RSA_ALGORITHM = {
  name: "RSASSA-PKCS1-v1_5",
  hash: "SHA-256",
  publicExponent: new Uint8Array([1, 0, 1]),
} as const;
/** The CA outlives many publications certificates; its key is stronger for that. */
const CA_MODULUS_BITS = 3072;
/** RSA-2048: what KSI verifiers in the field check publications files with. */
const SIGNER_MODULUS_BITS = 2048;
const CA_VALIDITY_YEARS = 30;
const SIGNER_VALIDITY_YEARS = 5;
/** Certificates start a little in the past so that clock skew cannot make a new file unverifiable. */
const BACKDATE_SECONDS = 3600;

function yearsAfter(date: Date, years: number): Date {
  const later = new Date(date);
  later.setUTCFullYear(later.getUTCFullYear() + years);
  return later;
}

/** 16 random bytes with the top bit clear: serials are positive DER integers. */
function serialNumber(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0]! &= 0x7f;
  return Buffer.from(bytes).toString("hex");
}

function privateKeyPem(pkcs8: ArrayBuffer): string {
  const lines =
    Buffer.from(pkcs8)
      .toString("base64")
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join("\n")}\n-----END PRIVATE KEY-----\n`;
}

/** A new publications CA (self-signed) and a publications key with a certificate it issued. */
export async function createPublicationsAuthority(
  options: PublicationsAuthorityOptions,
): Promise<PublicationsAuthorityKeys> {
  installReflectMetadata();
  const x509 = await import("@peculiar/x509");
  const generate = (modulusLength: number) =>
    crypto.subtle.generateKey({ ...RSA_ALGORITHM, modulusLength }, true, ["sign", "verify"]);
  const caKeys = await generate(CA_MODULUS_BITS);
  const keys = await generate(SIGNER_MODULUS_BITS);
  const notBefore = new Date((options.now - BACKDATE_SECONDS) * 1000);
  const caName = new x509.Name([{ CN: [`Tempel publications CA ${options.clusterId}`] }, { O: ["Tempel"] }]);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: caName,
    notBefore,
    notAfter: yearsAfter(notBefore, CA_VALIDITY_YEARS),
    signingAlgorithm: RSA_ALGORITHM,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: new x509.Name([
      { CN: [`Tempel publications ${options.clusterId}`] },
      { O: ["Tempel"] },
      { E: [options.email] },
    ]),
    issuer: ca.subject,
    notBefore,
    notAfter: yearsAfter(notBefore, SIGNER_VALIDITY_YEARS),
    signingAlgorithm: RSA_ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      // Digital signature + e-mail protection: what S/MIME verifiers such as `openssl cms -verify`
      // require of a CMS signer by default.
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.emailProtection]),
      new x509.SubjectAlternativeNameExtension([{ type: "email", value: options.email }]),
      await x509.AuthorityKeyIdentifierExtension.create(ca),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    caKeyPem: privateKeyPem(await crypto.subtle.exportKey("pkcs8", caKeys.privateKey)),
    caCertificatePem: ca.toString("pem") + "\n",
    keyPem: privateKeyPem(await crypto.subtle.exportKey("pkcs8", keys.privateKey)),
    certificatePem: certificate.toString("pem") + "\n",
  };
}

/** The genesis `publications` object naming this authority, with `schedule`. */
export function genesisPublicationsFor(
  keys: PublicationsAuthorityKeys,
  email: string,
  schedule: PublicationSchedule,
): GenesisPublications {
  return { schedule, authority: { caCertificate: certificateFromPem(keys.caCertificatePem), email } };
}

export interface InitPublicationsAuthorityOptions extends PublicationsAuthorityOptions {
  /** Folder to write the four PEM files to; created if missing, existing files are never overwritten. */
  readonly outDir: string;
  readonly schedule: PublicationSchedule;
}

export interface InitPublicationsAuthorityResult {
  /** Paths written, by AUTHORITY_FILES key. */
  readonly files: Record<keyof typeof AUTHORITY_FILES, string>;
  /** The genesis `publications` object to put into the cluster's genesis before its first start. */
  readonly genesisPublications: Record<string, unknown>;
}

/**
 * `tempel-node publications-ca init`: create the authority in `outDir`. The publications key and
 * certificate are then copied into the data folder of the node(s) that publish; the CA key stays
 * here, offline.
 */
export async function initPublicationsAuthority(
  options: InitPublicationsAuthorityOptions,
): Promise<InitPublicationsAuthorityResult> {
  const files = {
    caKey: join(options.outDir, AUTHORITY_FILES.caKey),
    caCertificate: join(options.outDir, AUTHORITY_FILES.caCertificate),
    key: join(options.outDir, AUTHORITY_FILES.key),
    certificate: join(options.outDir, AUTHORITY_FILES.certificate),
  };
  for (const path of Object.values(files)) {
    if (existsSync(path)) {
      throw new PublicationError(
        "AUTHORITY_EXISTS",
        `${path} already exists; publications-ca init never overwrites`,
      );
    }
  }
  const keys = await createPublicationsAuthority(options);
  try {
    mkdirSync(options.outDir, { recursive: true, mode: 0o700 });
    writeFileSync(files.caKey, keys.caKeyPem, { flag: "wx", mode: 0o600 });
    writeFileSync(files.caCertificate, keys.caCertificatePem, { flag: "wx", mode: 0o644 });
    writeFileSync(files.key, keys.keyPem, { flag: "wx", mode: 0o600 });
    writeFileSync(files.certificate, keys.certificatePem, { flag: "wx", mode: 0o644 });
  } catch (error) {
    throw new PublicationError(
      "AUTHORITY_FILE",
      `cannot write the authority's files: ${(error as Error).message}`,
    );
  }
  return {
    files,
    genesisPublications: genesisPublicationsToJson(
      genesisPublicationsFor(keys, options.email, options.schedule),
    ),
  };
}

/** A PEM certificate file is a few kilobytes; anything far larger is not one. */
const MAX_CERTIFICATE_FILE_BYTES = 64 * 1024;

function readCertificateFile(path: string): X509Certificate {
  try {
    if (statSync(path).size > MAX_CERTIFICATE_FILE_BYTES) {
      throw new Error(`larger than ${MAX_CERTIFICATE_FILE_BYTES} bytes`);
    }
    return new X509Certificate(readFileSync(path));
  } catch (error) {
    throw new PublicationError("AUTHORITY_FOLDER", `cannot read ${path}: ${(error as Error).message}`);
  }
}

/**
 * The authority that `publications-ca init` created in `dir`, as a genesis names it: its CA
 * certificate and the e-mail address of the publications certificate it issued. Only the two
 * certificates are read (the CA key may be kept elsewhere); a certificate the CA did not issue, or
 * one naming no single e-mail address, is refused.
 */
export function readPublicationsAuthority(dir: string): PublicationsAuthority {
  const ca = readCertificateFile(join(dir, AUTHORITY_FILES.caCertificate));
  const signer = readCertificateFile(join(dir, AUTHORITY_FILES.certificate));
  const refuse = (problem: string): never => {
    throw new PublicationError("AUTHORITY_FOLDER", `publications authority ${dir}: ${problem}`);
  };
  if (!ca.ca) refuse(`${AUTHORITY_FILES.caCertificate} is not a CA certificate`);
  if (!signer.checkIssued(ca) || !signer.verify(ca.publicKey)) {
    refuse(`${AUTHORITY_FILES.certificate} was not issued by ${AUTHORITY_FILES.caCertificate}`);
  }
  const emails = (signer.subjectAltName ?? "")
    .split(", ")
    .filter((name) => name.startsWith("email:"))
    .map((name) => name.slice("email:".length));
  if (emails.length !== 1) {
    refuse(`${AUTHORITY_FILES.certificate} must name exactly one e-mail address, not ${emails.length}`);
  }
  return { caCertificate: new Uint8Array(ca.raw), email: emails[0]! };
}
