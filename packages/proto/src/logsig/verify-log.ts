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
 * line without its terminator is not handed out at the end (a log still being written). A caller
 * that reads the log itself `push`es its bytes instead of giving a source.
 */
export class LogLineQueue {
  readonly #chunks: AsyncIterator<Uint8Array>;
  readonly #splitter = new LineSplitter();
  readonly #holdPartial: boolean;
  #lines: Uint8Array[] = [];
  /** Stream offset past each waiting line's terminator. */
  #ends: number[] = [];
  #next = 0;
  #takenEnd = 0;
  #ended = false;
  readonly #push = (line: Uint8Array, end: number) => {
    this.#lines.push(line);
    this.#ends.push(end);
  };

  constructor(source: LogBytes = [], options: { readonly holdPartial?: boolean } = {}) {
    this.#chunks = chunksOf(source)[Symbol.asyncIterator]();
    this.#holdPartial = options.holdPartial === true;
  }

  /** Lines waiting to be taken. */
  get waiting(): number {
    return this.#lines.length - this.#next;
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
    this.#compact();
    this.#splitter.push(chunk, this.#push);
  }

  /** The log has ended: a last line without its terminator is handed out too. */
  end(): void {
    this.#splitter.end(this.#push);
  }

  #compact(): void {
    if (this.#next > 4096) {
      this.#lines = this.#lines.slice(this.#next);
      this.#ends = this.#ends.slice(this.#next);
      this.#next = 0;
    }
  }

  async fill(wanted: number): Promise<void> {
    this.#compact();
    while (!this.#ended && this.#lines.length - this.#next < wanted) {
      const chunk = await this.#chunks.next();
      if (chunk.done === true) {
        this.#ended = true;
        if (!this.#holdPartial) this.#splitter.end(this.#push);
      } else {
        this.#splitter.push(chunk.value, this.#push);
      }
    }
  }

  readonly take: LineSource = () => {
    if (this.#next >= this.#lines.length) return undefined;
    this.#takenEnd = this.#ends[this.#next]!;
    return this.#lines[this.#next++];
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
