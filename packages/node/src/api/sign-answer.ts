import { signatureToJson } from "@tempel/proto";
import type { SignedHashes } from "../aggregation/index.ts";
import { BufferPool } from "./buffer-pool.ts";
import { SerializedJson } from "./respond.ts";

const COMMA = 0x2c;
const QUOTE = 0x22;
/** Batches whose signatures take more are encoded into a buffer of their own. */
const MAX_SCRATCH_BYTES = 4 * 1024 * 1024;
/** Answers being sent at the same time whose buffers are kept for reuse. */
const POOLED_ANSWERS = 16;

/**
 * Writes answers to sign requests, `{"aggregationTime": t, "signatures": ["<base64>", …]}`, straight
 * into one buffer: a batch's signatures are megabytes of base64 that JSON.stringify would scan and
 * copy again, and the UTF-8 conversion after it once more. Only the decoded view, when asked for,
 * goes through JSON.stringify.
 */
export class SignAnswers {
  /**
   * Where the signatures are encoded before their base64 is written. They are read at once, so one
   * buffer serves every answer: a fresh one of megabytes per answer, zeroed and then faulted in page by
   * page, cost more than encoding into it.
   */
  #scratch = Buffer.alloc(0);
  readonly #answers = new BufferPool(POOLED_ANSWERS);

  answer(signatures: SignedHashes, view: boolean): SerializedJson {
    // The buffer the signatures were written into: their base64 is read off it by offset, without a
    // Buffer view of each.
    let written: Buffer = this.#scratch;
    const encoded = signatures.encode((length) => {
      written = this.#scratchOf(length);
      return written;
    });
    const head = `{"aggregationTime":${signatures.aggregationTime},"signatures":[`;
    const tail = view ? `],"json":${JSON.stringify(signatures.signatures().map(signatureToJson))}}` : "]}";
    // Each signature is its base64 in quotes, with a comma between two.
    let length = head.length + Buffer.byteLength(tail) + encoded.length - 1;
    for (const bytes of encoded) length += 4 * Math.ceil(bytes.length / 3) + 2;
    const { bytes: out, release } = this.#answers.take(length);
    const shared = SharedTail.of(signatures.tail, encoded.length);
    let at = out.write(head, 0, "latin1");
    encoded.forEach((bytes, i) => {
      if (i > 0) out[at++] = COMMA;
      out[at++] = QUOTE;
      at = writeBase64(written, bytes.byteOffset - written.byteOffset, bytes.length, shared, out, at);
      out[at++] = QUOTE;
    });
    out.write(tail, at);
    return new SerializedJson(out, release);
  }

  #scratchOf(length: number): Buffer {
    if (length > MAX_SCRATCH_BYTES) return Buffer.allocUnsafeSlow(length);
    if (this.#scratch.length < length) this.#scratch = Buffer.allocUnsafeSlow(length);
    return this.#scratch;
  }
}

/**
 * The bytes the signatures of one answer end with: one round's calendar chain, authentication record
 * and quorum certificate (and top chain), most of each signature. Their base64 is made once for each
 * of the three offsets at which a signature's base64 groups can meet them, so that only each
 * signature's own bytes are encoded.
 */
class SharedTail {
  readonly length: number;
  /** `base64[d]`: the base64 of the tail from byte d on, as Latin-1 bytes. */
  readonly base64: readonly Buffer[];

  constructor(bytes: Uint8Array) {
    this.length = bytes.length;
    this.base64 = [0, 1, 2].map((d) => Buffer.from(base64Of(bytes.subarray(d)), "latin1"));
  }

  /** The tail of `count` signatures, when it is worth sharing: more than one signature, a base64 group. */
  static of(bytes: Uint8Array | undefined, count: number): SharedTail | undefined {
    return bytes === undefined || count < 2 || bytes.length < 3 ? undefined : new SharedTail(bytes);
  }
}

/**
 * Writes the base64 of `source[start .. start + length)`, which ends with `tail` when there is one,
 * into `out` at `at`; returns the offset past it. Only the part before the first base64 group that
 * lies wholly in the tail is encoded; the tail's base64 from there is copied.
 */
function writeBase64(
  source: Buffer,
  start: number,
  length: number,
  tail: SharedTail | undefined,
  out: Buffer,
  at: number,
): number {
  if (tail !== undefined) {
    const own = length - tail.length;
    const split = Math.ceil(own / 3) * 3;
    const written = out.write(source.toString("base64", start, start + split), at, "latin1");
    return at + written + tail.base64[split - own]!.copy(out, at + written);
  }
  // Written as soon as it is made, so that no base64 text outlives its copy.
  return at + out.write(source.toString("base64", start, start + length), at, "latin1");
}

function base64Of(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}
