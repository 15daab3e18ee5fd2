/** A buffer taken from a pool, and how to hand it back once nothing reads it any more. */
export interface PooledBuffer {
  readonly bytes: Buffer;
  readonly release: () => void;
}

/**
 * Big buffers reused from answer to answer. A JSON answer of a thousand signatures is 3 MB, and a
 * fresh buffer for each made V8 collect garbage far more often (memory outside its heap counts
 * towards when it collects), which cost more CPU than encoding the signatures. A buffer is reused for
 * answers between half its size and its size; at most `maxFree` wait to be reused.
 */
export class BufferPool {
  readonly #maxFree: number;
  readonly #free: Buffer[] = [];

  constructor(maxFree: number) {
    this.#maxFree = maxFree;
  }

  /** `length` bytes; their content is whatever the buffer held before. */
  take(length: number): PooledBuffer {
    const index = this.#free.findIndex((free) => free.length >= length && free.length <= 2 * length);
    const buffer = index < 0 ? Buffer.allocUnsafeSlow(length) : this.#free.splice(index, 1)[0]!;
    let released = false;
    return {
      bytes: buffer.subarray(0, length),
      release: () => {
        if (released || this.#free.length >= this.#maxFree) return;
        released = true;
        this.#free.push(buffer);
      },
    };
  }
}
