import { HashAlgorithm } from "../hash/algorithms.ts";

/**
 * Object identifiers of RFC 3161 tokens and their certificates, and Tempel's own arc: the UUID arc
 * (ITU-T X.667) of UUID 79e03b81-384b-4344-9747-36edebd5f2da, which needs no registration. Under it
 * `.1` holds TSA policies and `.2` CMS attributes (docs/rfc3161.md).
 */
export const TEMPEL_ARC = "2.25.162000868886308349449106160060397384410";
/** TSTInfo.policy of a node unless it is configured with another. */
export const TEMPEL_TSA_POLICY = `${TEMPEL_ARC}.1.1`;
/**
 * id-aa-tempelKsiSignature: an unsigned attribute of the token's SignerInfo whose one value is an
 * OCTET STRING holding a KSI signature (TLV 0x0800) of the message imprint, aggregated at genTime.
 */
export const TEMPEL_KSI_SIGNATURE_ATTRIBUTE = `${TEMPEL_ARC}.2.1`;

export const OID = {
  signedData: "1.2.840.113549.1.7.2",
  tstInfo: "1.2.840.113549.1.9.16.1.4",
  contentType: "1.2.840.113549.1.9.3",
  messageDigest: "1.2.840.113549.1.9.4",
  signingCertificate: "1.2.840.113549.1.9.16.2.12",
  signingCertificateV2: "1.2.840.113549.1.9.16.2.47",
  sha1: "1.3.14.3.2.26",
  sha256: "2.16.840.1.101.3.4.2.1",
  sha384: "2.16.840.1.101.3.4.2.2",
  sha512: "2.16.840.1.101.3.4.2.3",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  sha1WithRsa: "1.2.840.113549.1.1.5",
  sha256WithRsa: "1.2.840.113549.1.1.11",
  sha384WithRsa: "1.2.840.113549.1.1.12",
  sha512WithRsa: "1.2.840.113549.1.1.13",
  rsaEncryption: "1.2.840.113549.1.1.1",
  ecPublicKey: "1.2.840.10045.2.1",
  prime256v1: "1.2.840.10045.3.1.7",
  commonName: "2.5.4.3",
  organization: "2.5.4.10",
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  subjectKeyIdentifier: "2.5.29.14",
  authorityKeyIdentifier: "2.5.29.35",
  timeStamping: "1.3.6.1.5.5.7.3.8",
} as const;

/** The imprint hashes a node time-stamps and a verifier takes, with their names, KSI algorithm ids and digest lengths. */
export const TSA_HASHES: ReadonlyMap<
  string,
  { readonly name: string; readonly ksiId: number; readonly length: number }
> = new Map([
  [OID.sha256, { name: "SHA-256", ksiId: HashAlgorithm.SHA2_256, length: 32 }],
  [OID.sha384, { name: "SHA-384", ksiId: HashAlgorithm.SHA2_384, length: 48 }],
  [OID.sha512, { name: "SHA-512", ksiId: HashAlgorithm.SHA2_512, length: 64 }],
]);
