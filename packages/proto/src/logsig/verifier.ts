import { TempelError } from "../errors.ts";
import { findHashAlgorithm } from "../hash/algorithms.ts";
import { type Hasher, nobleHasher } from "../hash/hasher.ts";
import type { Imprint } from "../hash/imprint.ts";
import { decodeSignature } from "../signature/codec.ts";
import type { KsiSignature } from "../signature/types.ts";
import { bytesEqual, toHex } from "../util/bytes.ts";
import type { VerificationResult } from "../verification/result.ts";
import { LogBlockTree } from "./block-tree.ts";
import { encodeMetaRecord, type MetaRecord } from "./elements.ts";
import type { LogsigBlock } from "./file.ts";
import { recordBytes } from "./lines.ts";
import type { LogProblem } from "./problems.ts";

/** Hands out the log's lines in order (terminators removed); undefined when the log has no more. */
export type LineSource = () => Uint8Array | undefined;

/** Verifies one block's KSI signature for `root` at `level` under the caller's policy. */
export type BlockSignatureCheck = (
  signature: KsiSignature,
  root: Imprint,
  level: number,
) => Promise<VerificationResult>;

export interface LogsigVerifierOptions {
  /** What the first block must continue (another file's last leaf); any input hash when absent. */
  readonly inputHash?: Imprint;
  /** Accept blocks signed earlier than the block before them (logksi's --ignore-desc-block-time). */
  readonly ignoreBlockTimeOrder?: boolean;
  readonly hasher?: Hasher;
  /**
   * Start after this many lines and blocks (a watcher re-checking from a block it recorded, with
   * the last leaf before it as `inputHash`): the lines given are the log's after them, and for
   * verifyLog the log signature's bytes start at `logsigOffset`, where the next block begins.
   */
  readonly resumeAfter?: { readonly lines: number; readonly blocks: number; readonly logsigOffset?: number };
}

/** What a block's records and tree hash to: its root, the root's level, its last leaf. */
export interface BlockHashes {
  readonly root: Imprint;
  readonly level: number;
  readonly outputHash: Imprint;
}

/** A block whose hashes hold: what its signature must cover. */
export interface CheckedBlock {
  readonly block: number;
  /** The lines it covers (1-based, inclusive); firstLine > lastLine when it covers none. */
  readonly firstLine: number;
  readonly lastLine: number;
  readonly root: Imprint;
  readonly level: number;
  readonly outputHash: Imprint;
  readonly signature: KsiSignature;
}

export interface BlockVerdict {
  readonly block: number;
  readonly firstLine: number;
  readonly lastLine: number;
  readonly result: "OK" | "FAIL" | "NA";
  readonly problem?: LogProblem;
  /** The block's signing second, when it is signed. */
  readonly signedAt?: number;
  readonly signature?: VerificationResult;
}

function hex(imprint: Uint8Array): string {
  return toHex(imprint);
}

function preview(line: Uint8Array): string {
  const text = new TextDecoder().decode(line.subarray(0, 80));
  return JSON.stringify(line.length > 80 ? `${text}…` : text);
}

/**
 * Checks a LOGSIG12 file against its log block by block, as `logksi verify` does (logsig12.md §5):
 * each block's link to the one before, its stored record and tree hashes against the lines, then its
 * KSI signature against the recomputed root, and the blocks' signing times in order. Blocks are fed
 * as they are read, with the lines that follow, so a growing log can be checked as it grows; the
 * first problem is named by block and line.
 */
export class LogsigVerifier {
  readonly #options: LogsigVerifierOptions;
  readonly #hasher: Hasher;
  #lastLeaf: Imprint | undefined;
  #linesRead = 0;
  #blocks = 0;
  #lastSigned: { block: number; time: number } | undefined;

  constructor(options: LogsigVerifierOptions = {}) {
    this.#options = options;
    this.#hasher = options.hasher ?? nobleHasher;
    this.#lastLeaf = options.inputHash;
    this.#linesRead = options.resumeAfter?.lines ?? 0;
    this.#blocks = options.resumeAfter?.blocks ?? 0;
  }

  /** Lines consumed so far (the number of the last line checked). */
  get linesRead(): number {
    return this.#linesRead;
  }

  /** The last leaf of the last block checked: what the next block (or the next file) must continue. */
  get outputHash(): Imprint | undefined {
    return this.#lastLeaf;
  }

