// The log signature format and its verifier live in @tempel/proto; the SDK's log API is here in one place.
export {
  type BlockVerdict,
  type LogProblem,
  type LogProblemCode,
  LogsigVerifier,
  type LogVerdict,
  verifyLog,
} from "@tempel/proto";
export type { CalendarHead, CertifiedRoot } from "./cluster/calendar-head.ts";
export type { MemberStatus, NodeStatus, NodeStatusReport, NotReadyReason } from "./cluster/node-status.ts";
export {
  AbortedError,
  NetworkError,
  NotYetAvailableError,
  OptionsError,
  ProtocolError,
  ServiceError,
  VerificationError,
} from "./errors.ts";
export { logBlockCheck } from "./logs/block-check.ts";
export {
  type BlockRootSigner,
  LogRecordError,
  LogSigner,
  type LogSignerOptions,
  type LogsigSink,
  logSignerDefaults,
  type SignedBlockInfo,
} from "./logs/log-signer.ts";
export * from "./monitor/index.ts";
export { clientDefaults, type TempelClientOptions } from "./options.ts";
export * from "./records/index.ts";
export { Signature, type SignatureVerifier } from "./signature.ts";
export type { SignInput } from "./signing/sign-input.ts";
export { type SignManyOptions, signManyDefaults } from "./signing/sign-many.ts";
export {
  type ExtendOptions,
  type ExtendTarget,
  type SignOptions,
  TempelClient,
} from "./tempel-client.ts";
export { endpointPoolDefaults } from "./transport/endpoint-pool.ts";
export type { HttpAnswer, HttpRequest, HttpTransport } from "./transport/http-transport.ts";
export { quorumTrustFromGenesis } from "./trust/genesis.ts";
export type { TrustOptions } from "./trust/trust-options.ts";
export { POLICIES, type PolicyName, type VerifyOptions } from "./verification/verify.ts";
export * from "./watch/index.ts";
