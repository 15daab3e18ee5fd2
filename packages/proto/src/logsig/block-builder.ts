import { hashAlgorithm } from "../hash/algorithms.ts";
import type { Hasher } from "../hash/hasher.ts";
import type { Imprint } from "../hash/imprint.ts";
import { LogBlockTree } from "./block-tree.ts";
import { encodeLogsigElement, encodeMetaRecord, metaRecordText } from "./elements.ts";
import { LogsigFormatError } from "./errors.ts";
import { LogsigTag } from "./tags.ts";

/** A closed block: its bytes up to the block signature, and what that signature must cover. */
export interface ClosedBlock {
  /** Header, record hashes and meta-records: the block without its 0x904. */
  readonly body: Uint8Array;
  readonly root: Imprint;
  /** The request level of the root's signature (logsig12.md §3.3). */
  readonly level: number;
  readonly recordCount: number;
  /** The last leaf: the next block's input hash. */
  readonly outputHash: Imprint;
}

/**
 * Builds one LOGSIG12 block as `logksi create --keep-record-hashes` and rsyslog write it: the header
 * (algorithm, seed, input hash), a record hash per record, meta-records where they are added. Bytes
 * are appended to a growing buffer, so a block of many records costs no element objects.
 */
export class LogBlockBuilder {
  readonly #tree: LogBlockTree;
  #bytes: Uint8Array;
  #length: number;
  readonly #imprintLength: number;
  #closed = false;

  constructor(
    algorithm: number,
    seed: Uint8Array,
    inputHash: Imprint,
    options: { readonly hasher?: Hasher } = {},
  ) {
    this.#tree = new LogBlockTree(algorithm, seed, inputHash, options);
    this.#imprintLength = hashAlgorithm(algorithm).digestLength + 1;
    const header = encodeLogsigElement({ kind: "header", algorithm, seed, inputHash });
    this.#bytes = new Uint8Array(Math.max(4096, header.length * 2));
    this.#bytes.set(header);
    this.#length = header.length;
  }

  get recordCount(): number {
    return this.#tree.recordCount;
  }

  /** Bytes of the block so far (no signature yet). */
  get size(): number {
    return this.#length;
  }

  #reserve(extra: number): void {
    if (this.#length + extra <= this.#bytes.length) return;
    const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.#length + extra));
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
  }

  /** Add a log line (its bytes without the terminator). */
  addLine(line: Uint8Array): void {
    const recordHash = this.#tree.recordHash(line);
    this.#tree.add(recordHash);
    this.#appendRecordHash(recordHash);
  }

  /** Add a meta-record (e.g. com.guardtime.blockCloseReason) at the current position. */
  addMeta(key: string, value: string): void {
    const meta = encodeMetaRecord({ index: this.#tree.recordCount, key, value: metaRecordText(value) });
    const recordHash = this.#tree.recordHash(meta);
    this.#tree.add(recordHash, true);
    this.#reserve(meta.length);
    this.#bytes.set(meta, this.#length);
    this.#length += meta.length;
    this.#appendRecordHash(recordHash);
  }

  #appendRecordHash(recordHash: Imprint): void {
    this.#reserve(4 + this.#imprintLength);
    const b = this.#bytes;
    let at = this.#length;
    b[at++] = 0x80 | (LogsigTag.RECORD_HASH >> 8);
    b[at++] = LogsigTag.RECORD_HASH & 0xff;
    b[at++] = 0;
    b[at++] = this.#imprintLength;
    b.set(recordHash, at);
    this.#length = at + this.#imprintLength;
  }

  /** Close the block: no more records. */
  close(): ClosedBlock {
    if (this.#closed) throw new LogsigFormatError("LOGSIG_BLOCK_CLOSED", "the block is closed already");
    this.#closed = true;
    const root = this.#tree.root();
    if (root === undefined)
      throw new LogsigFormatError("LOGSIG_EMPTY_BLOCK", "a block needs at least one record");
    return {
      body: this.#bytes.slice(0, this.#length),
      root,
      level: this.#tree.level,
      recordCount: this.#tree.recordCount,
      outputHash: this.#tree.lastLeaf,
    };
  }
}

/** The block signature element (0x904) of a signed block: its record count and KSI signature bytes. */
export function signedBlockElement(recordCount: number, ksiSignature: Uint8Array): Uint8Array {
  return encodeLogsigElement({ kind: "block-signature", recordCount, ksiSignature });
}

/** The block signature element of a block left unsigned: its root and why. */
export function unsignedBlockElement(recordCount: number, root: Imprint, reason: string): Uint8Array {
  return encodeLogsigElement({ kind: "block-signature", recordCount, unsigned: { root, reason } });
}