  /** How many log lines `block` covers (its records other than meta-records). */
  static linesOf(block: LogsigBlock): number {
    let meta = 0;
    for (const element of block.body) if (element.kind === "meta-record") meta++;
    return Math.max(0, block.signature.recordCount - meta);
  }

  /** The block's link to the one before (or to the given input hash); counts the block. */
  #link(block: LogsigBlock, firstLine: number): LogProblem | undefined {
    this.#blocks++;
    if (this.#lastLeaf === undefined || bytesEqual(block.header.inputHash, this.#lastLeaf)) return undefined;
    return {
      result: "FAIL",
      block: block.number,
      code: "BLOCK_LINK",
      line: firstLine,
      message:
        this.#blocks === 1
          ? `block 1 does not continue the given input hash: its header has ${hex(block.header.inputHash)}, expected ${hex(this.#lastLeaf)}`
          : `block ${block.number} does not continue block ${block.number - 1}: the last leaf of block ${block.number - 1} is ${hex(this.#lastLeaf)} but block ${block.number}'s header says ${hex(block.header.inputHash)} (blocks were removed, reordered or inserted)`,
    };
  }

  /**
   * The hash checks of one block: its link, its records against the lines `take` gives, its stored
   * hashes, its record count. A problem, or what its signature must then cover.
   */
  checkHashes(block: LogsigBlock, take: LineSource): CheckedBlock | LogProblem {
    const firstLine = this.#linesRead + 1;
    const fail = (problem: Omit<LogProblem, "result" | "block">): LogProblem => ({
      result: "FAIL",
      block: block.number,
      ...problem,
    });
    const { header, signature } = block;
    const link = this.#link(block, firstLine);
    if (link !== undefined) return link;
    const info = findHashAlgorithm(header.algorithm);
    if (info === undefined || !info.implemented) {
      return fail({
        code: "FORMAT",
        message: `block ${block.number}: unsupported hash algorithm id ${header.algorithm}`,
      });
    }
    const metaAt = new Map<number, MetaRecord>();
    const stored: Imprint[] = [];
    const storedTree: Imprint[] = [];
    for (const element of block.body) {
      if (element.kind === "meta-record") {
        if (element.index >= signature.recordCount || metaAt.has(element.index)) {
          return fail({
            code: "FORMAT",
            message: `block ${block.number}: meta-record index ${element.index} out of place`,
          });
        }
        metaAt.set(element.index, element);
      } else if (element.kind === "record-hash") stored.push(element.imprint);
      else storedTree.push(element.imprint);
    }
    const count = signature.recordCount;
    if (stored.length > 0 && stored.length !== count) {
      return fail({
        code: "RECORD_COUNT",
        message: `block ${block.number}: expected ${count} record hashes, but found ${stored.length}`,
      });
    }
    const tree = new LogBlockTree(header.algorithm, header.seed, header.inputHash, { hasher: this.#hasher });
    const computedTree: Imprint[] = [];
    const onTree = storedTree.length > 0 ? (node: Imprint) => computedTree.push(node) : undefined;
    for (let k = 0; k < count; k++) {
      const meta = metaAt.get(k);
      let recordHash: Imprint;
      let lineNumber: number | undefined;
      let line: Uint8Array | undefined;
      if (meta !== undefined) {
        recordHash = tree.recordHash(encodeMetaRecord(meta));
      } else {
        line = take();
        if (line === undefined) {
          return fail({
            code: "LOG_ENDS_EARLY",
            line: this.#linesRead + 1,
            message: `the log ends at line ${this.#linesRead}, but block ${block.number} signed more records: line ${this.#linesRead + 1} and after are missing`,
          });
        }
        lineNumber = ++this.#linesRead;
        recordHash = tree.recordHash(recordBytes(line));
      }
      const expected = stored[k];
      if (expected !== undefined && !bytesEqual(expected, recordHash)) {
        if (lineNumber === undefined) {
          return fail({
            code: "RECORD_CHANGED",
            message: `block ${block.number}: its meta-record ${k + 1} does not match its stored record hash`,
          });
        }
        return fail(this.#diagnose(block, k, lineNumber, line!, recordHash, stored, take, tree));
      }
      tree.add(recordHash, meta !== undefined, onTree);
    }
    const root = tree.root(onTree);
    if (root === undefined) return fail({ code: "FORMAT", message: `block ${block.number} has no records` });
    if (storedTree.length > 0) {
      const problem = this.#compareTree(block, storedTree, computedTree, count, firstLine);
      if (problem !== undefined) return fail(problem);
    }
    return this.#hashed(block, firstLine, { root, level: tree.level, outputHash: tree.lastLeaf });
  }

  /** After a block's hashes held: what its signature must cover, or why it has none to check. */
  #hashed(block: LogsigBlock, firstLine: number, tree: BlockHashes): CheckedBlock | LogProblem {
    const { signature } = block;
    if (signature.ksiSignature === undefined) {
      this.#lastLeaf = tree.outputHash;
      return {
        result: "NA",
        block: block.number,
        line: firstLine,
        code: "UNSIGNED_BLOCK",
        message: `block ${block.number} (lines ${firstLine}–${this.#linesRead}) is unsigned${signature.unsigned?.reason === undefined ? "" : `: ${signature.unsigned.reason}`}${signature.rfc3161Token === undefined ? "" : " by KSI (it has a legacy RFC 3161 token)"}`,
      };
    }
    let ksi: KsiSignature;
    try {
      ksi = decodeSignature(signature.ksiSignature);
    } catch (error) {
      if (!(error instanceof TempelError)) throw error;
      return {
        result: "FAIL",
        block: block.number,
        code: "SIGNATURE",
        message: `block ${block.number}: its KSI signature cannot be read: ${error.message}`,
      };
    }
    this.#lastLeaf = tree.outputHash;
    return {
      block: block.number,
      firstLine,
      lastLine: this.#linesRead,
      root: tree.root,
      level: tree.level,
      outputHash: tree.outputHash,
      signature: ksi,
    };
  }

  /** What the line that fails its record hash is: changed, or a sign of a deleted, inserted or swapped line. */
  #diagnose(
    block: LogsigBlock,
    k: number,
    lineNumber: number,
    line: Uint8Array,
    recordHash: Imprint,
    stored: readonly Imprint[],
    take: LineSource,
    tree: LogBlockTree,
  ): Omit<LogProblem, "result" | "block"> {
    const nextStored = stored[k + 1];
    const nextLine = take();
    const nextHash = nextLine === undefined ? undefined : tree.recordHash(recordBytes(nextLine));
    // Named as a deletion, insertion or swap only when that explains both lines unambiguously (a log
    // may repeat a line); otherwise the line was changed.
    const nextIsNextStored =
      nextHash !== undefined && nextStored !== undefined && bytesEqual(nextHash, nextStored);
    const isNextStored = nextStored !== undefined && bytesEqual(recordHash, nextStored) && !nextIsNextStored;
    const nextIsThis = nextHash !== undefined && bytesEqual(nextHash, stored[k]!) && !nextIsNextStored;
    const where = `block ${block.number}, line ${lineNumber}`;
    if (isNextStored && nextIsThis) {
      return {
        code: "RECORDS_REORDERED",
        line: lineNumber,
        message: `${where}: lines ${lineNumber} and ${lineNumber + 1} are swapped (line ${lineNumber} is the record signed as line ${lineNumber + 1}): ${preview(line)}`,
      };
    }
    if (isNextStored) {
      return {
        code: "RECORD_MISSING",
        line: lineNumber,
        message: `${where}: the signed line ${lineNumber} is missing (deleted): line ${lineNumber} now holds the record signed as line ${lineNumber + 1}: ${preview(line)}`,
      };
    }
    if (nextIsThis) {
      return {
        code: "RECORD_EXTRA",
        line: lineNumber,
        message: `${where}: line ${lineNumber} was inserted (not signed): ${preview(line)}; the next line is the record signed as line ${lineNumber}`,
      };
    }
    return {
      code: "RECORD_CHANGED",
      line: lineNumber,
      message: `${where}: line ${lineNumber} was changed: found ${preview(line)}, whose hash ${hex(recordHash)} differs from the signed record hash ${hex(stored[k]!)}`,
    };
  }

  #compareTree(
    block: LogsigBlock,
    storedTree: readonly Imprint[],
    computed: readonly Imprint[],
    count: number,
    firstLine: number,
  ): Omit<LogProblem, "result" | "block"> | undefined {
    // Final tree hashes (the merges when the root is taken) may be absent (older rsyslog).
    const withoutFinals = computed.length - finalMerges(count);
    if (storedTree.length !== computed.length && storedTree.length !== withoutFinals) {
      return {
        code: "TREE_HASH",
        message: `block ${block.number}: expected ${computed.length} tree hashes, but found ${storedTree.length}`,
      };
    }
    for (let i = 0; i < storedTree.length; i++) {
      if (!bytesEqual(storedTree[i]!, computed[i]!)) {
        return {
          code: "TREE_HASH",
          line: firstLine,
          message: `block ${block.number}: tree hash ${i + 1} is ${hex(storedTree[i]!)} but computes to ${hex(computed[i]!)} (the block's seed, input hash or tree hashes were changed)`,
        };
      }
    }
    return undefined;
  }

