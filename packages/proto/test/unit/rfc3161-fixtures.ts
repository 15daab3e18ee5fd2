import { derAlgorithm, derInteger, derSequence, OID, type TokenSigner } from "../../src/index.ts";

/**
 * A token signer with empty certificate and issuer: enough for tests of the token's bytes, whose
 * signature nobody checks against a certificate.
 */
export function placeholderSigner(): TokenSigner {
  return {
    certificate: derSequence(),
    issuer: derSequence(),
    serialNumber: derInteger(7),
    chain: [],
    signatureAlgorithm: derAlgorithm(OID.ecdsaWithSha256),
  };
}
