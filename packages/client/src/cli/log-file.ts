import { open } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { UsageError } from "./usage-error.ts";

const CHUNK_BYTES = 1 << 20;
/** How often a followed log is looked at again once all of it is read. */
const FOLLOW_POLL_MS = 50;

/**
 * The log's bytes from the start, chunk by chunk; with `follow`, keeps waiting for more (like
 * `tail -f`) until `signal` fires. A log that shrinks under a follower was truncated or rotated: that
 * ends the run, since its signed lines are gone.
 */
export async function* readLog(
  path: string,
  options: {
    readonly follow?: boolean;
    readonly signal?: AbortSignal;
    /** Chunks in SharedArrayBuffers: lines handed to worker threads are then shared, not copied. */
    readonly shared?: boolean;
  } = {},
): AsyncGenerator<Uint8Array> {
  const handle = await open(path, "r").catch((error: Error) => {
    throw new UsageError(`cannot read ${path}: ${error.message}`);
  });
  try {
    let position = 0;
    for (;;) {
      const buffer = new Uint8Array(
        options.shared === true ? new SharedArrayBuffer(CHUNK_BYTES) : new ArrayBuffer(CHUNK_BYTES),
      );
      const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, position);
      if (bytesRead > 0) {
        position += bytesRead;
        yield buffer.subarray(0, bytesRead);
        continue;
      }
      if (options.follow !== true || options.signal?.aborted === true) return;
      if ((await handle.stat()).size < position) {
        throw new UsageError(`${path} shrank below the ${position} bytes read: it was truncated or rotated`);
      }
      await sleep(FOLLOW_POLL_MS, undefined, { signal: options.signal }).catch(() => undefined);
    }
  } finally {
    await handle.close();
  }
}
