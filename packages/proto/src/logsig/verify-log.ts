import { TempelError } from "../errors.ts";
import { type LogsigBlock, LogsigBlockReader } from "./file.ts";
import { LineSplitter } from "./lines.ts";
import type { LogProblem } from "./problems.ts";
import {
  type BlockHashes,
  type BlockSignatureCheck,
  type BlockVerdict,
  type LineSource,
  LogsigVerifier,
  type LogsigVerifierOptions,
} from "./verifier.ts";

/** The verdict on a whole log: OK, or the first problem (FAIL, or NA for an unsigned block). */
export interface LogVerdict {
  readonly result: "OK" | "FAIL" | "NA";
  readonly problem?: LogProblem;
  /** Each block checked, in order, up to the one with the problem. */
  readonly blocks: readonly BlockVerdict[];
  /** Lines checked. */
  readonly lines: number;
}

export type LogBytes = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

async function* chunksOf(source: LogBytes): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) yield source;
  else yield* source;
}

/**
 * The log's lines in order, read chunk by chunk as they are asked for. `fill(n)` reads until `n`
 * lines wait or the log ends; `take` then hands them out synchronously. With `holdPartial`, a last
 * line without its terminator is not handed out at the end (a log still being written). A caller
 * that reads the log itself `push`es its bytes instead of giving a source.
 */
export class LogLineQueue {
  readonly #chunks: AsyncIterator<Uint8Array>;
  readonly #splitter = new LineSplitter();
  readonly #holdPartial: boolean;
  /** The bytes the waiting lines are in; #segments[0] is segment number #firstSegment. */
  #segments: Uint8Array[] = [];
  #firstSegment = 0;
  /**
   * Per line: its segment's number, its start and end there, and the stream offset just past its
   * terminator (small integers the GC need not visit, rather than a view per line).
   */
  #segment: number[] = [];
  #start: number[] = [];
  #end: number[] = [];
  #after: number[] = [];
  #next = 0;
  #takenEnd = 0;
  #ended = false;
  readonly #push = (data: Uint8Array, start: number, end: number, after: number) => {
    if (this.#segments.at(-1) !== data) this.#segments.push(data);
    this.#segment.push(this.#firstSegment + this.#segments.length - 1);
    this.#start.push(start);
    this.#end.push(end);
    this.#after.push(after);
  };
  readonly #pushLast = (line: Uint8Array, after: number) => this.#push(line, 0, line.length, after);

  constructor(source: LogBytes = [], options: { readonly holdPartial?: boolean } = {}) {
    this.#chunks = chunksOf(source)[Symbol.asyncIterator]();
    this.#holdPartial = options.holdPartial === true;
  }

  /** Lines waiting to be taken. */
  get waiting(): number {
    return this.#start.length - this.#next;
  }

  /** Whether the source has ended (what waits is all there is). */
  get ended(): boolean {
    return this.#ended;
  }

  /** Offset in the log just past the last line taken (0 before any). */
  get takenEnd(): number {
    return this.#takenEnd;
  }

