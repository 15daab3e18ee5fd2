import { open } from "node:fs/promises";
import { dirname } from "node:path";
import { type LogsigBlock, LogsigBlockReader, logsigMagicBytes, readMagic } from "@tempel/proto";
import type { LogsigSink } from "../logs/log-signer.ts";

/** A log signature file opened for appending, with the complete blocks it already held. */
export interface OpenedLogsigFile {
  readonly sink: LogsigSink & { close(): Promise<void> };
  /** The complete blocks found, in order (none for a new file). */
  readonly blocks: readonly LogsigBlock[];
  /** Bytes of a torn last block that were cut off (a signer killed while appending). */
  readonly truncatedBytes: number;
}

async function syncDirectory(path: string): Promise<void> {
  const directory = await open(dirname(path), "r");
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

/**
 * Open `path` to append blocks to: created (with its magic, made durable) when missing; otherwise
 * read, and a torn last block cut off, so that appending resumes after the last complete block. A
 * file that is no LOGSIG12 file or is malformed before its tail is refused (LogsigFormatError) and
 * left alone. Each append is written and fsynced before it resolves.
 */
export async function openLogsigFile(path: string): Promise<OpenedLogsigFile> {
  const handle = await open(path, "a+");
  try {
    const { size } = await handle.stat();
    let blocks: LogsigBlock[] = [];
    let keep = 0;
    const magic = logsigMagicBytes();
    const bytes = size === 0 ? new Uint8Array(0) : new Uint8Array(await handle.readFile());
    if (size < magic.length && bytes.every((byte, i) => byte === magic[i])) {
      // New, or its magic torn: (re)start it.
      await handle.truncate(0);
      await handle.write(magic);
      await handle.sync();
      await syncDirectory(path);
      keep = magic.length;
    } else {
      readMagic(bytes);
      const reader = new LogsigBlockReader();
      blocks = reader.push(bytes);
      keep = reader.complete;
    }
    const truncatedBytes = Math.max(0, size - keep);
    if (truncatedBytes > 0) {
      await handle.truncate(keep);
      await handle.sync();
    }
    return {
      blocks,
      truncatedBytes,
      sink: {
        append: async (bytes) => {
          await handle.write(bytes);
          await handle.datasync();
        },
        close: () => handle.close(),
      },
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
