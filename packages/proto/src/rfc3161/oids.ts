import { HashAlgorithm } from "../hash/algorithms.ts";
import { OID } from "../pki/oids.ts";

/**
 * Tempel's own arc: the UUID arc (ITU-T X.667) of UUID 79e03b81-384b-4344-9747-36edebd5f2da, which
 * needs no registration. Under it `.1` holds TSA policies and `.2` CMS attributes (docs/rfc3161.md).
 * The standard OIDs are in pki/oids.ts.
 */
export const TEMPEL_ARC = "2.25.162000868886308349449106160060397384410";
/** TSTInfo.policy of a node unless it is configured with another. */
export const TEMPEL_TSA_POLICY = `${TEMPEL_ARC}.1.1`;
/**
 * id-aa-tempelKsiSignature: an unsigned attribute of the token's SignerInfo whose one value is an
 * OCTET STRING holding a KSI signature (TLV 0x0800) of the message imprint, aggregated at genTime.
 */
export const TEMPEL_KSI_SIGNATURE_ATTRIBUTE = `${TEMPEL_ARC}.2.1`;

/** The imprint hashes a node time-stamps and a verifier takes, with their names, KSI algorithm ids and digest lengths. */
export const TSA_HASHES: ReadonlyMap<
  string,
  { readonly name: string; readonly ksiId: number; readonly length: number }
> = new Map([
  [OID.sha256, { name: "SHA-256", ksiId: HashAlgorithm.SHA2_256, length: 32 }],
  [OID.sha384, { name: "SHA-384", ksiId: HashAlgorithm.SHA2_384, length: 48 }],
  [OID.sha512, { name: "SHA-512", ksiId: HashAlgorithm.SHA2_512, length: 64 }],
]);
