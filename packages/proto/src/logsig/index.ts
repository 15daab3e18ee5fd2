export {
  type ClosedBlock,
  LogBlockBuilder,
  signedBlockElement,
  unsignedBlockElement,
} from "./block-builder.ts";
export { LogBlockTree, type RecordStep } from "./block-tree.ts";
export {
  type BlockHeader,
  type BlockSignature,
  decodeLogsigElement,
  encodeLogsigElement,
  encodeMetaRecord,
  type LogsigElement,
  type MetaRecord,
  metaRecordText,
  type RecordHash,
  type TreeHash,
  type UnknownElement,
} from "./elements.ts";
export { LogsigFormatError } from "./errors.ts";
export {
  decodeLogsigFile,
  encodeLogsigFile,
  type LogsigBlock,
  LogsigBlockReader,
  type LogsigFile,
  logsigBlocks,
  logsigMagicBytes,
  readMagic,
} from "./file.ts";
export { LineSplitter, recordBytes } from "./lines.ts";
export type { LogProblem, LogProblemCode } from "./problems.ts";
export { recordSignature } from "./record-signature.ts";
export { BLOCK_CLOSE_REASON_KEY, LogsigMagic, type LogsigMagicName, LogsigTag } from "./tags.ts";
export {
  type BlockHashes,
  type BlockSignatureCheck,
  type BlockVerdict,
  type CheckedBlock,
  type LineSource,
  LogsigVerifier,
  type LogsigVerifierOptions,
} from "./verifier.ts";
export {
  type BlockHasher,
  type LineRanges,
  type LogBytes,
  LogLineQueue,
  type LogVerdict,
  lineRangesSource,
  type VerifyLogOptions,
  verifyLog,
} from "./verify-log.ts";
