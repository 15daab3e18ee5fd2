import { bytesEqual, hashImprint, type Imprint, imprintAlgorithm, TempelError, toHex } from "@tempel/proto";
import { OptionsError } from "../errors.ts";
import { Signature, type SignatureVerifier } from "../signature.ts";
import type { VerifyOptions } from "../verification/verify.ts";
import { encodeRecordVersion } from "./canonical.ts";
import type { RecordProblem } from "./history-problem.ts";
import type { RecordHead, RecordVersion } from "./record-version.ts";

/**
 * A version as stored, with its proof: a Signature decoded by the client whose trust is to judge it,
 * or the stored .ksig bytes, decoded here with `verifier` (so that unreadable bytes are a problem of
 * that version, PROOF_UNREADABLE, and not a thrown error).
 */
export interface StoredRecordVersion {
  readonly version: RecordVersion;
  readonly proof: Signature | Uint8Array;
}

/** The newest version known from outside: its number, and its hash when known (to tell a fork). */
export type KnownHead = Omit<RecordHead, "hash"> & { readonly hash?: Imprint };

export interface RecordHistoryOptions extends VerifyOptions {
  /**
   * The record's newest version as known from outside the database — a head the auditor kept, or one
   * read from a verified checkpoint (checkpointHeads). Without it a history cut short after any
   * version looks whole: see ROLLBACK.
   */
  readonly latest?: KnownHead;
  /** What verifies proofs given as bytes: the TempelClient whose trust is to judge them. */
  readonly verifier?: SignatureVerifier;
}

export interface RecordHistoryResult {
  readonly recordId: string;
  /** Whether every version verified, none is missing, and the history reaches `latest`. */
  readonly ok: boolean;
  /** The versions presented. */
  readonly versions: number;
  /** The newest version presented, with its hash and the second its proof was made in. */
  readonly newest?: { readonly version: number; readonly hash: Imprint; readonly signedAt: number };
  /** Every problem found, by version. */
  readonly problems: readonly RecordProblem[];
}

/** A presented version that is what its proof signs, or undefined once a problem is recorded. */
interface Checked {
  readonly version: RecordVersion;
  readonly hash: Imprint;
  readonly proof: Signature;
}

async function checkVersion(
  stored: StoredRecordVersion,
  recordId: string,
  options: VerifyOptions,
  verifier: SignatureVerifier | undefined,
  problems: RecordProblem[],
): Promise<Checked | undefined> {
  const { version } = stored;
  const at = { recordId, version: version.version };
  if (version.recordId !== recordId) {
    problems.push({
      code: "WRONG_RECORD",
      ...at,
      message: `version ${version.version} is of record ${version.recordId}`,
    });
    return undefined;
  }
  let proof: Signature;
  try {
    proof = stored.proof instanceof Signature ? stored.proof : Signature.decode(stored.proof, verifier);
  } catch (error) {
    if (!(error instanceof TempelError)) throw error;
    problems.push({
      code: "PROOF_UNREADABLE",
      ...at,
      message: `version ${version.version}: its proof is not a KSI signature (${error.message})`,
    });
    return undefined;
  }
  let bytes: Uint8Array;
  let hash: Imprint;
  try {
    bytes = encodeRecordVersion(version);
    hash = hashImprint(imprintAlgorithm(proof.inputHash), bytes, verifier?.hasher);
  } catch (error) {
    if (!(error instanceof TempelError)) throw error;
    problems.push({
      code: "VERSION_INVALID",
      ...at,
      message: `version ${version.version}: ${error.message}`,
    });
    return undefined;
  }
  if (!bytesEqual(hash, proof.inputHash)) {
    problems.push({
      code: "VERSION_CHANGED",
      ...at,
      message: `version ${version.version} hashes to ${toHex(hash)} but its proof signs ${toHex(proof.inputHash)}: the version or its proof was changed`,
    });
    return undefined;
  }
  const verification = await proof.verify(bytes, options);
  if (verification.result !== "OK") {
    problems.push({
      code: verification.result === "FAIL" ? "SIGNATURE_FAIL" : "SIGNATURE_NA",
      ...at,
      message: `version ${version.version}: its proof is ${verification.result} (${verification.code ?? ""} ${verification.message ?? ""})`,
      verification,
    });
    return undefined;
  }
  return { version, hash, proof };
}

