import type { VerificationResult } from "@tempel/proto";

/**
 * Why a record's history does not hold (docs/logs.md, "Record history"):
 * - VERSION_CHANGED: the version's hash is not the hash its proof signs (fields edited, proof swapped
 *   or replaced, version moved from another record);
 * - VERSION_INVALID: the stored version has no canonical encoding (a value of a wrong kind);
 * - PROOF_UNREADABLE: the stored proof's bytes are not a KSI signature;
 * - WRONG_RECORD: a version of another record is among the record's versions;
 * - VERSION_MISSING: a version number is skipped (deleted), or the history does not start at 1;
 * - VERSION_DUPLICATE: two versions bear the same number;
 * - LINK_BROKEN: the previous-version hash inside a version is not the hash of the version before it;
 * - OUT_OF_ORDER: a version was signed before the version it follows;
 * - SIGNATURE_FAIL / SIGNATURE_NA: the proof does not verify (FAIL), or cannot be decided (NA), under
 *   the caller's policy and trust;
 * - ROLLBACK: the history ends before the known head (newer versions hidden or deleted), or a
 *   checkpoint's head of a record is older than in the checkpoint before;
 * - FORKED: the version at the head's number is not the one the head names.
 */
export type RecordProblemCode =
  | "VERSION_CHANGED"
  | "VERSION_INVALID"
  | "PROOF_UNREADABLE"
  | "WRONG_RECORD"
  | "VERSION_MISSING"
  | "VERSION_DUPLICATE"
  | "LINK_BROKEN"
  | "OUT_OF_ORDER"
  | "SIGNATURE_FAIL"
  | "SIGNATURE_NA"
  | "ROLLBACK"
  | "FORKED";

export interface RecordProblem {
  readonly code: RecordProblemCode;
  readonly recordId: string;
  readonly version: number;
  readonly message: string;
  /** The proof's verification result, for SIGNATURE_FAIL and SIGNATURE_NA. */
  readonly verification?: VerificationResult;
}
