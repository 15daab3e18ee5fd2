import { TempelError } from "../errors.ts";
import { type LogsigBlock, LogsigBlockReader } from "./file.ts";
import { LineSplitter } from "./lines.ts";
import type { LogProblem } from "./problems.ts";
import {
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
 * line without its terminator is not handed out at the end (a log still being written).
 */
export class LogLineQueue {
  readonly #chunks: AsyncIterator<Uint8Array>;
  readonly #splitter = new LineSplitter();
  readonly #holdPartial: boolean;
  /** The bytes the waiting lines are in; #segments[0] is segment number #firstSegment. */
  #segments: Uint8Array[] = [];
  #firstSegment = 0;
  /** Per line: its segment's number, its start and end there (small integers the GC need not visit). */
  #segment: number[] = [];
  #start: number[] = [];
  #end: number[] = [];
  #next = 0;
  #ended = false;
  readonly #push = (data: Uint8Array, start: number, end: number) => {
    if (this.#segments.at(-1) !== data) this.#segments.push(data);
    this.#segment.push(this.#firstSegment + this.#segments.length - 1);
    this.#start.push(start);
    this.#end.push(end);
  };

  constructor(source: LogBytes, options: { readonly holdPartial?: boolean } = {}) {
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

  async fill(wanted: number): Promise<void> {
    if (this.#next > 4096) this.#dropTaken();
    while (!this.#ended && this.#start.length - this.#next < wanted) {
      const chunk = await this.#chunks.next();
      if (chunk.done === true) {
        this.#ended = true;
        if (!this.#holdPartial) this.#splitter.end((line) => this.#push(line, 0, line.length));
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
    this.#next = 0;
    // Segments before the first waiting line's are done with (all of them when none waits).
    const keepFrom =
      this.#segment.length > 0 ? this.#segment[0]! : this.#firstSegment + this.#segments.length;
    this.#segments = this.#segments.slice(keepFrom - this.#firstSegment);
    this.#firstSegment = keepFrom;
  }

  readonly take: LineSource = () => {
    const i = this.#next;
    if (i >= this.#start.length) return undefined;
    this.#next = i + 1;
    return this.#segments[this.#segment[i]! - this.#firstSegment]!.subarray(this.#start[i], this.#end[i]);
  };
}

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
  options: LogsigVerifierOptions = {},
): Promise<LogVerdict> {
  const verifier = new LogsigVerifier(options);
  const lines = new LogLineQueue(log);
  const reader = new LogsigBlockReader();
  const verdicts: BlockVerdict[] = [];
  const done = (result: LogVerdict["result"], problem?: LogProblem): LogVerdict => ({
    result,
    ...(problem !== undefined && { problem }),
    blocks: verdicts,
    lines: verifier.linesRead,
  });
  const one = async (block: LogsigBlock): Promise<LogProblem | undefined> => {
    await lines.fill(LogsigVerifier.linesOf(block) + 2);
    const verdict = await verifier.verifyBlock(block, lines.take, check);
    verdicts.push(verdict);
    return verdict.problem;
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
    if (error instanceof TempelError) return done("FAIL", formatProblem(error, reader.blockCount));
    throw error;
  }
  await lines.fill(1);
  const extra = verifier.finish(lines.take);
  return extra === undefined ? done("OK") : done("FAIL", extra);
}
