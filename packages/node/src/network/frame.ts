import { FrameError } from "./errors.ts";

/**
 * Frames on Tempel's stream protocols: an unsigned LEB128 (varint) length, then that many bytes, as
 * in libp2p's length-prefixed streams. Our decoder is stricter than libp2p's own: a prefix longer
 * than the size bound needs, or padded with a zero byte, is rejected where it stands, so garbage
 * fails at its first bytes instead of after a buffer has filled; and it decodes synchronously inside
 * the stream's `message` event, so a long-lived stream costs no promise per byte.
 */

export function encodeFrame(payload: Uint8Array): Uint8Array {
  const prefixLength = varintLength(payload.length);
  const frame = new Uint8Array(prefixLength + payload.length);
  let rest = payload.length;
  for (let i = 0; i < prefixLength - 1; i++) {
    frame[i] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  frame[prefixLength - 1] = rest;
  frame.set(payload, prefixLength);
  return frame;
}

function varintLength(value: number): number {
  let length = 1;
  for (let rest = value; rest >= 0x80; rest = Math.floor(rest / 0x80)) length++;
  return length;
}

/**
 * Splits received chunks into frames of at most `maxFrameBytes`. It holds at most one incomplete
 * frame, so its memory is bounded by the limit plus one chunk. After it throws, the stream is
 * unusable: the caller resets it.
 */
export class FrameDecoder {
  readonly #maxFrameBytes: number;
  readonly #maxPrefixBytes: number;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  /** Length of the frame being received, once its prefix is complete. */
  #expected: number | null = null;

  constructor(maxFrameBytes: number) {
    this.#maxFrameBytes = maxFrameBytes;
    this.#maxPrefixBytes = varintLength(maxFrameBytes);
  }

  /** Adds received bytes and returns the frames they complete, in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const frames: Uint8Array[] = [];
    for (;;) {
      this.#expected ??= this.#readPrefix();
      if (this.#expected === null || this.#buffered < this.#expected) return frames;
      frames.push(this.#take(this.#expected));
      this.#expected = null;
    }
  }

  #readPrefix(): number | null {
    let value = 0;
    let scale = 1;
    let length = 0;
    for (const chunk of this.#chunks) {
      for (const byte of chunk) {
        length++;
        value += (byte & 0x7f) * scale;
        if (byte < 0x80) {
          if (byte === 0 && length > 1) {
            throw new FrameError("FRAME_LENGTH_INVALID", "frame length prefix is zero-padded");
          }
          if (value > this.#maxFrameBytes) {
            throw new FrameError("FRAME_TOO_LARGE", "frame is larger than allowed", {
              length: value,
              limit: this.#maxFrameBytes,
            });
          }
          this.#take(length);
          return value;
        }
        if (length === this.#maxPrefixBytes) {
          throw new FrameError(
            "FRAME_LENGTH_INVALID",
            "frame length prefix is longer than the limit allows",
            {
              limit: this.#maxFrameBytes,
            },
          );
        }
        scale *= 0x80;
      }
    }
    return null;
  }

  /** Removes `length` bytes from the front into a fresh array the caller may keep. */
  #take(length: number): Uint8Array {
    const out = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      const head = this.#chunks[0];
      const part = Math.min(head.length, length - filled);
      out.set(head.subarray(0, part), filled);
      filled += part;
      if (part === head.length) this.#chunks.shift();
      else this.#chunks[0] = head.subarray(part);
    }
    this.#buffered -= length;
    return out;
  }
}
