import { OID } from "./oids.ts";

/**
 * Signature algorithms a calendar authentication record may use, by OID, with the public key type
 * each needs. Nothing else is accepted: no MD5, no RSA-PSS with exotic parameters.
 */
export const SIGNATURE_ALGORITHMS: ReadonlyMap<
  string,
  { readonly name: string; readonly keyAlgorithm: string }
> = new Map([
  [OID.sha1WithRsa, { name: "sha1WithRSAEncryption", keyAlgorithm: OID.rsaEncryption }],
  [OID.sha256WithRsa, { name: "sha256WithRSAEncryption", keyAlgorithm: OID.rsaEncryption }],
  [OID.sha384WithRsa, { name: "sha384WithRSAEncryption", keyAlgorithm: OID.rsaEncryption }],
  [OID.sha512WithRsa, { name: "sha512WithRSAEncryption", keyAlgorithm: OID.rsaEncryption }],
  [OID.ecdsaWithSha256, { name: "ecdsa-with-SHA256", keyAlgorithm: OID.ecPublicKey }],
  [OID.ecdsaWithSha384, { name: "ecdsa-with-SHA384", keyAlgorithm: OID.ecPublicKey }],
  [OID.ecdsaWithSha512, { name: "ecdsa-with-SHA512", keyAlgorithm: OID.ecPublicKey }],
]);
