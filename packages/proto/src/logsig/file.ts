import { concatBytes } from "../util/bytes.ts";
import {
  type BlockHeader,
  type BlockSignature,
  decodeLogsigElement,
  encodeLogsigElement,
  type LogsigElement,
  type MetaRecord,
  type RecordHash,
  type TreeHash,
} from "./elements.ts";
import { LogsigFormatError } from "./errors.ts";
import { LogsigMagic, type LogsigMagicName, MAGIC_LENGTH } from "./tags.ts";

/** One block of a log signature: its header, its records' hashes in file order, its signature. */
export interface LogsigBlock {
  /** 1-based, as logksi counts. */
  readonly number: number;
  readonly header: BlockHeader;
  readonly body: readonly (RecordHash | TreeHash | MetaRecord)[];
  readonly signature: BlockSignature;
  /** Byte offsets of the block in its file: the header's start and the end of the signature. */
  readonly start: number;
  readonly end: number;
}

export interface LogsigFile {
  readonly magic: LogsigMagicName;
  /** Every top-level element in file order, unknown ones included. */
  readonly elements: readonly LogsigElement[];
}

const MAGICS: readonly string[] = Object.values(LogsigMagic);

/** The file's magic, or a LogsigFormatError naming what was found instead. */
export function readMagic(bytes: Uint8Array): LogsigMagicName {
  const found = String.fromCharCode(...bytes.subarray(0, MAGIC_LENGTH));
  if (bytes.length < MAGIC_LENGTH || !MAGICS.includes(found)) {
    throw new LogsigFormatError(
      "LOGSIG_MAGIC",
      `not a log signature file: expected the magic ${MAGICS.join(" or ")}, found ${JSON.stringify(found.replace(/[^\x20-\x7e]/g, "?"))}`,
    );
  }
  return found as LogsigMagicName;
}

const MAGIC_BYTES = (magic: LogsigMagicName): Uint8Array => Uint8Array.from(magic, (c) => c.charCodeAt(0));

/** Decode a whole file (LOGSIG12 or RECSIG12) into its elements. */
export function decodeLogsigFile(bytes: Uint8Array): LogsigFile {
  const magic = readMagic(bytes);
  const elements: LogsigElement[] = [];
  for (let offset = MAGIC_LENGTH; offset < bytes.length; ) {
    const { element, next } = decodeLogsigElement(bytes, offset);
    elements.push(element);
    offset = next;
  }
  return { magic, elements };
}

/** The file's bytes: read elements as they were read, new ones canonically. */
export function encodeLogsigFile(file: LogsigFile): Uint8Array {
  return concatBytes(MAGIC_BYTES(file.magic), ...file.elements.map(encodeLogsigElement));
}

/** The magic of a new log signature file. */
export function logsigMagicBytes(): Uint8Array {
  return MAGIC_BYTES(LogsigMagic.LOGSIG12);
}

/**
 * Reads the blocks of a LOGSIG12 file as its bytes arrive (a file being appended to, or read in
 * chunks): each `push` returns the blocks completed by then. `complete` is the offset just past the
 * last complete block, where a torn tail (a block whose writer was killed) begins.
 */
export class LogsigBlockReader {
  #buffer = new Uint8Array(0);
  /** File offset of #buffer[0]. */
  #base = 0;
  #magicSeen = false;
  #blocks = 0;
  #open: { header: BlockHeader; start: number; body: (RecordHash | TreeHash | MetaRecord)[] } | undefined;
  #complete = 0;

  /**
   * With `resumeAt`, the bytes pushed start at that offset of the file, just past block
   * `resumeAt.blocks` (a watcher re-reading from a block it recorded).
   */
  constructor(options: { readonly resumeAt?: { readonly offset: number; readonly blocks: number } } = {}) {
    const at = options.resumeAt;
    if (at !== undefined) {
      this.#magicSeen = true;
      this.#base = at.offset;
      this.#complete = at.offset;
      this.#blocks = at.blocks;
    }
  }

