import { createHash } from "node:crypto";
import { open, stat } from "node:fs/promises";
import type { WatchFiles } from "../watch/watch-files.ts";

const CHUNK_BYTES = 1 << 20;

function missing(error: unknown): boolean {
  return (error as { code?: unknown }).code === "ENOENT";
}

/** The watcher's file access on node:fs: positional reads, SHA-256 digests of byte ranges. */
export const nodeWatchFiles: WatchFiles = {
  async size(path) {
    try {
      return (await stat(path)).size;
    } catch (error) {
      if (missing(error)) return undefined;
      throw error;
    }
  },
  async read(path, offset, length) {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(path, "r");
    } catch (error) {
      // A deleted file reads as empty: the watcher then finds the lines or blocks it verified gone.
      if (missing(error)) return new Uint8Array(0);
      throw error;
    }
    try {
      const buffer = new Uint8Array(length);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  },
  async digests(path, from, ends) {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(path, "r");
    } catch (error) {
      if (missing(error)) return [];
      throw error;
    }
    try {
      const out: string[] = [];
      const buffer = new Uint8Array(CHUNK_BYTES);
      let at = from;
      for (const end of ends) {
        const hash = createHash("sha256");
        while (at < end) {
          const { bytesRead } = await handle.read(buffer, 0, Math.min(CHUNK_BYTES, end - at), at);
          if (bytesRead === 0) return out;
          hash.update(buffer.subarray(0, bytesRead));
          at += bytesRead;
        }
        out.push(hash.digest("base64"));
      }
      return out;
    } finally {
      await handle.close();
    }
  },
};
