import {
  BLOCK_CLOSE_REASON_KEY,
  type ClosedBlock,
  HashAlgorithm,
  type Hasher,
  type Imprint,
  LogBlockBuilder,
  signedBlockElement,
  TempelError,
} from "@tempel/proto";
import { OptionsError } from "../errors.ts";
import type { SignInput } from "../signing/sign-input.ts";
import type { SignOptions } from "../tempel-client.ts";

/** What a LogSigner needs of a client: one signature per block root (a TempelClient). */
export interface BlockRootSigner {
  /** What the blocks' trees are hashed with too; nobleHasher if absent. */
  readonly hasher?: Hasher;
  sign(input: SignInput, options?: SignOptions): Promise<{ encode(): Uint8Array }>;
}

/** Where a LogSigner's blocks go, each whole and in order; `append` resolves once they are durable. */
export interface LogsigSink {
  append(bytes: Uint8Array): Promise<void>;
}

export interface LogSignerOptions {
  /** Close a block this long after its first record (default 1000 ms: one block per round). */
  readonly maxDelayMs?: number;
  /** Close a block at this many records (default 2^18; the request level stays within the node's 20). */
  readonly maxRecords?: number;
  /** Blocks being signed at once, at most (default 4); `ready()` waits below it. */
  readonly maxInFlight?: number;
  /** The last leaf of the log signature this one continues (a resumed file); default the zero hash. */
  readonly inputHash?: Imprint;
  /** Fresh random seed bytes per block (default crypto.getRandomValues); injectable for tests. */
  readonly randomSeed?: (length: number) => Uint8Array;
  /** Told of each block once it is durable in the sink. */
  readonly onBlock?: (block: SignedBlockInfo) => void;
}

export interface SignedBlockInfo {
  /** Records in the block (meta-records included) and log lines it covers. */
  readonly records: number;
  readonly lines: number;
  /** Bytes appended to the sink. */
  readonly bytes: number;
  readonly root: Imprint;
}

export const logSignerDefaults = { maxDelayMs: 1000, maxRecords: 1 << 18, maxInFlight: 4 } as const;

/** A record the log signature format cannot hold as given. */
export class LogRecordError extends TempelError {}

/** logksi reads lines of up to 1 MiB (LINE_BUFFER_LIMIT); a longer one could not be verified there. */
const MAX_RECORD_BYTES = 0x100000 - 1;

const SHA256 = HashAlgorithm.SHA2_256;

const FORBIDDEN: readonly (readonly [number, string])[] = [
  [0, "NUL"],
  [0x0a, "LF"],
  [0x0d, "CR"],
];

function zeroHash(): Imprint {
  const zero = new Uint8Array(33);
  zero[0] = SHA256;
  return zero;
}

function checkRecord(record: Uint8Array): Uint8Array {
  if (record.length > MAX_RECORD_BYTES) {
    throw new LogRecordError(
      "RECORD_TOO_LONG",
      `a log record is at most ${MAX_RECORD_BYTES} bytes (logksi's limit), got ${record.length}`,
    );
  }
  // logksi ends a line at LF or CR and hashes it only up to a NUL: such a record could not be verified.
  for (const [byte, name] of FORBIDDEN) {
    if (record.indexOf(byte) >= 0) {
      throw new LogRecordError(
        "RECORD_BYTE",
        `a log record must not hold ${name} (logksi splits lines there): escape it first`,
      );
    }
  }
  return record;
}

function positive(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new OptionsError(`${name} must be a positive integer`);
  return value;
}

interface Pending {
  readonly block: ClosedBlock;
  readonly lines: number;
  readonly signature: Promise<Uint8Array>;
}

/**
 * Signs a log record by record into a KSI log signature (LOGSIG12), as rsyslog's KSI module does: the
 * records of up to `maxDelayMs` (or `maxRecords`) make a block, whose root the cluster signs with one
 * request; blocks go to the sink whole and in order, each after its signature, so a sink that is a
 * file holds only complete blocks but for a torn last one (see openLogsigFile). Blocks are signed
 * while the next fills. `add` takes records synchronously; await `ready()` now and then so that
 * blocks waiting for signatures stay few, and `close()` at the end.
 */
