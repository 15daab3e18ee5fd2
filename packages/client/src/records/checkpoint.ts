import { checkImprint, type Imprint, TempelError, toHex } from "@tempel/proto";
import { nextVersion } from "./canonical.ts";
import type { RecordProblem } from "./history-problem.ts";
import { type FieldValue, RecordFormatError, type RecordHead, type RecordVersion } from "./record-version.ts";
import {
  type RecordHistoryOptions,
  type RecordHistoryResult,
  type StoredRecordVersion,
  verifyRecordHistory,
} from "./verify-history.ts";

/**
 * A checkpoint is a version of a record of its own (e.g. "checkpoint:health-records") whose fields
 * are the heads of the database's records: record id → u64 version number + hash. Checkpoints are
 * signed and chained like any record's versions, so a checkpoint cannot be changed, dropped from the
 * middle or reordered unseen, and a record's history can be held against the head the newest
 * checkpoint names.
 */
function headValue(head: RecordHead): Uint8Array {
  const out = new Uint8Array(8 + head.hash.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.version));
  out.set(head.hash, 8);
  return out;
}

/** The next checkpoint of `checkpointId`: every record's head, linked to the checkpoint before. */
export function nextCheckpoint(
  checkpointId: string,
  heads: Iterable<RecordHead>,
  previous?: { readonly version: RecordVersion; readonly hash: Imprint },
): RecordVersion {
  const fields: Record<string, FieldValue> = Object.create(null);
  for (const head of heads) {
    if (!Number.isSafeInteger(head.version) || head.version < 1) {
      throw new RecordFormatError(
        "CHECKPOINT_HEAD",
        `record ${head.recordId}: version ${head.version} is not 1, 2, …`,
      );
    }
    if (Object.hasOwn(fields, head.recordId)) {
      throw new RecordFormatError("CHECKPOINT_HEAD", `record ${head.recordId} has two heads`);
    }
    checkImprint(head.hash, `record ${head.recordId}'s head hash`);
    fields[head.recordId] = headValue(head);
  }
  return nextVersion(checkpointId, fields, previous);
}

/** The heads a checkpoint names, by record id; throws RecordFormatError for a malformed one. */
export function checkpointHeads(checkpoint: RecordVersion): Map<string, RecordHead> {
  const heads = new Map<string, RecordHead>();
  const { fields } = checkpoint;
  if (typeof fields !== "object" || fields === null) {
    throw new RecordFormatError(
      "CHECKPOINT_HEAD",
      `checkpoint ${checkpoint.recordId}: the fields are not an object`,
    );
  }
  for (const [recordId, value] of Object.entries(fields)) {
    const where = `checkpoint ${checkpoint.recordId} version ${checkpoint.version}, record ${recordId}`;
    if (!(value instanceof Uint8Array) || value.length < 9) {
      throw new RecordFormatError("CHECKPOINT_HEAD", `${where}: not a version number and hash`);
    }
    const version = new DataView(value.buffer, value.byteOffset, value.byteLength).getBigUint64(0);
    if (version < 1n || version > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new RecordFormatError("CHECKPOINT_HEAD", `${where}: version ${version} is out of range`);
    }
    heads.set(recordId, { recordId, version: Number(version), hash: checkImprint(value.slice(8), where) });
  }
  return heads;
}

export interface CheckpointsResult extends RecordHistoryResult {
  /** The heads of the newest checkpoint presented, when it verified. */
  readonly heads?: ReadonlyMap<string, RecordHead>;
}

/** Heads that went back between two consecutive checkpoints: each is a ROLLBACK or a FORKED record. */
function compareHeads(
  before: ReadonlyMap<string, RecordHead>,
  after: ReadonlyMap<string, RecordHead>,
  checkpoint: number,
  problems: RecordProblem[],
): void {
  for (const [recordId, old] of before) {
    const now = after.get(recordId);
    const where = `checkpoint ${checkpoint - 1} names version ${old.version}, checkpoint ${checkpoint}`;
    if (now === undefined || now.version < old.version) {
      problems.push({
        code: "ROLLBACK",
        recordId,
        version: old.version,
        message: `${where} ${now === undefined ? "drops the record" : `goes back to version ${now.version}`}`,
      });
    } else if (now.version === old.version && toHex(now.hash) !== toHex(old.hash)) {
      problems.push({
        code: "FORKED",
        recordId,
        version: old.version,
        message: `${where} names another version ${old.version}`,
      });
    }
  }
}

/**
 * Verify a chain of checkpoints as a record history, and that no record's head goes back or
 * disappears from one checkpoint to the next. The newest checkpoint's heads then serve as `latest`
 * for verifyRecordHistory; how recent it is (newest.signedAt) is the auditor's to judge: a rollback
 * after the newest checkpoint is not seen.
 */
export async function verifyCheckpoints(
  checkpointId: string,
  stored: readonly StoredRecordVersion[],
  options: RecordHistoryOptions = {},
): Promise<CheckpointsResult> {
  const history = await verifyRecordHistory(checkpointId, stored, options);
  const problems = [...history.problems];
  const sorted = [...stored].sort((a, b) => a.version.version - b.version.version);
  let before: ReadonlyMap<string, RecordHead> | undefined;
  let newestHeads: ReadonlyMap<string, RecordHead> | undefined;
  for (const { version } of sorted) {
    let heads: Map<string, RecordHead> | undefined;
    try {
      heads = checkpointHeads(version);
    } catch (error) {
      if (!(error instanceof TempelError)) throw error;
      problems.push({
        code: "VERSION_INVALID",
        recordId: checkpointId,
        version: version.version,
        message: error.message,
      });
    }
    if (before !== undefined && heads !== undefined) compareHeads(before, heads, version.version, problems);
    before = heads;
    newestHeads = heads;
  }
  const ok = problems.length === 0;
  return { ...history, ok, problems, ...(ok && newestHeads !== undefined && { heads: newestHeads }) };
}
