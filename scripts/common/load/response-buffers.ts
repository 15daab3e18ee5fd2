/** Free buffers kept at most: about a round's answers in flight to the verification thread. */
const MAX_FREE = 64;

/**
 * Buffers that responses are read into and then handed to the verification thread, which hands them
 * back when done. A fresh buffer of megabytes per answer (a 1,000-signature JSON answer is 2-3 MB)
 * is zeroed and then faulted in page by page: at 50 answers a second that cost the sending thread
 * about a tenth of a core, a reused one only the copy.
 */
export class ResponseBuffers {
  readonly #free: ArrayBuffer[] = [];

  /** A view of `length` bytes at the start of a buffer of its own (transferable as a whole). */
  take(length: number): Uint8Array<ArrayBuffer> {
    const i = this.#free.findIndex((buffer) => buffer.byteLength >= length);
    const buffer = i < 0 ? new ArrayBuffer(length) : this.#free.splice(i, 1)[0]!;
    return new Uint8Array(buffer, 0, length);
  }

  give(buffer: ArrayBuffer): void {
    if (this.#free.length < MAX_FREE) this.#free.push(buffer);
  }
}
