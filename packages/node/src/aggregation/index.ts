export { type Agency, type AgencyConfig, AgencyRegistry } from "./agency.ts";
export { calendarAuthRecord } from "./auth-record.ts";
export { BlockBuilder, type LocalTree } from "./block-tree.ts";
export {
  HashRequestError,
  type HashRequestErrorCode,
  RoundRejection,
  type RoundRejectionCode,
} from "./errors.ts";
export { checkHashRequest } from "./hash-request.ts";
export type { RoundMetrics } from "./metrics.ts";
export { defaultRoundOptions, type RoundOptions } from "./options.ts";
export { RoundAnswer, type SignedLeaves } from "./round-answer.ts";
export { ROUND_STAGES, type RoundStage } from "./round-lifecycle.ts";
export { type HashRequest, type RoundModules, RoundPipeline } from "./rounds.ts";
export type { RoundSubmitter, SignedHashes } from "./submitter.ts";
