/** How the watcher reads the files it watches (node:fs in the CLI); keeps the watcher Node-free. */
export interface WatchFiles {
  /** The file's size in bytes, or undefined when it does not exist. */
  size(path: string): Promise<number | undefined>;
  /** Up to `length` bytes from `offset` (fewer at the end of the file; none when it does not exist). */
  read(path: string, offset: number, length: number): Promise<Uint8Array>;
  /**
   * A digest of each consecutive range [from, ends[0]), [ends[0], ends[1]), … read in one pass;
   * fewer digests when the file ends before the last range does (none when it does not exist).
   */
  digests(path: string, from: number, ends: readonly number[]): Promise<string[]>;
}

const CHUNK_BYTES = 1 << 20;

/** The file's bytes from `offset` to `end` (or its end), chunk by chunk. */
export async function* chunksOf(
  files: WatchFiles,
  path: string,
  offset: number,
  end = Number.POSITIVE_INFINITY,
): AsyncGenerator<Uint8Array> {
  for (let at = offset; at < end; ) {
    const chunk = await files.read(path, at, Math.min(CHUNK_BYTES, end - at));
    if (chunk.length === 0) return;
    at += chunk.length;
    yield chunk;
  }
}
