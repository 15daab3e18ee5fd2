/**
 * Splits a log into records as logksi reads it (logsig12.md §3.1): LF, CR LF and a lone CR each end a
 * line; a final line without a terminator is a record, a terminator at the end adds none. A record's
 * hashed bytes end at its first NUL (logksi's reader stops there). Chunks may split anywhere, a CR LF
 * pair included. The lines handed out are views of the chunks, valid until the next push.
 */
export class LineSplitter {
  #carry: Uint8Array = new Uint8Array(0);
  /** The previous chunk ended with CR: an LF at the start of this one belongs to it. */
  #afterCr = false;

  /** The lines completed by `chunk`, each passed to `line` without its terminator. */
  push(chunk: Uint8Array, line: (bytes: Uint8Array) => void): void {
    let start = 0;
    if (this.#afterCr && chunk.length > 0) {
      this.#afterCr = false;
      if (chunk[0] === 0x0a) start = 1;
    }
    let data = chunk;
    if (this.#carry.length > 0) {
      data = new Uint8Array(this.#carry.length + chunk.length - start);
      data.set(this.#carry);
      data.set(chunk.subarray(start), this.#carry.length);
      start = 0;
    }
    let from = start;
    const n = data.length;
    for (let i = start; i < n; i++) {
      const byte = data[i]!;
      if (byte === 0x0a) {
        line(hashed(data, from, i));
        from = i + 1;
      } else if (byte === 0x0d) {
        line(hashed(data, from, i));
        if (i + 1 < n) {
          if (data[i + 1] === 0x0a) i++;
        } else {
          this.#afterCr = true;
        }
        from = i + 1;
      }
    }
    this.#carry = from < n ? data.slice(from) : new Uint8Array(0);
  }

  /** Bytes of a line that has no terminator yet. */
  get pending(): number {
    return this.#carry.length;
  }

  /** At the end of input: the last line, when it has no terminator. */
  end(line: (bytes: Uint8Array) => void): void {
    if (this.#carry.length > 0) line(hashed(this.#carry, 0, this.#carry.length));
    this.#carry = new Uint8Array(0);
  }
}

function hashed(data: Uint8Array, from: number, to: number): Uint8Array {
  const nul = data.subarray(from, to).indexOf(0);
  return data.subarray(from, nul < 0 ? to : from + nul);
}
