export { encodeRecordVersion, nextVersion, recordVersionHash } from "./canonical.ts";
export { type CheckpointsResult, checkpointHeads, nextCheckpoint, verifyCheckpoints } from "./checkpoint.ts";
export type { RecordProblem, RecordProblemCode } from "./history-problem.ts";
export {
  type FieldValue,
  RecordFormatError,
  type RecordHead,
  type RecordVersion,
  recordLimits,
} from "./record-version.ts";
export {
  type RecordSigner,
  type SignedRecordVersion,
  type SignVersionsOptions,
  signRecordVersions,
} from "./sign-versions.ts";
export {
  type KnownHead,
  type RecordHistoryOptions,
  type RecordHistoryResult,
  type StoredRecordVersion,
  verifyRecordHistory,
} from "./verify-history.ts";
