export { ed25519PeerId, type MemberListProblem, memberListProblem } from "./cluster-members.ts";
export { VERIFICATION_CODES, type VerificationCode } from "./codes.ts";
export {
  type ChainOutput,
  type Extender,
  type QuorumMember,
  type QuorumTrust,
  VerificationContext,
  type VerificationOptions,
} from "./context.ts";
export {
  calendarPolicy,
  defaultPolicy,
  internalPolicy,
  keyPolicy,
  publicationPolicy,
  publicationsFilePolicy,
  userPublicationPolicy,
  verifySignature,
} from "./policies.ts";
export { checkQuorumCertificate, type QuorumCheck } from "./quorum-certificate.ts";
export type { VerificationResult, VerificationStatus } from "./result.ts";
export { allOf, anyOf, type Rule, rule } from "./rule.ts";
export { signedHash } from "./signed-hash.ts";
