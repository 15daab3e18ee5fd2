import {
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  type X509Certificate,
} from "node:crypto";
import {
  derAlgorithm,
  encodeCertificationRequestInfo,
  encodeName,
  encodeSigned,
  encodeTbsCertificate,
  OID,
  readCertificate,
  roleExtensions,
} from "@tempel/proto";
import { TsaError } from "./errors.ts";

/** The key types a TSA (or its CA) may have: ECDSA P-256 by default, RSA where relying parties want it. */
export const TSA_KEY_TYPES = ["ec-p256", "rsa-2048", "rsa-3072"] as const;
export type TsaKeyType = (typeof TSA_KEY_TYPES)[number];

export const TSA_CERTIFICATE_YEARS = 5;
export const CA_CERTIFICATE_YEARS = 20;
/** Certificates start a little in the past so that clock skew cannot make a fresh one not yet valid. */
const BACKDATE_SECONDS = 3600;

export function generateTsaKey(type: TsaKeyType): KeyObject {
  if (type === "ec-p256") return generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey;
  return generateKeyPairSync("rsa", { modulusLength: type === "rsa-2048" ? 2048 : 3072 }).privateKey;
}

/** The AlgorithmIdentifier of SHA-256 signatures with `key`, as certificates and tokens name it. */
export function signatureAlgorithmOf(key: KeyObject): Uint8Array {
  switch (key.asymmetricKeyType) {
    case "ec":
      return derAlgorithm(OID.ecdsaWithSha256);
    case "rsa":
      return derAlgorithm(OID.sha256WithRsa, true);
    default:
      throw new TsaError(
        "TSA_KEY_TYPE",
        `a ${key.asymmetricKeyType} key cannot sign tokens; use EC P-256 or RSA`,
      );
  }
}

/** SHA-256 with `key`: PKCS#1 v1.5 for RSA, DER (r, s) for ECDSA, as CMS and X.509 want. */
export function signSha256(key: KeyObject, data: Uint8Array): Uint8Array {
  return new Uint8Array(sign("sha256", data, key));
}

const spkiOf = (key: KeyObject): Uint8Array =>
  new Uint8Array(createPublicKey(key).export({ type: "spki", format: "der" }));

/** 16 random bytes with the top bit clear: a positive serial no two certificates share. */
const randomSerial = (): bigint => BigInt(`0x${randomBytes(16).toString("hex")}`) >> 1n;

export function nameOf(commonName: string): Uint8Array {
  return encodeName([
    [OID.organization, "Tempel"],
    [OID.commonName, commonName],
  ]);
}

interface Issuer {
  readonly key: KeyObject;
  /** DER Name; the subject for a self-signed certificate. */
  readonly name: Uint8Array;
}

/** A certificate signed by `issuer` for `publicKey` (DER SubjectPublicKeyInfo). */
export function issueCertificate(
  issuer: Issuer,
  subject: Uint8Array,
  publicKey: Uint8Array,
  role: "tsa" | "ca",
  nowSeconds: number,
): Uint8Array {
  const notBefore = nowSeconds - BACKDATE_SECONDS;
  const years = role === "ca" ? CA_CERTIFICATE_YEARS : TSA_CERTIFICATE_YEARS;
  const signatureAlgorithm = signatureAlgorithmOf(issuer.key);
  const tbs = encodeTbsCertificate({
    serialNumber: randomSerial(),
    signatureAlgorithm,
    issuer: issuer.name,
    subject,
    notBefore,
    notAfter: notBefore + years * 365 * 86_400,
    subjectPublicKeyInfo: publicKey,
    extensions: roleExtensions(role),
  });
  return encodeSigned(tbs, signatureAlgorithm, signSha256(issuer.key, tbs));
}

export function createCaCertificate(key: KeyObject, commonName: string, nowSeconds: number): Uint8Array {
  const name = nameOf(commonName);
  return issueCertificate({ key, name }, name, spkiOf(key), "ca", nowSeconds);
}

/** A TSA certificate for `publicKey` from the CA whose key and certificate are given. */
export function issueTsaCertificate(
  caKey: KeyObject,
  caCertificate: X509Certificate,
  subject: Uint8Array,
  publicKey: Uint8Array,
  nowSeconds: number,
): Uint8Array {
  if (!caCertificate.checkPrivateKey(caKey)) {
    throw new TsaError("TSA_CA_KEY_MISMATCH", "the CA key is not the key of the CA certificate");
  }
  return issueCertificate(
    { key: caKey, name: subjectOf(caCertificate) },
    subject,
    publicKey,
    "tsa",
    nowSeconds,
  );
}

/** The issuer's Name must be its subject byte for byte, which node:crypto gives only as text. */
const subjectOf = (certificate: X509Certificate): Uint8Array =>
  readCertificate(new Uint8Array(certificate.raw)).subject;

/** A PKCS#10 request for a TSA certificate for `key`, for an operator's own CA. */
export function createCertificationRequest(key: KeyObject, commonName: string): Uint8Array {
  const signatureAlgorithm = signatureAlgorithmOf(key);
  const info = encodeCertificationRequestInfo(nameOf(commonName), spkiOf(key));
  return encodeSigned(info, signatureAlgorithm, signSha256(key, info));
}
