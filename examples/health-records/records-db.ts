import { DatabaseSync } from "node:sqlite";
import {
  type FieldValue,
  nextCheckpoint,
  nextVersion,
  type RecordHead,
  type RecordVersion,
  recordVersionHash,
  type SignedRecordVersion,
  type StoredRecordVersion,
  signRecordVersions,
  type TempelClient,
} from "@tempel/client";
import { fromHex, toHex } from "@tempel/proto";

/**
 * A health-record database in SQLite (node:sqlite): every version of every record is a row, and its
 * proof (the KSI signature of its hash) is stored in the same row once signed. Checkpoints — every
 * record's head, signed with the versions — are rows of the record CHECKPOINTS.
 */
export const CHECKPOINTS = "checkpoint:health-records";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS record_versions (
  record_id TEXT NOT NULL,
  version   INTEGER NOT NULL,
  previous  BLOB,              -- hash of the version before (canonical encoding, SHA-256)
  fields    TEXT NOT NULL,     -- JSON; bytes as {"hex": "..."}
  hash      BLOB NOT NULL,     -- hash of this version's canonical encoding
  proof     BLOB,              -- its KSI signature (.ksig bytes); NULL until signed
  PRIMARY KEY (record_id, version)
) STRICT`;

interface Row {
  record_id: string;
  version: number;
  previous: Uint8Array | null;
  fields: string;
  hash: Uint8Array;
  proof: Uint8Array | null;
}

function fieldsToJson(fields: Readonly<Record<string, FieldValue>>): string {
  return JSON.stringify(fields, (_key, value: unknown) =>
    value instanceof Uint8Array ? { hex: toHex(value) } : value,
  );
}

function fieldsFromJson(json: string): Record<string, FieldValue> {
  return JSON.parse(json, (_key, value: unknown) =>
    typeof value === "object" && value !== null && "hex" in value && typeof value.hex === "string"
      ? (fromHex(value.hex) ?? value)
      : value,
  ) as Record<string, FieldValue>;
}

function versionOf(row: Row): RecordVersion {
  return {
    recordId: row.record_id,
    version: row.version,
    ...(row.previous !== null && { previous: row.previous }),
    fields: fieldsFromJson(row.fields),
  };
}

export class HealthRecords {
  readonly db: DatabaseSync;

  constructor(path: string) {
    this.db = new DatabaseSync(path);
    this.db.exec(SCHEMA);
  }

  close(): void {
    this.db.close();
  }

  #latest(recordId: string): Row | undefined {
    return this.db
      .prepare("SELECT * FROM record_versions WHERE record_id = ? ORDER BY version DESC LIMIT 1")
      .get(recordId) as Row | undefined;
  }

  #insert(version: RecordVersion): void {
    this.db
      .prepare(
        "INSERT INTO record_versions (record_id, version, previous, fields, hash) VALUES (?, ?, ?, ?, ?)",
      )
      .run(
        version.recordId,
        version.version,
        version.previous ?? null,
        fieldsToJson(version.fields),
        recordVersionHash(version),
      );
  }

  /** A new version of `recordId`: its fields are the newest version's with `changes` applied. */
  write(recordId: string, changes: Readonly<Record<string, FieldValue>>): RecordVersion {
    const latest = this.#latest(recordId);
    const before = latest === undefined ? undefined : versionOf(latest);
    const version = nextVersion(
      recordId,
      { ...before?.fields, ...changes },
      before === undefined ? undefined : { version: before, hash: latest!.hash },
    );
    this.#insert(version);
    return version;
  }

  /**
   * Adds a checkpoint of every record's head, then signs every unsigned version with it: one
   * signMany call, one request to the cluster per 4096 versions. A run that dies half way leaves
   * rows without proofs, which the next run signs.
   */
  async sign(client: TempelClient): Promise<SignedRecordVersion[]> {
    const heads = (
      this.db
        .prepare(
          "SELECT record_id, MAX(version) AS version, hash FROM record_versions WHERE record_id != ? GROUP BY record_id",
        )
        .all(CHECKPOINTS) as { record_id: string; version: number; hash: Uint8Array }[]
    ).map((row): RecordHead => ({ recordId: row.record_id, version: row.version, hash: row.hash }));
    const last = this.#latest(CHECKPOINTS);
    this.#insert(
      nextCheckpoint(
        CHECKPOINTS,
        heads,
        last === undefined ? undefined : { version: versionOf(last), hash: last.hash },
      ),
    );
    const unsigned = this.db
      .prepare("SELECT * FROM record_versions WHERE proof IS NULL ORDER BY record_id, version")
      .all() as unknown as Row[];
    const signed = await signRecordVersions(client, unsigned.map(versionOf));
    const store = this.db.prepare("UPDATE record_versions SET proof = ? WHERE record_id = ? AND version = ?");
    this.db.exec("BEGIN");
    for (const { version, proof } of signed) store.run(proof.encode(), version.recordId, version.version);
    this.db.exec("COMMIT");
    return signed;
  }

  /** Every signed version, by record id, with its proof's bytes (verifyRecordHistory decodes them). */
  histories(): Map<string, StoredRecordVersion[]> {
    const rows = this.db
      .prepare("SELECT * FROM record_versions WHERE proof IS NOT NULL ORDER BY record_id, version")
      .all() as unknown as Row[];
    const out = new Map<string, StoredRecordVersion[]>();
    for (const row of rows) {
      const list = out.get(row.record_id) ?? [];
      list.push({ version: versionOf(row), proof: row.proof! });
      out.set(row.record_id, list);
    }
    return out;
  }
}
