import { type Imprint, TempelError } from "@tempel/proto";

/**
 * A field's value. Numbers are safe integers only: a float has no single obvious byte form, so a
 * decimal is kept as text; bytes are kept as they are.
 */
export type FieldValue = string | number | boolean | null | Uint8Array;

/**
 * One version of a record, as it is signed: the record's id, its version number (1, 2, …) and, from
 * version 2 on, the hash of the version before it, so that a version cannot be moved to another
 * record, renumbered or put after another predecessor without its signature failing.
 */
export interface RecordVersion {
  readonly recordId: string;
  readonly version: number;
  /** The hash of version `version - 1` (recordVersionHash); absent in version 1. */
  readonly previous?: Imprint;
  readonly fields: Readonly<Record<string, FieldValue>>;
}

/** What is known of a record's newest version: its number and hash. */
export interface RecordHead {
  readonly recordId: string;
  readonly version: number;
  readonly hash: Imprint;
}

/** A record version that cannot be encoded: the code and message say which part is wrong. */
export class RecordFormatError extends TempelError {}

/** Bounds on what is encoded, so that stored data from outside cannot make the encoder run away. */
export const recordLimits = {
  /** Bytes of a record id or a field name as UTF-8. */
  maxNameBytes: 1024,
  /** Bytes of a whole encoded version (a checkpoint holds every record's head: 64 MiB is ~1M records). */
  maxEncodedBytes: 64 * 1024 * 1024,
} as const;