  /** Bytes the caller read from the log (instead of a source). */
  push(chunk: Uint8Array): void {
    if (this.#next > 4096) this.#dropTaken();
    this.#splitter.pushRanges(chunk, this.#push);
  }

  /** The log has ended: a last line without its terminator is handed out too. */
  end(): void {
    this.#splitter.end(this.#pushLast);
  }

  async fill(wanted: number): Promise<void> {
    if (this.#next > 4096) this.#dropTaken();
    while (!this.#ended && this.#start.length - this.#next < wanted) {
      const chunk = await this.#chunks.next();
      if (chunk.done === true) {
        this.#ended = true;
        if (!this.#holdPartial) this.#splitter.end(this.#pushLast);
      } else {
        this.#splitter.pushRanges(chunk.value, this.#push);
      }
    }
  }

  #dropTaken(): void {
    const next = this.#next;
    this.#segment = this.#segment.slice(next);
    this.#start = this.#start.slice(next);
    this.#end = this.#end.slice(next);
    this.#after = this.#after.slice(next);
    this.#next = 0;
    // Segments before the first waiting line's are done with (all of them when none waits).
    const keepFrom =
      this.#segment.length > 0 ? this.#segment[0]! : this.#firstSegment + this.#segments.length;
    this.#segments = this.#segments.slice(keepFrom - this.#firstSegment);
    this.#firstSegment = keepFrom;
  }

  /** Up to `count` waiting lines as ranges over their bytes (to hand to another thread). */
  takeRanges(count: number): LineRanges {
    const from = this.#next;
    const to = Math.min(from + count, this.#start.length);
    this.#next = to;
    if (to > from) this.#takenEnd = this.#after[to - 1]!;
    const first = to > from ? this.#segment[from]! : this.#firstSegment;
    const last = to > from ? this.#segment[to - 1]! : first - 1;
    // Filled in one loop: slicing the arrays first made three more copies of a block's numbers.
    const taken = to - from;
    const segment = new Int32Array(taken);
    const start = new Int32Array(taken);
    const end = new Int32Array(taken);
    for (let i = 0; i < taken; i++) {
      segment[i] = this.#segment[from + i]! - first;
      start[i] = this.#start[from + i]!;
      end[i] = this.#end[from + i]!;
    }
    return {
      segments: this.#segments.slice(first - this.#firstSegment, last - this.#firstSegment + 1),
      segment,
      start,
      end,
    };
  }

  readonly take: LineSource = () => {
    const i = this.#next;
    if (i >= this.#start.length) return undefined;
    this.#next = i + 1;
    this.#takenEnd = this.#after[i]!;
    return this.#segments[this.#segment[i]! - this.#firstSegment]!.subarray(this.#start[i], this.#end[i]);
  };
}

/** Lines as ranges: line i is segments[segment[i]] from start[i] to end[i]. */
export interface LineRanges {
  readonly segments: readonly Uint8Array[];
  readonly segment: Int32Array;
  readonly start: Int32Array;
  readonly end: Int32Array;
}

/** Hands out the lines of `ranges` in order, then those of `then`. */
export function lineRangesSource(ranges: LineRanges, then: LineSource = () => undefined): LineSource {
  let i = 0;
  return () => {
    if (i >= ranges.start.length) return then();
    const line = ranges.segments[ranges.segment[i]!]!.subarray(ranges.start[i], ranges.end[i]);
    i++;
    return line;
  };
}

/**
 * Checks a block's records and tree hashes elsewhere (another thread) against `lines`, its lines:
 * what they hash to, or undefined when they do not hold (the block is then checked again in order,
 * which names the problem).
 */
export type BlockHasher = (block: LogsigBlock, lines: LineRanges) => Promise<BlockHashes | undefined>;

export interface VerifyLogOptions extends LogsigVerifierOptions {
  /** Hash blocks elsewhere, several at once; without it every block is hashed here, in order. */
  readonly hashBlocks?: BlockHasher;
}

/** Blocks handed to `hashBlocks` ahead of the one being judged: enough to keep two threads busy. */
const HASH_AHEAD = 4;

function formatProblem(error: TempelError, blocks: number): LogProblem {
  return {
    code: "FORMAT",
    result: "FAIL",
    block: blocks + 1,
    message: `the log signature file is malformed: ${error.message}`,
  };
}

/**
 * Check a log against its LOGSIG12 signature file, block by block, stopping at the first problem
 * (as logksi verify does without --continue-on-fail). `check` verifies each block's KSI signature
 * under the caller's policy. The log is read as blocks need its lines.
 */
export async function verifyLog(
  log: LogBytes,
  logsig: LogBytes,
  check: BlockSignatureCheck,
  options: VerifyLogOptions = {},
): Promise<LogVerdict> {
  const verifier = new LogsigVerifier(options);
  const lines = new LogLineQueue(log);
  const resume = options.resumeAfter;
  // Resumed, the log signature's bytes start at the block after the ones skipped.
  const reader = new LogsigBlockReader(
    resume?.logsigOffset === undefined
      ? {}
      : { resumeAt: { offset: resume.logsigOffset, blocks: resume.blocks } },
  );
  const verdicts: BlockVerdict[] = [];
  const done = (result: LogVerdict["result"], problem?: LogProblem): LogVerdict => ({
    result,
    ...(problem !== undefined && { problem }),
    blocks: verdicts,
    lines: verifier.linesRead,
  });
  const hashBlocks = options.hashBlocks;
  /** Blocks whose lines were taken and handed to hashBlocks, in order. */
  const ahead: { block: LogsigBlock; lines: LineRanges; hashes: Promise<BlockHashes | undefined> }[] = [];
  const judge = async (): Promise<LogProblem | undefined> => {
    const next = ahead.shift()!;
    const hashes = await next.hashes;
    const count = next.lines.start.length;
    const verdict =
      hashes !== undefined && count === LogsigVerifier.linesOf(next.block)
        ? await verifier.verifyHashedBlock(next.block, count, hashes, check)
        : // Checked again here, in order, with the lines after it, to name the problem.
          await verifier.verifyBlock(
            next.block,
            [next, ...ahead].reduceRight<LineSource>(
              (then, taken) => lineRangesSource(taken.lines, then),
              lines.take,
            ),
            check,
          );
    verdicts.push(verdict);
    return verdict.problem;
  };
  const judgeAll = async (): Promise<LogProblem | undefined> => {
    while (ahead.length > 0) {
      const problem = await judge();
      if (problem !== undefined) return problem;
    }
    return undefined;
  };
  const one = async (block: LogsigBlock): Promise<LogProblem | undefined> => {
    // Two lines more than the block's: a failing line is told apart from a deleted or inserted one.
    await lines.fill(LogsigVerifier.linesOf(block) + 2);
    if (hashBlocks === undefined) {
      const verdict = await verifier.verifyBlock(block, lines.take, check);
      verdicts.push(verdict);
      return verdict.problem;
    }
    const taken = lines.takeRanges(LogsigVerifier.linesOf(block));
    ahead.push({ block, lines: taken, hashes: hashBlocks(block, taken) });
    return ahead.length > HASH_AHEAD ? judge() : undefined;
  };
  try {
    for await (const chunk of chunksOf(logsig)) {
      for (const block of reader.push(chunk)) {
        const problem = await one(block);
        if (problem !== undefined) return done(problem.result, problem);
      }
    }
    reader.end();
  } catch (error) {
    if (!(error instanceof TempelError)) throw error;
    // The blocks read before the malformed part are judged first, as they are without hashBlocks.
    const earlier = await judgeAll();
    return earlier !== undefined
      ? done(earlier.result, earlier)
      : done("FAIL", formatProblem(error, reader.blockCount));
  }
  const last = await judgeAll();
  if (last !== undefined) return done(last.result, last);
  await lines.fill(1);
  const extra = verifier.finish(lines.take);
  return extra === undefined ? done("OK") : done("FAIL", extra);
}
