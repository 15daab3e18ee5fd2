export { type Agency, AgencyRegistry } from "./agency.ts";
export { calendarAuthRecord } from "./auth-record.ts";
export { BlockBuilder, type LocalTree } from "./block-tree.ts";
export {
  HashRequestError,
  type HashRequestErrorCode,
  RoundRejection,
  type RoundRejectionCode,
} from "./errors.ts";
export { checkHashRequest } from "./hash-request.ts";
export { defaultRoundOptions, type RoundOptions } from "./options.ts";
export { RoundAnswer, type SignedLeaves } from "./round-answer.ts";
export { type HashRequest, type RoundModules, RoundPipeline } from "./rounds.ts";
export type { RoundSubmitter, SignedHashes } from "./submitter.ts";
