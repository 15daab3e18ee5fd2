import {
  type BlockSignatureCheck,
  type Hasher,
  type Imprint,
  LogLineQueue,
  type LogProblem,
  type LogsigBlock,
  LogsigBlockReader,
  LogsigVerifier,
  type LogVerdict,
  TempelError,
  verifyLog,
} from "@tempel/proto";
import type { WatchAlert, WatchAlertKind } from "./watch-alert.ts";
import { chunksOf, type WatchFiles } from "./watch-files.ts";
import type { WatchMetrics } from "./watch-metrics.ts";

/** What one log's watch finds: raised as an alert by the watcher. */
export type Finding = Pick<WatchAlert, "code" | "message" | "line" | "block" | "check"> & {
  readonly verificationCode?: string;
  /** Set when the code alone would mislead (a stored record hash changed reads as a changed line). */
  readonly kind?: WatchAlertKind;
};

export interface LogWatchContext {
  readonly files: WatchFiles;
  readonly check: BlockSignatureCheck;
  readonly deadlineMs: number;
  readonly now: () => number;
  readonly raise: (watch: LogWatch, finding: Finding) => void;
  readonly metrics: WatchMetrics;
  /** What the logs' trees are recomputed with; nobleHasher if absent. */
  readonly hasher?: Hasher;
}

/** A verified block and where it lies in both files, with digests of those bytes as verified. */
interface BlockMark {
  readonly firstLine: number;
  readonly lastLine: number;
  /** The last leaf before the block: where a re-check from it starts. */
  readonly before: Imprint | undefined;
  /** Byte ranges; consecutive marks' ranges tile both files from 0 (block 1's includes the magic). */
  readonly logStart: number;
  readonly logEnd: number;
  readonly sigStart: number;
  readonly sigEnd: number;
  logDigest: string;
  sigDigest: string;
}

const READ_BYTES = 1 << 20;
const MAX_SEEN = 10_000;

/** Problems a live log has in its normal course: lines not signed yet, a block signed later. */
function isTamper(problem: LogProblem | undefined): problem is LogProblem {
  return problem !== undefined && problem.code !== "UNSIGNED_RECORDS" && problem.code !== "UNSIGNED_BLOCK";
}

/**
 * One log and its .logsig under watch. `tail` verifies the blocks appended since the last call
 * against the lines appended, resuming where it stopped (nothing is read twice); `scan` re-hashes
 * the bytes already verified, block by block, and re-verifies from the first block whose bytes
 * changed, which names the line; `full` verifies both files from the start. The first tampering
 * found ends the tail and the scan (the log no longer holds; the full check still runs).
 */
export class LogWatch {
  readonly log: string;
  readonly logsig: string;
  readonly #context: LogWatchContext;
  readonly #reader = new LogsigBlockReader();
  #sigRead = 0;
  readonly #lines = new LogLineQueue();
  #logRead = 0;
  #lastLogSize: number | undefined;
  readonly #verifier: LogsigVerifier;
  readonly #pending: LogsigBlock[] = [];
  readonly #marks: BlockMark[] = [];
  /** Log sizes with the time each was first seen: the age of the oldest unsigned byte. */
  readonly #seen: { size: number; at: number }[] = [];
  /** Log bytes covered by signed blocks, and the lines they hold. */
  #signedEnd = 0;
  #signedLines = 0;
  #stalledAt: number | undefined;
  #failed = false;
  #fullRunning = false;

  constructor(log: string, logsig: string, context: LogWatchContext) {
    this.log = log;
    this.logsig = logsig;
    this.#context = context;
    this.#verifier = new LogsigVerifier({ hasher: context.hasher });
  }

  /** Tampering was found: the log is no longer followed. */
  get failed(): boolean {
    return this.#failed;
  }

  get verifiedLines(): number {
    return this.#verifier.linesRead;
  }

