// A worker thread of LogBlockHashers: checks one block's records and tree hashes at a time.
import { parentPort } from "node:worker_threads";
import {
  concatBytes,
  type LineRanges,
  LogsigVerifier,
  lineRangesSource,
  logsigBlocks,
  logsigMagicBytes,
} from "@tempel/proto";
import { nodeHasher } from "@tempel/proto/node";

export interface HashJob {
  readonly id: number;
  /** The block's bytes (header to block signature), read again here. */
  readonly block: readonly Uint8Array[];
  readonly lines: LineRanges;
}

parentPort!.on("message", ({ id, block, lines }: HashJob) => {
  // No input hash: the block's link is checked by the main thread, which has the blocks in order.
  let checked: ReturnType<LogsigVerifier["checkHashes"]> | undefined;
  try {
    const [parsed] = logsigBlocks(concatBytes(logsigMagicBytes(), ...block));
    checked = new LogsigVerifier({ hasher: nodeHasher }).checkHashes(parsed!, lineRangesSource(lines));
  } catch {
    // A block the verifier throws on is checked again on the main thread, which reports it.
  }
  parentPort!.postMessage({
    id,
    hashes:
      checked !== undefined && "root" in checked
        ? { root: checked.root, level: checked.level, outputHash: checked.outputHash }
        : undefined,
  });
});
