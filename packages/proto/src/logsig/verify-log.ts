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
  #lines: Uint8Array[] = [];
  #next = 0;
  #ended = false;
  readonly #push = (line: Uint8Array) => {
    this.#lines.push(line);
  };

  constructor(source: LogBytes, options: { readonly holdPartial?: boolean } = {}) {
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

  async fill(wanted: number): Promise<void> {
    if (this.#next > 4096) {
      this.#lines = this.#lines.slice(this.#next);
      this.#next = 0;
    }
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

  readonly take: LineSource = () => (this.#next < this.#lines.length ? this.#lines[this.#next++] : undefined);
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