  #fail(finding: Finding): void {
    this.#failed = true;
    this.#context.raise(this, finding);
  }

  async tail(): Promise<void> {
    if (this.#failed) return;
    const { files } = this.#context;
    const sigSize = (await files.size(this.logsig)) ?? 0;
    const logSize = (await files.size(this.log)) ?? 0;
    if (sigSize < this.#sigRead || logSize < this.#logRead) {
      await this.scan();
      if (!this.#failed) {
        const which = sigSize < this.#sigRead ? this.logsig : this.log;
        this.#fail({
          check: "tail",
          code: which === this.logsig ? "LOGSIG_TRUNCATED" : "LOG_TRUNCATED",
          message: `${which} shrank below the ${which === this.logsig ? this.#sigRead : this.#logRead} bytes already read: it was cut or replaced`,
        });
      }
      return;
    }
    try {
      for await (const chunk of chunksOf(files, this.logsig, this.#sigRead, sigSize)) {
        this.#sigRead += chunk.length;
        this.#pending.push(...this.#reader.push(chunk));
      }
    } catch (error) {
      if (!(error instanceof TempelError)) throw error;
      this.#fail({
        check: "tail",
        code: "FORMAT",
        block: this.#reader.blockCount + 1,
        message: `${this.logsig} is malformed after byte ${this.#reader.complete}: ${error.message}`,
      });
      return;
    }
    const firstNew = this.#marks.length;
    const grew = logSize !== this.#lastLogSize;
    this.#lastLogSize = logSize;
    while (this.#pending.length > 0) {
      const block = this.#pending[0]!;
      const need = LogsigVerifier.linesOf(block);
      // One line more than the block needs, when there is one: a bad line's neighbour tells a
      // deletion or a swap from a change.
      while (this.#lines.waiting <= need && this.#logRead < logSize) {
        const chunk = await files.read(
          this.log,
          this.#logRead,
          Math.min(READ_BYTES, logSize - this.#logRead),
        );
        if (chunk.length === 0) break;
        this.#logRead += chunk.length;
        this.#lines.push(chunk);
      }
      if (this.#lines.waiting < need) {
        // The block signed a line the log does not show complete yet: wait while the log is being
        // written; once it stands still, its last line counts without a terminator (logksi's rule).
        if (grew) break;
        this.#lines.end();
      }
      this.#pending.shift();
      if (!(await this.#verifyBlock(block))) return;
    }
    if (this.#marks.length > firstNew) await this.#digestFrom(firstNew);
    this.#deadline(logSize);
  }

  async #verifyBlock(block: LogsigBlock): Promise<boolean> {
    const logStart = this.#lines.takenEnd;
    const before = this.#verifier.outputHash;
    const verdict = await this.#verifier.verifyBlock(block, this.#lines.take, this.#context.check);
    if (isTamper(verdict.problem)) {
      this.#fail({ check: "tail", ...findingOf(verdict.problem) });
      return false;
    }
    const previous = this.#marks.at(-1);
    this.#marks.push({
      firstLine: verdict.firstLine,
      lastLine: verdict.lastLine,
      before,
      logStart,
      logEnd: this.#lines.takenEnd,
      sigStart: previous?.sigEnd ?? 0,
      sigEnd: block.end,
      logDigest: "",
      sigDigest: "",
    });
    if (verdict.problem === undefined) {
      this.#signedEnd = this.#lines.takenEnd;
      this.#signedLines = verdict.lastLine;
    } else {
      // An unsigned block (its signer could not reach the service): its lines are not protected
      // until someone signs it (logksi sign); say so now rather than at the deadline.
      this.#context.raise(this, { check: "tail", ...findingOf(verdict.problem) });
    }
    this.#context.metrics.update(this.log, {
      verifiedLines: verdict.lastLine,
      verifiedBlocks: this.#marks.length,
      ...(verdict.signedAt !== undefined && { lastBlockSigned: verdict.signedAt }),
    });
    return true;
  }

  async #digestFrom(index: number): Promise<void> {
    const marks = this.#marks.slice(index);
    const start = marks[0]!;
    const [logDigests, sigDigests] = await Promise.all([
      this.#context.files.digests(
        this.log,
        start.logStart,
        marks.map((m) => m.logEnd),
      ),
      this.#context.files.digests(
        this.logsig,
        start.sigStart,
        marks.map((m) => m.sigEnd),
      ),
    ]);
    marks.forEach((mark, i) => {
      mark.logDigest = logDigests[i] ?? "";
      mark.sigDigest = sigDigests[i] ?? "";
    });
  }

  /** Lines that waited past the deadline for a block raise one alert per stall. */
  #deadline(logSize: number): void {
    const now = this.#context.now();
    if (this.#seen.at(-1)?.size !== logSize) {
      // Bounded while a signer is stalled and the log keeps growing: dropping the second oldest
      // keeps the oldest unsigned byte's time, which the deadline is about.
      if (this.#seen.length >= MAX_SEEN) this.#seen.splice(1, 1);
      this.#seen.push({ size: logSize, at: now });
    }
    while (this.#seen.length > 0 && this.#seen[0]!.size <= this.#signedEnd) this.#seen.shift();
    const waiting = this.#seen[0];
    const age = logSize > this.#signedEnd && waiting !== undefined ? now - waiting.at : 0;
    this.#context.metrics.update(this.log, {
      unsignedBytes: Math.max(0, logSize - this.#signedEnd),
      unsignedAgeSeconds: age / 1000,
    });
    if (age <= this.#context.deadlineMs || this.#stalledAt === this.#signedEnd) return;
    this.#stalledAt = this.#signedEnd;
    const line = this.#signedLines + 1;
    this.#context.raise(this, {
      check: "deadline",
      code: "SIGNING_STALLED",
      line,
      message: `${this.log}: line ${line} and after (${logSize - this.#signedEnd} bytes) have waited ${(age / 1000).toFixed(1)} s for a signed block in ${this.logsig}, past the deadline of ${this.#context.deadlineMs / 1000} s: is the signer running and can it reach the cluster?`,
    });
  }

  /**
   * Re-hash the bytes of every verified block; from the first block whose log lines or signature
   * bytes changed, verify again, which names the first changed, deleted or swapped line.
   */
  async scan(): Promise<void> {
    if (this.#failed || this.#marks.length === 0) return;
    const { files } = this.#context;
    const [logDigests, sigDigests] = await Promise.all([
      files.digests(
        this.log,
        0,
        this.#marks.map((m) => m.logEnd),
      ),
      files.digests(
        this.logsig,
        0,
        this.#marks.map((m) => m.sigEnd),
      ),
    ]);
    const first = this.#marks.findIndex(
      (mark, i) => logDigests[i] !== mark.logDigest || sigDigests[i] !== mark.sigDigest,
    );
    if (first < 0) return;
    const mark = this.#marks[first]!;
    let logFrom = mark.logStart;
    if (logFrom > 0) {
      // An LF that ends a CR at the block's end belongs to the block before.
      const around = await files.read(this.log, logFrom - 1, 2);
      if (around[0] === 0x0d && around[1] === 0x0a) logFrom++;
    }
    const verdict = await verifyLog(
      chunksOf(files, this.log, logFrom),
      // Blocks the tail has not seen complete may still be being written.
      chunksOf(files, this.logsig, mark.sigStart, Math.max(this.#reader.complete, mark.sigEnd)),
      this.#context.check,
      first === 0
        ? { hasher: this.#context.hasher }
        : {
            hasher: this.#context.hasher,
            ...(mark.before !== undefined && { inputHash: mark.before }),
            resumeAfter: { lines: mark.firstLine - 1, blocks: first, logsigOffset: mark.sigStart },
          },
    );
    // Only the .logsig changed where the log was verified: a line that no longer matches its stored
    // record hash was not changed, the hash was.
    const logKept = this.#marks.every((m, i) => logDigests[i] === m.logDigest);
    if (!this.#judge(verdict, first, "scan", logKept)) return;
    // Still verifies, but an honest signer only appends: say so (logksi extend rewrites signatures
    // legitimately), and go on from the new bytes.
    const block = first + 1;
    const line = mark.firstLine;
    this.#context.raise(
      this,
      logKept
        ? {
            check: "scan",
            code: "LOGSIG_REWRITTEN",
            block,
            message: `${this.logsig} was rewritten from block ${block} on, and still verifies under the policy: if its signatures were not extended (logksi extend), someone changed a part the policy does not check`,
          }
        : {
            check: "scan",
            code: "LOG_REWRITTEN",
            block,
            line,
            message: `${this.log} was rewritten from line ${line} (block ${block}) on, and its signed records still hash the same: bytes that are not signed changed (after a NUL, or line endings)`,
          },
    );
    await this.#digestFrom(first);
  }

  /** Verify both files from the start, in the background of the tail (one at a time). */
  async full(): Promise<void> {
    if (this.#fullRunning || this.#marks.length === 0) return;
    this.#fullRunning = true;
    try {
      const { files } = this.#context;
      const verdict = await verifyLog(
        chunksOf(files, this.log, 0),
        chunksOf(files, this.logsig, 0, this.#reader.complete),
        this.#context.check,
        { hasher: this.#context.hasher },
      );
      this.#context.metrics.fullCheck(this.log);
      this.#judge(verdict, 0, "full");
    } finally {
      this.#fullRunning = false;
    }
  }

  /** Raise what a re-check found; true when it found the blocks as verified before. */
  #judge(verdict: LogVerdict, from: number, check: "scan" | "full", logKept = false): boolean {
    if (isTamper(verdict.problem)) {
      const finding = findingOf(verdict.problem);
      this.#fail(
        logKept
          ? {
              ...finding,
              check,
              kind: "logsig-tampered",
              message: `${this.log} is unchanged where it was verified, but ${this.logsig} changed: ${finding.message}`,
            }
          : { ...finding, check },
      );
      return false;
    }
    const known = this.#marks.length - from;
    if (verdict.blocks.length < known) {
      const kept = from + verdict.blocks.length;
      this.#fail({
        check,
        code: "LOGSIG_TRUNCATED",
        block: kept + 1,
        line: this.#marks[kept]!.firstLine,
        message: `${this.logsig} ends after block ${kept}, but ${this.#marks.length} blocks were verified before: blocks ${kept + 1} and after (from line ${this.#marks[kept]!.firstLine}) were removed`,
      });
      return false;
    }
    return true;
  }
}

function findingOf(problem: LogProblem): Omit<Finding, "check"> {
  return {
    code: problem.code,
    message: problem.message,
    ...(problem.line !== undefined && { line: problem.line }),
    ...(problem.block !== undefined && { block: problem.block }),
    ...(problem.verificationCode !== undefined && { verificationCode: problem.verificationCode }),
  };
}
