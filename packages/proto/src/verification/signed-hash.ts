import type { Imprint } from "../hash/imprint.ts";
import type { KsiSignature } from "../signature/types.ts";

/** The hash a signature covers: its RFC 3161 record's input when it has one, else its first chain's. */
export function signedHash(signature: KsiSignature): Imprint {
  return signature.rfc3161Record?.inputHash ?? signature.aggregationChains[0]!.inputHash;
}
