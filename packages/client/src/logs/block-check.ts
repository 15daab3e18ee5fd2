import type { BlockSignatureCheck } from "@tempel/proto";
import { Signature, type SignatureVerifier } from "../signature.ts";
import { type VerifyOptions, verifyKsiSignature } from "../verification/verify.ts";

/**
 * How verifyLog (from @tempel/proto) checks each block's KSI signature: as the signature of the
 * block's root at the block's level, under `options`' policy, with what `verifier` (a TempelClient)
 * knows of its cluster; without one, with what the options give alone.
 */
export function logBlockCheck(
  verifier?: SignatureVerifier,
  options: VerifyOptions = {},
): BlockSignatureCheck {
  return (signature, root, level) => {
    const document = { imprint: root };
    const blockOptions = { ...options, level };
    return verifier === undefined
      ? verifyKsiSignature(signature, document, blockOptions, {})
      : verifier.verify(new Signature(signature), document, blockOptions);
  };
}
