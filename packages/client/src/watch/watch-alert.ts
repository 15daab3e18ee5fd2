import type { LogProblem, LogProblemCode } from "@tempel/proto";

/**
 * What `tempel watch` raises, each evidence that a log or its signature was tampered with or that
 * the log is no longer being signed:
 * - `record-changed`: a signed line was changed (or a line inserted among the signed ones);
 * - `record-deleted`: a signed line was deleted, or the log was cut;
 * - `records-reordered`: two signed lines were swapped;
 * - `logsig-tampered`: the log signature file was changed or cut (a block's signature, hashes,
 *   links or format);
 * - `signing-stalled`: lines older than the deadline are still not signed (the signer stopped, or
 *   a block was written without a KSI signature).
 */
export type WatchAlertKind =
  | "record-changed"
  | "record-deleted"
  | "records-reordered"
  | "logsig-tampered"
  | "signing-stalled";

export const WATCH_ALERT_KINDS: readonly WatchAlertKind[] = [
  "record-changed",
  "record-deleted",
  "records-reordered",
  "logsig-tampered",
  "signing-stalled",
];

/** The watcher's own findings, beside the verifier's LogProblemCode. */
export type WatchCode =
  | LogProblemCode
  /** The log signature file is shorter than the blocks already verified. */
  | "LOGSIG_TRUNCATED"
  /** The log is shorter than the lines already verified. */
  | "LOG_TRUNCATED"
  /** Lines have waited longer than the deadline for a block to sign them. */
  | "SIGNING_STALLED"
  /** Verified log bytes changed, yet still verify (bytes that are not hashed, such as after a NUL). */
  | "LOG_REWRITTEN"
  /** Verified .logsig bytes changed, yet still verify (a signature extended, or a part the policy does not check). */
  | "LOGSIG_REWRITTEN";

export interface WatchAlert {
  readonly kind: WatchAlertKind;
  readonly code: WatchCode;
  readonly message: string;
  /** The log and its signature file, as named on the command line. */
  readonly log: string;
  readonly logsig: string;
  /** 1-based, when the finding is at a line or block. */
  readonly line?: number;
  readonly block?: number;
  /** Watcher clock, milliseconds since the epoch. */
  readonly raisedAt: number;
  /** Which check saw it: the tail of new blocks, the scan of verified bytes, or the full check. */
  readonly check: "tail" | "scan" | "full" | "deadline";
}

const KIND_OF: Readonly<Record<WatchCode, WatchAlertKind>> = {
  RECORD_CHANGED: "record-changed",
  RECORD_EXTRA: "record-changed",
  RECORD_MISSING: "record-deleted",
  LOG_ENDS_EARLY: "record-deleted",
  LOG_TRUNCATED: "record-deleted",
  LOG_REWRITTEN: "record-changed",
  LOGSIG_REWRITTEN: "logsig-tampered",
  RECORDS_REORDERED: "records-reordered",
  UNSIGNED_RECORDS: "signing-stalled",
  UNSIGNED_BLOCK: "signing-stalled",
  SIGNING_STALLED: "signing-stalled",
  BLOCK_LINK: "logsig-tampered",
  TREE_HASH: "logsig-tampered",
  RECORD_COUNT: "logsig-tampered",
  SIGNATURE: "logsig-tampered",
  SIGNING_TIME_ORDER: "logsig-tampered",
  FORMAT: "logsig-tampered",
  LOGSIG_TRUNCATED: "logsig-tampered",
};

/** The alert kind of a verifier problem; a block whose root no longer matches (GEN-01) had a line changed. */
export function alertKindOf(
  problem: Pick<LogProblem, "code" | "verificationCode"> | { code: WatchCode },
): WatchAlertKind {
  if ("verificationCode" in problem && problem.verificationCode === "GEN-01") return "record-changed";
  return KIND_OF[problem.code];
}
