const RSA_KEY = "1.2.840.113549.1.1.1";
const EC_KEY = "1.2.840.10045.2.1";

/**
 * Signature algorithms a calendar authentication record may use, by OID, with the public key type
 * each needs. Nothing else is accepted: no MD5, no RSA-PSS with exotic parameters.
 */
export const SIGNATURE_ALGORITHMS: ReadonlyMap<
  string,
  { readonly name: string; readonly keyAlgorithm: string }
> = new Map([
  ["1.2.840.113549.1.1.5", { name: "sha1WithRSAEncryption", keyAlgorithm: RSA_KEY }],
  ["1.2.840.113549.1.1.11", { name: "sha256WithRSAEncryption", keyAlgorithm: RSA_KEY }],
  ["1.2.840.113549.1.1.12", { name: "sha384WithRSAEncryption", keyAlgorithm: RSA_KEY }],
  ["1.2.840.113549.1.1.13", { name: "sha512WithRSAEncryption", keyAlgorithm: RSA_KEY }],
  ["1.2.840.10045.4.3.2", { name: "ecdsa-with-SHA256", keyAlgorithm: EC_KEY }],
  ["1.2.840.10045.4.3.3", { name: "ecdsa-with-SHA384", keyAlgorithm: EC_KEY }],
  ["1.2.840.10045.4.3.4", { name: "ecdsa-with-SHA512", keyAlgorithm: EC_KEY }],
]);
