import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import type { X509Certificate } from "./certificate.ts";
import { PkiError } from "./pki-error.ts";
import { SIGNATURE_ALGORITHMS } from "./signature-algorithms.ts";

/**
 * Whether `signature` (as X.509 writes it: PKCS#1 v1.5 bytes, or a DER ECDSA signature) by the
 * certificate's key over `data` verifies under `algorithmOid`. Runs on WebCrypto, so in browsers and
 * Node alike; pkijs turns a DER ECDSA signature into the r‖s form WebCrypto expects. Throws PkiError
 * when the algorithm is not supported or does not fit the key, since then nothing was checked.
 */
export async function verifyRawSignature(
  certificate: X509Certificate,
  algorithmOid: string,
  signature: Uint8Array,
  data: Uint8Array,
): Promise<boolean> {
  const algorithm = SIGNATURE_ALGORITHMS.get(algorithmOid);
  if (algorithm === undefined) {
    throw new PkiError(
      "SIGNATURE_ALGORITHM_UNSUPPORTED",
      `signature algorithm ${algorithmOid} is not supported`,
    );
  }
  const keyInfo = certificate.parsed.subjectPublicKeyInfo;
  if (keyInfo.algorithm.algorithmId !== algorithm.keyAlgorithm) {
    throw new PkiError(
      "SIGNATURE_ALGORITHM_KEY_MISMATCH",
      `${algorithm.name} needs a ${algorithm.keyAlgorithm} key, the certificate has ${keyInfo.algorithm.algorithmId}`,
    );
  }
  try {
    return await pkijs
      .getCrypto(true)
      .verifyWithPublicKey(
        data.slice(),
        new asn1js.OctetString({ valueHex: signature }),
        keyInfo,
        new pkijs.AlgorithmIdentifier({ algorithmId: algorithmOid }),
      );
  } catch {
    // A signature that does not even decode (bad DER, r or s longer than the curve) verifies nothing.
    return false;
  }
}
