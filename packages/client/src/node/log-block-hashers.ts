import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import {
  type BlockHasher,
  type BlockHashes,
  encodeLogsigElement,
  type LogsigBlock,
  type LogsigElement,
} from "@tempel/proto";
import type { HashJob } from "./log-hash-worker.ts";

/**
 * The block as the bytes it was read from (a few views over the file's chunks): a block of 200,000
 * records took 1.6 s to copy to a thread as objects (two views per record), longer than hashing it.
 */
function blockBytes(block: LogsigBlock): Uint8Array[] {
  const runs: Uint8Array[] = [];
  // The run being gathered: bytes start to end of buffer (numbers, not a view per element).
  let buffer: ArrayBufferLike | undefined;
  let start = 0;
  let end = 0;
  const add = (element: LogsigElement) => {
    const source = element.source ?? encodeLogsigElement(element);
    if (source.buffer === buffer && source.byteOffset === end) {
      end += source.length;
      return;
    }
    if (buffer !== undefined) runs.push(new Uint8Array(buffer, start, end - start));
    buffer = source.buffer;
    start = source.byteOffset;
    end = start + source.length;
  };
  add(block.header);
  for (const element of block.body) add(element);
  add(block.signature);
  runs.push(new Uint8Array(buffer!, start, end - start));
  return runs;
}

interface Thread {
  readonly worker: Worker;
  readonly waiting: Map<
    number,
    { resolve: (hashes: BlockHashes | undefined) => void; reject: (error: unknown) => void }
  >;
}

/**
 * Worker threads that check log blocks' records and tree hashes (4 SHA-256 per line, the whole cost
 * of verifying a log) side by side: each block's lines and tree can be checked apart from the others;
 * verifyLog keeps the links between blocks and the signatures in order on the calling thread.
 */
export class LogBlockHashers {
  readonly #threads: Thread[];
  #nextId = 0;

  /** One thread per core by default. */
  constructor(threads = availableParallelism()) {
    // Run from the sources (.ts) or from the build (.js): the worker is its sibling either way.
    const script = new URL(
      `./log-hash-worker${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`,
      import.meta.url,
    );
    this.#threads = Array.from({ length: Math.max(1, threads) }, () => {
      const thread: Thread = { worker: new Worker(script), waiting: new Map() };
      thread.worker.on("message", ({ id, hashes }: { id: number; hashes: BlockHashes | undefined }) => {
        const job = thread.waiting.get(id);
        thread.waiting.delete(id);
        job?.resolve(hashes);
      });
      thread.worker.on("error", (error) => {
        for (const job of thread.waiting.values()) job.reject(error);
        thread.waiting.clear();
      });
      return thread;
    });
  }

  /** verifyLog's hashBlocks: each block to the thread with the fewest blocks waiting. */
  readonly hash: BlockHasher = (block, lines) => {
    const thread = this.#threads.reduce((a, b) => (b.waiting.size < a.waiting.size ? b : a));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      thread.waiting.set(id, { resolve, reject });
      thread.worker.postMessage({ id, block: blockBytes(block), lines } satisfies HashJob);
    });
  };

  async close(): Promise<void> {
    await Promise.all(this.#threads.map((thread) => thread.worker.terminate()));
  }
}
