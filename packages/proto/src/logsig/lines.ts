/**
 * Splits a log into records as logksi reads it (logsig12.md §3.1): LF, CR LF and a lone CR each end a
 * line; a final line without a terminator is a record, a terminator at the end adds none. Chunks may
 * split anywhere, a CR LF pair included. Lines are handed out whole (see `recordBytes` for what of
 * them is hashed), as views of the chunks, each with the stream offset just past its terminator (a
 * watcher records where blocks end in the file; an LF that completes a CR at the end of the chunk
 * before is counted in the next line instead).
 */
export class LineSplitter {
  #carry: Uint8Array = new Uint8Array(0);
  /** Bytes pushed before the current chunk. */
  #pushed = 0;
  /** The previous chunk ended with CR: an LF at the start of this one belongs to it. */
  #afterCr = false;

  /** The lines completed by `chunk`, each passed to `line` without its terminator. */
  push(chunk: Uint8Array, line: (bytes: Uint8Array, end: number) => void): void {
    this.pushRanges(chunk, (data, start, end, after) => line(data.subarray(start, end), after));
  }

  /**
   * The same lines as ranges of `data`, each with the stream offset past its terminator: a reader
   * that keeps many lines waiting keeps numbers rather than a view per line, which the GC would
   * copy. `data` is the chunk itself, except for a line begun in an earlier chunk, which comes alone
   * in a buffer of its own: the chunk is not copied, and a reader may hand it on as it came (a
   * SharedArrayBuffer to other threads).
   */
  pushRanges(
    chunk: Uint8Array,
    line: (data: Uint8Array, start: number, end: number, after: number) => void,
  ): void {
    let from = 0;
    if (this.#afterCr && chunk.length > 0) {
      this.#afterCr = false;
      if (chunk[0] === 0x0a) from = 1;
    }
    const base = this.#pushed;
    this.#pushed += chunk.length;
    const n = chunk.length;
    // The terminators are found by indexOf (native) rather than a loop over every byte.
    let lf = chunk.indexOf(0x0a, from);
    let cr = chunk.indexOf(0x0d, from);
    if (this.#carry.length > 0) {
      const stop = cr < 0 || (lf >= 0 && lf < cr) ? lf : cr;
      const rest = chunk.subarray(from, stop < 0 ? n : stop);
      const joined = new Uint8Array(this.#carry.length + rest.length);
      joined.set(this.#carry);
      joined.set(rest, this.#carry.length);
      if (stop < 0) {
        this.#carry = joined;
        return;
      }
      this.#carry = new Uint8Array(0);
      from = this.#terminated(chunk, stop);
      line(joined, 0, joined.length, base + from);
      if (lf >= 0 && lf < from) lf = chunk.indexOf(0x0a, from);
      if (cr >= 0 && cr < from) cr = chunk.indexOf(0x0d, from);
    }
    while (lf >= 0 || cr >= 0) {
      const stop = cr < 0 || (lf >= 0 && lf < cr) ? lf : cr;
      const lineStart = from;
      from = this.#terminated(chunk, stop);
      line(chunk, lineStart, stop, base + from);
      if (lf >= 0 && lf < from) lf = chunk.indexOf(0x0a, from);
      if (cr >= 0 && cr < from) cr = chunk.indexOf(0x0d, from);
    }
    this.#carry = from < n ? chunk.slice(from) : new Uint8Array(0);
  }

  /** Past the terminator at `at` (LF, CR LF or CR; a CR at the chunk's end may pair with an LF next). */
  #terminated(chunk: Uint8Array, at: number): number {
    if (chunk[at] === 0x0a) return at + 1;
    if (at + 1 === chunk.length) this.#afterCr = true;
    else if (chunk[at + 1] === 0x0a) return at + 2;
    return at + 1;
  }

  /** Bytes of a line that has no terminator yet. */
  get pending(): number {
    return this.#carry.length;
  }

  /** At the end of input: the last line, when it has no terminator. */
  end(line: (bytes: Uint8Array, end: number) => void): void {
    if (this.#carry.length > 0) line(this.#carry, this.#pushed);
    this.#carry = new Uint8Array(0);
  }
}

/** The bytes of a line that logksi hashes: up to its first NUL (its reader stops there). */
export function recordBytes(line: Uint8Array): Uint8Array {
  const nul = line.indexOf(0);
  return nul < 0 ? line : line.subarray(0, nul);
}