/** Checks the link of `current` to `before`, the version numbered just below it. */
function checkLink(before: Checked, current: Checked, recordId: string, problems: RecordProblem[]): void {
  const number = current.version.version;
  const previous = current.version.previous!;
  const expected = headHash(before.version, previous);
  if (!sameHash(expected, previous)) {
    problems.push({
      code: "LINK_BROKEN",
      recordId,
      version: number,
      message: `version ${number} follows a version ${number - 1} other than the one presented`,
    });
  } else if (current.proof.aggregationTime < before.proof.aggregationTime) {
    problems.push({
      code: "OUT_OF_ORDER",
      recordId,
      version: number,
      message: `version ${number} was signed at ${current.proof.aggregationTime}, before version ${number - 1} (${before.proof.aggregationTime})`,
    });
  }
}

function missing(recordId: string, from: number, to: number): RecordProblem {
  const which = from === to ? `version ${from} is` : `versions ${from}–${to} are`;
  return { code: "VERSION_MISSING", recordId, version: from, message: `${which} missing` };
}

/**
 * Verify a record's history: every version is what its proof signs and the proof verifies under
 * `options` (policy and the proof's client's trust, as Signature.verify); the numbers run 1, 2, …
 * without a gap and each version links to the one before; and, given `latest`, nothing after it was
 * hidden. Problems are values naming the record and version; only bad options and the failures
 * Signature.verify throws (an unreachable publications file, an abort) are thrown.
 */
export async function verifyRecordHistory(
  recordId: string,
  stored: readonly StoredRecordVersion[],
  options: RecordHistoryOptions = {},
): Promise<RecordHistoryResult> {
  const { latest, verifier, ...verifyOptions } = options;
  if (latest !== undefined && latest.recordId !== recordId) {
    throw new OptionsError(`latest is the head of record ${latest.recordId}, not of ${recordId}`);
  }
  const problems: RecordProblem[] = [];
  const sorted = [...stored].sort((a, b) => a.version.version - b.version.version);
  // Versions are verified one after the other: under the calendar policy each asks the extender.
  const checked = new Map<number, Checked>();
  let expectedNext = 1;
  for (const entry of sorted) {
    const number = entry.version.version;
    if (Number.isSafeInteger(number) && number === expectedNext - 1 && number >= 1) {
      problems.push({
        code: "VERSION_DUPLICATE",
        recordId,
        version: number,
        message: `version ${number} is there twice`,
      });
      checked.delete(number);
      continue;
    }
    if (Number.isSafeInteger(number) && number > expectedNext) {
      problems.push(missing(recordId, expectedNext, number - 1));
    }
    const ok = await checkVersion(entry, recordId, verifyOptions, verifier, problems);
    if (ok !== undefined) checked.set(number, ok);
    if (Number.isSafeInteger(number) && number >= expectedNext) expectedNext = number + 1;
  }
  for (const [number, current] of checked) {
    const before = checked.get(number - 1);
    if (before !== undefined) checkLink(before, current, recordId, problems);
  }
  const last = sorted.at(-1);
  const newest = last === undefined ? undefined : checked.get(last.version.version);
  if (latest !== undefined) checkHead(latest, expectedNext - 1, checked, problems);
  problems.sort((a, b) => a.version - b.version);
  return {
    recordId,
    ok: problems.length === 0,
    versions: stored.length,
    ...(newest !== undefined && {
      newest: { version: newest.version.version, hash: newest.hash, signedAt: newest.proof.aggregationTime },
    }),
    problems,
  };
}

function sameHash(a: Imprint | undefined, b: Imprint): boolean {
  return a !== undefined && bytesEqual(a, b);
}

/** The hash of `version` under the algorithm of `like`, or undefined when that algorithm is unknown. */
function headHash(version: RecordVersion, like: Imprint): Imprint | undefined {
  try {
    return hashImprint(imprintAlgorithm(like), encodeRecordVersion(version));
  } catch (error) {
    if (!(error instanceof TempelError)) throw error;
    return undefined;
  }
}

/** Whether the history reaches `latest`, the newest version known from outside. */
function checkHead(
  latest: KnownHead,
  presented: number,
  checked: ReadonlyMap<number, Checked>,
  problems: RecordProblem[],
): void {
  const { recordId, version } = latest;
  if (presented < version) {
    problems.push({
      code: "ROLLBACK",
      recordId,
      version,
      message: `the history ends at version ${presented}, but version ${version} is known to exist: newer versions were hidden or deleted`,
    });
    return;
  }
  const at = checked.get(version);
  const { hash } = latest;
  if (hash !== undefined && at !== undefined && !sameHash(headHash(at.version, hash), hash)) {
    problems.push({
      code: "FORKED",
      recordId,
      version,
      message: `version ${version} is not the version ${version} the head names (${toHex(hash)})`,
    });
  }
}
