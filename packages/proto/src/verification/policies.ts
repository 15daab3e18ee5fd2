import type { KsiSignature } from "../signature/types.ts";
import { VerificationContext, type VerificationOptions } from "./context.ts";
import { calendarDatabaseRule } from "./extender-rules.ts";
import { internalPolicy } from "./internal-policy.ts";
import { keyRule } from "./key-rules.ts";
import { publicationRule, publicationsFileRule, userPublicationRule } from "./publication-rules.ts";
import type { VerificationResult } from "./result.ts";
import { allOf, anyOf, evaluate, type Rule, rule } from "./rule.ts";

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

const fileOrKey = anyOf("PublicationsFileOrKey", [publicationsFileRule, keyRule]);

/**
 * KSI's general policy (libksi's GENERAL): internal checks, then the user's publication when one is
 * given, and nothing else (an NA stays NA: the user asked about that publication); otherwise the
 * publications file (the keyless end state), falling back to key-based when it cannot decide yet.
 */
export const defaultPolicy = allOf("DefaultPolicy", [
  internalPolicy,
  rule("Trust", (context) =>
    evaluate(context.options.userPublication !== undefined ? userPublicationRule : fileOrKey, context),
  ),
]);

/** Verify `signature` under `policy`; a bad signature is a FAIL or NA result, never an exception. */
export function verifySignature(
  signature: KsiSignature,
  options: VerificationOptions = {},
  policy: Rule = defaultPolicy,
): Promise<VerificationResult> {
  return policy.verify(new VerificationContext(signature, options));
}
