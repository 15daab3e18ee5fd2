import type { KsiSignature } from "../signature/types.ts";
import { VerificationContext, type VerificationOptions } from "./context.ts";
import { calendarDatabaseRule } from "./extender-rules.ts";
import { internalPolicy } from "./internal-policy.ts";
import { keyRule } from "./key-rules.ts";
import { publicationRule, publicationsFileRule, userPublicationRule } from "./publication-rules.ts";
import type { VerificationResult } from "./result.ts";
import { allOf, anyOf, type Rule } from "./rule.ts";

export { internalPolicy };

/** Internal checks, then the extender's calendar (needs `options.extender`). */
export const calendarPolicy = allOf("CalendarPolicy", [internalPolicy, calendarDatabaseRule]);

/** Internal checks, then key-based certification: a quorum of the members when `quorumTrust` is given, else any listed key (KSI). */
export const keyPolicy = allOf("KeyPolicy", [internalPolicy, keyRule]);

/** Internal checks, then the user's publication (needs `options.userPublication`). */
export const userPublicationPolicy = allOf("UserPublicationPolicy", [internalPolicy, userPublicationRule]);

/** Internal checks, then the publications file (needs `options.publicationsFile`). */
export const publicationsFilePolicy = allOf("PublicationsFilePolicy", [internalPolicy, publicationsFileRule]);

/** Internal checks, then the user's publication when given, else the publications file. */
export const publicationPolicy = allOf("PublicationPolicy", [internalPolicy, publicationRule]);

/**
 * KSI's general policy: internal checks, then publication-based verification (the keyless end
 * state), falling back to key-based when no publication can decide yet.
 */
export const defaultPolicy = allOf("DefaultPolicy", [
  internalPolicy,
  anyOf("Trust", [publicationRule, keyRule]),
]);

/** Verify `signature` under `policy`; a bad signature is a FAIL or NA result, never an exception. */
export function verifySignature(
  signature: KsiSignature,
  options: VerificationOptions = {},
  policy: Rule = defaultPolicy,
): Promise<VerificationResult> {
  return policy.verify(new VerificationContext(signature, options));
}