export class LogSigner {
  readonly #client: BlockRootSigner;
  readonly #sink: LogsigSink;
  readonly #maxDelayMs: number;
  readonly #maxRecords: number;
  readonly #maxInFlight: number;
  readonly #random: (length: number) => Uint8Array;
  readonly #onBlock: ((block: SignedBlockInfo) => void) | undefined;
  #inputHash: Imprint;
  #open: LogBlockBuilder | undefined;
  #openLines = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Blocks closed but not yet in the sink, oldest first. */
  readonly #pending: Pending[] = [];
  #writing: Promise<void> = Promise.resolve();
  #failure: unknown;
  #waiters: (() => void)[] = [];
  #closed = false;

  constructor(client: BlockRootSigner, sink: LogsigSink, options: LogSignerOptions = {}) {
    this.#client = client;
    this.#sink = sink;
    this.#maxDelayMs = positive(options.maxDelayMs ?? logSignerDefaults.maxDelayMs, "maxDelayMs");
    this.#maxRecords = positive(options.maxRecords ?? logSignerDefaults.maxRecords, "maxRecords");
    if (this.#maxRecords > 1 << 19)
      throw new OptionsError("maxRecords must be at most 2^19 (request level 20)");
    this.#maxInFlight = positive(options.maxInFlight ?? logSignerDefaults.maxInFlight, "maxInFlight");
    this.#random = options.randomSeed ?? ((length) => crypto.getRandomValues(new Uint8Array(length)));
    this.#onBlock = options.onBlock;
    this.#inputHash = options.inputHash ?? zeroHash();
  }

  /** Add one record: a log line without its terminator (text is taken as UTF-8). */
  add(record: Uint8Array | string): void {
    this.#usable();
    const bytes = checkRecord(typeof record === "string" ? new TextEncoder().encode(record) : record);
    if (this.#open === undefined) {
      this.#open = new LogBlockBuilder(SHA256, this.#random(32), this.#inputHash, {
        hasher: this.#client.hasher,
      });
      this.#timer = setTimeout(() => this.#closeBlock(), this.#maxDelayMs);
    }
    this.#open.addLine(bytes);
    this.#openLines++;
    if (this.#open.recordCount >= this.#maxRecords) this.#closeBlock();
  }

  /** Resolves when fewer than `maxInFlight` blocks wait for their signature; rejects once signing failed. */
  async ready(): Promise<void> {
    while (this.#failure === undefined && this.#pending.length >= this.#maxInFlight) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Close the open block now and wait until every block is in the sink. */
  async flush(): Promise<void> {
    this.#closeBlock();
    await this.#writing;
    if (this.#failure !== undefined) throw this.#failure;
  }

  /**
   * End of the log: the open block gets logksi's closing meta-record (`reason`, default "Block closed
   * due to file closure.") and everything is flushed. Nothing can be added after.
   */
  async close(reason = "Block closed due to file closure."): Promise<void> {
    if (!this.#closed && this.#failure === undefined && this.#open !== undefined) {
      this.#open.addMeta(BLOCK_CLOSE_REASON_KEY, reason);
    }
    this.#closed = true;
    await this.flush();
  }

  /** The last leaf so far: what a log signature continuing this one starts from. */
  get outputHash(): Imprint {
    return this.#inputHash;
  }

  #usable(): void {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#closed) throw new OptionsError("the log signer is closed");
  }

  #closeBlock(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const open = this.#open;
    if (open === undefined) return;
    this.#open = undefined;
    const block = open.close();
    this.#inputHash = block.outputHash;
    const signature = this.#client
      .sign({ imprint: block.root }, { level: block.level })
      .then((signed) => signed.encode());
    // Rejections are taken up by the writer in order; this only keeps an early one from going unhandled.
    signature.catch(() => undefined);
    const pending = { block, lines: this.#openLines, signature };
    this.#openLines = 0;
    this.#pending.push(pending);
    this.#writing = this.#writing.then(() => this.#write(pending));
  }

  async #write(pending: Pending): Promise<void> {
    if (this.#failure !== undefined) return;
    try {
      const signature = await pending.signature;
      const { block } = pending;
      const tail = signedBlockElement(block.recordCount, signature);
      const bytes = new Uint8Array(block.body.length + tail.length);
      bytes.set(block.body);
      bytes.set(tail, block.body.length);
      await this.#sink.append(bytes);
      this.#onBlock?.({
        records: block.recordCount,
        lines: pending.lines,
        bytes: bytes.length,
        root: block.root,
      });
    } catch (error) {
      this.#failure = error;
      clearTimeout(this.#timer);
    } finally {
      this.#pending.shift();
      for (const wake of this.#waiters.splice(0)) wake();
    }
  }
}
