import { open } from "node:fs/promises";
import { UsageError } from "./usage-error.ts";

/**
 * Read at most `maxBytes` of the file at `path`. Returns the bytes and whether the file had more, so
 * a caller can reject an oversized input without reading it whole. An unreadable file is a usage error.
 */
export async function readBounded(
  path: string,
  maxBytes: number,
  what: string,
): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "r");
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${path}: ${(error as Error).message}`);
  }
  try {
    const buffer = new Uint8Array(maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return { bytes: buffer.subarray(0, Math.min(length, maxBytes)), truncated: length > maxBytes };
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${path}: ${(error as Error).message}`);
  } finally {
    await handle.close();
  }
}

/** Read a whole input file that must not exceed `maxBytes`. */
export async function readInput(path: string, maxBytes: number, what: string): Promise<Uint8Array> {
  const { bytes, truncated } = await readBounded(path, maxBytes, what);
  if (truncated) throw new UsageError(`${what} ${path} is larger than ${maxBytes} bytes`);
  return bytes;
}
