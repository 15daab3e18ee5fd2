// A worker thread of LogBlockHashers: checks one block's records and tree hashes at a time.
import { parentPort } from "node:worker_threads";
import { type LineRanges, type LogsigBlock, LogsigVerifier, lineRangesSource } from "@tempel/proto";
import { nodeHasher } from "@tempel/proto/node";

export interface HashJob {
  readonly id: number;
  readonly block: LogsigBlock;
  readonly lines: LineRanges;
}

parentPort!.on("message", ({ id, block, lines }: HashJob) => {
  // No input hash: the block's link is checked by the main thread, which has the blocks in order.
  let checked: ReturnType<LogsigVerifier["checkHashes"]> | undefined;
  try {
    checked = new LogsigVerifier({ hasher: nodeHasher }).checkHashes(block, lineRangesSource(lines));
  } catch {
    // A block the verifier throws on is checked again on the main thread, which reports it.
    checked = undefined;
  }
  parentPort!.postMessage({
    id,
    hashes:
      checked !== undefined && "root" in checked
        ? { root: checked.root, level: checked.level, outputHash: checked.outputHash }
        : undefined,
  });
});
