/**
 * What a log verification can find wrong, by code. FAIL unless noted: the log or its signature file
 * was changed (or they do not belong together).
 */
export type LogProblemCode =
  /** A log line differs from the record that was signed. */
  | "RECORD_CHANGED"
  /** A signed record is missing from the log (a line deleted). */
  | "RECORD_MISSING"
  /** The log has a line that was not signed in its place (a line inserted). */
  | "RECORD_EXTRA"
  /** Two lines are swapped. */
  | "RECORDS_REORDERED"
  /** The log ends before the last signed record (lines removed from the end). */
  | "LOG_ENDS_EARLY"
  /** Lines after the last signed record (appended, or not signed yet). */
  | "UNSIGNED_RECORDS"
  /** A block does not continue the one before it: blocks removed, reordered or inserted. */
  | "BLOCK_LINK"
  /** A stored tree hash differs from the one computed (the seed or a hash was changed). */
  | "TREE_HASH"
  /** The block's record count and its stored record hashes disagree. */
  | "RECORD_COUNT"
  /** The block's KSI signature does not verify for its root, or is not one. */
  | "SIGNATURE"
  /** A block is signed earlier than the block before it. */
  | "SIGNING_TIME_ORDER"
  /** NA: a block has no KSI signature (the signer could not reach the service). */
  | "UNSIGNED_BLOCK"
  /** The signature file breaks the format. */
  | "FORMAT";

export interface LogProblem {
  readonly code: LogProblemCode;
  readonly result: "FAIL" | "NA";
  /** The 1-based block number, when the problem is in a block. */
  readonly block?: number;
  /** The 1-based line number of the first record concerned, when one is. */
  readonly line?: number;
  readonly message: string;
  /** The KSI verification code, for SIGNATURE problems (e.g. GEN-01: the block's content changed). */
  readonly verificationCode?: string;
}