  /** Offset just past the last complete block (the magic's end when there is none). */
  get complete(): number {
    return this.#complete;
  }

  get blockCount(): number {
    return this.#blocks;
  }

  push(chunk: Uint8Array): LogsigBlock[] {
    const joined = new Uint8Array(this.#buffer.length + chunk.length);
    joined.set(this.#buffer);
    joined.set(chunk, this.#buffer.length);
    let offset = 0;
    if (!this.#magicSeen) {
      if (joined.length < MAGIC_LENGTH) {
        this.#buffer = joined;
        return [];
      }
      if (readMagic(joined) !== LogsigMagic.LOGSIG12) {
        throw new LogsigFormatError("LOGSIG_MAGIC", "expected a LOGSIG12 log signature file");
      }
      this.#magicSeen = true;
      offset = MAGIC_LENGTH;
      this.#complete = MAGIC_LENGTH;
    }
    const out: LogsigBlock[] = [];
    while (offset < joined.length) {
      const whole = elementEnd(joined, offset);
      if (whole === undefined) break;
      const { element, next } = decodeLogsigElement(joined.subarray(0, whole), offset);
      const at = this.#base + offset;
      offset = next;
      const block = this.#take(element, at, this.#base + next);
      if (block !== undefined) out.push(block);
    }
    this.#buffer = joined.slice(offset);
    this.#base += offset;
    return out;
  }

  /** Call at the end of the file: a block still open there is incomplete. */
  end(): void {
    if (!this.#magicSeen) readMagic(this.#buffer);
    if (this.#open !== undefined || this.#buffer.length > 0) {
      throw new LogsigFormatError(
        "LOGSIG_INCOMPLETE",
        `incomplete data at the end of the log signature file: block ${this.#blocks + 1} (from byte ${this.#complete}) has no block signature`,
        { offset: this.#complete },
      );
    }
  }

  #take(element: LogsigElement, at: number, end: number): LogsigBlock | undefined {
    switch (element.kind) {
      case "unknown":
        return undefined;
      case "header":
        if (this.#open !== undefined) {
          throw new LogsigFormatError(
            "LOGSIG_GRAMMAR",
            `block ${this.#blocks + 1} has no block signature before the next block header (at byte ${at})`,
            { offset: at },
          );
        }
        this.#open = { header: element, start: at, body: [] };
        return undefined;
      case "block-signature": {
        const open = this.#openBlock(element.kind, at);
        this.#open = undefined;
        this.#blocks++;
        this.#complete = end;
        return {
          number: this.#blocks,
          header: open.header,
          body: open.body,
          signature: element,
          start: open.start,
          end,
        };
      }
      default:
        this.#openBlock(element.kind, at).body.push(element);
        return undefined;
    }
  }

  #openBlock(kind: string, at: number) {
    if (this.#open === undefined) {
      throw new LogsigFormatError("LOGSIG_GRAMMAR", `a ${kind} outside any block (at byte ${at})`, {
        offset: at,
      });
    }
    return this.#open;
  }
}

/** Where the element at `offset` ends, or undefined when its bytes have not all arrived. */
function elementEnd(bytes: Uint8Array, offset: number): number | undefined {
  const available = bytes.length - offset;
  if (available < 2) return undefined;
  const tlv16 = (bytes[offset]! & 0x80) !== 0;
  if (tlv16 && available < 4) return undefined;
  const end = tlv16
    ? offset + 4 + ((bytes[offset + 2]! << 8) | bytes[offset + 3]!)
    : offset + 2 + bytes[offset + 1]!;
  return end <= bytes.length ? end : undefined;
}

/** All blocks of a whole LOGSIG12 file; throws LogsigFormatError for a torn or malformed one. */
export function logsigBlocks(bytes: Uint8Array): LogsigBlock[] {
  const reader = new LogsigBlockReader();
  const blocks = reader.push(bytes);
  reader.end();
  return blocks;
}
