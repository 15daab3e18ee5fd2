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
   * The same lines as ranges of `data` (the chunk, or the carried part joined to it), each with the
   * stream offset past its terminator: a reader that keeps many lines waiting keeps numbers rather
   * than a view per line, which the GC would copy.
   */
  pushRanges(
    chunk: Uint8Array,
    line: (data: Uint8Array, start: number, end: number, after: number) => void,
  ): void {
    let start = 0;
    if (this.#afterCr && chunk.length > 0) {
      this.#afterCr = false;
      if (chunk[0] === 0x0a) start = 1;
    }
    let data = chunk;
    let base = this.#pushed;
    this.#pushed += chunk.length;
    if (this.#carry.length > 0) {
      base += start - this.#carry.length;
      data = new Uint8Array(this.#carry.length + chunk.length - start);
      data.set(this.#carry);
      data.set(chunk.subarray(start), this.#carry.length);
      start = 0;
    }
    let from = start;
    const n = data.length;
    // The terminators are found by indexOf (native) rather than a loop over every byte.
    let lf = data.indexOf(0x0a, from);
    let cr = data.indexOf(0x0d, from);
    while (lf >= 0 || cr >= 0) {
      if (cr < 0 || (lf >= 0 && lf < cr)) {
        line(data, from, lf, base + lf + 1);
        from = lf + 1;
      } else {
        const lineStart = from;
        from = cr + 1;
        if (cr + 1 === n) this.#afterCr = true;
        else if (data[cr + 1] === 0x0a) from++;
        line(data, lineStart, cr, base + from);
        cr = data.indexOf(0x0d, from);
      }
      if (lf >= 0 && lf < from) lf = data.indexOf(0x0a, from);
    }
    this.#carry = from < n ? data.slice(from) : new Uint8Array(0);
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