  /**
   * A block checked in full: its hashes, then its KSI signature by `check` (the caller's policy, with
   * the root as document hash and the block's level as input level), then its signing time against
   * the previous block's.
   */
  async verifyBlock(block: LogsigBlock, take: LineSource, check: BlockSignatureCheck): Promise<BlockVerdict> {
    const firstLine = this.#linesRead + 1;
    return this.#judge(block, firstLine, this.checkHashes(block, take), check);
  }

  /**
   * As verifyBlock, for a block whose `lines` lines and stored hashes were checked elsewhere (by
   * checkHashes on another thread, which gave `hashes`): its link to the block before is checked
   * here, where the blocks are in order, then its signature and signing time.
   */
  async verifyHashedBlock(
    block: LogsigBlock,
    lines: number,
    hashes: BlockHashes,
    check: BlockSignatureCheck,
  ): Promise<BlockVerdict> {
    const firstLine = this.#linesRead + 1;
    const link = this.#link(block, firstLine);
    if (link === undefined) this.#linesRead += lines;
    return this.#judge(block, firstLine, link ?? this.#hashed(block, firstLine, hashes), check);
  }

  async #judge(
    block: LogsigBlock,
    firstLine: number,
    checked: CheckedBlock | LogProblem,
    check: BlockSignatureCheck,
  ): Promise<BlockVerdict> {
    if (!("root" in checked)) {
      return {
        block: block.number,
        firstLine,
        lastLine: this.#linesRead,
        result: checked.result,
        problem: checked,
      };
    }
    const span = { block: block.number, firstLine, lastLine: checked.lastLine };
    const lines = checked.lastLine >= firstLine ? `lines ${firstLine}–${checked.lastLine}` : "no lines";
    const result = await check(checked.signature, checked.root, checked.level);
    const signedAt = checked.signature.aggregationChains[0]!.aggregationTime;
    if (result.result !== "OK") {
      const changed = result.code === "GEN-01";
      return {
        ...span,
        result: result.result,
        signedAt,
        signature: result,
        problem: {
          code: "SIGNATURE",
          result: result.result,
          block: block.number,
          line: firstLine,
          message: changed
            ? `block ${block.number} (${lines}): its records do not give the root its KSI signature covers: a line in ${lines} was changed, or the block's seed or input hash (${result.code} ${result.message})`
            : `block ${block.number} (${lines}): its KSI signature ${result.result === "NA" ? "could not be verified" : "does not verify"}: ${result.code} ${result.message}`,
          ...(result.code != null && { verificationCode: result.code }),
        },
      };
    }
    const previous = this.#lastSigned;
    this.#lastSigned = { block: block.number, time: signedAt };
    if (previous !== undefined && signedAt < previous.time && this.#options.ignoreBlockTimeOrder !== true) {
      return {
        ...span,
        result: "FAIL",
        signedAt,
        signature: result,
        problem: {
          code: "SIGNING_TIME_ORDER",
          result: "FAIL",
          block: block.number,
          line: firstLine,
          message: `block ${block.number} was signed at ${signedAt}, before block ${previous.block} (${previous.time}): blocks are out of order`,
        },
      };
    }
    return { ...span, result: "OK", signedAt, signature: result };
  }

  /** After the last block: lines left over were not signed. */
  finish(take: LineSource): LogProblem | undefined {
    if (take() === undefined) return undefined;
    const line = this.#linesRead + 1;
    return {
      code: "UNSIGNED_RECORDS",
      result: "FAIL",
      line,
      message: `the log has lines after the last signed record: line ${line} and after are not signed (appended after signing, or not signed yet)`,
    };
  }
}

/** The number of final merges of a block of `count` records: its perfect subtrees less one. */
function finalMerges(count: number): number {
  let subtrees = 0;
  for (let n = count; n > 0; n = Math.floor(n / 2)) subtrees += n % 2;
  return Math.max(0, subtrees - 1);
}
