import { OID } from "../pki/oids.ts";
import {
  contextTag,
  type DerElement,
  DerFields,
  der,
  derBitString,
  derBoolean,
  derInteger,
  derNamedBits,
  derOctetString,
  derOid,
  derSequence,
  derSetOf,
  derUtf8,
  derX509Time,
  readAlgorithm,
  readBoolean,
  readChildren,
  readOid,
  readSingle,
  readTime,
  TAG,
} from "./der.ts";

/** The parts of an X.509 certificate a TSA and its verifiers read (RFC 5280 §4.1). */
export interface CertificateFields {
  readonly der: Uint8Array;
  readonly tbs: Uint8Array;
  /** The serialNumber INTEGER's DER. */
  readonly serialNumber: Uint8Array;
  readonly issuer: Uint8Array;
  readonly subject: Uint8Array;
  /** Unix seconds, inclusive. */
  readonly notBefore: number;
  readonly notAfter: number;
  readonly subjectPublicKeyInfo: Uint8Array;
  readonly extensions: readonly CertificateExtension[];
  readonly signatureAlgorithm: string;
  readonly signature: Uint8Array;
}

export interface CertificateExtension {
  readonly oid: string;
  readonly critical: boolean;
  /** The extnValue OCTET STRING's contents: the extension's own DER. */
  readonly value: Uint8Array;
}

export function readCertificate(bytes: Uint8Array): CertificateFields {
  const certificate = readSingle(bytes);
  const outer = new DerFields(certificate);
  const tbsElement = outer.take(TAG.SEQUENCE, "tbsCertificate");
  const signatureAlgorithm = readAlgorithm(outer.take(TAG.SEQUENCE, "signatureAlgorithm")).oid;
  const signatureBits = outer.take(TAG.BIT_STRING, "signature");
  outer.end("the certificate");
  const tbs = new DerFields(tbsElement);
  tbs.optional(contextTag(0));
  const serialNumber = tbs.take(TAG.INTEGER, "serialNumber").der;
  tbs.take(TAG.SEQUENCE, "signature");
  const issuer = tbs.take(TAG.SEQUENCE, "issuer").der;
  const validity = new DerFields(tbs.take(TAG.SEQUENCE, "validity"));
  const notBefore = readTime(validity.any("notBefore"));
  const notAfter = readTime(validity.any("notAfter"));
  const subject = tbs.take(TAG.SEQUENCE, "subject").der;
  const subjectPublicKeyInfo = tbs.take(TAG.SEQUENCE, "subjectPublicKeyInfo").der;
  tbs.optional(0x81);
  tbs.optional(0x82);
  const extensionsField = tbs.optional(contextTag(3));
  tbs.end("tbsCertificate");
  const extensions =
    extensionsField === undefined ? [] : readChildren(readSingle(extensionsField.value)).map(readExtension);
  return {
    der: certificate.der,
    tbs: tbsElement.der,
    serialNumber,
    issuer,
    subject,
    notBefore,
    notAfter,
    subjectPublicKeyInfo,
    extensions,
    signatureAlgorithm,
    signature: signatureBits.value.subarray(1),
  };
}

function readExtension(element: DerElement): CertificateExtension {
  const fields = new DerFields(element);
  const oid = readOid(fields.take(TAG.OID, "extnID"));
  const criticalField = fields.optional(TAG.BOOLEAN);
  const value = fields.take(TAG.OCTET_STRING, "extnValue").value;
  fields.end("extension");
  return { oid, critical: criticalField !== undefined && readBoolean(criticalField), value };
}

/** The KeyPurposeIds of an extendedKeyUsage extension's value. */
export function readExtendedKeyUsage(value: Uint8Array): string[] {
  return readChildren(readSingle(value)).map(readOid);
}

/** A Name of one attribute per RDN, in order (`[[OID.commonName, "x"]]`), values as UTF8String. */
export function encodeName(attributes: readonly (readonly [string, string])[]): Uint8Array {
  return derSequence(
    ...attributes.map(([oid, value]) => derSetOf([derSequence(derOid(oid), derUtf8(value))])),
  );
}

const extension = (oid: string, critical: boolean, value: Uint8Array) =>
  derSequence(derOid(oid), ...(critical ? [derBoolean(true)] : []), derOctetString(value));

/** The extensions of a certificate's role, all critical: a TSA's (RFC 3161 §2.3) or a CA's. */
export function roleExtensions(role: "tsa" | "ca"): Uint8Array[] {
  if (role === "ca") {
    return [
      extension(OID.basicConstraints, true, derSequence(derBoolean(true), derInteger(0))),
      // keyCertSign (5), cRLSign (6)
      extension(OID.keyUsage, true, derNamedBits([5, 6])),
    ];
  }
  return [
    extension(OID.basicConstraints, true, derSequence()),
    extension(OID.keyUsage, true, derNamedBits([0])),
    extension(OID.extKeyUsage, true, derSequence(derOid(OID.timeStamping))),
  ];
}

export interface TbsFields {
  /** Positive serial number, unsigned big-endian bytes. */
  readonly serialNumber: bigint;
  /** DER AlgorithmIdentifier the issuer signs with. */
  readonly signatureAlgorithm: Uint8Array;
  readonly issuer: Uint8Array;
  readonly subject: Uint8Array;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly subjectPublicKeyInfo: Uint8Array;
  readonly extensions: readonly Uint8Array[];
}

/** An X.509 v3 TBSCertificate (RFC 5280 §4.1), for the issuer's key to sign. */
export function encodeTbsCertificate(fields: TbsFields): Uint8Array {
  return derSequence(
    der(contextTag(0), derInteger(2)),
    derInteger(fields.serialNumber),
    fields.signatureAlgorithm,
    fields.issuer,
    derSequence(derX509Time(fields.notBefore), derX509Time(fields.notAfter)),
    fields.subject,
    fields.subjectPublicKeyInfo,
    der(contextTag(3), derSequence(...fields.extensions)),
  );
}

/** A signed structure (Certificate, CertificationRequest): the signed part, the algorithm, the signature. */
export function encodeSigned(
  toBeSigned: Uint8Array,
  signatureAlgorithm: Uint8Array,
  signature: Uint8Array,
): Uint8Array {
  return derSequence(toBeSigned, signatureAlgorithm, derBitString(signature));
}

/** A PKCS#10 CertificationRequestInfo (RFC 2986 §4.1) without attributes. */
export function encodeCertificationRequestInfo(
  subject: Uint8Array,
  subjectPublicKeyInfo: Uint8Array,
): Uint8Array {
  return derSequence(derInteger(0), subject, subjectPublicKeyInfo, der(contextTag(0)));
}
